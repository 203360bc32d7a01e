"""Running the content layer over the posts in a store and saving its tables.

``analyse_posts`` is the pure part (texts in, Arrow tables out); ``run_content`` reads the
posts with text from the store, embeds each distinct text once for both the persuasion head
and the narratives, and replaces the five derived tables in one go each. Reposts and likes
carry no text of their own and are left out.

``fast=True`` is the CPU path: the fast techniques head, the AI-text n-gram head alone, and
narratives clustered on the static token vectors (``_static``) with the thresholds chosen
for them (``STATIC_NARRATIVES``), so no torch model is loaded. The narratives table names
the vectors it was clustered on (column ``embedder``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from limelight.detect.content._ai_text import AiTextModel, AiTextScore, account_ai_shares
from limelight.detect.content._llm_labeller import LLMPersuasionLabeller
from limelight.detect.content._narratives import (
    STATIC_NARRATIVES,
    NarrativeSettings,
    find_narratives,
)
from limelight.detect.content._persuasion import PersuasionModel, TechniqueHit
from limelight.detect.content._static import StaticEmbedder
from limelight.embed import embed_texts
from limelight.errors import InputError
from limelight.store import Database

__all__ = [
    "ACCOUNT_AI_TEXT_SCHEMA",
    "CONTENT_TABLES",
    "POST_AI_TEXT_SCHEMA",
    "POST_TECHNIQUES_SCHEMA",
    "ContentResult",
    "analyse_posts",
    "run_content",
]

CONTENT_TABLES = (
    "post_techniques",
    "post_ai_text",
    "account_ai_text",
    "narratives",
    "narrative_posts",
)

POST_TECHNIQUES_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("account_id", pa.string()),
        ("technique", pa.string()),
        ("score", pa.float64()),
        ("span_start", pa.int64()),
        ("span_end", pa.int64()),
        ("fragment", pa.string()),
        ("model", pa.string()),
    ]
)
POST_AI_TEXT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("account_id", pa.string()),
        ("model_score", pa.float64()),
        ("rule", pa.string()),
        ("phrase", pa.string()),
        ("ai_score", pa.float64()),
        ("ai_written", pa.bool_()),
        ("model", pa.string()),
    ]
)
ACCOUNT_AI_TEXT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("posts", pa.int64()),
        ("ai_posts", pa.int64()),
        ("share", pa.float64()),
        ("mean_score", pa.float64()),
        ("rule_posts", pa.int64()),
        ("finding", pa.bool_()),
        ("model", pa.string()),
    ]
)


class FindsTechniques(Protocol):
    """What ``analyse_posts`` needs of a techniques model: ``PersuasionModel``, or the same
    model run elsewhere (``limelight.scale.RayTechniques``)."""

    @property
    def version(self) -> str: ...

    def find(
        self, texts: list[str], embeddings: np.ndarray | None = None
    ) -> list[list[TechniqueHit]]: ...


class ScoresAiText(Protocol):
    """What ``analyse_posts`` needs of an AI-text model: ``AiTextModel``, or the same model
    run elsewhere (``limelight.scale.RayAiText``)."""

    @property
    def version(self) -> str: ...

    @property
    def threshold(self) -> float: ...

    def score(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None
    ) -> list[AiTextScore]: ...


@dataclass(slots=True)
class ContentResult:
    """The five content tables and the parameters that made them."""

    tables: dict[str, pa.Table]
    params: dict[str, Any] = field(default_factory=dict)

    def write(self, store: Database) -> dict[str, int]:
        """Replace each content table in the store; returns rows written per table."""
        return {name: store.replace_table(name, t) for name, t in self.tables.items()}


def analyse_posts(
    platforms: Sequence[str],
    post_ids: Sequence[str],
    account_ids: Sequence[str],
    texts: Sequence[str],
    created_at: Sequence[datetime | None],
    *,
    persuasion: FindsTechniques | LLMPersuasionLabeller | None = None,
    ai_text: ScoresAiText | None = None,
    narratives: NarrativeSettings | None = None,
    min_posts: int = 5,
    min_share: float = 0.5,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    fast: bool = False,
) -> ContentResult:
    """Techniques, AI-text scores (post and account) and narratives of the given posts.

    ``persuasion`` is the local head (default) or an LLM labeller; a post the LLM could not
    label gets no technique rows (the count is in ``params["unlabelled"]``). ``embed`` turns
    the distinct texts into vectors (default ``embed_texts``; ``limelight.scale`` passes
    the same model run on Ray workers). ``fast=True`` loads no torch model: the defaults
    become the fast techniques head, the n-gram AI-text head and static-vector narratives
    (``embed`` is then not used); a head given that reads MiniLM is refused.
    """
    if fast:
        persuasion = persuasion or PersuasionModel(fast=True)
        ai_text = ai_text or AiTextModel(use_encoder=False)
        _check_fast(persuasion, ai_text)
        static = StaticEmbedder.load()
        # the narratives embed their normalised texts (links and mentions cut) themselves
        narrative_embed: Callable[[list[str]], np.ndarray] | None = static.embed
        embedder = static.version
        narratives = narratives or STATIC_NARRATIVES
    else:
        persuasion = persuasion or PersuasionModel()
        ai_text = ai_text or AiTextModel()
        narrative_embed, embedder = embed, _minilm_name()
    n = len(texts)
    vectors = None
    if n and not fast:
        distinct, inverse = np.unique(np.array(list(texts), dtype=object), return_inverse=True)
        vectors = (embed or embed_texts)([str(t) for t in distinct])[inverse]
    unlabelled = 0
    if isinstance(persuasion, LLMPersuasionLabeller):
        answers = persuasion.find(list(texts))
        unlabelled = sum(a is None for a in answers)
        hits = [a or [] for a in answers]
    else:
        hits = persuasion.find(list(texts), vectors)
    technique_rows = [
        {
            "platform": platforms[i],
            "post_id": post_ids[i],
            "account_id": account_ids[i],
            "technique": h.technique,
            "score": round(h.score, 4),
            "span_start": h.span_start,
            "span_end": h.span_end,
            "fragment": texts[i][h.span_start : h.span_end],
            "model": persuasion.version,
        }
        for i in range(n)
        for h in hits[i]
    ]
    scores = ai_text.score(texts, vectors)
    threshold = ai_text.threshold
    ai_rows = [
        {
            "platform": platforms[i],
            "post_id": post_ids[i],
            "account_id": account_ids[i],
            "model_score": round(sc.model_score, 4),
            "rule": sc.rule,
            "phrase": sc.phrase,
            "ai_score": round(sc.ai_score, 4),
            "ai_written": sc.ai_score >= threshold,
            "model": ai_text.version,
        }
        for i, sc in enumerate(scores)
    ]
    keys = [f"{p}\x1f{a}" for p, a in zip(platforms, account_ids, strict=True)]
    shares = account_ai_shares(
        keys,
        [sc.ai_score for sc in scores],
        [sc.rule for sc in scores],
        threshold=threshold,
        min_posts=min_posts,
        min_share=min_share,
    )
    account_rows = [
        {
            "platform": s.account_id.split("\x1f", 1)[0],
            "account_id": s.account_id.split("\x1f", 1)[1],
            "posts": s.posts,
            "ai_posts": s.ai_posts,
            "share": s.share,
            "mean_score": s.mean_score,
            "rule_posts": s.rule_posts,
            "finding": s.finding,
            "model": ai_text.version,
        }
        for s in shares
    ]
    settings = narratives or NarrativeSettings()
    row_ids = [str(i) for i in range(n)]
    # the LLM that labels techniques also titles the narratives (key terms without one)
    llm = persuasion.client if isinstance(persuasion, LLMPersuasionLabeller) else None
    narrative_table, members = find_narratives(
        row_ids,
        texts,
        account_ids,
        created_at,
        embeddings=vectors,
        settings=settings,
        llm=llm,
        embedder=embedder,
        embed=narrative_embed,
    )
    rows_of = [int(r) for r in members.column("post_id").to_pylist()]
    members = pa.table(
        {
            "narrative_id": members.column("narrative_id"),
            "platform": pa.array([platforms[r] for r in rows_of], pa.string()),
            "post_id": pa.array([post_ids[r] for r in rows_of], pa.string()),
            "account_id": members.column("account_id"),
            "family": members.column("family"),
            "similarity": members.column("similarity"),
        }
    )
    reps = [
        [post_ids[int(r)] for r in ids]
        for ids in narrative_table.column("representative_post_ids").to_pylist()
    ]
    narrative_table = narrative_table.set_column(
        narrative_table.schema.get_field_index("representative_post_ids"),
        "representative_post_ids",
        pa.array(reps, pa.list_(pa.string())),
    )
    return ContentResult(
        tables={
            "post_techniques": pa.Table.from_pylist(technique_rows, schema=POST_TECHNIQUES_SCHEMA),
            "post_ai_text": pa.Table.from_pylist(ai_rows, schema=POST_AI_TEXT_SCHEMA),
            "account_ai_text": pa.Table.from_pylist(account_rows, schema=ACCOUNT_AI_TEXT_SCHEMA),
            "narratives": narrative_table,
            "narrative_posts": members,
        },
        params={
            "posts": n,
            "unlabelled": unlabelled,
            "persuasion_model": persuasion.version,
            "ai_text_model": ai_text.version,
            "ai_threshold": threshold,
            "min_posts": min_posts,
            "min_share": min_share,
            "fast": fast,
            "narratives": {
                "embedder": embedder,
                "k": settings.k,
                "min_similarity": settings.min_similarity,
                "duplicate_similarity": settings.duplicate_similarity,
                "similarity_floor": settings.similarity_floor,
                "min_posts": settings.min_posts,
                "resolution": settings.resolution,
                "random_state": settings.random_state,
            },
        },
    )


def _minilm_name() -> str:
    """The sentence-transformers model the default path embeds with (its folder's name)."""
    configured = os.environ.get("LIMELIGHT_EMBED_MODEL")
    return Path(configured).name if configured else "all-MiniLM-L6-v2"


def _check_fast(persuasion: FindsTechniques | LLMPersuasionLabeller, ai_text: ScoresAiText) -> None:
    """Refuse, under ``fast``, a head that would load MiniLM (torch)."""
    if isinstance(persuasion, PersuasionModel) and persuasion.reads_minilm:
        raise InputError(
            f"the persuasion head {persuasion.version} reads MiniLM vectors, which the fast "
            "path does not load; drop --fast or use the fast head"
        )
    if isinstance(ai_text, AiTextModel) and (
        ai_text.encoder is not None or ai_text.head.spec.embedding
    ):
        raise InputError(
            "this AI-text model reads MiniLM, which the fast path does not load; "
            "drop --fast or use the n-gram head (--no-ai-encoder)"
        )


def run_content(
    store: Database,
    *,
    limit: int | None = None,
    persuasion: FindsTechniques | LLMPersuasionLabeller | None = None,
    ai_text: ScoresAiText | None = None,
    narratives: NarrativeSettings | None = None,
    min_posts: int = 5,
    min_share: float = 0.5,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    fast: bool = False,
) -> ContentResult:
    """Analyse the store's posts with text (the newest ``limit`` if given) and save the tables.

    ``fast=True``: no torch model is loaded (see ``analyse_posts``).
    """
    sql = (
        "SELECT platform, post_id, account_id, text, created_at FROM posts "
        "WHERE kind NOT IN ('repost', 'like') AND text IS NOT NULL AND length(trim(text)) > 0 "
        "ORDER BY created_at DESC NULLS LAST, platform, post_id"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    posts = store.arrow(sql)
    result = analyse_posts(
        posts.column("platform").to_pylist(),
        posts.column("post_id").to_pylist(),
        [a or "" for a in posts.column("account_id").to_pylist()],
        posts.column("text").to_pylist(),
        posts.column("created_at").to_pylist(),
        persuasion=persuasion,
        ai_text=ai_text,
        narratives=narratives,
        min_posts=min_posts,
        min_share=min_share,
        embed=embed,
        fast=fast,
    )
    result.write(store)
    return result

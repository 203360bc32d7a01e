"""Narratives: groups of posts that say the same thing in different words.

1. Texts are normalised (case, links, mentions, spacing); identical ones are embedded once.
2. Near-duplicate families (cosine >= ``duplicate_similarity`` between MiniLM vectors) are
   collapsed to one vertex, so a copy-paste campaign of 500 identical posts is one voice in
   the graph, not 500 (its weight still counts in the narrative's size).
3. Each family links to its ``k`` nearest families with cosine >= ``min_similarity``; Leiden
   (Traag et al., 2019) finds the communities of that graph, with ``random_state`` as seed.
4. A narrative is a community of at least ``min_posts`` posts. It is described by its top
   terms (class-based TF-IDF, as BERTopic: a term's frequency in the narrative against its
   frequency over all narratives), the posts closest to its centroid, its accounts and its
   time span.
5. Each narrative gets a title (``_titles``): written by the LLM when a client is passed
   and its reply is short, plain and grounded in the terms and posts, else its first three
   key terms; ``title_source`` says which.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from limelight.detect.content._titles import title_narratives
from limelight.embed import embed_texts

if TYPE_CHECKING:
    from limelight.llm import LLMClient

__all__ = [
    "NARRATIVES_SCHEMA",
    "NARRATIVE_POSTS_SCHEMA",
    "STATIC_NARRATIVES",
    "NarrativeSettings",
    "find_narratives",
]

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_SPACE = re.compile(r"\s+")
_TERM = re.compile(r"[^\W\d_]{2,}[\w'-]+", re.UNICODE)
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "this",
        "with",
        "you",
        "your",
        "are",
        "was",
        "were",
        "have",
        "has",
        "had",
        "not",
        "but",
        "from",
        "they",
        "them",
        "their",
        "there",
        "what",
        "when",
        "where",
        "who",
        "will",
        "would",
        "can",
        "could",
        "should",
        "just",
        "about",
        "into",
        "than",
        "then",
        "out",
        "our",
        "ours",
        "his",
        "her",
        "hers",
        "its",
        "it's",
        "i'm",
        "don't",
        "all",
        "any",
        "been",
        "being",
        "more",
        "most",
        "some",
        "such",
        "very",
        "also",
        "only",
        "over",
        "own",
        "same",
        "too",
        "how",
        "why",
        "which",
        "while",
        "here",
        "these",
        "those",
        "because",
        "after",
        "before",
        "again",
        "further",
        "once",
        "does",
        "did",
        "doing",
        "get",
        "got",
        "like",
        "one",
        "two",
        "new",
        "now",
        "via",
        "amp",
        "rt",
        "que",
        "los",
        "las",
        "del",
        "por",
        "para",
        "una",
        "con",
        "como",
        "pero",
        "más",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "mit",
        "sich",
        "des",
        "les",
        "une",
        "est",
        "pas",
        "pour",
        "dans",
        "qui",
        "sur",
    ]
)

NARRATIVES_SCHEMA = pa.schema(
    [
        ("narrative_id", pa.string()),
        ("title", pa.string()),
        ("title_source", pa.string()),
        ("posts", pa.int64()),
        ("families", pa.int64()),
        ("accounts", pa.int64()),
        ("top_terms", pa.list_(pa.string())),
        ("representative_post_ids", pa.list_(pa.string())),
        ("representative_texts", pa.list_(pa.string())),
        ("top_accounts", pa.list_(pa.string())),
        ("first_at", pa.timestamp("us", tz="UTC")),
        ("last_at", pa.timestamp("us", tz="UTC")),
        ("cohesion", pa.float64()),
        ("title_model", pa.string()),
        ("embedder", pa.string()),
    ]
)
NARRATIVE_POSTS_SCHEMA = pa.schema(
    [
        ("narrative_id", pa.string()),
        ("post_id", pa.string()),
        ("account_id", pa.string()),
        ("family", pa.int64()),
        ("similarity", pa.float64()),
    ]
)


@dataclass(frozen=True, slots=True)
class NarrativeSettings:
    """Parameters of narrative finding (stored with the result)."""

    k: int = 10
    min_similarity: float = 0.35
    duplicate_similarity: float = 0.95
    min_posts: int = 5
    resolution: float = 0.5
    top_terms: int = 8
    representatives: int = 3
    title_posts: int = 5
    random_state: int = 0
    similarity_floor: float = 0.0
    """Cosine that counts as unrelated: similarities are read as (cos - floor) / (1 - floor)
    before the thresholds and edge weights apply (0 for MiniLM; see ``STATIC_NARRATIVES``)."""

    def rescale(self, cosine: np.ndarray) -> np.ndarray:
        """Cosines on the scale the thresholds were set on (MiniLM's)."""
        return (cosine - self.similarity_floor) / (1.0 - self.similarity_floor)


STATIC_NARRATIVES = NarrativeSettings(similarity_floor=0.6, resolution=1.5)
"""Settings for the static token vectors (``_static``), chosen on IRA tweets that no test
or evaluation reads (docs/narratives.md, "Static vectors"). Their cosines run high (two
random English tweets average about 0.5, against about 0.1 with MiniLM), so they are read
above a floor of 0.6: that maps the static cosine which keeps as many nearest-neighbour
edges as MiniLM keeps at 0.35 onto 0.35, and the near-duplicate cut lands at a static
0.98. Their topics separate less sharply, so the resolution is 1.5, where the partition
agreed best with MiniLM's on the same tweets."""


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", _MENTION.sub(" ", _URL.sub(" ", text))).strip().casefold()


def _neighbours(vectors: np.ndarray, k: int, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosines of each row's ``k`` nearest other rows (brute force, by blocks)."""
    n = vectors.shape[0]
    k = min(k, n - 1)
    idx = np.zeros((n, k), dtype=np.int64)
    sim = np.zeros((n, k), dtype=np.float32)
    for start in range(0, n, block):
        s = vectors[start : start + block] @ vectors.T
        rows = np.arange(s.shape[0])
        s[rows, rows + start] = -np.inf
        top = np.argpartition(-s, k - 1, axis=1)[:, :k]
        idx[start : start + block] = top
        sim[start : start + block] = np.take_along_axis(s, top, axis=1)
    return idx, sim


def _families(vectors: np.ndarray, threshold: float, k: int) -> np.ndarray:
    """Union-find over near-duplicate pairs among each row's nearest neighbours."""
    parent = np.arange(vectors.shape[0])

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    if vectors.shape[0] > 1:
        idx, sim = _neighbours(vectors, k)
        for a, b in zip(*np.nonzero(sim >= threshold), strict=True):
            ra, rb = find(int(a)), find(int(idx[a, b]))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(vectors.shape[0])])
    _, family = np.unique(roots, return_inverse=True)
    return np.asarray(family, dtype=np.int64)


def _c_tf_idf(docs: list[list[str]], top: int) -> list[list[str]]:
    counts = [Counter(d) for d in docs]
    total = Counter[str]()
    for c in counts:
        total.update(c)
    avg_words = sum(sum(c.values()) for c in counts) / max(len(counts), 1)
    out: list[list[str]] = []
    for c in counts:
        words = sum(c.values()) or 1
        scored = {
            t: (f / words) * math.log(1.0 + avg_words / total[t]) for t, f in c.items() if f > 1
        }
        out.append([t for t, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:top]])
    return out


def find_narratives(
    post_ids: Sequence[str],
    texts: Sequence[str],
    account_ids: Sequence[str],
    created_at: Sequence[datetime | None],
    *,
    embeddings: np.ndarray | None = None,
    settings: NarrativeSettings | None = None,
    llm: LLMClient | None = None,
    embedder: str = "all-MiniLM-L6-v2",
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Cluster posts into narratives; returns the ``narratives`` and ``narrative_posts`` tables.

    ``embeddings`` (one unit row per post) may be passed to reuse vectors; otherwise the
    distinct normalised texts are embedded here with ``embed`` (default MiniLM's
    ``embed_texts``; the static vectors read links and mentions as noise, so the fast path
    passes them this way, never pre-embedded raw texts). ``embedder`` names the vectors
    in each row (column ``embedder``): the thresholds of ``settings`` only mean something
    for the vectors they were chosen on (``STATIC_NARRATIVES`` for the static ones). With
    ``llm`` (a configured client) each narrative is titled by the model where its reply
    passes the checks of ``_titles``; without it, or where the reply fails, the title is
    made of the key terms.
    """
    import igraph
    import leidenalg

    s = settings or NarrativeSettings()
    n = len(texts)
    empty = (NARRATIVES_SCHEMA.empty_table(), NARRATIVE_POSTS_SCHEMA.empty_table())
    if n == 0:
        return empty
    norm = [_normalise(t) for t in texts]
    distinct, text_of = np.unique(np.array(norm, dtype=object), return_inverse=True)
    if embeddings is None:
        vectors = (embed or embed_texts)([str(t) for t in distinct])
    else:
        vectors = np.zeros((len(distinct), embeddings.shape[1]), dtype=np.float32)
        vectors[text_of] = embeddings
    duplicate = s.similarity_floor + s.duplicate_similarity * (1.0 - s.similarity_floor)
    family_of_text = _families(vectors, duplicate, s.k)
    n_fam = int(family_of_text.max()) + 1
    family = family_of_text[text_of]
    fam_vec = np.zeros((n_fam, vectors.shape[1]), dtype=np.float64)
    np.add.at(fam_vec, family_of_text, vectors)
    fam_vec /= np.maximum(np.linalg.norm(fam_vec, axis=1, keepdims=True), 1e-12)
    fam_vec32 = fam_vec.astype(np.float32)
    if n_fam < 2:
        membership = np.zeros(n_fam, dtype=np.int64)
    else:
        idx, cosine = _neighbours(fam_vec32, s.k)
        sim = s.rescale(cosine)
        edges: dict[tuple[int, int], float] = {}
        for a, b in zip(*np.nonzero(sim >= s.min_similarity), strict=True):
            u, v = sorted((int(a), int(idx[a, b])))
            edges[(u, v)] = float(sim[a, b])
        graph = igraph.Graph(n=n_fam, edges=list(edges), directed=False)
        graph.es["weight"] = list(edges.values())
        part = leidenalg.find_partition(
            graph,
            leidenalg.RBConfigurationVertexPartition,
            weights="weight",
            resolution_parameter=s.resolution,
            seed=s.random_state,
        )
        membership = np.asarray(part.membership, dtype=np.int64)
    community = membership[family]
    return _describe(
        post_ids, texts, account_ids, created_at, family, community, fam_vec, s, llm, embedder
    )


def _describe(
    post_ids: Sequence[str],
    texts: Sequence[str],
    account_ids: Sequence[str],
    created_at: Sequence[datetime | None],
    family: np.ndarray,
    community: np.ndarray,
    fam_vec: np.ndarray,
    s: NarrativeSettings,
    llm: LLMClient | None = None,
    embedder: str | None = None,
) -> tuple[pa.Table, pa.Table]:
    sizes = np.bincount(community)
    kept = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] >= s.min_posts]
    docs = [
        [
            t
            for i in np.flatnonzero(community == c).tolist()
            for t in _TERM.findall(_normalise(texts[i]))
            if t not in _STOP
        ]
        for c in kept
    ]
    terms = _c_tf_idf(docs, s.top_terms)
    rows: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    title_posts: list[list[str]] = []
    for rank, c in enumerate(kept):
        nid = f"narrative-{rank + 1:04d}"
        posts = np.flatnonzero(community == c)
        fams = np.unique(family[posts])
        centroid = fam_vec[fams].sum(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        post_sim = fam_vec[family[posts]] @ centroid
        reps: list[int] = []
        seen: set[int] = set()
        for i in np.argsort(-post_sim, kind="stable").tolist():
            fam = int(family[posts[i]])
            if fam not in seen and len(reps) < max(s.representatives, s.title_posts):
                seen.add(fam)
                reps.append(int(posts[i]))
        title_posts.append([texts[i] for i in reps[: s.title_posts]])
        reps = reps[: s.representatives]
        post_list: list[int] = posts.tolist()
        accounts = Counter(account_ids[i] for i in post_list)
        times = [t for t in (created_at[i] for i in post_list) if t is not None]
        rows.append(
            {
                "narrative_id": nid,
                "posts": len(posts),
                "families": len(fams),
                "accounts": len(accounts),
                "top_terms": terms[rank],
                "representative_post_ids": [post_ids[i] for i in reps],
                "representative_texts": [texts[i] for i in reps],
                "top_accounts": [a for a, _ in accounts.most_common(5)],
                "first_at": min(times) if times else None,
                "last_at": max(times) if times else None,
                "cohesion": round(float(post_sim.mean()), 4),
            }
        )
        members.extend(
            {
                "narrative_id": nid,
                "post_id": post_ids[p],
                "account_id": account_ids[p],
                "family": int(family[p]),
                "similarity": round(float(sim), 4),
            }
            for p, sim in zip(post_list, post_sim.tolist(), strict=True)
        )
    titles = title_narratives(
        [r["top_terms"] for r in rows], title_posts, [r["narrative_id"] for r in rows], llm
    )
    for row, title in zip(rows, titles, strict=True):
        row.update(title=title.title, title_source=title.source, title_model=title.model)
        row["embedder"] = embedder
    return (
        pa.Table.from_pylist(rows, schema=NARRATIVES_SCHEMA),
        pa.Table.from_pylist(members, schema=NARRATIVE_POSTS_SCHEMA),
    )

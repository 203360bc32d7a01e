"""Fusion: campaigns, account labels and post labels, each with a score, a confidence and evidence.

Coordination says *who acts together beyond chance*; account scores say *who looks
automated*; content says *what they say and how*. Fusion joins them per campaign, per
account and per post, set-based in a private DuckDB over the tables ``read_detector_tables``
returns, and writes the tables described in ``_tables``.

Scores (all in [0, 1]):

- coordination strength ``c = s / (s + strength_scale)`` of a coordination score ``s``
  (mean pair -log10 p): 0.5 at ``strength_scale`` orders of magnitude beyond chance;
- campaign score ``1 - (1 - c)(1 - a/2)(1 - t/2)``, ``a`` the members' automated share and
  ``t`` the share of members' posts with a content signal: supporting signals raise a
  campaign's score but cannot make one (a campaign exists only through coordination);
- campaign confidence ``sqrt(density) * (1 - exp(-observed / 10)) * b``, ``density`` the
  share of member pairs tied by a significant edge, ``observed`` their co-actions, ``b``
  0.7 for one behaviour, 0.85 for two, 1 for three or more: much independent evidence
  makes a confident finding, a few co-actions on one behaviour a lead;
- account score ``1 - (1 - c_m)(1 - b)(1 - t/2)`` with ``c_m`` the strength of its member
  score, ``b`` its bot score when it counts (see below), ``t`` its content share;
- post score ``1 - (1 - c_p)(1 - t/2)``, ``c_p`` the campaign's score for a post cited as
  co-action evidence, half of it for another post by a member, ``t`` its strongest
  content signal.

A bot score counts as *likely automated* when it reaches ``bot_threshold`` and, with
``require_profile`` (the default), the account has a stored profile with at least three of
created_at, followers, following, posts_count, likes_count and description: the account
model is trained on full profiles, and on stores that hold only ids (CooRTweet-style
exports) or one or two profile fields it gives nearly every account the same high score,
which says nothing about the account.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.campaigns._inputs import DetectorTables
from limelight.campaigns._notes import campaign_note
from limelight.campaigns._sql import EVIDENCE_SQL, LABEL_SQL, SETUP_SQL
from limelight.campaigns._tables import (
    ACCOUNT_LABEL_SCHEMA,
    ACCOUNT_LABELS,
    EVIDENCE,
    EVIDENCE_SCHEMA,
    POST_LABEL_SCHEMA,
    POST_LABELS,
    SPOTLIGHT_CAMPAIGN_SCHEMA,
    SPOTLIGHT_CAMPAIGNS,
)
from limelight.errors import InputError

__all__ = ["FusionResult", "FusionSettings", "fuse_tables"]


@dataclass(frozen=True, slots=True)
class FusionSettings:
    """How signals are weighed and how much evidence is kept.

    ``bot_threshold`` (0.5, the account model's own) and ``require_profile`` decide when a
    bot score counts; ``content_threshold`` (0.5) when a technique or AI-text probability
    is a signal; ``strength_scale`` (5) maps a coordination score to [0, 1];
    ``pair_rows`` (20) chance rows and ``content_rows`` (30) content rows are kept per
    campaign, ``account_rows`` (10) content rows per account.
    """

    bot_threshold: float = 0.5
    require_profile: bool = True
    content_threshold: float = 0.5
    strength_scale: float = 5.0
    pair_rows: int = 20
    content_rows: int = 30
    account_rows: int = 10

    def __post_init__(self) -> None:
        for name in ("bot_threshold", "content_threshold"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InputError(f"{name} {value} must be between 0 and 1; the default is 0.5")
        if self.strength_scale <= 0:
            raise InputError(f"strength_scale {self.strength_scale} must be positive")


@dataclass(slots=True)
class FusionResult:
    """The fused tables by name (see ``_tables``) and the settings that made them."""

    tables: dict[str, pa.Table]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def campaigns(self) -> pa.Table:
        """``spotlight_campaigns``."""
        return self.tables[SPOTLIGHT_CAMPAIGNS]

    @property
    def evidence(self) -> pa.Table:
        """``spotlight_evidence``."""
        return self.tables[EVIDENCE]


def _strength(score: np.ndarray, scale: float) -> np.ndarray:
    s = np.nan_to_num(score.astype(np.float64), nan=0.0)
    out: np.ndarray = s / (s + scale)
    return out


def campaign_confidence(
    n_accounts: np.ndarray, n_pairs: np.ndarray, observed: np.ndarray, n_behaviours: np.ndarray
) -> np.ndarray:
    """Confidence of each campaign from how much independent evidence it rests on."""
    possible = np.maximum(n_accounts * (n_accounts - 1) / 2, 1)
    density = np.clip(n_pairs / possible, 0, 1)
    volume = 1 - np.exp(-np.nan_to_num(observed, nan=0.0) / 10)
    breadth = np.where(n_behaviours >= 3, 1.0, np.where(n_behaviours == 2, 0.85, 0.7))
    out: np.ndarray = np.round(np.sqrt(density) * volume * breadth, 4)
    return out


def confidence_level(value: float) -> str:
    """``high`` from 0.6, ``medium`` from 0.3, else ``low``."""
    return "high" if value >= 0.6 else "medium" if value >= 0.3 else "low"


def fuse_tables(
    inputs: DetectorTables, settings: FusionSettings | None = None, *, llm_client: Any = None
) -> FusionResult:
    """Fuse the detectors' tables into campaigns, evidence and labels (no store needed).

    With ``llm_client`` (a ``limelight.llm.LLMClient``) each campaign's note is also asked
    of the LLM and used instead of the template's when it is grounded in the evidence.
    """
    s = settings or FusionSettings()
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        for name in (
            "campaigns",
            "members",
            "evidence",
            "edges",
            "accounts",
            "member_posts",
            "techniques",
            "ai_text",
            "narratives",
        ):
            conn.register(f"_{name}", getattr(inputs, name))
        conn.execute(
            SETUP_SQL.format(
                bot=float(s.bot_threshold),
                profile="true" if s.require_profile else "false",
                content=float(s.content_threshold),
            )
        )
        base = conn.sql("SELECT * FROM _campaign_base ORDER BY rank").to_arrow_table()
        campaigns = _score_campaigns(base, s)
        conn.register("_scored", campaigns)
        conn.execute(
            EVIDENCE_SQL.format(
                pairs=int(s.pair_rows), content=int(s.content_rows), per_account=int(s.account_rows)
            )
        )
        evidence = conn.sql("SELECT * FROM _spot_evidence").to_arrow_table()
        evidence = evidence.select(EVIDENCE_SCHEMA.names).cast(EVIDENCE_SCHEMA)
        campaigns, llm_outcome = _with_notes(campaigns, evidence, inputs.accounts_ran, llm_client)
        conn.register("_scored", campaigns)
        conn.execute(LABEL_SQL.format(scale=float(s.strength_scale)))
        accounts = conn.sql("SELECT * FROM _account_labels").to_arrow_table()
        posts = conn.sql("SELECT * FROM _post_labels").to_arrow_table()
    finally:
        conn.close()
    tables = {
        SPOTLIGHT_CAMPAIGNS: campaigns.select(SPOTLIGHT_CAMPAIGN_SCHEMA.names).cast(
            SPOTLIGHT_CAMPAIGN_SCHEMA
        ),
        EVIDENCE: evidence,
        ACCOUNT_LABELS: accounts.select(ACCOUNT_LABEL_SCHEMA.names).cast(ACCOUNT_LABEL_SCHEMA),
        POST_LABELS: posts.select(POST_LABEL_SCHEMA.names).cast(POST_LABEL_SCHEMA),
    }
    params = {
        **asdict(s),
        "coordination_ran": inputs.coordination_ran,
        "accounts_ran": inputs.accounts_ran,
        "content_ran": inputs.content.available,
        "llm_notes": llm_outcome,
    }
    return FusionResult(tables, params)


def _score_campaigns(base: pa.Table, s: FusionSettings) -> pa.Table:
    """Add score, confidence and rank to the campaign base table (pure numpy)."""
    n = base.num_rows
    if n == 0:
        extra = {
            "score": pa.array([], pa.float64()),
            "confidence": pa.array([], pa.float64()),
            "confidence_level": pa.array([], pa.string()),
        }
        out = base
        for k, v in extra.items():
            out = out.append_column(k, v)
        return out.drop_columns(["rank"]).append_column("rank", pa.array([], pa.int64()))

    def col(name: str) -> np.ndarray:
        return np.asarray(base.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

    c = _strength(col("coordination_score"), s.strength_scale)
    a = np.nan_to_num(col("automated_share"), nan=0.0)
    t = np.nan_to_num(col("content_share"), nan=0.0)
    score = np.round(1 - (1 - c) * (1 - a / 2) * (1 - t / 2), 4)
    conf = campaign_confidence(
        col("n_accounts"), col("n_pairs"), col("observed"), col("n_behaviours")
    )
    ids = base.column("campaign_id").to_pylist()
    order = sorted(range(n), key=lambda i: (-score[i], -conf[i], ids[i]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    out = base.drop_columns(["rank"])
    out = out.append_column("rank", pa.array(rank))
    out = out.append_column("score", pa.array(score))
    out = out.append_column("confidence", pa.array(conf))
    out = out.append_column(
        "confidence_level", pa.array([confidence_level(float(v)) for v in conf], pa.string())
    )
    return out.take(pa.array(order))


def _with_notes(
    campaigns: pa.Table, evidence: pa.Table, accounts_ran: bool, llm_client: Any
) -> tuple[pa.Table, dict[str, int] | str]:
    """Write each campaign's spotlight note from its own evidence rows only."""
    rows: dict[str, list[dict[str, Any]]] = {}
    campaign_rows = evidence.filter(pc.equal(evidence.column("subject_kind"), "campaign"))
    for r in campaign_rows.to_pylist():
        rows.setdefault(r["subject_id"], []).append(r)
    ids = campaigns.column("campaign_id").to_pylist()
    notes = [campaign_note(cid, rows.get(cid, []), accounts_scored=accounts_ran) for cid in ids]
    sources = ["template"] * len(notes)
    outcome: dict[str, int] | str = "off"
    if llm_client is not None and ids:
        from limelight.campaigns._llm_notes import llm_notes

        answers = llm_notes(llm_client, {cid: rows.get(cid, []) for cid in ids})
        counts: dict[str, int] = {}
        for i, cid in enumerate(ids):
            note, what = answers[cid]
            key = what.split(":", 1)[0]
            counts[key] = counts.get(key, 0) + 1
            if note is not None:
                notes[i] = note
                sources[i] = f"llm:{llm_client.settings.model}"
        outcome = counts
    out = campaigns.append_column("note", pa.array(notes, pa.string()))
    return out.append_column("note_source", pa.array(sources, pa.string())), outcome

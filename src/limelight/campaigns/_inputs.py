"""Read what the detectors left in the store, in the shapes the fusion works on.

This is the fusion's only reader of the store: everything after it is computed on Arrow
tables in a private in-memory DuckDB. Tables a detector did not write come back empty,
with a flag saying the detector did not run, so fusion degrades instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from limelight.campaigns._content import ContentViews, content_views
from limelight.campaigns._tables import EDGE_SCHEMA, EDGES
from limelight.store import Database

__all__ = ["DetectorTables", "read_detector_tables"]

_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True, slots=True)
class DetectorTables:
    """The detectors' outputs, ready to fuse.

    ``accounts``: every account seen in posts or profiles with ``platform, account_id,
    handle, has_profile`` (at least ``MIN_PROFILE_FIELDS`` profile fields), ``n_posts``
    and, when scored, ``bot_score, bot_kind, reasons``.
    ``member_posts``: posts by campaign members. ``techniques``, ``ai_text``,
    ``narratives``: content signals joined to their posts (empty when not run).
    """

    campaigns: pa.Table
    members: pa.Table
    evidence: pa.Table
    edges: pa.Table
    accounts: pa.Table
    member_posts: pa.Table
    techniques: pa.Table
    ai_text: pa.Table
    narratives: pa.Table
    coordination_ran: bool
    accounts_ran: bool
    content: ContentViews


_POST_COLS = "p.platform, p.post_id, p.account_id, p.created_at, p.text"

#: How many of created_at, followers, following, posts_count, likes_count and description
#: an account needs before its bot score counts: the account model is trained on full
#: profiles, and scores built from one or two fields say little about the account.
MIN_PROFILE_FIELDS = 3


def read_detector_tables(db: Database) -> DetectorTables:
    """Read the coordination, account and content tables (whichever exist) from ``db``."""
    coordination = all(db.has_table(t) for t in ("campaigns", "campaign_members"))
    scored = db.has_table("account_scores")
    from limelight.detect.coordination import CAMPAIGN_SCHEMA, EVIDENCE_SCHEMA, MEMBER_SCHEMA

    def stored(name: str, schema: pa.Schema) -> pa.Table:
        if not db.has_table(name):
            return schema.empty_table()
        return db.arrow(f"SELECT {', '.join(schema.names)} FROM {name}").cast(schema)

    campaigns = (
        stored("campaigns", CAMPAIGN_SCHEMA) if coordination else CAMPAIGN_SCHEMA.empty_table()
    )
    members = (
        stored("campaign_members", MEMBER_SCHEMA) if coordination else MEMBER_SCHEMA.empty_table()
    )
    evidence = (
        stored("campaign_evidence", EVIDENCE_SCHEMA)
        if coordination
        else EVIDENCE_SCHEMA.empty_table()
    )
    edges = db.arrow(f"SELECT * FROM {EDGES}") if db.has_table(EDGES) else EDGE_SCHEMA.empty_table()
    score_cols = (
        "s.bot_score, s.kind AS bot_kind, s.reasons"
        if scored
        else "NULL::DOUBLE AS bot_score, NULL::VARCHAR AS bot_kind, NULL::VARCHAR[] AS reasons"
    )
    score_join = (
        "LEFT JOIN account_scores s ON s.platform = b.platform AND s.account_id = b.account_id"
        if scored
        else ""
    )
    accounts = db.arrow(
        f"""
        WITH n AS (SELECT platform, account_id, count(*) AS n_posts FROM posts GROUP BY ALL),
        b AS (
            SELECT platform, account_id FROM n
            UNION SELECT platform, account_id FROM accounts
        )
        SELECT b.platform, b.account_id, a.handle,
               coalesce((a.created_at IS NOT NULL)::INT + (a.followers IS NOT NULL)::INT
                        + (a.following IS NOT NULL)::INT + (a.posts_count IS NOT NULL)::INT
                        + (a.likes_count IS NOT NULL)::INT + (a.description IS NOT NULL)::INT
                        >= {MIN_PROFILE_FIELDS}, false) AS has_profile,
               coalesce(n.n_posts, 0) AS n_posts, {score_cols}
        FROM b
        LEFT JOIN accounts a ON a.platform = b.platform AND a.account_id = b.account_id
        LEFT JOIN n ON n.platform = b.platform AND n.account_id = b.account_id
        {score_join}
        """
    )
    member_posts = db.arrow(
        f"SELECT {_POST_COLS} FROM posts p "
        + (
            "WHERE p.account_id IN (SELECT account_id FROM campaign_members)"
            if coordination
            else "WHERE false"
        )
    )
    views = content_views(db)

    def joined(view: str | None, cols: str, empty: str) -> pa.Table:
        if view is None:
            return db.arrow(f"SELECT {empty} WHERE false")
        return db.arrow(
            f"SELECT {_POST_COLS}, {cols} FROM ({view}) c JOIN posts p ON p.post_id = c.post_id"
        )

    post_empty = (
        "NULL::VARCHAR AS platform, NULL::VARCHAR AS post_id, NULL::VARCHAR AS account_id, "
        "NULL::TIMESTAMPTZ AS created_at, NULL::VARCHAR AS text"
    )
    techniques = joined(
        views.techniques,
        "c.technique, c.score, c.span_start, c.span_end",
        f"{post_empty}, NULL::VARCHAR AS technique, NULL::DOUBLE AS score, "
        "NULL::BIGINT AS span_start, NULL::BIGINT AS span_end",
    )
    ai_text = joined(views.ai_text, "c.score", f"{post_empty}, NULL::DOUBLE AS score")
    narratives = joined(
        views.narratives,
        "c.narrative_id, c.title",
        f"{post_empty}, NULL::VARCHAR AS narrative_id, NULL::VARCHAR AS title",
    )
    return DetectorTables(
        campaigns,
        members,
        evidence,
        edges,
        accounts,
        member_posts,
        techniques,
        ai_text,
        narratives,
        coordination,
        scored,
        views,
    )

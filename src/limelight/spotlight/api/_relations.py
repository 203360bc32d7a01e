"""One SQL relation per thing the API serves, from whichever tables the store holds.

A store made by ``limelight analyze`` holds the fused tables (``spotlight_campaigns``,
``account_labels``, ``post_labels``, ``spotlight_edges``, ``spotlight_evidence``; see
``limelight.campaigns``). A store where only the detectors ran holds ``campaigns``,
``campaign_members``, ``campaign_evidence``, ``account_scores`` and ``edges_<behaviour>``.
Each function here returns a subquery with the same columns either way (null where the
store lacks the signal), so the endpoints and pages above need not care which it is.
"""

from __future__ import annotations

from limelight.campaigns import (
    ACCOUNT_LABELS,
    EDGES,
    EVIDENCE,
    POST_LABELS,
    SPOTLIGHT_CAMPAIGNS,
)

__all__ = [
    "FEEDBACK_TABLE",
    "TOKENS_TABLE",
    "account_relation",
    "campaign_relation",
    "campaign_source",
    "edge_relation",
    "edge_tables",
    "evidence_relation",
    "label_relation",
    "post_relation",
]

FEEDBACK_TABLE = "analyst_feedback"
TOKENS_TABLE = "api_tokens"

BOT_THRESHOLD = 0.5  # the account model's own cut (AccountScorer's default threshold)


def _empty(columns: dict[str, str]) -> str:
    """A typed relation with no rows, for a table the store lacks."""
    cols = ", ".join(f"NULL::{t} AS {n}" for n, t in columns.items())
    return f"(SELECT {cols} WHERE false)"


_CAMPAIGN_COLUMNS = {
    "campaign_id": "VARCHAR",
    "rank": "BIGINT",
    "score": "DOUBLE",
    "confidence": "DOUBLE",
    "confidence_level": "VARCHAR",
    "coordination_score": "DOUBLE",
    "n_accounts": "BIGINT",
    "n_pairs": "BIGINT",
    "n_posts": "BIGINT",
    "n_items": "BIGINT",
    "behaviours": "VARCHAR[]",
    "first_seen": "TIMESTAMPTZ",
    "last_seen": "TIMESTAMPTZ",
    "observed": "DOUBLE",
    "expected": "DOUBLE",
    "automated_share": "DOUBLE",
    "mean_bot_score": "DOUBLE",
    "techniques": "VARCHAR[]",
    "ai_text_share": "DOUBLE",
    "narratives": "VARCHAR[]",
    "top_items": "VARCHAR[]",
    "accounts": "VARCHAR[]",
    "note": "VARCHAR",
    "note_source": "VARCHAR",
}


def campaign_source(tables: frozenset[str]) -> str | None:
    """Which table campaigns come from: the fused one, the detector's, or none."""
    if SPOTLIGHT_CAMPAIGNS in tables:
        return SPOTLIGHT_CAMPAIGNS
    if "campaigns" in tables:
        return "campaigns"
    return None


def campaign_relation(tables: frozenset[str]) -> str:
    """Campaigns with the fused columns; from coordination alone, ``score`` is its score."""
    source = campaign_source(tables)
    cols = ", ".join(_CAMPAIGN_COLUMNS)
    if source == SPOTLIGHT_CAMPAIGNS:
        return f"(SELECT {cols} FROM {SPOTLIGHT_CAMPAIGNS})"
    if source is None:
        return _empty(_CAMPAIGN_COLUMNS)
    if "account_scores" in tables:
        bots = f"""(SELECT c.campaign_id,
                avg((s.bot_score >= {BOT_THRESHOLD})::INT) AS automated_share,
                avg(s.bot_score) AS mean_bot_score
            FROM (SELECT campaign_id, unnest(accounts) AS account_id FROM campaigns) c
            JOIN account_scores s USING (account_id) GROUP BY c.campaign_id)"""
    else:
        bots = _empty(
            {"campaign_id": "VARCHAR", "automated_share": "DOUBLE", "mean_bot_score": "DOUBLE"}
        )
    return f"""(SELECT c.campaign_id, c.rank, c.score, NULL::DOUBLE AS confidence,
            NULL::VARCHAR AS confidence_level, c.score AS coordination_score, c.n_accounts,
            c.n_pairs, NULL::BIGINT AS n_posts, NULL::BIGINT AS n_items, c.behaviours,
            c.first_at AS first_seen, c.last_at AS last_seen, NULL::DOUBLE AS observed,
            NULL::DOUBLE AS expected, b.automated_share, b.mean_bot_score,
            []::VARCHAR[] AS techniques, NULL::DOUBLE AS ai_text_share,
            []::VARCHAR[] AS narratives, c.top_items, c.accounts, NULL::VARCHAR AS note,
            NULL::VARCHAR AS note_source
        FROM campaigns c LEFT JOIN {bots} b USING (campaign_id))"""


def account_relation(tables: frozenset[str]) -> str:
    """Every account in the store with its bot score, main label and campaign."""
    if "account_scores" in tables:
        scores = """(SELECT platform, account_id, handle, bot_score, kind AS bot_kind,
            reasons AS bot_reasons, basis, cohort_id, cohort_size FROM account_scores)"""
    else:
        scores = _empty(
            {
                "platform": "VARCHAR",
                "account_id": "VARCHAR",
                "handle": "VARCHAR",
                "bot_score": "DOUBLE",
                "bot_kind": "VARCHAR",
                "bot_reasons": "VARCHAR[]",
                "basis": "VARCHAR",
                "cohort_id": "VARCHAR",
                "cohort_size": "BIGINT",
            }
        )
    if ACCOUNT_LABELS in tables:
        labels = f"""(SELECT platform, account_id, label, labels, score AS label_score,
            confidence, campaign_id, campaign_score, reasons, techniques
            FROM {ACCOUNT_LABELS})"""
        join = "LEFT JOIN {labels} l ON l.platform = a.platform AND l.account_id = a.account_id"
    elif "campaign_members" in tables:
        # An account is in at most one campaign (Leiden partitions); arg_max guards anyway.
        labels = """(SELECT account_id, 'coordinated' AS label, ['coordinated'] AS labels,
            NULL::DOUBLE AS label_score, NULL::DOUBLE AS confidence,
            arg_max(campaign_id, score) AS campaign_id, max(score) AS campaign_score,
            []::VARCHAR[] AS reasons, []::VARCHAR[] AS techniques
            FROM campaign_members GROUP BY account_id)"""
        join = "LEFT JOIN {labels} l ON l.account_id = a.account_id"
    else:
        labels = _empty(
            {
                "account_id": "VARCHAR",
                "label": "VARCHAR",
                "labels": "VARCHAR[]",
                "label_score": "DOUBLE",
                "confidence": "DOUBLE",
                "campaign_id": "VARCHAR",
                "campaign_score": "DOUBLE",
                "reasons": "VARCHAR[]",
                "techniques": "VARCHAR[]",
            }
        )
        join = "LEFT JOIN {labels} l ON l.account_id = a.account_id"
    # Fused labels are final (fusion may discount a score, e.g. one without a profile);
    # without them, a bot score past the model's threshold is the label.
    automated = (
        "NULL::VARCHAR"
        if ACCOUNT_LABELS in tables
        else f"CASE WHEN s.bot_score >= {BOT_THRESHOLD} THEN 'likely-automated' END"
    )
    return f"""(SELECT a.platform, a.account_id, coalesce(a.handle, s.handle) AS handle,
            a.display_name, a.description, a.created_at, a.followers, a.following,
            a.posts_count, a.verified, s.bot_score, s.bot_kind, s.basis, s.cohort_id,
            s.cohort_size, coalesce(l.label, {automated}) AS label,
            coalesce(l.labels, CASE WHEN {automated} IS NOT NULL
                THEN ['likely-automated'] ELSE []::VARCHAR[] END) AS labels,
            coalesce(l.label_score, CASE WHEN {automated} IS NOT NULL THEN s.bot_score END)
                AS label_score,
            l.confidence, l.campaign_id, l.campaign_score,
            list_distinct(list_concat(coalesce(l.reasons, []::VARCHAR[]),
                coalesce(s.bot_reasons, []::VARCHAR[]))) AS reasons,
            coalesce(l.techniques, []::VARCHAR[]) AS techniques
        FROM accounts a
        LEFT JOIN {scores} s ON s.platform = a.platform AND s.account_id = a.account_id
        {join.format(labels=labels)})"""


def post_relation(tables: frozenset[str]) -> str:
    """Every post with its author's handle and, where fused, its label and spans."""
    if POST_LABELS in tables:
        labels = f"""(SELECT platform, post_id, label, labels, score AS label_score,
            confidence, campaign_id, techniques, spans, ai_text_score FROM {POST_LABELS})"""
    else:
        labels = _empty(
            {
                "platform": "VARCHAR",
                "post_id": "VARCHAR",
                "label": "VARCHAR",
                "labels": "VARCHAR[]",
                "label_score": "DOUBLE",
                "confidence": "DOUBLE",
                "campaign_id": "VARCHAR",
                "techniques": "VARCHAR[]",
                "spans": 'STRUCT(start BIGINT, "end" BIGINT, technique VARCHAR, score DOUBLE)[]',
                "ai_text_score": "DOUBLE",
            }
        )
    return f"""(SELECT p.platform, p.post_id, p.account_id, a.handle, p.created_at, p.text,
            p.lang, p.kind, p.ref_post_id, p.ref_account_id, p.reply_to_post_id, p.urls,
            p.hashtags, p.mentions, p.like_count, p.repost_count, p.reply_count,
            p.quote_count, l.label, coalesce(l.labels, []::VARCHAR[]) AS labels,
            l.label_score, l.confidence, l.campaign_id,
            coalesce(l.techniques, []::VARCHAR[]) AS techniques, l.spans, l.ai_text_score
        FROM posts p
        LEFT JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id
        LEFT JOIN {labels} l ON l.platform = p.platform AND l.post_id = p.post_id)"""


def edge_tables(tables: frozenset[str]) -> list[str]:
    """The co-action edge tables ``limelight coordination`` wrote (``edges_<behaviour>``)."""
    return sorted(t for t in tables if t.startswith("edges_") and t.replace("_", "").isalnum())


_EDGE_COLUMNS = {
    "source_table": "VARCHAR",
    "campaign_id": "VARCHAR",
    "source": "VARCHAR",
    "target": "VARCHAR",
    "layer": "VARCHAR",
    "weight": "BIGINT",
    "expected": "DOUBLE",
    "pvalue": "DOUBLE",
    "score": "DOUBLE",
    "first_at": "TIMESTAMPTZ",
    "last_at": "TIMESTAMPTZ",
}


def edge_relation(tables: frozenset[str]) -> str:
    """Campaign edges (fused) and every stored co-action edge table, with their layer.

    Edge tables written by the campaigns stage carry ``expected``, ``pvalue`` and
    ``score``; those from ``limelight coordination`` do not (null here).
    """
    parts = [_empty(_EDGE_COLUMNS).strip("()")]  # fixes the columns and their types
    if EDGES in tables:
        parts.append(
            f"""SELECT '{EDGES}' AS source_table, campaign_id, source, target, layer,
                weight, expected, pvalue, score, first_at, last_at FROM {EDGES}"""
        )
    for name in edge_tables(tables):
        layer = name.removeprefix("edges_").replace("_", "-")
        parts.append(
            # Every column, matched by name: tables without a score leave it null.
            f"""SELECT '{name}' AS source_table, NULL::VARCHAR AS campaign_id,
                '{layer}' AS layer, * FROM {name}"""
        )
    cols = ", ".join(_EDGE_COLUMNS)
    return f"(SELECT {cols} FROM (" + " UNION ALL BY NAME ".join(parts) + "))"


def evidence_relation(tables: frozenset[str]) -> str:
    """Campaign evidence rows: co-actions (both posts) and, when fused, the other kinds."""
    if EVIDENCE in tables:
        return f"""(SELECT subject_id AS campaign_id, evidence_id, kind, behaviour, item,
            account_id, post_id, "at", other_account_id, other_post_id, other_at,
            seconds_apart, observed, expected, value, detail
            FROM {EVIDENCE} WHERE subject_kind = 'campaign')"""
    if "campaign_evidence" in tables:
        return """(SELECT campaign_id,
            campaign_id || '#' || row_number() OVER (PARTITION BY campaign_id
                ORDER BY pair_score DESC, at_a, post_a, post_b) AS evidence_id,
            'co-action' AS kind, behaviour, item, account_a AS account_id, post_a AS post_id,
            at_a AS "at", account_b AS other_account_id, post_b AS other_post_id,
            at_b AS other_at, seconds_apart, NULL::DOUBLE AS observed,
            NULL::DOUBLE AS expected, pair_score AS value, NULL::VARCHAR AS detail
            FROM campaign_evidence)"""
    return _empty(
        {
            "campaign_id": "VARCHAR",
            "evidence_id": "VARCHAR",
            "kind": "VARCHAR",
            "behaviour": "VARCHAR",
            "item": "VARCHAR",
            "account_id": "VARCHAR",
            "post_id": "VARCHAR",
            "at": "TIMESTAMPTZ",
            "other_account_id": "VARCHAR",
            "other_post_id": "VARCHAR",
            "other_at": "TIMESTAMPTZ",
            "seconds_apart": "DOUBLE",
            "observed": "DOUBLE",
            "expected": "DOUBLE",
            "value": "DOUBLE",
            "detail": "VARCHAR",
        }
    )


def label_relation(tables: frozenset[str]) -> str:
    """One row per label on a campaign, account or post, in one shape."""
    campaigns = campaign_relation(tables)
    accounts = account_relation(tables)
    parts = [
        f"""SELECT 'campaign' AS subject, NULL::VARCHAR AS platform, campaign_id AS subject_id,
            'campaign' AS label, ['campaign'] AS labels, score, confidence, campaign_id
            FROM {campaigns}""",
        f"""SELECT 'account' AS subject, platform, account_id AS subject_id, label, labels,
            label_score AS score, confidence, campaign_id
            FROM {accounts} WHERE label IS NOT NULL""",
    ]
    if POST_LABELS in tables:
        parts.append(
            f"""SELECT 'post' AS subject, platform, post_id AS subject_id, label, labels,
                score, confidence, campaign_id FROM {POST_LABELS}"""
        )
    else:
        evidence = evidence_relation(tables)
        parts.append(
            f"""SELECT 'post' AS subject, p.platform, e.post_id AS subject_id,
                'campaign-evidence' AS label, ['campaign-evidence'] AS labels,
                max(e.value) AS score, NULL::DOUBLE AS confidence,
                arg_max(e.campaign_id, e.value) AS campaign_id
            FROM (SELECT campaign_id, post_id, value FROM {evidence} WHERE kind = 'co-action'
                  UNION ALL
                  SELECT campaign_id, other_post_id, value FROM {evidence}
                  WHERE kind = 'co-action') e
            JOIN posts p ON p.post_id = e.post_id
            GROUP BY p.platform, e.post_id"""
        )
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"

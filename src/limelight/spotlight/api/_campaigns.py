"""Reading campaigns: the ranked list, one campaign with its evidence, its network and
its timeline. Plain functions over a cursor, shared by the API and the dashboard."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

import duckdb

from limelight.spotlight.api._errors import NotFoundError
from limelight.spotlight.api._feedback import feedback_counts_sql, feedback_for
from limelight.spotlight.api._models import (
    Account,
    Campaign,
    CampaignDetail,
    CampaignPage,
    Evidence,
    Network,
    NetworkEdge,
    NetworkNode,
    Page,
    Timeline,
    TimelineBucket,
)
from limelight.spotlight.api._relations import (
    account_relation,
    campaign_relation,
    campaign_source,
    edge_relation,
    evidence_relation,
)
from limelight.spotlight.api._rows import fetch_dicts, like_pattern, page_of

__all__ = [
    "CampaignSort",
    "campaign_detail",
    "campaign_evidence",
    "campaign_network",
    "campaign_timeline",
    "get_campaign",
    "list_campaigns",
    "score_scale",
]

CampaignSort = Literal["rank", "score", "accounts", "recent"]
_ORDER = {
    "rank": "rank ASC, campaign_id",
    "score": "score DESC, campaign_id",
    "accounts": "n_accounts DESC, rank ASC, campaign_id",
    "recent": "last_seen DESC NULLS LAST, rank ASC, campaign_id",
}
# Bucket widths a timeline may use; the first that gives at most ~60 buckets wins.
_BUCKETS = (60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)


def score_scale(tables: frozenset[str]) -> Literal["fused", "coordination", "none"]:
    """What a campaign's ``score`` means in this store."""
    source = campaign_source(tables)
    if source is None:
        return "none"
    return "coordination" if source == "campaigns" else "fused"


def _with_feedback(tables: frozenset[str]) -> str:
    return f"""(SELECT c.*, coalesce(f.feedback, {{'confirm': 0, 'dismiss': 0,
            'comment': 0}}) AS feedback
        FROM {campaign_relation(tables)} c
        LEFT JOIN {feedback_counts_sql(tables, "campaign")} f
            ON f.subject_id = c.campaign_id)"""


def list_campaigns(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    *,
    limit: int = 50,
    offset: int = 0,
    min_score: float | None = None,
    max_score: float | None = None,
    min_confidence: float | None = None,
    min_accounts: int | None = None,
    behaviour: str | None = None,
    technique: str | None = None,
    account_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    sort: CampaignSort = "rank",
) -> CampaignPage:
    """Campaigns matching every filter given, strongest first by default.

    ``since``/``until`` keep campaigns active at some time in the range (their first to
    last co-action overlaps it); ``q`` matches ids, top items and notes.
    """
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("score >= ?", min_score),
        ("score <= ?", max_score),
        ("confidence >= ?", min_confidence),
        ("n_accounts >= ?", min_accounts),
        ("list_contains(behaviours, ?)", behaviour),
        ("list_contains(techniques, ?)", technique),
        ("list_contains(accounts, ?)", account_id),
        ("last_seen >= ?", since),
        ("first_seen <= ?", until),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    if q:
        where.append(
            "campaign_id ILIKE ? ESCAPE '\\' OR note ILIKE ? ESCAPE '\\' "
            "OR len(list_filter(top_items, lambda x: x ILIKE ? ESCAPE '\\')) > 0"
        )
        params += [like_pattern(q)] * 3
    page = page_of(
        cur, Campaign, _with_feedback(tables), where, params, _ORDER[sort], limit, offset
    )
    bounds = cur.execute(
        f"SELECT min(score), max(score) FROM {campaign_relation(tables)}"
    ).fetchone()
    lo, hi = (bounds or (None, None))[:2]
    return CampaignPage(
        **page.model_dump(exclude={"items"}),
        items=page.items,
        score_scale=score_scale(tables),
        score_min=lo,
        score_max=hi,
    )


def get_campaign(
    cur: duckdb.DuckDBPyConnection, tables: frozenset[str], campaign_id: str
) -> Campaign:
    """One campaign, or NotFoundError."""
    rows = fetch_dicts(
        cur, f"SELECT * FROM {_with_feedback(tables)} WHERE campaign_id = ?", [campaign_id]
    )
    if not rows:
        raise NotFoundError(
            f"campaign {campaign_id!r} is not in the store; list campaigns at /api/campaigns"
        )
    return Campaign.model_validate(rows[0])


def campaign_members(
    cur: duckdb.DuckDBPyConnection, tables: frozenset[str], campaign: Campaign
) -> list[Account]:
    """The campaign's accounts, most bot-like first."""
    feedback = feedback_counts_sql(tables, "account")
    rows = fetch_dicts(
        cur,
        f"""SELECT a.*, coalesce(f.feedback, {{'confirm': 0, 'dismiss': 0, 'comment': 0}})
                AS feedback
            FROM {account_relation(tables)} a
            LEFT JOIN {feedback} f ON f.subject_id = a.account_id
            WHERE list_contains(?, a.account_id)
            ORDER BY a.campaign_score DESC NULLS LAST, a.bot_score DESC NULLS LAST,
                a.account_id""",
        [campaign.accounts],
    )
    return [Account.model_validate(r) for r in rows]


def campaign_evidence(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    campaign_id: str,
    *,
    limit: int = 50,
    offset: int = 0,
    kind: str | None = None,
) -> Page[Evidence]:
    """A campaign's evidence rows, strongest first."""
    get_campaign(cur, tables, campaign_id)
    return _evidence_page(cur, tables, campaign_id, limit, offset, kind)


def _evidence_page(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    campaign_id: str,
    limit: int,
    offset: int,
    kind: str | None = None,
) -> Page[Evidence]:
    where = ["campaign_id = ?"]
    params: list[Any] = [campaign_id]
    if kind:
        where.append("kind = ?")
        params.append(kind)
    return page_of(
        cur,
        Evidence,
        evidence_relation(tables),
        where,
        params,
        "value DESC NULLS LAST, evidence_id",
        limit,
        offset,
    )


def campaign_detail(
    cur: duckdb.DuckDBPyConnection, tables: frozenset[str], campaign_id: str, evidence: int = 100
) -> CampaignDetail:
    """Everything a campaign page shows except the network and timeline."""
    campaign = get_campaign(cur, tables, campaign_id)
    scale = score_scale(tables)
    return CampaignDetail(
        campaign=campaign,
        score_scale="coordination" if scale == "coordination" else "fused",
        members=campaign_members(cur, tables, campaign),
        evidence=_evidence_page(cur, tables, campaign_id, evidence, 0).items,
        feedback=feedback_for(cur, tables, "campaign", campaign_id),
    )


def campaign_network(
    cur: duckdb.DuckDBPyConnection, tables: frozenset[str], campaign_id: str
) -> Network:
    """Members as nodes and the pairs tying them as edges, with a seeded layout.

    Edges come from the fused ``spotlight_edges`` when present; otherwise from the
    campaign's co-action evidence and any stored edge tables between its members.
    """
    campaign = get_campaign(cur, tables, campaign_id)
    members = campaign_members(cur, tables, campaign)
    edges_rel = edge_relation(tables)
    fused = "spotlight_edges" in tables
    if fused:
        source = "spotlight_edges"
        pairs = f"""SELECT source, target, weight::DOUBLE AS weight, score, layer
            FROM {edges_rel} WHERE source_table = 'spotlight_edges' AND campaign_id = ?"""
        params: list[Any] = [campaign_id]
    else:
        source = "campaign_evidence+edges"
        pairs = f"""SELECT least(account_id, other_account_id) AS source,
                greatest(account_id, other_account_id) AS target, 1.0 AS weight,
                value AS score, behaviour AS layer
            FROM {evidence_relation(tables)}
            WHERE campaign_id = ? AND kind = 'co-action' AND other_account_id IS NOT NULL
            UNION ALL
            SELECT source, target, weight::DOUBLE, NULL::DOUBLE, layer FROM {edges_rel}
            WHERE list_contains(?, source) AND list_contains(?, target)"""
        params = [campaign_id, campaign.accounts, campaign.accounts]
    rows = fetch_dicts(
        cur,
        f"""SELECT source, target, sum(weight) AS weight, max(score) AS score,
                list_sort(list_distinct(list(layer))) AS layers
            FROM ({pairs}) WHERE source <> target
            GROUP BY source, target ORDER BY source, target""",
        params,
    )
    edges = [NetworkEdge.model_validate(r) for r in rows]
    ids = [m.account_id for m in members]
    for extra in sorted(set(campaign.accounts) - set(ids)):
        members.append(Account(platform="", account_id=extra))
        ids.append(extra)
    positions = _layout(ids, [(e.source, e.target, e.weight) for e in edges])
    degree = {i: 0 for i in ids}
    for e in edges:
        degree[e.source] = degree.get(e.source, 0) + 1
        degree[e.target] = degree.get(e.target, 0) + 1
    nodes = [
        NetworkNode(
            id=m.account_id,
            label=m.handle or m.account_id[:10],
            x=positions[m.account_id][0],
            y=positions[m.account_id][1],
            size=3.0 + 1.5 * math.sqrt(degree.get(m.account_id, 0)),
            bot_score=m.bot_score,
            bot_kind=m.bot_kind,
            member_score=m.campaign_score,
        )
        for m in members
    ]
    return Network(campaign_id=campaign_id, nodes=nodes, edges=edges, edge_source=source)


def _layout(ids: list[str], edges: list[tuple[str, str, float]]) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold from a circle: the same graph always gets the same picture."""
    import igraph

    if not ids:
        return {}
    index = {a: i for i, a in enumerate(ids)}
    graph = igraph.Graph(n=len(ids))
    kept = [(index[s], index[t]) for s, t, _ in edges if s in index and t in index]
    graph.add_edges(kept)
    seed = [
        [math.cos(2 * math.pi * i / len(ids)), math.sin(2 * math.pi * i / len(ids))]
        for i in range(len(ids))
    ]
    if len(ids) < 3:
        coords = seed
    else:
        weights = [w for s, t, w in edges if s in index and t in index]
        coords = graph.layout_fruchterman_reingold(seed=seed, weights=weights, niter=300).coords
    return {
        a: (round(float(coords[i][0]), 4), round(float(coords[i][1]), 4)) for a, i in index.items()
    }


def campaign_timeline(
    cur: duckdb.DuckDBPyConnection, tables: frozenset[str], campaign_id: str
) -> Timeline:
    """Members' posts per time bucket over the campaign's active span (plus a margin)."""
    campaign = get_campaign(cur, tables, campaign_id)
    span = cur.execute(
        "SELECT min(created_at), max(created_at) FROM posts WHERE list_contains(?, account_id)",
        [campaign.accounts],
    ).fetchone()
    if not span or span[0] is None:
        return Timeline(campaign_id=campaign_id, bucket_seconds=_BUCKETS[-1], buckets=[])
    seconds = max((span[1] - span[0]).total_seconds(), 1.0)
    width = next((b for b in _BUCKETS if seconds / b <= 60), _BUCKETS[-1])
    evidence = evidence_relation(tables)
    rows = fetch_dicts(
        cur,
        f"""WITH cited AS (
                SELECT post_id FROM {evidence} WHERE campaign_id = ? AND post_id IS NOT NULL
                UNION SELECT other_post_id FROM {evidence}
                WHERE campaign_id = ? AND other_post_id IS NOT NULL)
            SELECT time_bucket(to_seconds(?), created_at) AS start, count(*) AS posts,
                count(c.post_id) AS evidence_posts
            FROM posts p LEFT JOIN cited c USING (post_id)
            WHERE list_contains(?, p.account_id)
            GROUP BY start ORDER BY start""",
        [campaign_id, campaign_id, width, campaign.accounts],
    )
    return Timeline(
        campaign_id=campaign_id,
        bucket_seconds=width,
        buckets=[TimelineBucket.model_validate(r) for r in rows],
    )

"""Reading accounts, posts, edges and labels, searching posts, and the store's summary.

Plain functions over a cursor and the set of tables the store holds, shared by the API's
endpoints and the dashboard's pages (one data dict, served as JSON and as HTML).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import duckdb

from limelight.campaigns import AMPLIFICATION
from limelight.errors import InputError
from limelight.spotlight.api._campaigns import get_campaign, list_campaigns, score_scale
from limelight.spotlight.api._errors import NotFoundError
from limelight.spotlight.api._feedback import feedback_counts_sql, feedback_for
from limelight.spotlight.api._models import (
    Account,
    AccountDetail,
    Amplification,
    Edge,
    Label,
    Page,
    Post,
    SearchResult,
    Stats,
)
from limelight.spotlight.api._relations import (
    FEEDBACK_TABLE,
    account_relation,
    campaign_relation,
    edge_relation,
    label_relation,
    post_relation,
)
from limelight.spotlight.api._rows import fetch_dicts, like_pattern, page_of

__all__ = [
    "AccountSort",
    "AmplificationSort",
    "PostSort",
    "account_detail",
    "get_account",
    "get_post",
    "list_accounts",
    "list_amplification",
    "list_edges",
    "list_labels",
    "list_posts",
    "search",
    "stats",
]

AccountSort = Literal["bot_score", "label_score", "followers", "handle"]
PostSort = Literal["oldest", "newest", "score"]
_ACCOUNT_ORDER = {
    "bot_score": "bot_score DESC NULLS LAST, platform, account_id",
    "label_score": "label_score DESC NULLS LAST, platform, account_id",
    "followers": "followers DESC NULLS LAST, platform, account_id",
    "handle": "handle ASC NULLS LAST, platform, account_id",
}
_POST_ORDER = {
    "oldest": "created_at ASC NULLS LAST, platform, post_id",
    "newest": "created_at DESC NULLS LAST, platform, post_id",
    "score": "label_score DESC NULLS LAST, created_at, platform, post_id",
}


def _accounts_with_feedback(tables: frozenset[str]) -> str:
    return f"""(SELECT a.*, coalesce(f.feedback, {{'confirm': 0, 'dismiss': 0,
            'comment': 0}}) AS feedback
        FROM {account_relation(tables)} a
        LEFT JOIN {feedback_counts_sql(tables, "account")} f
            ON f.subject_id = a.account_id)"""


def list_accounts(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    *,
    limit: int = 50,
    offset: int = 0,
    min_bot_score: float | None = None,
    max_bot_score: float | None = None,
    bot_kind: str | None = None,
    label: str | None = None,
    campaign_id: str | None = None,
    platform: str | None = None,
    flagged: bool | None = None,
    q: str | None = None,
    sort: AccountSort = "bot_score",
) -> Page[Account]:
    """Accounts matching every filter given; ``flagged`` keeps those with a label."""
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("bot_score >= ?", min_bot_score),
        ("bot_score <= ?", max_bot_score),
        ("bot_kind = ?", bot_kind),
        ("list_contains(labels, ?)", label),
        ("campaign_id = ?", campaign_id),
        ("platform = ?", platform),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    if flagged is not None:
        where.append("label IS NOT NULL" if flagged else "label IS NULL")
    if q:
        where.append(
            "account_id ILIKE ? ESCAPE '\\' OR handle ILIKE ? ESCAPE '\\' "
            "OR display_name ILIKE ? ESCAPE '\\'"
        )
        params += [like_pattern(q)] * 3
    return page_of(
        cur,
        Account,
        _accounts_with_feedback(tables),
        where,
        params,
        _ACCOUNT_ORDER[sort],
        limit,
        offset,
    )


def get_account(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    account_id: str,
    platform: str | None = None,
) -> Account:
    """One account; InputError when its id is on several platforms and none was given."""
    where = "account_id = ?" + (" AND platform = ?" if platform else "")
    params = [account_id, platform] if platform else [account_id]
    rows = fetch_dicts(
        cur, f"SELECT * FROM {_accounts_with_feedback(tables)} WHERE {where}", params
    )
    if not rows:
        raise NotFoundError(
            f"account {account_id!r} is not in the store; list accounts at /api/accounts"
        )
    if len(rows) > 1:
        found = ", ".join(sorted(str(r["platform"]) for r in rows))
        raise InputError(
            f"account {account_id!r} is on several platforms ({found}); add ?platform=NAME"
        )
    return Account.model_validate(rows[0])


def account_detail(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    account_id: str,
    platform: str | None = None,
    posts: int = 20,
) -> AccountDetail:
    """An account with its campaign, its first posts and analyst feedback."""
    account = get_account(cur, tables, account_id, platform)
    campaign = None
    if account.campaign_id:
        try:
            campaign = get_campaign(cur, tables, account.campaign_id)
        except NotFoundError:
            campaign = None
    return AccountDetail(
        account=account,
        campaign=campaign,
        posts=list_posts(
            cur, tables, account_id=account_id, platform=account.platform, limit=posts
        ),
        feedback=feedback_for(cur, tables, "account", account_id),
    )


def list_posts(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    *,
    limit: int = 50,
    offset: int = 0,
    account_id: str | None = None,
    campaign_id: str | None = None,
    platform: str | None = None,
    kind: str | None = None,
    label: str | None = None,
    hashtag: str | None = None,
    url: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    min_score: float | None = None,
    q: str | None = None,
    sort: PostSort = "oldest",
) -> Page[Post]:
    """Posts matching every filter given; ``campaign_id`` keeps posts by its members."""
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("account_id = ?", account_id),
        ("platform = ?", platform),
        ("kind = ?", kind),
        ("list_contains(labels, ?)", label),
        ("list_contains(hashtags, lower(ltrim(?, '#')))", hashtag),
        ("created_at >= ?", since),
        ("created_at <= ?", until),
        ("label_score >= ?", min_score),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    if campaign_id is not None:
        campaign = get_campaign(cur, tables, campaign_id)
        where.append("list_contains(?, account_id)")
        params.append(campaign.accounts)
    if url:
        where.append("len(list_filter(urls, lambda x: x ILIKE ? ESCAPE '\\')) > 0")
        params.append(like_pattern(url))
    if q:
        where.append("text ILIKE ? ESCAPE '\\'")
        params.append(like_pattern(q))
    order = _POST_ORDER[sort]
    if label is not None or min_score is not None or sort == "score":
        return page_of(cur, Post, post_relation(tables), where, params, order, limit, offset)
    # Filters and order on the posts table alone: count and pick the page there, then join
    # authors and labels to that page only (sorting the joined store is what costs).
    clause = f"WHERE {' AND '.join(f'({w})' for w in where)}" if where else ""
    row = cur.execute(f"SELECT count(*) FROM posts r {clause}", params).fetchone()
    total = int(row[0]) if row else 0
    rows = fetch_dicts(
        cur,
        f"""SELECT r.* FROM (
                SELECT platform, post_id FROM posts r {clause}
                ORDER BY {order} LIMIT ? OFFSET ?) k
            JOIN {post_relation(tables)} r USING (platform, post_id)
            ORDER BY {order}""",
        [*params, limit, offset],
    )
    nxt = offset + limit if offset + limit < total else None
    return Page[Post](
        total=total,
        limit=limit,
        offset=offset,
        next_offset=nxt,
        items=[Post.model_validate(r) for r in rows],
    )


def get_post(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    post_id: str,
    platform: str | None = None,
) -> Post:
    """One post, or NotFoundError."""
    where = "post_id = ?" + (" AND platform = ?" if platform else "")
    params = [post_id, platform] if platform else [post_id]
    rows = fetch_dicts(
        cur, f"SELECT * FROM {post_relation(tables)} WHERE {where} ORDER BY platform", params
    )
    if not rows:
        raise NotFoundError(f"post {post_id!r} is not in the store; search posts at /api/posts")
    return Post.model_validate(rows[0])


def list_edges(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    *,
    limit: int = 50,
    offset: int = 0,
    campaign_id: str | None = None,
    layer: str | None = None,
    account_id: str | None = None,
    min_weight: int | None = None,
    min_score: float | None = None,
) -> Page[Edge]:
    """Co-action edges, heaviest first: campaign edges and every stored edge table."""
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("campaign_id = ?", campaign_id),
        ("layer = ?", layer),
        ("weight >= ?", min_weight),
        ("score >= ?", min_score),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    if account_id is not None:
        where.append("source = ? OR target = ?")
        params += [account_id, account_id]
    return page_of(
        cur,
        Edge,
        edge_relation(tables),
        where,
        params,
        "weight DESC NULLS LAST, score DESC NULLS LAST, layer, source, target",
        limit,
        offset,
    )


def list_labels(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    *,
    limit: int = 50,
    offset: int = 0,
    subject: Literal["campaign", "account", "post"] | None = None,
    label: str | None = None,
    min_score: float | None = None,
    campaign_id: str | None = None,
) -> Page[Label]:
    """Labels on campaigns, accounts and posts, in one shape, strongest first."""
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("subject = ?", subject),
        ("list_contains(labels, ?)", label),
        ("score >= ?", min_score),
        ("campaign_id = ?", campaign_id),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    return page_of(
        cur,
        Label,
        label_relation(tables),
        where,
        params,
        "subject, score DESC NULLS LAST, platform NULLS FIRST, subject_id",
        limit,
        offset,
    )


AmplificationSort = Literal["rank", "manufactured", "volume"]
_AMPLIFICATION_ORDER = {
    "rank": "item_kind, rank, item",
    "manufactured": "manufactured_share DESC NULLS LAST, volume DESC, item_kind, item",
    "volume": "volume DESC, item_kind, item",
}


def list_amplification(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    *,
    limit: int = 50,
    offset: int = 0,
    item_kind: str | None = None,
    min_volume: int | None = None,
    min_manufactured_share: float | None = None,
    campaign_id: str | None = None,
    sort: AmplificationSort = "manufactured",
) -> Page[Amplification]:
    """What is being pushed: items by the share of their volume that was manufactured.

    Empty until the fusion stage has run (``limelight analyze``).
    """
    if AMPLIFICATION not in tables:
        return Page[Amplification](total=0, limit=limit, offset=offset, next_offset=None, items=[])
    where: list[str] = []
    params: list[Any] = []
    for cond, value in (
        ("item_kind = ?", item_kind),
        ("volume >= ?", min_volume),
        ("manufactured_share >= ?", min_manufactured_share),
        ("list_contains(campaigns, ?)", campaign_id),
    ):
        if value is not None:
            where.append(cond)
            params.append(value)
    return page_of(
        cur,
        Amplification,
        AMPLIFICATION,
        where,
        params,
        _AMPLIFICATION_ORDER[sort],
        limit,
        offset,
    )


def search(
    cur: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Posts whose text contains ``query`` (case-insensitive), and matching accounts and
    campaigns (ids, handles, names; campaign items and notes)."""
    query = query.strip()
    if not query:
        raise InputError("an empty search; give ?q=TEXT with at least one character")
    return SearchResult(
        query=query,
        posts=list_posts(cur, tables, q=query, limit=limit, offset=offset),
        accounts=list_accounts(cur, tables, q=query, limit=10).items,
        campaigns=list_campaigns(cur, tables, q=query, limit=10).items,
    )


def stats(cur: duckdb.DuckDBPyConnection, tables: frozenset[str], db: str) -> Stats:
    """Counts of what the store holds."""

    def count(relation: str) -> int:
        row = cur.execute(f"SELECT count(*) FROM {relation}").fetchone()
        return int(row[0]) if row else 0

    return Stats(
        db=db,
        posts=count("posts") if "posts" in tables else 0,
        accounts=count("accounts") if "accounts" in tables else 0,
        campaigns=count(campaign_relation(tables)),
        score_scale=score_scale(tables),
        tables=sorted(tables),
        feedback=count(FEEDBACK_TABLE) if FEEDBACK_TABLE in tables else 0,
    )

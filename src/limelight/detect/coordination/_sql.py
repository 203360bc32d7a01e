"""The SQL that turns posts into actions, one query per behaviour.

Every query reads a relation called ``posts`` (the store's table, or an Arrow table of
the same columns) and returns ``account_id, item, at_us, post_id`` with ``at_us`` the
action's time in epoch microseconds. Option values are validated numbers and booleans
before they are written into the SQL, so no user text reaches a query string.

Text normalization (``co-text``) follows coordination-network-toolkit's
``message_preprocessor`` so that co-text edges can be compared with its co_tweet network:
lower-case; delete every ``@`` and what follows it up to the next white space (mentions,
and also the tail of an e-mail address); collapse runs of white space (Python's notion of
it: tabs, newlines, no-break and ideographic spaces...) to one space and trim. URLs are
kept unless ``strip_urls=True`` (then ``http(s)://`` up to the next space is deleted
first; useful on Twitter, where each tweet wraps a link in its own t.co address).
limelight also drops texts that normalize to nothing (the toolkit matches all empty
texts with each other) and folds the final sigma 'ς' to 'σ' (DuckDB's lower-casing, unlike
Python's, writes every capital sigma as 'σ'; folding keeps 'ΟΔΟΣ' and 'οδος' equal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ACTION_SQL", "WHITESPACE", "normalized_text_sql", "similar_text_candidates"]

#: White space as Python's str.split() sees it, written for DuckDB's RE2 regexes.
WHITESPACE = (
    r"\s\x{0B}\x{1C}-\x{1F}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}"
    r"\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"
)

#: The same, less the plain space (RE2's \s is space, tab, newline, form feed and return).
_WHITESPACE_NOT_SPACE = WHITESPACE.replace(r"\s", r"\t\n\f\r", 1)

_AUTHORED = "account_id IS NOT NULL AND created_at IS NOT NULL AND post_id IS NOT NULL"
# Reposts copy someone else's text, links and tags, and likes carry none of their own.
_OWN_CONTENT = f"{_AUTHORED} AND kind NOT IN ('repost', 'like')"


def normalized_text_sql(column: str, *, strip_urls: bool) -> str:
    """SQL for the co-text normalization of ``column`` (see the module docstring)."""
    expr = f"lower({column})"
    if strip_urls:
        expr = f"regexp_replace({expr}, 'https?://[^{WHITESPACE}]*', '', 'g')"
    expr = f"regexp_replace({expr}, '@[^{WHITESPACE}]*', '', 'g')"
    expr = f"replace({expr}, 'ς', 'σ')"
    # Collapsing rewrites every text; most texts hold no run of white space and none but
    # plain spaces, which one match finds three times faster than the rewrite.
    collapse = f"regexp_replace({expr}, '[{WHITESPACE}]+', ' ', 'g')"
    needed = f"regexp_matches({expr}, '[{WHITESPACE}]{{2}}|[{_WHITESPACE_NOT_SPACE}]')"
    return f"trim(CASE WHEN {needed} THEN {collapse} ELSE {expr} END)"


def _select(item: str, where: str, source: str = "posts") -> str:
    return (
        f"SELECT account_id, {item} AS item, epoch_us(created_at) AS at_us, post_id "
        f"FROM {source} WHERE {where}"
    )


def _co_repost(opts: dict[str, Any]) -> str:
    return _select("ref_post_id", f"{_AUTHORED} AND kind = 'repost' AND ref_post_id IS NOT NULL")


def _co_reply(opts: dict[str, Any]) -> str:
    return _select(
        "reply_to_post_id",
        f"{_AUTHORED} AND kind NOT IN ('repost', 'like') AND reply_to_post_id IS NOT NULL",
    )


def _co_text(opts: dict[str, Any]) -> str:
    norm = normalized_text_sql("text", strip_urls=bool(opts["strip_urls"]))
    inner = _select(norm, f"{_OWN_CONTENT} AND text IS NOT NULL")
    # Materialized, so that DuckDB does not push the length filter down into the
    # normalization: it would write the whole expression into the filter and normalize
    # every text twice (5.3 s against 2.7 s for 6 million texts).
    return (
        f"SELECT * FROM (WITH _normalized AS MATERIALIZED ({inner}) SELECT * FROM _normalized "
        f"WHERE length(item) >= {max(int(opts['min_length']), 1)})"
    )


def similar_text_candidates(opts: dict[str, Any]) -> str:
    """The co-text query for near-duplicate clustering: items are normalized texts."""
    return _co_text({"strip_urls": opts["strip_urls"], "min_length": 1})


def _co_url(opts: dict[str, Any]) -> str:
    item = "u"
    if opts["by_domain"]:
        host = r"regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?([^:/?#]+)', 1)"
        item = f"regexp_replace(lower({host}), '^www\\.', '')"
    return (
        f"SELECT DISTINCT account_id, {item} AS item, at_us, post_id FROM ("
        f"SELECT account_id, unnest(urls) AS u, epoch_us(created_at) AS at_us, post_id "
        f"FROM posts WHERE {_OWN_CONTENT}) WHERE u IS NOT NULL AND u <> '' AND {item} <> ''"
    )


def _tag_set(column: str, prefix: str, *, keep_order: bool, min_size: int) -> str:
    """Posts whose ``column`` list holds at least ``min_size`` distinct values, the list
    (sorted and deduplicated unless ``keep_order``) written out as one item."""
    clean = f"list_filter({column}, lambda x: x IS NOT NULL AND x <> '')"
    distinct = f"list_distinct({clean})"
    listed = clean if keep_order else f"list_sort({distinct})"
    item = f"'{prefix}' || array_to_string({listed}, ' {prefix}')"
    return _select(
        item,
        f"{_OWN_CONTENT} AND {column} IS NOT NULL AND len({distinct}) >= {max(min_size, 1)}",
    )


def _co_hashtags(opts: dict[str, Any]) -> str:
    return _tag_set(
        "hashtags", "#", keep_order=bool(opts["sequence"]), min_size=int(opts["min_size"])
    )


def _co_mention(opts: dict[str, Any]) -> str:
    return _tag_set("mentions", "", keep_order=False, min_size=int(opts["min_size"]))


# Twitter ids since November 2010 are "snowflakes": their top bits are the creation time
# in milliseconds since 2010-11-04T01:42:54.657Z.
_SNOWFLAKE_MS = "((TRY_CAST(r.ref_post_id AS UBIGINT) >> 22) + 1288834974657)::BIGINT * 1000"


def _fast_repost(opts: dict[str, Any]) -> str:
    delay_us = round(float(opts["delay"]) * 1_000_000)
    fallback = "NULL::BIGINT"
    if opts["snowflake"]:
        fallback = (
            f"CASE WHEN r.platform IN ('twitter', 'x') "
            f"AND regexp_full_match(r.ref_post_id, '[0-9]{{15,20}}') THEN {_SNOWFLAKE_MS} END"
        )
    return f"""
        WITH originals AS (
            SELECT platform, post_id, min(epoch_us(created_at)) AS t FROM posts
            WHERE created_at IS NOT NULL GROUP BY platform, post_id
        ),
        reposts AS (
            SELECT r.account_id, r.ref_post_id AS item, epoch_us(r.created_at) AS at_us,
                   r.post_id, coalesce(o.t, {fallback}) AS original_us
            FROM posts r LEFT JOIN originals o
              ON o.platform IS NOT DISTINCT FROM r.platform AND o.post_id = r.ref_post_id
            WHERE r.account_id IS NOT NULL AND r.created_at IS NOT NULL
              AND r.post_id IS NOT NULL AND r.kind = 'repost' AND r.ref_post_id IS NOT NULL
        )
        SELECT account_id, item, at_us, post_id FROM reposts
        WHERE at_us - original_us BETWEEN 0 AND {delay_us}
    """


def _sync(opts: dict[str, Any]) -> str:
    res_us = max(round(float(opts["resolution"]) * 1_000_000), 1)
    fmt = "%Y-%m-%dT%H:%M:%SZ" if res_us % 1_000_000 == 0 else "%Y-%m-%dT%H:%M:%S.%fZ"
    return f"""
        WITH p AS (
            SELECT account_id, post_id, epoch_us(created_at) AS t FROM posts WHERE {_AUTHORED}
        ),
        active AS (
            SELECT account_id FROM p GROUP BY account_id
            HAVING count(*) >= {int(opts["min_posts"])}
        ),
        buckets AS (
            SELECT account_id, floor(t / {res_us}.0)::BIGINT AS bk,
                   min(struct_pack(t := t, post_id := post_id)) AS first
            FROM p SEMI JOIN active USING (account_id) GROUP BY account_id, bk
        ),
        crowded AS (
            SELECT bk FROM buckets GROUP BY bk HAVING count(*) > {int(opts["max_accounts"])}
        )
        SELECT account_id, strftime(make_timestamp(bk * {res_us}), '{fmt}') AS item,
               first.t AS at_us, first.post_id AS post_id
        FROM buckets ANTI JOIN crowded USING (bk)
    """


#: Query builder per behaviour (co-similar-text adds a clustering step in Python).
ACTION_SQL: dict[str, Callable[[dict[str, Any]], str]] = {
    "co-repost": _co_repost,
    "co-text": _co_text,
    "co-url": _co_url,
    "co-domain": lambda opts: _co_url({"by_domain": True}),
    "co-hashtags": _co_hashtags,
    "co-reply": _co_reply,
    "co-mention": _co_mention,
    "fast-repost": _fast_repost,
    "sync": _sync,
}

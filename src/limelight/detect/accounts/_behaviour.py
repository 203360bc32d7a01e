"""Behaviour summaries per account, computed inside DuckDB from the ``posts`` table.

One set-based query groups the posts by account and returns counts (posts, reposts,
replies, quotes, links, mentions, hashtags, clients) and rhythm statistics (hour-of-day
entropy, burstiness of the gaps between posts, median gap, text repetition, active days).
Likes (Bluesky exposes them) are not posts and are left out. Rhythm statistics need at
least three posts and are NULL below that, so an account seen twice is not called
clockwork.

The same columns are filled by data sets that ship behaviour aggregates (gilani-2017),
which is how the model learns from them; columns a set lacks are NULL.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.store import Database

__all__ = ["BEHAVIOUR_SCHEMA", "BEHAVIOUR_SQL", "scoring_table"]

BEHAVIOUR_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("n_posts", pa.int64()),
        ("n_reposts", pa.int64()),
        ("n_replies", pa.int64()),
        ("n_quotes", pa.int64()),
        ("n_urls", pa.int64()),
        ("n_mentions", pa.int64()),
        ("n_hashtags", pa.int64()),
        ("n_clients", pa.int64()),
        ("top_client_share", pa.float64()),
        ("main_client", pa.string()),
        ("hour_entropy", pa.float64()),
        ("burstiness", pa.float64()),
        ("median_gap_s", pa.float64()),
        ("text_repetition", pa.float64()),
        ("active_days", pa.int64()),
        ("last_post_at", pa.timestamp("us", tz="UTC")),
    ]
)

BEHAVIOUR_SQL = """
WITH p AS (
    SELECT platform, account_id, created_at, kind, text, client,
           coalesce(len(urls), 0) AS nu, coalesce(len(mentions), 0) AS nm,
           coalesce(len(hashtags), 0) AS nh
    FROM posts
    WHERE account_id IS NOT NULL AND kind <> 'like' {post_filter}
),
base AS (
    SELECT platform, account_id,
           count(*) AS n_posts,
           count(*) FILTER (WHERE kind = 'repost') AS n_reposts,
           count(*) FILTER (WHERE kind = 'reply') AS n_replies,
           count(*) FILTER (WHERE kind = 'quote') AS n_quotes,
           sum(nu)::BIGINT AS n_urls, sum(nm)::BIGINT AS n_mentions,
           sum(nh)::BIGINT AS n_hashtags,
           CASE WHEN count(client) > 0 THEN count(DISTINCT client) END AS n_clients,
           count(DISTINCT CAST(created_at AS DATE)) AS active_days,
           max(created_at) AS last_post_at
    FROM p GROUP BY platform, account_id
),
clients AS (
    SELECT platform, account_id, max(c)::DOUBLE / sum(c) AS top_client_share,
           arg_max(client, c) AS main_client
    FROM (SELECT platform, account_id, client, count(*) AS c
          FROM p WHERE client IS NOT NULL GROUP BY ALL)
    GROUP BY ALL
),
hours AS (
    SELECT platform, account_id,
           CASE WHEN sum(c) >= 3 THEN
               (log2(sum(c)) - sum(c * log2(c)) / sum(c)) / log2(least(sum(c), 24))
           END AS hour_entropy
    FROM (SELECT platform, account_id, hour(created_at) AS h, count(*) AS c
          FROM p WHERE created_at IS NOT NULL GROUP BY ALL)
    GROUP BY ALL
),
gaps AS (
    SELECT platform, account_id,
           CASE WHEN count(gap) >= 2 AND stddev_pop(gap) + avg(gap) > 0 THEN
               (stddev_pop(gap) - avg(gap)) / (stddev_pop(gap) + avg(gap))
           END AS burstiness,
           CASE WHEN count(gap) >= 2 THEN median(gap) END AS median_gap_s
    FROM (SELECT platform, account_id,
                 epoch(created_at) - lag(epoch(created_at)) OVER (
                     PARTITION BY platform, account_id ORDER BY created_at) AS gap
          FROM p WHERE created_at IS NOT NULL)
    GROUP BY ALL
),
texts AS (
    SELECT platform, account_id,
           1.0 - count(DISTINCT lower(trim(text)))::DOUBLE / count(*) AS text_repetition
    FROM p WHERE kind <> 'repost' AND text IS NOT NULL AND trim(text) <> ''
    GROUP BY ALL
)
SELECT base.platform, base.account_id, n_posts, n_reposts, n_replies, n_quotes, n_urls,
       n_mentions, n_hashtags, n_clients, top_client_share, main_client, hour_entropy,
       burstiness, median_gap_s, text_repetition, active_days, last_post_at
FROM base
LEFT JOIN clients USING (platform, account_id)
LEFT JOIN hours USING (platform, account_id)
LEFT JOIN gaps USING (platform, account_id)
LEFT JOIN texts USING (platform, account_id)
"""

_ACCOUNT_COLUMNS = (
    "handle",
    "display_name",
    "created_at",
    "description",
    "followers",
    "following",
    "posts_count",
    "likes_count",
    "listed_count",
    "verified",
    "default_profile",
    "default_image",
    "location",
    "url",
    "lang",
    "bot_declared",
)


def scoring_table(db: Database, account_id: str | None = None) -> pa.Table:
    """Every account in the store (profiles, and authors known only from posts) with its
    profile columns and behaviour summary.

    ``seen_at`` falls back to the account's last post, then to the store's latest post,
    so that account age is measured at the time the data describes, not today. With
    ``account_id``, only that account (on any platform) is read.

    Rows come in the store's order of the ``accounts`` table, then the authors that have
    no profile, by (platform, account_id). The profiles are a plain scan and the
    behaviour one aggregate over ``posts``, joined here by key: a SQL full outer join
    ordered by key cost twice the scan for a store of profiles.
    """
    if account_id is not None:
        return _one_account(db, account_id)
    profiles = db.arrow(
        f"SELECT platform, account_id, {', '.join(_ACCOUNT_COLUMNS)}, seen_at FROM accounts"
    )
    behaviour = db.arrow(BEHAVIOUR_SQL.format(post_filter=""))
    n = profiles.num_rows
    table = profiles.append_column("has_profile", pa.array(np.ones(n, dtype=bool)))
    names = BEHAVIOUR_SCHEMA.names[2:]
    if behaviour.num_rows == 0:
        for f in list(BEHAVIOUR_SCHEMA)[2:]:
            table = table.append_column(f.name, pa.nulls(n, f.type))
    else:
        at = pc.index_in(_keys(profiles), value_set=_keys(behaviour))  # its behaviour row
        matched = np.zeros(behaviour.num_rows, dtype=bool)
        matched[at.drop_null().to_numpy()] = True
        # authors known only from their posts come after the profiles
        only = pa.array(np.flatnonzero(~matched), pa.int32())
        key_order = [("platform", "ascending"), ("account_id", "ascending")]
        only = only.take(pc.sort_indices(behaviour.take(only), sort_keys=key_order))
        table = pa.concat_tables([table, _author_rows(behaviour.take(only), table.schema)])
        at_chunks = at.chunks if isinstance(at, pa.ChunkedArray) else [at]
        order = pa.chunked_array([*at_chunks, only], pa.int32())
        for name in names:
            table = table.append_column(name, pc.take(behaviour.column(name), order))
    seen = pc.coalesce(table.column("seen_at"), table.column("last_post_at"))
    if seen.null_count:
        latest = db.query("SELECT max(created_at) FROM posts")[0][0]
        if latest is not None:
            seen = pc.fill_null(seen, pa.scalar(latest, seen.type))
    return table.set_column(table.schema.get_field_index("seen_at"), "seen_at", seen)


def _keys(table: pa.Table) -> pa.ChunkedArray:
    return pc.binary_join_element_wise(table["platform"], table["account_id"], "\x1f")


def _author_rows(behaviour: pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows shaped like ``schema`` (profile fields null, ``has_profile`` false) for
    authors that have posts but no profile."""
    n = behaviour.num_rows
    cols = [
        behaviour.column(f.name).cast(f.type)
        if f.name in ("platform", "account_id")
        else pa.array(np.zeros(n, dtype=bool))
        if f.name == "has_profile"
        else pa.nulls(n, f.type)
        for f in schema
    ]
    return pa.table(cols, schema=schema)


def _one_account(db: Database, account_id: str) -> pa.Table:
    """One account's row (on any platform): the same columns, in one SQL query."""
    behaviour_cols = ", ".join(f"b.{c}" for c in BEHAVIOUR_SCHEMA.names[2:])
    profile_cols = ", ".join(f"a.{c}" for c in _ACCOUNT_COLUMNS)
    post_filter = "AND account_id = ?"
    sql = f"""
    WITH b AS ({BEHAVIOUR_SQL.format(post_filter=post_filter)}),
    latest AS (SELECT max(created_at) AS t FROM posts)
    SELECT coalesce(a.platform, b.platform) AS platform,
           coalesce(a.account_id, b.account_id) AS account_id,
           {profile_cols},
           coalesce(a.seen_at, b.last_post_at, (SELECT t FROM latest)) AS seen_at,
           a.account_id IS NOT NULL AS has_profile,
           {behaviour_cols}
    FROM accounts a
    FULL OUTER JOIN b ON a.platform = b.platform AND a.account_id = b.account_id
    WHERE coalesce(a.account_id, b.account_id) = ?
    ORDER BY 1, 2
    """
    return db.arrow(sql, [account_id, account_id])

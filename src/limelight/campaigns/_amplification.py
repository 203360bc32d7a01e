"""Amplification: how much of each item's volume came from campaigns and automated accounts.

An item is a hashtag, a URL, a domain, a reposted post, or a narrative (when the content
stage ran). Its *volume* is the number of posts carrying it; each post is put in exactly
one of three parts by its author: a member of a flagged campaign (``campaign``), else a
likely-automated account (``automated_only``), else ``organic``. The three shares add up to
1, and ``manufactured_share`` (campaign + automated only) is how much of the item's
apparent popularity the detectors account for. ``automated_share`` counts every
likely-automated author, in a campaign or not, and so overlaps the campaign share.

Items are ranked within their kind by manufactured volume, then volume. The timeline
repeats the counts per time bucket for the ``timeline_items`` top items of each kind;
a post without a time (TwiBot-20's tweet texts) counts in the totals but has no bucket.
"""

from __future__ import annotations

import pyarrow as pa

from limelight.campaigns._content import ContentViews
from limelight.campaigns._tables import AMPLIFICATION_SCHEMA, TIMELINE_SCHEMA
from limelight.store import Database

__all__ = ["amplification", "bucket_seconds_for"]

_BUCKETS = (3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)


def bucket_seconds_for(span_seconds: float, target: int = 60) -> int:
    """The smallest of hour, 6 hours, day, week, month giving at most ``target`` buckets."""
    for size in _BUCKETS:
        if span_seconds / size <= target:
            return size
    return _BUCKETS[-1]


def _items_sql(content: ContentViews) -> str:
    parts = [
        "SELECT 'hashtag' AS item_kind, unnest(hashtags) AS item, platform, post_id, "
        "account_id, created_at FROM posts",
        "SELECT 'url', unnest(urls), platform, post_id, account_id, created_at FROM posts",
        "SELECT 'domain', regexp_extract(unnest(urls), '^[a-z]+://([^/:?#]+)', 1), platform, "
        "post_id, account_id, created_at FROM posts",
        "SELECT 'post', ref_post_id, platform, post_id, account_id, created_at FROM posts "
        "WHERE kind IN ('repost', 'quote') AND ref_post_id IS NOT NULL",
    ]
    if content.narratives:
        parts.append(
            f"SELECT 'narrative', n.title, p.platform, p.post_id, p.account_id, p.created_at "
            f"FROM ({content.narratives}) n JOIN posts p ON p.post_id = n.post_id"
        )
    return " UNION ALL ".join(parts)


def amplification(
    db: Database,
    account_labels: pa.Table,
    content: ContentViews,
    *,
    bucket_seconds: int | None = None,
    timeline_items: int = 25,
) -> tuple[pa.Table, pa.Table]:
    """The ``amplification`` and ``amplification_timeline`` tables for the store's posts.

    ``account_labels`` says who is a campaign member (``campaign_id``) and who is likely
    automated (``'likely-automated'`` in ``labels``). ``bucket_seconds`` defaults to what
    ``bucket_seconds_for`` picks for the posts' time span.
    """
    cur = db.cursor()
    try:
        cur.execute("SET TimeZone = 'UTC'").fetchall()
        if bucket_seconds is None:
            rows = cur.execute(
                "SELECT epoch(max(created_at)) - epoch(min(created_at)) FROM posts"
            ).fetchall()
            bucket_seconds = bucket_seconds_for(float(rows[0][0] or 0) if rows else 0.0)
        flags = account_labels.select(["platform", "account_id", "campaign_id", "labels"])
        cur.register("_labels", flags)
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _amp_posts AS
            WITH i AS (SELECT DISTINCT * FROM ({_items_sql(content)}) WHERE item IS NOT NULL
                       AND item <> '')
            SELECT i.*, l.campaign_id,
                   CASE WHEN l.campaign_id IS NOT NULL THEN 'campaign'
                        WHEN list_contains(l.labels, 'likely-automated') THEN 'automated_only'
                        ELSE 'organic' END AS part,
                   coalesce(list_contains(l.labels, 'likely-automated'), false) AS automated
            FROM i LEFT JOIN _labels l
                 ON l.platform = i.platform AND l.account_id = i.account_id
            """
        )
        setup, select = _TOTALS_SQL.split(";\nSELECT", 1)
        cur.execute(setup)
        totals = cur.sql("SELECT" + select).to_arrow_table()
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _amp_top AS
            SELECT item_kind, item FROM (
                SELECT item_kind, item, row_number() OVER (
                    PARTITION BY item_kind
                    ORDER BY campaign_volume + automated_only_volume DESC, volume DESC, item)
                    AS r FROM _amp_totals)
            WHERE r <= {int(timeline_items)}
            """
        )
        timeline = cur.sql(_TIMELINE_SQL.format(size=int(bucket_seconds))).to_arrow_table()
        cur.execute("DROP TABLE _amp_posts; DROP TABLE _amp_totals; DROP TABLE _amp_top")
        cur.unregister("_labels")
    finally:
        cur.close()
    return (
        totals.select(AMPLIFICATION_SCHEMA.names).cast(AMPLIFICATION_SCHEMA),
        timeline.select(TIMELINE_SCHEMA.names).cast(TIMELINE_SCHEMA),
    )


_TOTALS_SQL = """
CREATE OR REPLACE TEMP TABLE _amp_totals AS
SELECT item_kind, item,
       count(DISTINCT post_id) AS volume,
       count(DISTINCT account_id) AS accounts,
       count(DISTINCT post_id) FILTER (WHERE part = 'campaign') AS campaign_volume,
       count(DISTINCT post_id) FILTER (WHERE automated) AS automated_volume,
       count(DISTINCT post_id) FILTER (WHERE part = 'automated_only') AS automated_only_volume,
       count(DISTINCT post_id) FILTER (WHERE part = 'organic') AS organic_volume,
       coalesce(list(DISTINCT campaign_id ORDER BY campaign_id)
                FILTER (WHERE campaign_id IS NOT NULL), []) AS campaigns,
       min(created_at) AS first_at, max(created_at) AS last_at
FROM _amp_posts GROUP BY item_kind, item;
SELECT item_kind, item,
       row_number() OVER (PARTITION BY item_kind
                          ORDER BY campaign_volume + automated_only_volume DESC, volume DESC,
                                   item) AS rank,
       volume, accounts, campaign_volume, automated_volume, automated_only_volume,
       organic_volume,
       campaign_volume / volume AS campaign_share,
       automated_volume / volume AS automated_share,
       automated_only_volume / volume AS automated_only_share,
       organic_volume / volume AS organic_share,
       (campaign_volume + automated_only_volume) / volume AS manufactured_share,
       campaigns, first_at, last_at
FROM _amp_totals ORDER BY item_kind, rank
"""

_TIMELINE_SQL = """
SELECT p.item_kind, p.item,
       to_timestamp(floor(epoch(p.created_at) / {size}) * {size}) AS bucket,
       {size}::BIGINT AS bucket_seconds,
       count(DISTINCT p.post_id) AS volume,
       count(DISTINCT p.post_id) FILTER (WHERE p.part = 'campaign') AS campaign_volume,
       count(DISTINCT p.post_id) FILTER (WHERE p.automated) AS automated_volume,
       count(DISTINCT p.post_id) FILTER (WHERE p.part = 'automated_only')
           AS automated_only_volume,
       count(DISTINCT p.post_id) FILTER (WHERE p.part = 'organic') AS organic_volume
FROM _amp_posts p JOIN _amp_top t USING (item_kind, item)
WHERE p.created_at IS NOT NULL
GROUP BY ALL ORDER BY p.item_kind, p.item, bucket
"""

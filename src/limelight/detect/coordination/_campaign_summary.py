"""What a campaign is made of: member pairs, their co-actions, and the three tables.

Given the Leiden groups and the significant edges of every layer, this computes (set-based,
in a private in-memory DuckDB) each member pair's summed score, the co-actions behind it
in every behaviour, and from those the ``campaigns``, ``campaign_members`` and
``campaign_evidence`` tables (scores as documented in docs/campaigns.md, "Scores").
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from limelight.detect.coordination._campaign_tables import (
    CAMPAIGN_SCHEMA,
    EVIDENCE_SCHEMA,
    MEMBER_SCHEMA,
)
from limelight.detect.coordination._duck import connect
from limelight.detect.coordination._layers import Layer
from limelight.detect.coordination._significance import co_actions

__all__ = ["campaign_tables"]


def campaign_tables(
    layers: Mapping[str, Layer],
    kept: Mapping[str, pa.Table],
    labels: pa.Table,
    *,
    score_cap: float,
    per_campaign: int,
    linked: pa.Table | None = None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The campaigns, members and evidence tables for the accounts in ``labels``.

    ``labels`` maps ``account_id`` to ``campaign_id``; ``kept`` holds each layer's
    significant edges. ``linked`` (``source``, ``target``) adds member pairs without such
    an edge whose co-actions are evidence all the same (the group test's pairs, see
    ``_groups``): they score 0 and are not counted in ``n_pairs`` or ``n_partners``.
    """
    pairs = _internal_pairs(kept, labels, score_cap, linked)
    co = _pair_co_actions(layers, pairs)
    return _summarise(labels, pairs, co, per_campaign)


def _internal_pairs(
    kept: Mapping[str, pa.Table], labels: pa.Table, cap: float, linked: pa.Table | None
) -> pa.Table:
    """Member pairs with a significant edge in any layer, and their summed capped score.

    Pairs of ``linked`` that are not among them follow with a score of 0.
    """
    parts = [
        t.select(["source", "target", "score"]).append_column(
            "layer", pa.array([name] * t.num_rows, pa.string())
        )
        for name, t in kept.items()
    ]
    with connect() as conn:
        conn.register("_labels", labels)
        conn.register("_kept", pa.concat_tables(parts))
        extra = (
            linked
            if linked is not None
            else pa.table(
                {"source": pa.array([], pa.string()), "target": pa.array([], pa.string())}
            )
        )
        conn.register("_linked", extra.select(["source", "target"]))
        return conn.sql(
            f"""
            WITH scored AS (
                SELECT ls.campaign_id, k.source, k.target,
                       list_sum(list(least(k.score, {float(cap)}) ORDER BY k.layer))
                           AS pair_score
                FROM _kept k
                JOIN _labels ls ON ls.account_id = k.source
                JOIN _labels lt ON lt.account_id = k.target AND lt.campaign_id = ls.campaign_id
                GROUP BY ALL)
            SELECT * FROM scored
            UNION ALL
            SELECT DISTINCT ls.campaign_id, least(l.source, l.target),
                   greatest(l.source, l.target), 0.0
            FROM _linked l
            JOIN _labels ls ON ls.account_id = l.source
            JOIN _labels lt ON lt.account_id = l.target AND lt.campaign_id = ls.campaign_id
            WHERE NOT EXISTS (
                SELECT 1 FROM scored s
                WHERE s.source = least(l.source, l.target)
                  AND s.target = greatest(l.source, l.target))
            ORDER BY ALL
            """
        ).to_arrow_table()


def _pair_co_actions(layers: Mapping[str, Layer], pairs: pa.Table) -> pa.Table:
    """The co-actions of member pairs in every behaviour, tagged with the behaviour."""
    parts = []
    for name, layer in layers.items():
        if not layer.evidence:
            continue
        found = co_actions(pairs, layer.actions, layer.window)
        parts.append(
            found.append_column("behaviour", pa.array([name] * found.num_rows, pa.string()))
        )
    return pa.concat_tables(parts)


def _summarise(
    labels: pa.Table, pairs: pa.Table, co: pa.Table, per_campaign: int
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The three output tables, computed set-based over member pairs and their co-actions."""
    with connect() as conn:
        for name, table in (("_labels", labels), ("_pairs", pairs), ("_co", co)):
            conn.register(name, table)
        conn.execute(_SUMMARY_SQL.format(per_campaign=int(per_campaign)))
        campaigns = conn.sql("SELECT * FROM _campaigns ORDER BY rank").to_arrow_table()
        members = conn.sql(
            "SELECT m.* FROM _members m JOIN _campaigns c USING (campaign_id) "
            "ORDER BY c.rank, m.score DESC, m.account_id"
        ).to_arrow_table()
        evidence = conn.sql(
            "SELECT e.* FROM _evidence e JOIN _campaigns c USING (campaign_id) ORDER BY c.rank, e.k"
        ).to_arrow_table()
    return (
        campaigns.select(CAMPAIGN_SCHEMA.names).cast(CAMPAIGN_SCHEMA),
        members.select(MEMBER_SCHEMA.names).cast(MEMBER_SCHEMA),
        evidence.select(EVIDENCE_SCHEMA.names).cast(EVIDENCE_SCHEMA),
    )


_SUMMARY_SQL = """
CREATE TEMP TABLE _size AS
    SELECT campaign_id, count(*) AS n FROM _labels GROUP BY campaign_id;
CREATE TEMP TABLE _cox AS
    SELECT l.campaign_id, co.*,
           abs(epoch_us(co.target_at) - epoch_us(co.source_at)) / 1e6 AS seconds_apart
    FROM _co co JOIN _labels l ON l.account_id = co.source;
CREATE TEMP TABLE _ends AS
    SELECT campaign_id, source AS account_id, target AS partner, pair_score FROM _pairs
    UNION ALL
    SELECT campaign_id, target, source, pair_score FROM _pairs;
CREATE TEMP TABLE _acted AS
    SELECT campaign_id, source AS account_id, behaviour FROM _cox
    UNION
    SELECT campaign_id, target, behaviour FROM _cox;
CREATE TEMP TABLE _members AS
    SELECT l.campaign_id, l.account_id,
           coalesce(e.total, 0) / (s.n - 1) AS score,
           coalesce(e.partners, 0) AS n_partners,
           coalesce(b.behaviours, []) AS behaviours
    FROM _labels l JOIN _size s USING (campaign_id)
    LEFT JOIN (SELECT campaign_id, account_id,
                      list_sum(list(pair_score ORDER BY partner)) AS total,
                      count(*) FILTER (WHERE pair_score > 0) AS partners
               FROM _ends GROUP BY ALL) e USING (campaign_id, account_id)
    LEFT JOIN (SELECT campaign_id, account_id, list(behaviour ORDER BY behaviour) AS behaviours
               FROM _acted GROUP BY ALL) b USING (campaign_id, account_id);
CREATE TEMP TABLE _top AS
    SELECT campaign_id, list(item ORDER BY n DESC, item)[1:10] AS top_items
    FROM (SELECT campaign_id, item, count(DISTINCT acc) AS n
          FROM _cox, unnest([source, target]) AS u(acc) GROUP BY ALL)
    GROUP BY campaign_id;
CREATE TEMP TABLE _campaigns AS
    SELECT s.campaign_id,
           row_number() OVER (ORDER BY coalesce(p.total, 0) / (s.n * (s.n - 1) / 2) DESC,
                              s.n DESC, s.campaign_id) AS rank,
           coalesce(p.total, 0) / (s.n * (s.n - 1) / 2) AS score,
           s.n AS n_accounts, coalesce(p.n_pairs, 0) AS n_pairs,
           coalesce(t.behaviours, []) AS behaviours,
           t.first_at, t.last_at,
           coalesce(tp.top_items, []) AS top_items,
           a.accounts
    FROM _size s
    LEFT JOIN (SELECT campaign_id, list_sum(list(pair_score ORDER BY source, target)) AS total,
                      count(*) FILTER (WHERE pair_score > 0) AS n_pairs
               FROM _pairs GROUP BY campaign_id) p USING (campaign_id)
    LEFT JOIN (SELECT campaign_id, min(least(source_at, target_at)) AS first_at,
                      max(greatest(source_at, target_at)) AS last_at,
                      list(DISTINCT behaviour ORDER BY behaviour) AS behaviours
               FROM _cox GROUP BY campaign_id) t USING (campaign_id)
    LEFT JOIN _top tp USING (campaign_id)
    JOIN (SELECT campaign_id, list(account_id ORDER BY account_id) AS accounts
          FROM _labels GROUP BY campaign_id) a USING (campaign_id);
-- Evidence: the closest co-actions of the strongest pairs, at most three per pair and
-- behaviour, then the best per campaign.
CREATE TEMP TABLE _evidence AS
    SELECT * FROM (
        SELECT *, row_number() OVER (
            PARTITION BY campaign_id
            ORDER BY pair_score DESC, seconds_apart, behaviour, item, account_a, account_b
        ) AS k
        FROM (
            SELECT c.campaign_id, c.behaviour, c.item,
                   c.source AS account_a, c.source_post_id AS post_a, c.source_at AS at_a,
                   c.target AS account_b, c.target_post_id AS post_b, c.target_at AS at_b,
                   c.seconds_apart, p.pair_score,
                   row_number() OVER (
                       PARTITION BY c.behaviour, c.source, c.target
                       ORDER BY c.seconds_apart, c.item
                   ) AS j
            FROM _cox c JOIN _pairs p USING (campaign_id, source, target))
        WHERE j <= 3)
    WHERE k <= {per_campaign};
"""

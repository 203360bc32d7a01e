"""The network of each campaign: its members' significant co-action edges, with chance.

Coordination keeps every tested pair in memory (``CampaignResult.edges``) but stores only
campaigns, members and evidence. The report's network pictures, the dashboard's network
view and the notes' chance figures need the pairs inside each campaign with the null
model's expectation, so the analysis stores them as ``spotlight_edges`` right after
coordination runs.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from limelight.campaigns._tables import EDGE_SCHEMA

__all__ = ["campaign_edges"]


def campaign_edges(result: Any) -> pa.Table:
    """Significant edges between members of the same campaign, one row per pair and layer.

    ``result`` is a coordination ``CampaignResult``; layers are the behaviours and the
    combined layer. Rows are ordered by campaign, then strongest first.
    """
    members: pa.Table = result.members.select(["campaign_id", "account_id"])
    parts = []
    for layer, table in result.edges.items():
        if table.num_rows == 0:
            continue
        cols = ["source", "target", "weight", "expected", "pvalue", "score", "first_at", "last_at"]
        part = table.filter(table.column("significant")).select(cols)
        parts.append(part.append_column("layer", pa.array([layer] * part.num_rows, pa.string())))
    if not parts or members.num_rows == 0:
        return EDGE_SCHEMA.empty_table()
    conn = duckdb.connect()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.register("_m", members)
        conn.register("_e", pa.concat_tables(parts, promote_options="permissive"))
        out = conn.sql(
            """
            SELECT ms.campaign_id, e.source, e.target, e.layer, e.weight::BIGINT AS weight,
                   e.expected, e.pvalue, e.score, e.first_at, e.last_at
            FROM _e e
            JOIN _m ms ON ms.account_id = e.source
            JOIN _m mt ON mt.account_id = e.target AND mt.campaign_id = ms.campaign_id
            ORDER BY ms.campaign_id, e.score DESC, e.source, e.target, e.layer
            """
        ).to_arrow_table()
    finally:
        conn.close()
    return out.select(EDGE_SCHEMA.names).cast(EDGE_SCHEMA)

"""Co-action networks: accounts that did the same thing at nearly the same time.

A *behaviour* says what counts as the same action (the same reposted post, the same
normalized text, URL, hashtag set, reply target or mention set, a near-duplicate text, a
repost seconds after the original, activity in the same minute). ``actions()`` turns
posts into one row per action, ``co_action_edges()`` joins them in time windows into
weighted account pairs (weights comparable with coordination-network-toolkit's, see
docs/coordination.md), and ``edges()`` does both over a store.

Significance testing, the multiplex graph, Leiden campaigns and the simulator build on
those edges; their names are imported on first use, so that the edge machinery works
even where the graph libraries (python-igraph, leidenalg) are not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from limelight.detect.coordination._behaviours import (
    BEHAVIOURS,
    Behaviour,
    actions,
    get_behaviour,
)
from limelight.detect.coordination._duck import memory_limit
from limelight.detect.coordination._edges import (
    ACTION_SCHEMA,
    EDGE_SCHEMA,
    MAX_EXAMPLE_ITEMS,
    co_action_edges,
)
from limelight.detect.coordination._export import EDGE_FORMATS, write_edges
from limelight.detect.coordination._result import EdgeResult, edge_table_name, edges, save_edges
from limelight.detect.coordination._similar import near_duplicate_items
from limelight.detect.coordination._stored import (
    EDGE_PARAMS,
    EdgeParams,
    read_edge_params,
    replace_tables,
)

if TYPE_CHECKING:
    from limelight.detect.coordination._campaigns import (
        CAMPAIGN_SCHEMA,
        EVIDENCE_SCHEMA,
        MEMBER_SCHEMA,
        CampaignResult,
        campaigns_from_actions,
        find_campaigns,
        save_campaigns,
    )
    from limelight.detect.coordination._paraphrase import paraphrase_items
    from limelight.detect.coordination._significance import (
        edge_significance,
        significant_edges,
    )
    from limelight.detect.coordination._simulate import SimulationSettings, simulate

# Public names of the modules that need the graph libraries, and where each lives.
_LAZY: dict[str, str] = {
    "CAMPAIGN_SCHEMA": "_campaigns",
    "EVIDENCE_SCHEMA": "_campaigns",
    "MEMBER_SCHEMA": "_campaigns",
    "CampaignResult": "_campaigns",
    "campaigns_from_actions": "_campaigns",
    "find_campaigns": "_campaigns",
    "save_campaigns": "_campaigns",
    "paraphrase_items": "_paraphrase",
    "edge_significance": "_significance",
    "significant_edges": "_significance",
    "SimulationSettings": "_simulate",
    "simulate": "_simulate",
}

__all__ = [
    "ACTION_SCHEMA",
    "BEHAVIOURS",
    "CAMPAIGN_SCHEMA",
    "EDGE_FORMATS",
    "EDGE_PARAMS",
    "EDGE_SCHEMA",
    "EVIDENCE_SCHEMA",
    "MAX_EXAMPLE_ITEMS",
    "MEMBER_SCHEMA",
    "Behaviour",
    "CampaignResult",
    "EdgeParams",
    "EdgeResult",
    "SimulationSettings",
    "actions",
    "campaigns_from_actions",
    "co_action_edges",
    "edge_significance",
    "edge_table_name",
    "edges",
    "find_campaigns",
    "get_behaviour",
    "memory_limit",
    "near_duplicate_items",
    "paraphrase_items",
    "read_edge_params",
    "replace_tables",
    "save_campaigns",
    "save_edges",
    "significant_edges",
    "simulate",
    "write_edges",
]


def __getattr__(name: str) -> Any:
    """Import a campaign-stage name from its module the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

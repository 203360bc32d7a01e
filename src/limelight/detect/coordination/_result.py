"""Edges of one behaviour over a store, returned with the parameters that made them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from limelight.detect.coordination._behaviours import (
    get_behaviour,
    resolve_options,
    shared_actions_of,
)
from limelight.detect.coordination._edges import EdgeJoin, co_action_edges
from limelight.detect.coordination._stored import EdgeParams, now, replace_tables
from limelight.store import Database

__all__ = ["EdgeResult", "edge_table_name", "edges", "save_edges"]


@dataclass(frozen=True, slots=True)
class EdgeResult:
    """A co-action network: the edge table and the settings that produced it.

    ``table`` has the columns of ``EDGE_SCHEMA`` (``source, target, weight, first_at,
    last_at, items, n_items``); ``options`` holds every behaviour option, defaults
    included, so a result can be reproduced or explained from itself; ``computed_at`` is
    when it was computed.
    """

    table: pa.Table
    behaviour: str
    window: float
    min_weight: int
    options: dict[str, Any] = field(default_factory=dict)
    n_actions: int = 0
    computed_at: datetime = field(default_factory=now)

    @property
    def method(self) -> str:
        """How items were matched: ``exact``, or co-similar-text's ``minhash``/``embedding``."""
        return str(self.options.get("method", "exact"))

    def params(self, stage: str = "coordination", **extra: Any) -> EdgeParams:
        """The ``edge_params`` row for this result (``extra`` joins the options)."""
        return EdgeParams(
            table_name=edge_table_name(self.behaviour),
            behaviour=self.behaviour,
            method=self.method,
            window_s=None if math.isinf(self.window) else self.window,
            min_weight=self.min_weight,
            options={**self.options, **extra},
            n_actions=self.n_actions,
            n_edges=self.table.num_rows,
            stage=stage,
            computed_at=self.computed_at,
        )

    @property
    def n_accounts(self) -> int:
        """How many distinct accounts have at least one edge."""
        if self.table.num_rows == 0:
            return 0
        both = pa.concat_arrays(
            [
                self.table.column("source").combine_chunks(),
                self.table.column("target").combine_chunks(),
            ]
        )
        return len(both.unique())


def edges(
    db: Database | pa.Table,
    behaviour: str,
    window: float | None = None,
    min_weight: int | None = None,
    *,
    join: EdgeJoin = co_action_edges,
    **options: Any,
) -> EdgeResult:
    """Build a behaviour's actions from the store and join them into co-action edges.

    ``window`` (seconds) and ``min_weight`` default to the behaviour's documented
    defaults (``get_behaviour(name)``); ``options`` are the behaviour's own. A posts Arrow
    table may stand in for the store. ``join`` turns the actions into edges
    (``co_action_edges``; ``limelight.scale`` passes the same join run per shard on Ray).
    """
    spec = get_behaviour(behaviour)
    resolved = resolve_options(spec, options)
    w = spec.window if window is None else window
    k = spec.min_weight if min_weight is None else min_weight
    # Only actions on items two or more accounts acted on can make an edge; cutting the
    # rest in DuckDB keeps the millions of texts posted once out of Python.
    acts, n_actions = shared_actions_of(db, spec.name, window=w, ordered=False, **options)
    table = join(acts, w, k)
    return EdgeResult(table, spec.name, float(w), int(k), resolved, n_actions)


def edge_table_name(behaviour: str) -> str:
    """The store table that holds a behaviour's latest edges, e.g. ``edges_co_repost``.

    The campaigns stage's combined layer (``combined``) is stored as ``edges_combined``.
    """
    if behaviour == "combined":
        return "edges_combined"
    return "edges_" + get_behaviour(behaviour).name.replace("-", "_")


def save_edges(db: Database, result: EdgeResult) -> str:
    """Replace the behaviour's edge table in the store with ``result``; return its name.

    The table keeps exactly the edge columns, so later stages (significance, campaigns,
    the report) read the same shape whether edges come from here or from memory; how they
    were computed goes, in the same transaction, to the ``edge_params`` row of the table
    and to the table's comment.
    """
    name = edge_table_name(result.behaviour)
    replace_tables(db, {name: result.table}, [result.params()])
    return name

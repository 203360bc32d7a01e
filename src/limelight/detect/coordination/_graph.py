"""The multiplex account graph: one layer per behaviour, clustered together with Leiden.

Each behaviour (co-repost, co-url, co-text, ...) contributes a layer holding its
significant edges, weighted by their score (-log10 p, capped so one overwhelming pair
does not outweigh a whole group). All layers share one vertex set, and Leiden optimises
the sum of the layers' modularities (leidenalg's multiplex optimiser), so accounts that
act together in several ways are grouped by all the evidence at once, while a behaviour
that is noisy in one data set cannot glue groups together on its own unless its layer
alone supports it. Communities are finally split into connected pieces of the union
graph, so a campaign is always a connected set of significant co-actions.

Leiden: Traag, Waltman and van Eck, "From Louvain to Leiden: guaranteeing well-connected
communities", Scientific Reports 9, 5233 (2019); multiplex modularity: Mucha et al.,
"Community structure in time-dependent, multiscale, and multiplex networks", Science 328
(2010).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import igraph
import leidenalg
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["AccountGraph", "leiden_communities", "multiplex_graph"]


@dataclass(frozen=True, slots=True)
class AccountGraph:
    """Accounts (vertex ``i`` is ``accounts[i]``, sorted) and one weighted layer per behaviour."""

    accounts: list[str]
    layers: dict[str, igraph.Graph]

    @property
    def n_edges(self) -> int:
        """Edges over all layers (a pair linked in two behaviours counts twice)."""
        return sum(int(g.ecount()) for g in self.layers.values())


def multiplex_graph(layers: Mapping[str, pa.Table], *, score_cap: float = 30.0) -> AccountGraph:
    """Build the multiplex graph from each behaviour's edges (``source``, ``target``, ``score``).

    Pass only the edges to keep (``significant_edges``). ``score_cap`` (default 30, a
    p-value of 1e-30) bounds an edge's weight: beyond that, more evidence does not make
    two accounts more alike, and uncapped scores in the hundreds would let one pair
    dominate the modularity of a layer.
    """
    ends = [t.column(c) for t in layers.values() for c in ("source", "target") if t.num_rows]
    if not ends:
        return AccountGraph([], {name: igraph.Graph(n=0) for name in layers})
    accounts = pc.unique(pa.chunked_array(ends).combine_chunks()).sort()
    graphs = {}
    for name, table in layers.items():
        src = pc.index_in(table.column("source"), value_set=accounts).to_numpy()
        dst = pc.index_in(table.column("target"), value_set=accounts).to_numpy()
        weight = np.minimum(table.column("score").to_numpy(zero_copy_only=False), score_cap)
        g = igraph.Graph(n=len(accounts), edges=np.column_stack([src, dst]).tolist())
        g.es["weight"] = np.maximum(weight, 1e-9).tolist()
        graphs[name] = g
    return AccountGraph(accounts.to_pylist(), graphs)


def leiden_communities(
    graph: AccountGraph,
    *,
    resolution: float = 1.0,
    min_accounts: int = 3,
    random_state: int = 0,
) -> list[list[str]]:
    """Groups of accounts found by multiplex Leiden, largest first, each sorted.

    ``resolution`` is the modularity resolution (1.0 is classic modularity; higher splits
    more). Groups smaller than ``min_accounts`` are dropped. The same graph and
    ``random_state`` always give the same groups.
    """
    n = len(graph.accounts)
    active = [g for g in graph.layers.values() if g.ecount()]
    if n == 0 or not active:
        return []
    partitions = [
        leidenalg.RBConfigurationVertexPartition(
            g, weights="weight", resolution_parameter=resolution
        )
        for g in active
    ]
    optimiser = leidenalg.Optimiser()
    optimiser.set_rng_seed(random_state)
    optimiser.optimise_partition_multiplex(partitions, n_iterations=-1)
    membership = np.asarray(partitions[0].membership)
    # Keep only edges inside a community, then take connected pieces of their union.
    pairs = np.concatenate([np.asarray(g.get_edgelist(), dtype=np.int64) for g in active])
    inside = pairs[membership[pairs[:, 0]] == membership[pairs[:, 1]]]
    pieces = igraph.Graph(n=n, edges=inside.tolist()).connected_components().membership
    groups: dict[int, list[str]] = {}
    for vertex, piece in enumerate(pieces):
        groups.setdefault(piece, []).append(graph.accounts[vertex])
    found = [sorted(g) for g in groups.values() if len(g) >= max(min_accounts, 2)]
    return sorted(found, key=lambda g: (-len(g), g[0]))

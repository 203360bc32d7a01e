"""Layers of the campaign graph: one behaviour's actions and scored edges each, plus a sum.

A layer holds a behaviour's actions, its co-action edges with their significance, and
the window that made them. The combined layer pools every behaviour's actions (items kept
apart by behaviour), so a pair that co-acts once in each of three behaviours is tested on
three co-actions instead of failing ``min_weight`` three times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._duck import connect
from limelight.detect.coordination._edges import EdgeJoin, co_action_edges
from limelight.detect.coordination._numbers import numbered
from limelight.detect.coordination._significance import edge_significance

__all__ = [
    "COMBINED",
    "EdgeJoin",
    "Layer",
    "build_layers",
    "combined_actions",
    "numbered_items",
    "shared_actions",
]

_TS = pa.timestamp("us", tz="UTC")

COMBINED = "combined"
"""The name of the layer that pools every behaviour's actions."""


@dataclass(frozen=True, slots=True)
class Layer:
    """One behaviour's inputs: its actions, its edges with significance, and their window.

    ``evidence`` is False for a layer whose items are not a behaviour's own (the combined
    layer): its pairs count in the graph, but their evidence is taken from the behaviours.
    The combined layer's actions carry item numbers (``numbered_items``); its edges' example
    items are the items themselves.
    """

    actions: pa.Table
    edges: pa.Table
    window: float
    evidence: bool = True


def shared_actions(actions: pa.Table) -> pa.Table:
    """Only the actions on items that two or more accounts acted on (row order kept).

    Nothing downstream of the actions looks at an item a single account acted on: the
    edge join, the null model (its strata and degrees count shared items only), the
    combined layer and the evidence all drop such items first. Most texts are posted
    once, so at millions of posts this keeps a small part of the text behaviours'
    actions in memory without changing any result.
    """
    if actions.num_rows == 0:
        return actions
    per_item = (
        actions.select(["item", "account_id"])
        .group_by("item")
        .aggregate([("account_id", "count_distinct")])
    )
    shared = per_item.filter(pc.greater_equal(per_item.column("account_id_count_distinct"), 2))
    if shared.num_rows == per_item.num_rows:
        return actions
    return actions.filter(pc.is_in(actions.column("item"), value_set=shared.column("item")))


def combined_actions(actions: Mapping[str, pa.Table]) -> pa.Table:
    """All behaviours' actions as one table, items prefixed by their behaviour.

    A pair that co-acts once in each of three behaviours never reaches ``min_weight`` in any
    of them; in the combined layer it has three co-actions. The ``behaviour`` column keeps
    the significance strata per behaviour (a URL and a reposted post are not exchangeable).

    One post counts once: a share-button post carries a link, a headline and maybe a tag,
    and counting each would make one shared post look like three co-actions. Each post
    keeps the one action whose item the fewest accounts acted on, among items at least two
    accounts acted on (the most telling one; ties by behaviour and item).
    """
    parts = []
    for name, table in actions.items():
        n = table.num_rows
        label = pa.array([name] * n, pa.string())
        item = pc.binary_join_element_wise(label, table.column("item"), "\x1f")
        parts.append(
            pa.table(
                {
                    "account_id": table.column("account_id"),
                    "item": item,
                    "at": table.column("at"),
                    "post_id": table.column("post_id"),
                    "behaviour": label,
                }
            )
        )
    if not parts:
        return pa.table(
            {
                "account_id": pa.array([], pa.string()),
                "item": pa.array([], pa.string()),
                "at": pa.array([], _TS),
                "post_id": pa.array([], pa.string()),
                "behaviour": pa.array([], pa.string()),
            }
        )
    return _one_action_per_post(pa.concat_tables(parts))


def _one_action_per_post(table: pa.Table) -> pa.Table:
    with connect() as conn:
        conn.register("_all", table)
        return conn.sql(
            """
            WITH shared AS (
                SELECT item, count(DISTINCT account_id) AS n FROM _all GROUP BY item
                HAVING count(DISTINCT account_id) >= 2)
            SELECT a.account_id, a.item, a."at", a.post_id, a.behaviour
            FROM _all a JOIN shared s USING (item)
            QUALIFY row_number() OVER (
                PARTITION BY a.account_id, a.post_id ORDER BY s.n, a.behaviour, a.item) = 1
            ORDER BY a.account_id, a.post_id
            """
        ).to_arrow_table()


def build_layers(
    actions: Mapping[str, tuple[pa.Table | Callable[[], pa.Table], float]],
    *,
    min_weight: int,
    alpha: float,
    combine: bool,
    join: EdgeJoin = co_action_edges,
    on_combined: Callable[[pa.Table, float, bool], None] | None = None,
) -> dict[str, Layer]:
    """Edges and significance per behaviour, plus the combined layer (widest window).

    A behaviour whose actions are still being computed elsewhere (``find_campaigns``
    clusters co-similar-text's texts on a thread) is given as a function that waits for
    them: its layer is built after the others', and the layers keep the given order.
    ``on_combined`` is called with the combined layer's actions and window twice: before
    its edges are joined (``joined`` False) and between the join and the test (True);
    ``campaigns_from_actions`` starts the group test at one of the two.
    """

    def layer(
        acts: pa.Table,
        window: float,
        evidence: bool = True,
        joined: Callable[[], None] | None = None,
    ) -> Layer:
        edges = join(acts, window, min_weight)
        if joined is not None:
            joined()
        return Layer(acts, edge_significance(edges, acts, window, alpha=alpha), window, evidence)

    built = {
        name: layer(acts, window)
        for name, (acts, window) in actions.items()
        if isinstance(acts, pa.Table)
    }
    for name, (acts, window) in actions.items():
        if not isinstance(acts, pa.Table):
            built[name] = layer(acts(), window)
    layers = {name: built[name] for name in actions}
    if combine and len(actions) > 1:
        widest = max(window for _, window in actions.values())
        joint, names = numbered_items(
            combined_actions({name: one.actions for name, one in layers.items()})
        )
        after = None
        if on_combined is not None:
            on_combined(joint, widest, False)
            after = partial(on_combined, joint, widest, True)
        combined = layer(joint, widest, evidence=False, joined=after)
        edges = combined.edges
        items = _named(edges.column("items"), names)
        layers[COMBINED] = replace(
            combined, edges=edges.set_column(edges.column_names.index("items"), "items", items)
        )
    return layers


def numbered_items(actions: pa.Table) -> tuple[pa.Table, pa.Array]:
    """The actions with each item replaced by its number, and the items by number.

    The combined layer's items are every behaviour's items, texts and links included,
    prefixed; the join and the significance test only compare them. As numbers written
    with the same count of digits they are a few bytes that DuckDB keeps inline, where
    the texts took a large share of the combined layer's memory at 10M posts. The numbers
    follow the items' sort order (and the digits the numbers'), so every tie broken by
    item breaks the same way.
    """
    names, index = numbered(actions.column("item"), in_order=True)
    width = len(str(max(len(names) - 1, 0)))
    number = pc.utf8_lpad(pc.cast(index, pa.string()), width, "0")
    # The other columns are copied so that the texts can go: columns that DuckDB handed
    # over share their memory, and one kept column would keep every text.
    rest = actions.drop_columns(["item"]).combine_chunks()
    return rest.add_column(actions.column_names.index("item"), "item", number), names


def _named(items: pa.ChunkedArray, names: pa.Array) -> pa.ChunkedArray:
    """Lists of item numbers (``numbered_items``) turned back into the items."""
    chunks = []
    for chunk in items.chunks:
        offsets = pc.subtract(chunk.offsets, chunk.offsets[0])
        named = names.take(pc.cast(chunk.flatten(), pa.int64()))
        chunks.append(pa.ListArray.from_arrays(offsets, named, mask=chunk.is_null()))
    return pa.chunked_array(chunks, type=items.type)

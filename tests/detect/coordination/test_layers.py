"""The combined layer numbers its items to save memory; nothing it computes may change.

The check runs the join and the significance test on the combined actions as they are
(texts, links and reposts, prefixed by behaviour) and compares every column of every
edge, example items included, with what ``build_layers`` gives on the numbered items.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._behaviours import shared_actions_of
from limelight.detect.coordination._campaigns import DEFAULT_OPTIONS, DEFAULT_WINDOWS
from limelight.detect.coordination._edges import co_action_edges
from limelight.detect.coordination._layers import (
    COMBINED,
    build_layers,
    combined_actions,
    numbered_items,
)
from limelight.detect.coordination._significance import edge_significance
from limelight.detect.coordination._simulate import SimulationSettings, simulate
from limelight.store import Database, records_to_table


def test_numbered_items_keep_the_items_order_and_give_them_back() -> None:
    items = ["co-url\x1fhttps://b", None, "co-text\x1fzebra", "co-url\x1fhttps://b", "co-url\x1fa"]
    items += [f"co-repost\x1f{k}" for k in range(12)]  # two digits, to test the padding
    table = pa.table({"account_id": [str(k) for k in range(len(items))], "item": items})
    numbered, names = numbered_items(table)
    numbers = numbered.column("item").to_pylist()
    assert numbers[1] is None
    given = [(n, i) for n, i in zip(numbers, items, strict=True) if i is not None]
    assert len({len(n) for n, _ in given}) == 1  # one width, so strings sort as numbers
    assert [names[int(n)].as_py() for n, _ in given] == [i for _, i in given]
    assert sorted(given) == sorted(given, key=lambda pair: pair[1])
    assert numbered.column("account_id").equals(table.column("account_id"))


def test_the_combined_layer_equals_one_computed_on_the_items_themselves(tmp_path: Path) -> None:
    data = simulate(SimulationSettings(n_accounts=600, viral_size=200), random_state=5)
    with Database(tmp_path / "world.duckdb") as db:
        db.write_batch(data.posts, data.accounts, [], [])
        acts = {
            b: (shared_actions_of(db, b, window=w, **DEFAULT_OPTIONS.get(b, {}))[0], w)
            for b, w in DEFAULT_WINDOWS.items()
        }
    layers = build_layers(acts, min_weight=2, alpha=0.01, combine=True)
    joint = combined_actions({b: a for b, (a, _) in acts.items()})
    widest = max(w for _, w in acts.values())
    direct = edge_significance(co_action_edges(joint, widest, 2), joint, widest, alpha=0.01)
    assert direct.num_rows > 50 and pc.any(direct.column("significant")).as_py()
    examples = pc.list_flatten(direct.column("items"))
    assert pc.all(pc.match_substring(examples, "\x1f")).as_py()  # the items, not numbers
    assert layers[COMBINED].edges.equals(direct)
    assert not pc.any(pc.match_substring(layers[COMBINED].actions.column("item"), "\x1f")).as_py()


def test_the_combined_layer_is_announced_before_its_join_and_before_its_test() -> None:
    """``on_combined`` hears of the combined actions before the join (False) and between
    the join and the test (True): the group test can run beside either."""
    data = simulate(SimulationSettings(n_accounts=300, viral_size=100), random_state=3)
    posts = records_to_table(data.posts, "posts")
    acts = {
        b: (shared_actions_of(posts, b, window=w)[0], w)
        for b, w in (("co-repost", 60.0), ("co-url", 120.0))
    }
    events: list[tuple[str, object]] = []

    def join(actions: pa.Table, window: float, min_weight: int) -> pa.Table:
        events.append(("join", actions.num_rows))
        return co_action_edges(actions, window, min_weight)

    def heard(joint: pa.Table, window: float, joined: bool) -> None:
        events.append(("heard", joined))
        assert window == 120.0 and joint.num_rows > 0

    build_layers(acts, min_weight=2, alpha=0.01, combine=True, join=join, on_combined=heard)
    assert [kind for kind, _ in events] == ["join", "join", "heard", "join", "heard"]
    assert [value for kind, value in events if kind == "heard"] == [False, True]

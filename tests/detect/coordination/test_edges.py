"""co_action_edges: the bucketed window join, its counting, and its evidence columns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from itertools import product
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from limelight.detect.coordination import ACTION_SCHEMA, EDGE_SCHEMA, co_action_edges
from limelight.detect.coordination._edges import MATCH_SCHEMA, co_action_matches
from limelight.errors import InputError
from tests.detect.coordination._data import T0, at

Row = tuple[str, str, float, str]  # account, item, seconds after T0, post


def _actions(rows: Sequence[Row]) -> pa.Table:
    return pa.table(
        {
            "account_id": [r[0] for r in rows],
            "item": [r[1] for r in rows],
            "at": pa.array([at(r[2]) for r in rows], pa.timestamp("us", tz="UTC")),
            "post_id": [r[3] for r in rows],
        },
        schema=ACTION_SCHEMA,
    )


def _three_posts(gap: float) -> list[Row]:
    """Accounts a and b repost the same three posts, b always ``gap`` seconds after a."""
    rows: list[Row] = []
    for n, start in enumerate((0, 1000, 5000)):
        rows.append(("a", f"post{n}", start, f"a{n}"))
        rows.append(("b", f"post{n}", start + gap, f"b{n}"))
    return rows


def test_three_shared_items_five_seconds_apart_weigh_three() -> None:
    table = co_action_edges(_actions(_three_posts(5)), window=10, min_weight=2)
    assert table.schema == EDGE_SCHEMA
    [edge] = table.to_pylist()
    assert (edge["source"], edge["target"], edge["weight"], edge["n_items"]) == ("a", "b", 3, 3)
    assert edge["first_at"] == T0 and edge["last_at"] == at(5005)
    assert edge["items"] == ["post0", "post1", "post2"]


def test_the_window_is_inclusive_and_nothing_past_it() -> None:
    assert co_action_edges(_actions(_three_posts(10)), window=10, min_weight=1).num_rows == 1
    assert co_action_edges(_actions(_three_posts(20)), window=10, min_weight=1).num_rows == 0
    assert co_action_edges(_actions(_three_posts(10.000001)), window=10, min_weight=1).num_rows == 0


def test_min_weight_drops_lighter_pairs() -> None:
    rows = [*_three_posts(5), ("c", "post0", 2, "c0")]
    pairs = co_action_edges(_actions(rows), 10, 1).select(["source", "target"]).to_pylist()
    assert [(e["source"], e["target"]) for e in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert co_action_edges(_actions(rows), 10, 3).column("source").to_pylist() == ["a"]
    assert co_action_edges(_actions(rows), 10, 4).num_rows == 0


def test_actions_across_a_bucket_boundary_still_meet() -> None:
    # 59 s and 61 s fall in different one-minute buckets but are 2 s apart.
    rows = [("a", "x", 59, "p1"), ("b", "x", 61, "p2")]
    assert co_action_edges(_actions(rows), window=60, min_weight=1).num_rows == 1
    rows = [("a", "x", 0, "p1"), ("b", "x", 119, "p2")]
    assert co_action_edges(_actions(rows), window=60, min_weight=1).num_rows == 0


def test_an_account_never_pairs_with_itself() -> None:
    rows = [("a", "x", 0, "p1"), ("a", "x", 1, "p2"), ("a", "x", 2, "p3")]
    assert co_action_edges(_actions(rows), window=60, min_weight=1).num_rows == 0


def test_repeating_oneself_does_not_inflate_the_weight() -> None:
    # a posts the item three times next to b's single post: CNT's directed weights are
    # a->b 3 and b->a 1; the pair's weight is the smaller, 1.
    rows = [("a", "x", 0, "p1"), ("a", "x", 1, "p2"), ("a", "x", 2, "p3"), ("b", "x", 3, "q1")]
    [edge] = co_action_edges(_actions(rows), window=60, min_weight=1).to_pylist()
    assert edge["weight"] == 1
    assert co_action_edges(_actions(rows), window=60, min_weight=2).num_rows == 0


def test_one_post_with_two_shared_items_counts_once() -> None:
    # CNT counts messages, not items: one post sharing two URLs with b is one co-action.
    rows = [("a", "u1", 0, "p1"), ("a", "u2", 0, "p1"), ("b", "u1", 5, "q1"), ("b", "u2", 5, "q1")]
    [edge] = co_action_edges(_actions(rows), window=60, min_weight=1).to_pylist()
    assert (edge["weight"], edge["n_items"]) == (1, 2)


def test_examples_are_capped_at_ten_but_all_items_are_counted() -> None:
    rows = []
    for n in range(12):
        rows += [("a", f"item{n:02d}", n * 100, f"a{n}"), ("b", f"item{n:02d}", n * 100, f"b{n}")]
    [edge] = co_action_edges(_actions(rows), window=1, min_weight=1).to_pylist()
    assert edge["n_items"] == 12 and edge["weight"] == 12
    assert edge["items"] == [f"item{n:02d}" for n in range(10)]


def test_infinite_window_and_timedelta_window() -> None:
    rows = [("a", "x", 0, "p1"), ("b", "x", 86_400 * 30, "p2")]
    assert co_action_edges(_actions(rows), window=math.inf, min_weight=1).num_rows == 1
    assert co_action_edges(_actions(rows), window=timedelta(days=31), min_weight=1).num_rows == 1
    assert co_action_edges(_actions(rows), window=timedelta(days=29), min_weight=1).num_rows == 0


def test_zero_window_needs_the_same_microsecond() -> None:
    rows = [("a", "x", 0, "p1"), ("b", "x", 0, "p2"), ("c", "x", 0.000001, "p3")]
    table = co_action_edges(_actions(rows), window=0, min_weight=1)
    assert table.select(["source", "target"]).to_pylist() == [{"source": "a", "target": "b"}]


def test_empty_and_null_rows() -> None:
    assert co_action_edges(_actions([]), 60, 1).schema == EDGE_SCHEMA
    table = _actions([("a", "x", 0, "p1"), ("b", "x", 1, "p2")])
    nulls = table.set_column(1, "item", pa.array([None, None], pa.string()))
    assert co_action_edges(nulls, 60, 1).num_rows == 0


@pytest.mark.parametrize(
    ("window", "min_weight"), [(-1, 1), (float("nan"), 1), ("60", 1), (60, 0), (60, True)]
)
def test_bad_settings_are_input_errors(window: object, min_weight: object) -> None:
    with pytest.raises(InputError):
        co_action_edges(_actions(_three_posts(5)), window, min_weight)  # type: ignore[arg-type]


def test_missing_columns_are_named() -> None:
    with pytest.raises(InputError, match="post_id"):
        co_action_edges(_actions(_three_posts(5)).drop_columns(["post_id"]), 60, 1)


@pytest.mark.parametrize(
    ("join", "settings"), [(co_action_edges, (60, 1)), (co_action_matches, (60,))]
)
def test_a_wrong_input_type_names_the_function_called(join: Any, settings: tuple[int, ...]) -> None:
    with pytest.raises(InputError, match=rf"^{join.__name__}\(\) takes an Arrow actions"):
        join([{"account_id": "a"}], *settings)


# --- cross-check against a brute-force reading of the definition ----------------------


def _brute_force(
    rows: list[Row], window: float, min_weight: int
) -> dict[tuple[str, str], tuple[int, float, float, int]]:
    matched: dict[tuple[str, str], set[str]] = {}
    times: dict[tuple[str, str], list[float]] = {}
    items: dict[tuple[str, str], set[str]] = {}
    for (a1, i1, t1, p1), (a2, i2, t2, _p2) in product(rows, rows):
        if a1 != a2 and i1 == i2 and abs(t1 - t2) <= window + 1e-9:
            matched.setdefault((a1, a2), set()).add(p1)
            if a1 < a2:
                times.setdefault((a1, a2), []).extend([t1, t2])
                items.setdefault((a1, a2), set()).add(i1)
    out = {}
    for (a, b), posts in matched.items():
        if a < b:
            weight = min(len(posts), len(matched[(b, a)]))
            if weight >= min_weight:
                out[(a, b)] = (weight, min(times[(a, b)]), max(times[(a, b)]), len(items[(a, b)]))
    return out


_ROW = st.tuples(
    st.sampled_from("abcd"),
    st.sampled_from(["x", "y", "z"]),
    st.integers(0, 400).map(lambda s: s / 2),
)


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(_ROW, max_size=25),
    extra_items=st.lists(
        st.tuples(st.integers(0, 24), st.sampled_from(["x", "y", "z"])), max_size=4
    ),
    window=st.sampled_from([0, 1, 7.5, 30, 60]),
    min_weight=st.integers(1, 3),
)
def test_matches_the_definition_on_random_actions(
    base: list[tuple[str, str, float]],
    extra_items: list[tuple[int, str]],
    window: float,
    min_weight: int,
) -> None:
    rows: list[Row] = [(a, i, t, f"p{n}") for n, (a, i, t) in enumerate(base)]
    # Some posts carry a second item (a post with two links), same account and time.
    rows += [
        (rows[n][0], item, rows[n][2], rows[n][3])
        for n, item in extra_items
        if n < len(rows) and item != rows[n][1]
    ]
    expected = _brute_force(rows, window, min_weight)
    got = {
        (e["source"], e["target"]): (
            e["weight"],
            (e["first_at"] - T0).total_seconds(),
            (e["last_at"] - T0).total_seconds(),
            e["n_items"],
        )
        for e in co_action_edges(_actions(rows), window, min_weight).to_pylist()
    }
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(
    base=st.lists(_ROW, max_size=25),
    window=st.sampled_from([0, 1, 7.5, 60]),
    keep=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_matches_bound_the_weight_and_pairs_limit_the_result(
    base: list[tuple[str, str, float]], window: float, keep: list[bool]
) -> None:
    rows: list[Row] = [(a, i, t, f"p{n}") for n, (a, i, t) in enumerate(base)]
    table = _actions(rows)
    # Matches: pairs of actions of the two accounts on one item within the window.
    expected_matches: dict[tuple[str, str], int] = {}
    for (a1, i1, t1, _), (a2, i2, t2, _) in product(rows, rows):
        if a1 < a2 and i1 == i2 and abs(t1 - t2) <= window + 1e-9:
            expected_matches[(a1, a2)] = expected_matches.get((a1, a2), 0) + 1
    matches = co_action_matches(table, window)
    assert matches.schema == MATCH_SCHEMA
    got = {(m["source"], m["target"]): m["matches"] for m in matches.to_pylist()}
    assert got == expected_matches
    full = co_action_edges(table, window, 1, directed=True)
    for e in full.to_pylist():
        assert max(e["source_posts"], e["target_posts"]) <= got[(e["source"], e["target"])]
    # Asking for some pairs gives exactly those rows of the full result.
    everyone = [(s, t) for s in "abcd" for t in "abcd" if s < t]
    wanted = [pair for pair, k in zip(everyone, keep, strict=True) if k]
    pairs = pa.table({"source": [s for s, _ in wanted], "target": [t for _, t in wanted]})
    limited = co_action_edges(table, window, 1, directed=True, pairs=pairs)
    assert limited.to_pylist() == [
        e for e in full.to_pylist() if (e["source"], e["target"]) in set(wanted)
    ]


def test_viral_bursts_fit_a_small_memory_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    # Three posts, each reposted by 1,500 of the same 3,000 accounts within one minute:
    # every two reposters of a post co-act on it, 688,968 pairs share two or three. A
    # top-N aggregate of example items ran out of a 250 MB cap on these; a viral burst
    # must cost time and disk, not fail (the significance test then discounts it).
    monkeypatch.setenv("LIMELIGHT_DUCKDB_MEMORY", "250MB")
    rng = np.random.default_rng(0)
    n, posts = 1500, 3
    members = np.stack([rng.permutation(2 * n)[:n] for _ in range(posts)])
    rows = pa.table(
        {
            "account_id": pa.array(members.ravel().astype(str)),
            "item": pa.array(np.repeat(np.arange(posts), n).astype(str)),
            "at": pa.array(
                [at(float(s)) for s in rng.uniform(0, 59, n * posts)],
                pa.timestamp("us", tz="UTC"),
            ),
            "post_id": pa.array(np.arange(n * posts).astype(str)),
        },
        schema=ACTION_SCHEMA,
    )
    edges = co_action_edges(rows, 60, 2)
    # The definition: a pair's weight is the number of posts both reposted.
    joined = np.zeros((posts, 2 * n), dtype=np.int64)
    for p in range(posts):
        joined[p, members[p]] = 1
    shared = joined.T @ joined
    upper = np.triu(shared, 1)
    assert edges.num_rows == int((upper >= 2).sum()) > 0
    account = edges.column("source").to_numpy(zero_copy_only=False).astype(int)
    other = edges.column("target").to_numpy(zero_copy_only=False).astype(int)
    assert edges.column("weight").to_numpy().tolist() == shared[account, other].tolist()
    # Heaviest first, then by the accounts' names (they are put in after the sort).
    keys = list(
        zip(
            edges.column("weight").to_pylist(),
            edges.column("source").to_pylist(),
            edges.column("target").to_pylist(),
            strict=True,
        )
    )
    assert keys == sorted(keys, key=lambda k: (-k[0], k[1], k[2]))
    assert all(
        len(x) == w
        for x, w in zip(
            edges.column("items").to_pylist()[:1000],
            edges.column("weight").to_pylist()[:1000],
            strict=True,
        )
    )

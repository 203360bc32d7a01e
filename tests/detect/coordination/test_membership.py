"""Growing campaigns by group-level ties: who joins, who does not, and why."""

from __future__ import annotations

import pyarrow as pa

from limelight.detect.coordination._membership import grow_campaigns


def _edges(rows: list[tuple[str, str, int, float]]) -> pa.Table:
    return pa.table(
        {
            "source": [r[0] for r in rows],
            "target": [r[1] for r in rows],
            "observed": pa.array([r[2] for r in rows], pa.int64()),
            "expected": pa.array([r[3] for r in rows], pa.float64()),
        }
    )


CORE = ["a", "b", "c"]


def test_an_account_tied_to_the_whole_group_joins_it() -> None:
    edges = _edges(
        [
            ("a", "x", 2, 0.001),
            ("b", "x", 2, 0.001),
            ("c", "x", 1, 0.001),
            # One very strong tie to one member is a pair, not membership.
            ("a", "y", 40, 0.001),
            # Ties to every member that chance explains: a busy account.
            ("a", "z", 3, 2.0),
            ("b", "z", 2, 2.0),
            ("c", "z", 3, 2.0),
        ]
    )
    assert grow_campaigns([CORE], {"combined": edges}) == [["a", "b", "c", "x"]]


def test_each_account_joins_at_most_one_group_the_strongest() -> None:
    edges = _edges(
        [(m, "x", 2, 0.01) for m in ("a", "b", "c")]
        + [(m, "x", 3, 0.0001) for m in ("d", "e", "f")]
    )
    grown = grow_campaigns([CORE, ["d", "e", "f"]], {"combined": edges})
    assert grown == [["d", "e", "f", "x"], ["a", "b", "c"]]


def test_nothing_to_grow() -> None:
    assert grow_campaigns([], {"combined": _edges([])}) == []
    assert grow_campaigns([["b", "a"]], {"combined": _edges([])}) == [["a", "b"]]
    # Edges between two outsiders, or inside the group, change nothing.
    edges = _edges([("x", "y", 9, 0.0), ("a", "b", 9, 0.0)])
    assert grow_campaigns([CORE], {"combined": edges}) == [CORE]

"""The group test: campaigns whose members co-act too rarely for any pair to pass.

On the simulator, a campaign whose members each join 30% of its pushes gives a pair of
members about one co-action: the pairwise engine finds none of them. The group test must
find many of them, only them, nothing in organic worlds (viral crowds included), and it
must test a group on items other than those it was chosen on.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from limelight.detect.coordination._behaviours import shared_actions_of
from limelight.detect.coordination._campaigns import (
    DEFAULT_OPTIONS,
    DEFAULT_WINDOWS,
    find_campaigns,
)
from limelight.detect.coordination._groups import add_seeds, group_seeds, merge_groups
from limelight.detect.coordination._layers import combined_actions
from limelight.detect.coordination._simulate import (
    CampaignPlan,
    SimulatedData,
    recovery,
    simulate,
)
from tests.detect.coordination._worlds import WORLD, bad_evidence, stored

WINDOW = max(DEFAULT_WINDOWS.values())


def _combined(data: SimulatedData, path: Path) -> pa.Table:
    with stored(data, path) as db:
        acts = {
            b: shared_actions_of(db, b, window=w, **DEFAULT_OPTIONS.get(b, {}))[0]
            for b, w in DEFAULT_WINDOWS.items()
        }
    return combined_actions(acts)


@pytest.fixture(scope="module")
def sparse_world() -> SimulatedData:
    plan = replace(WORLD.campaigns, participation=0.3)
    return simulate(replace(WORLD, campaigns=plan), random_state=12)


def test_groups_of_rare_co_actors_are_found_and_only_they(
    sparse_world: SimulatedData, tmp_path: Path
) -> None:
    seeds = group_seeds(_combined(sparse_world, tmp_path / "w.duckdb"), WINDOW)
    truth = sparse_world.truth
    seeded = [a for g in seeds.groups for a in g]
    assert len(seeded) == len(set(seeded))  # one group per account
    assert all(a in truth for a in seeded)  # no organic account
    assert all(len({truth[a] for a in g}) == 1 for g in seeds.groups)  # one campaign each
    assert len(seeded) >= 20  # of 48 planted; the pairwise engine finds none here
    # Every kept group passed on the half it was not proposed in, far beyond chance.
    passed = [t for t in seeds.tests if int(t["kept"]) > 0]
    assert passed and all(float(t["log10_p"]) < -5 for t in passed)
    # The pairs behind the groups are pairs of members of one group.
    label = {a: g for g, members in enumerate(seeds.groups) for a in members}
    pairs = seeds.pairs.to_pylist()
    assert pairs and all(label[p["source"]] == label[p["target"]] for p in pairs)
    assert all(p["source"] < p["target"] and p["co_actions"] >= 1 for p in pairs)


@pytest.mark.parametrize("seed", [5, 6])
def test_organic_worlds_give_no_groups(seed: int, tmp_path: Path) -> None:
    organic = simulate(replace(WORLD, campaigns=CampaignPlan(n_campaigns=0)), random_state=seed)
    seeds = group_seeds(_combined(organic, tmp_path / "o.duckdb"), WINDOW)
    assert len(seeds.tests) > 10  # Leiden proposed groups; none passed on held-out items
    assert seeds.groups == [] and seeds.pairs.num_rows == 0


def _halves(names: list[str]) -> dict[str, int]:
    """The half the group test puts each item in (DuckDB's hash, as in ``_groups``)."""
    rows = duckdb.sql(
        "SELECT item, hash(item) % 2 FROM (SELECT unnest($names) AS item)",
        params={"names": names},
    ).fetchall()
    return {item: int(h) for item, h in rows}


def _background(rng: np.random.Generator, start: datetime) -> list[tuple[str, str, datetime]]:
    """300 accounts acting on 3,000 items, a few accounts each, at random times."""
    rows = []
    for i in range(3000):
        for account in rng.choice(300, size=int(rng.integers(2, 6)), replace=False):
            rows.append(
                (f"bg{account}", f"bg-item-{i}", start + timedelta(hours=rng.random() * 72))
            )
    return rows


def _table(rows: list[tuple[str, str, datetime]]) -> pa.Table:
    return pa.table(
        {
            "account_id": [r[0] for r in rows],
            "item": [r[1] for r in rows],
            "at": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )


def test_a_group_is_tested_on_items_it_was_not_chosen_on() -> None:
    rng = np.random.default_rng(3)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    halves = _halves([f"push-{i}" for i in range(400)])
    by_half = {h: [i for i, hh in halves.items() if hh == h] for h in (0, 1)}
    group = [f"member{j}" for j in range(8)]

    def pushes(items: list[str]) -> list[tuple[str, str, datetime]]:
        rows = []
        for n, item in enumerate(items):
            at = start + timedelta(hours=3 * n)
            for account in rng.choice(group, size=4, replace=False):
                rows.append((str(account), item, at + timedelta(seconds=float(rng.random() * 30))))
        return rows

    background = _background(rng, start)
    # Twelve pushes, all on items of one half: nothing to test the group on in the other
    # half, so however dense it is there, it is not a seed.
    one_sided = group_seeds(_table(background + pushes(by_half[0][:12])), 120.0)
    assert one_sided.groups == []
    # The same twelve pushes spread over both halves: found, and nobody else.
    spread = by_half[0][:6] + by_half[1][:6]
    found = group_seeds(_table(background + pushes(spread)), 120.0)
    assert [set(g) for g in found.groups] == [set(group)]


def test_low_participation_campaigns_are_reported_with_evidence(
    sparse_world: SimulatedData, tmp_path: Path
) -> None:
    with stored(sparse_world, tmp_path / "w.duckdb") as db:
        result = find_campaigns(db)
        without = find_campaigns(db, write=False, group_test=False)
        bad = bad_evidence(db)
        n = db.query("SELECT count(DISTINCT campaign_id) FROM campaign_evidence")[0][0]
    accounts = [a.account_id for a in sparse_world.accounts]
    got = recovery(sparse_world.truth, result.labels(), accounts)
    before = recovery(sparse_world.truth, without.labels(), accounts)
    assert got.precision >= 0.95 and got.recall >= 0.45
    assert got.recall >= before.recall + 0.3
    assert bad == 0 and n == result.campaigns.num_rows > 0  # every campaign shows evidence
    summary = result.params["group_seeds"]
    assert summary["passed"] >= 1 and summary["accounts"] >= 20


def test_merge_groups() -> None:
    merged = merge_groups([["a", "b"], ["c", "d", "e"], ["b", "x"], ["y", "z"]])
    assert merged == [["a", "b", "x"], ["c", "d", "e"], ["y", "z"]]
    assert merge_groups([]) == []


def test_seeds_join_cores_without_merging_them() -> None:
    cores = [["a", "b", "c"], ["d", "e", "f"]]
    # A seed across both cores gives its new account to the core it shares most with;
    # the two cores stay apart. A seed sharing nothing is a group of its own.
    grown = add_seeds(cores, [["a", "b", "d", "x"], ["p", "q", "r"], ["e", "f"]])
    assert grown == [["a", "b", "c", "x"], ["d", "e", "f"], ["p", "q", "r"]]
    assert add_seeds(cores, []) == cores
    # A pair kept for growth is too small to stand alone: a seed touching it takes it in.
    grown = add_seeds([*cores, ["g", "h"]], [["a", "g", "y"]])
    assert grown == [["a", "b", "c", "g", "h", "y"], ["d", "e", "f"]]

"""Amplification: shares add up, lie in [0, 1], and match counts made another way."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from limelight.campaigns import AMPLIFICATION, TIMELINE, bucket_seconds_for
from limelight.detect.coordination._simulate import SimulatedData
from limelight.store import Database

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("store", ["sim", "russian"])
def test_shares_add_up_and_lie_in_the_unit_interval(
    store: str, request: pytest.FixtureRequest
) -> None:
    value = request.getfixturevalue(store)
    db: Database = value[0] if isinstance(value, tuple) else value
    rows = db.arrow(f"SELECT * FROM {AMPLIFICATION}").to_pylist()
    assert rows
    for r in rows:
        parts = r["campaign_volume"] + r["automated_only_volume"] + r["organic_volume"]
        assert parts == r["volume"] > 0
        shares = (r["campaign_share"], r["automated_only_share"], r["organic_share"])
        assert sum(shares) == pytest.approx(1.0)
        for s in (*shares, r["automated_share"], r["manufactured_share"]):
            assert 0.0 <= s <= 1.0
        assert r["automated_volume"] >= r["automated_only_volume"]
        assert bool(r["campaigns"]) == (r["campaign_volume"] > 0)


def test_hashtag_volumes_and_campaign_shares_match_a_count_from_the_records(
    sim: tuple[Database, SimulatedData],
) -> None:
    db, world = sim
    found = {a for (a,) in db.query("SELECT account_id FROM campaign_members")}
    volume: Counter[str] = Counter()
    by_members: Counter[str] = Counter()
    for p in world.posts:
        for tag in set(p.hashtags):
            volume[tag] += 1
            by_members[tag] += p.account_id in found
    rows = db.arrow(f"SELECT * FROM {AMPLIFICATION} WHERE item_kind = 'hashtag'").to_pylist()
    assert {r["item"]: r["volume"] for r in rows} == dict(volume)
    assert {r["item"]: r["campaign_volume"] for r in rows} == dict(by_members)


def test_pushed_items_rank_first_and_viral_ones_stay_organic(
    sim: tuple[Database, SimulatedData],
) -> None:
    db, _ = sim
    for kind in ("hashtag", "url", "domain", "post"):
        top = db.arrow(
            f"SELECT * FROM {AMPLIFICATION} WHERE item_kind = ? ORDER BY rank LIMIT 1", [kind]
        ).to_pylist()[0]
        assert top["campaign_share"] > 0.5, top
        biggest = db.arrow(
            f"SELECT * FROM {AMPLIFICATION} WHERE item_kind = ? ORDER BY volume DESC LIMIT 1",
            [kind],
        ).to_pylist()[0]
        # The simulator's viral bursts are organic: hundreds of accounts, no campaign.
        assert biggest["volume"] > 100 and biggest["campaign_share"] < 0.1, biggest


def test_timeline_buckets_add_up_to_the_totals(sim: tuple[Database, SimulatedData]) -> None:
    db, _ = sim
    totals = {
        (r["item_kind"], r["item"]): r
        for r in db.arrow(f"SELECT * FROM {AMPLIFICATION}").to_pylist()
    }
    sums: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    sizes = set()
    for r in db.arrow(f"SELECT * FROM {TIMELINE}").to_pylist():
        sizes.add(r["bucket_seconds"])
        assert r["bucket"].timestamp() % r["bucket_seconds"] == 0
        for k in ("volume", "campaign_volume", "automated_only_volume", "organic_volume"):
            sums[(r["item_kind"], r["item"])][k] += r[k]
    assert sums and len(sizes) == 1
    for key, counted in sums.items():
        for k, v in counted.items():
            assert totals[key][k] == v


def test_bucket_size_is_the_finest_that_gives_at_most_sixty_bars() -> None:
    assert bucket_seconds_for(2 * 86400) == 3600
    assert bucket_seconds_for(3 * 86400) == 6 * 3600
    assert bucket_seconds_for(200 * 86400) == 7 * 86400
    assert bucket_seconds_for(0) == 3600

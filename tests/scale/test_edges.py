"""Co-action edges on Ray equal the local engine's, behaviour by behaviour."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from limelight.detect.coordination import BEHAVIOURS, actions, co_action_edges, edges
from limelight.records import Post
from limelight.scale import RayEngine
from limelight.scale._partition import action_shards
from limelight.store import Database
from tests.scale.conftest import at

pytestmark = pytest.mark.usefixtures("ray_session")

# co-similar-text's embedding method needs the sentence-transformers model; its join is the
# same as minhash's, which runs here.
_EXACT = list(BEHAVIOURS)


def _same(local: pa.Table, dist: pa.Table) -> None:
    assert dist.schema == local.schema
    assert dist.to_pylist() == local.to_pylist()


def test_co_repost_on_real_retweets_equals_local(russian_store: Path) -> None:
    with Database(russian_store) as db:
        acts = actions(db, "co-repost")
    local = co_action_edges(acts, 60, 2)
    dist = RayEngine(shards=5).join(acts, 60, 2)
    assert local.num_rows > 10
    _same(local, dist)


@pytest.mark.slow
@pytest.mark.parametrize("behaviour", _EXACT)
def test_every_behaviour_on_real_data_equals_local(
    behaviour: str, russian_store: Path, twarc_store: Path
) -> None:
    engine = RayEngine(shards=4)
    for store in (russian_store, twarc_store):
        with Database(store) as db:
            local = edges(db, behaviour, min_weight=1)
            dist = engine.edges(db, behaviour, min_weight=1)
        _same(local.table, dist.table)
        assert dist.n_actions == local.n_actions


@pytest.mark.parametrize(
    ("behaviour", "options"),
    [
        pytest.param("co-repost", {}, marks=pytest.mark.slow),
        ("co-url", {}),
        pytest.param("co-hashtags", {"min_size": 1}, marks=pytest.mark.slow),
        pytest.param("co-mention", {}, marks=pytest.mark.slow),
        pytest.param("co-text", {}, marks=pytest.mark.slow),
    ],
)
def test_generated_items_across_shards_equal_local(
    generated_store: Path, behaviour: str, options: dict[str, int]
) -> None:
    with Database(generated_store) as db:
        acts = actions(db, behaviour, **options)
    shards = action_shards(acts, 8)
    assert len(set(shards.to_pylist())) >= 4
    local = co_action_edges(acts, 60, 2)
    assert local.num_rows > 0
    _same(local, RayEngine(shards=8).join(acts, 60, 2))


def test_generated_pairs_need_the_sum_over_shards(generated_store: Path) -> None:
    """Pairs whose co-actions fall into several shards: no shard alone reaches the
    weight, and only summing both directions before taking the smaller gives it."""
    with Database(generated_store) as db:
        acts = actions(db, "co-repost")
    local = co_action_edges(acts, 60, 2)
    shards = action_shards(acts, 8)
    per_shard = [co_action_edges(acts.filter(pa.compute.equal(shards, k)), 60, 2) for k in range(8)]
    pairs_in_some_shard = {(s, t) for e in per_shard for s, t in _pairs(e)}
    assert set(_pairs(local)) - pairs_in_some_shard, "no pair spans shards; the test is weak"
    _same(local, RayEngine(shards=8).join(acts, 60, 2))


def _pairs(table: pa.Table) -> list[tuple[str, str]]:
    source, target = table.column("source").to_pylist(), table.column("target").to_pylist()
    return list(zip(source, target, strict=True))


def _two_shard_items() -> tuple[str, str]:
    """Two item names that land in different shards of 4."""
    names = [f"item-{i}" for i in range(20)]
    table = pa.table(
        {
            "account_id": ["a"] * 20,
            "item": names,
            "at": pa.array([datetime(2024, 1, 1)] * 20, pa.timestamp("us", tz="UTC")),
            "post_id": [f"p{i}" for i in range(20)],
        }
    )
    shard = action_shards(table, 4).to_pylist()
    return names[0], next(n for n, s in zip(names, shard, strict=True) if s != shard[0])


def test_smaller_of_the_sums_not_the_sum_of_the_smaller(tmp_path: Path) -> None:
    """A posts twice on item x and B once; on item y the other way round. Each shard's
    weight is 1, the pair's is min(3, 3) = 3 (summing per-shard weights would give 2)."""
    x, y = _two_shard_items()

    def repost(pid: str, acc: str, t: float, item: str) -> Post:
        return Post("twitter", pid, acc, at(t), kind="repost", ref_post_id=item)

    posts = [
        repost("1", "A", 0, x),
        repost("2", "A", 5, x),
        repost("3", "B", 10, x),
        repost("4", "A", 1000, y),
        repost("5", "B", 1002, y),
        repost("6", "B", 1004, y),
    ]
    with Database(tmp_path / "s.duckdb") as db:
        db.write_batch(posts, [], [], [])
        acts = actions(db, "co-repost")
    local = co_action_edges(acts, 60, 3)
    assert local.column("weight").to_pylist() == [3]
    _same(local, RayEngine(shards=4).join(acts, 60, 3))


def test_posts_with_several_links_keep_their_links_in_one_shard(generated_store: Path) -> None:
    with Database(generated_store) as db:
        acts = actions(db, "co-url")
    shards = action_shards(acts, 8).to_pylist()
    by_post: dict[tuple[str, str], set[int]] = {}
    accounts, posts = acts.column("account_id").to_pylist(), acts.column("post_id").to_pylist()
    for acc, post, shard in zip(accounts, posts, shards, strict=True):
        by_post.setdefault((acc, post), set()).add(shard)
    assert any(len(v) for v in by_post.values())
    assert all(len(v) == 1 for v in by_post.values())
    multi = acts.group_by(["account_id", "post_id"]).aggregate([("item", "count")])
    assert max(multi.column("item_count").to_pylist()) > 1


def test_no_actions_and_bad_arguments_behave_like_local(generated_store: Path) -> None:
    from limelight.errors import InputError

    with Database(generated_store) as db:
        acts = actions(db, "co-repost")
    assert RayEngine().join(acts.slice(0, 0), 60, 2).num_rows == 0
    with pytest.raises(InputError, match="min_weight"):
        RayEngine().join(acts, 60, 0)

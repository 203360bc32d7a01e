"""The Arrow merges of a batch (``dedupe_posts``, ``merge_snapshots_table``) against plain
Python statements of what they promise, on generated batches with repeated keys, nulls,
several platforms and snapshots out of time order."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from limelight._batch import (
    Batch,
    dedupe_posts,
    group_codes,
    merge_snapshots_table,
)
from limelight.records import Account, Post
from limelight.sources._columnar import merge_undated_snapshots
from limelight.store import records_to_table

_T0 = datetime(2024, 1, 1, tzinfo=UTC)
_KEYS = st.tuples(st.sampled_from(["twitter", "bluesky"]), st.sampled_from(["1", "2", "3", "4"]))
_MAYBE_TEXT = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
_MAYBE_INT = st.one_of(st.none(), st.integers(0, 5))
_MAYBE_TIME = st.one_of(st.none(), st.integers(0, 3).map(lambda h: _T0 + timedelta(hours=h)))


@st.composite
def _accounts(draw: st.DrawFn, dated: bool = True) -> list[Account]:
    rows = []
    for platform, account_id in draw(st.lists(_KEYS, max_size=25)):
        rows.append(
            Account(
                platform=platform,
                account_id=account_id,
                handle=draw(_MAYBE_TEXT),
                description=draw(_MAYBE_TEXT),
                followers=draw(_MAYBE_INT),
                verified=draw(st.one_of(st.none(), st.booleans())),
                seen_at=draw(_MAYBE_TIME) if dated else None,
            )
        )
    return rows


def _newest_values(accounts: list[Account]) -> list[dict[str, object]]:
    """Per account, in order of first appearance: per field, the value of the newest
    snapshot that has one (by seen_at, a missing time the oldest; later rows newer on ties)."""
    order: dict[tuple[str, str], list[tuple[datetime, int, Account]]] = {}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for i, a in enumerate(accounts):
        order.setdefault((a.platform, a.account_id), []).append((a.seen_at or epoch, i, a))
    out = []
    for snapshots in order.values():
        snapshots.sort(key=lambda s: (s[0], s[1]))
        merged: dict[str, object] = {}
        for f in fields(Account):
            values = [getattr(a, f.name) for _, _, a in snapshots]
            present = [v for v in values if v is not None]
            merged[f.name] = present[-1] if present else None
        out.append(merged)
    return out


@settings(max_examples=200, deadline=None)
@given(_accounts())
def test_merged_snapshots_take_each_fields_newest_value(accounts: list[Account]) -> None:
    merged = merge_snapshots_table(records_to_table(accounts, "accounts"))
    assert merged.to_pylist() == _newest_values(accounts)
    assert merged.schema == records_to_table([], "accounts").schema


@settings(max_examples=200, deadline=None)
@given(_accounts())
def test_a_batch_of_records_merges_snapshots_as_the_table_merge_does(
    accounts: list[Account],
) -> None:
    # The row readers' path: snapshots arrive one by one, out of time order too (a newer
    # profile without a field between an older one and a middle one that has it).
    batch = Batch()
    for account in accounts:
        batch.add(account)
    assert batch.read == 0
    assert batch.account_snapshots == len(accounts)
    assert batch.tables()[1].to_pylist() == _newest_values(accounts)


def test_a_field_missing_from_the_newest_snapshot_comes_from_the_next_newest() -> None:
    def seen(hours: int, followers: int | None) -> Account:
        return Account(
            platform="twitter",
            account_id="1",
            followers=followers,
            seen_at=_T0 + timedelta(hours=hours),
        )

    batch = Batch()
    for snapshot in (seen(1, 10), seen(3, None), seen(2, 20)):
        batch.add(snapshot)
    (merged,) = batch.merged_accounts()
    assert (merged.followers, merged.seen_at) == (20, _T0 + timedelta(hours=3))


@settings(max_examples=100, deadline=None)
@given(_accounts(dated=False))
def test_undated_snapshots_merge_as_the_store_does(accounts: list[Account]) -> None:
    merged = merge_undated_snapshots(records_to_table(accounts, "accounts"))
    assert merged.to_pylist() == _newest_values(accounts)


_POSTS = st.lists(
    st.tuples(
        _KEYS,
        _MAYBE_TEXT,
        st.lists(st.sampled_from(["https://x.org/1", "https://x.org/2"]), max_size=2),
        st.lists(st.sampled_from(["tag", "other"]), max_size=2),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(_POSTS)
def test_deduped_posts_are_what_a_batch_keeps(rows: list) -> None:  # type: ignore[type-arg]
    def posts() -> list[Post]:
        return [
            Post(platform=p, post_id=i, text=text, urls=list(urls), hashtags=list(tags))
            for (p, i), text, urls, tags in rows
        ]

    batch = Batch()
    for post in posts():
        batch.add(post)
    table = records_to_table(posts(), "posts")
    keys = [f"{p}\x1f{i}" for (p, i), *_ in rows]
    # The keys' own numbers as hashes; and hashes that collide (two buckets), which must
    # fall back to comparing the keys.
    distinct = {k: n for n, k in enumerate(dict.fromkeys(keys))}
    for hashes in (
        None,
        np.array([distinct[k] * 7919 for k in keys], dtype=np.uint64),
        np.array([distinct[k] % 2 for k in keys], dtype=np.uint64),
    ):
        kept, dropped = dedupe_posts(table, hashes)
        assert kept.to_pylist() == records_to_table(batch.posts, "posts").to_pylist()
        assert dropped == batch.post_dups
        assert kept.num_rows + dropped == len(rows)


def test_many_platforms_and_ids_number_groups_in_order() -> None:
    table = pa.table(
        {
            "platform": ["b", "a", "b", "a", "c", "b"],
            "account_id": ["1", "1", "1", "2", "1", "2"],
        }
    )

    assert group_codes(table, ["platform", "account_id"]).tolist() == [0, 1, 0, 2, 3, 4]

"""A batch of records on its way to the store, deduplicated as records arrive.

Both the sequential ingest path and the parallel workers collect records here, so a
record is deduplicated and an account merged the same way whichever path read it.
Deduplicating here (a dict lookup per record) keeps the store's SQL simple and fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from limelight.records import ACCOUNT_FIELDS, Account, Deletion, Post, Reject
from limelight.store import records_to_table

__all__ = [
    "Batch",
    "dedupe_posts",
    "group_codes",
    "merge_snapshots_table",
    "merged_in_time_order",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Batch:
    """Records waiting for the next transaction.

    A post or deletion whose key the batch already holds counts as a duplicate (its URLs,
    hashtags, mentions and media are added to the one kept); an account seen twice is
    merged the way the store merges snapshots: per field, the newest snapshot's value.
    Snapshots can arrive out of time order (a reply's author read before the older
    profile in the post it quotes), and a merged profile no longer knows when each of its
    fields was seen, so the snapshots of an account seen more than once are kept and
    merged in time order when the batch becomes tables.
    """

    __slots__ = (
        "account_snapshots",
        "accounts",
        "deletions",
        "more_snapshots",
        "n",
        "post_dups",
        "post_keys",
        "posts",
        "rejects",
    )

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.post_keys: dict[tuple[str, str], Post] = {}
        self.post_dups = 0
        self.accounts: dict[tuple[str, str], Account] = {}
        self.more_snapshots: dict[tuple[str, str], list[Account]] = {}
        self.deletions: dict[tuple[str, str], Deletion] = {}
        self.rejects: list[Reject] = []
        self.account_snapshots = 0
        self.n = 0

    def add(self, rec: Post | Account | Deletion | Reject) -> int:
        """Add one record; return the batch's size as compared with the batch size."""
        if isinstance(rec, Post):
            key = (rec.platform, rec.post_id)
            kept = self.post_keys.get(key)
            if kept is None:
                self.post_keys[key] = rec
                self.posts.append(rec)
            else:
                self.post_dups += 1
                _merge_entities(kept, rec)
        elif isinstance(rec, Account):
            akey = (rec.platform, rec.account_id)
            self.account_snapshots += 1
            first = self.accounts.setdefault(akey, rec)
            if first is not rec:
                more = self.more_snapshots.get(akey)
                if more is None:
                    self.more_snapshots[akey] = [first, rec]
                else:
                    more.append(rec)
        elif isinstance(rec, Deletion):
            dkey = (rec.platform, rec.post_id)
            if dkey in self.deletions:
                self.post_dups += 1
            else:
                self.deletions[dkey] = rec
        else:
            self.rejects.append(rec)
        self.n += 1
        # A batch is full when it holds batch_size posts; accounts ride along with the
        # posts they came with, so that a batch is whole rows of the source. Only a file of
        # mostly profiles (user lookups) fills a batch with accounts, at four per post.
        return max(self.n - self.account_snapshots, self.account_snapshots // 4)

    def __bool__(self) -> bool:
        return self.n > 0

    @property
    def read(self) -> int:
        """Records that count as read: posts (duplicates included), deletions, rejects."""
        return self.n - self.account_snapshots

    def merged_accounts(self) -> list[Account]:
        """One merged snapshot per account, in order of first appearance."""
        for akey, snapshots in self.more_snapshots.items():
            self.accounts[akey] = merged_in_time_order(snapshots)
        self.more_snapshots = {}
        return list(self.accounts.values())

    def tables(self) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
        """The batch as Arrow tables in the store's schemas: posts, accounts, deletions,
        rejects."""
        return (
            records_to_table(self.posts, "posts"),
            records_to_table(self.merged_accounts(), "accounts"),
            records_to_table(list(self.deletions.values()), "deletions"),
            records_to_table(self.rejects, "rejects"),
        )

    def clear(self) -> None:
        """Empty the batch after it was written."""
        self.posts, self.post_keys, self.post_dups = [], {}, 0
        self.accounts, self.deletions, self.rejects = {}, {}, []
        self.more_snapshots = {}
        self.account_snapshots = self.n = 0


def _merge_entities(kept: Post, dup: Post) -> None:
    """Add a duplicate's URLs, hashtags, mentions and media to the post kept.

    Long-format sources give one entity per row; scalars stay first-seen.
    """
    for name in ("urls", "hashtags", "mentions", "media"):
        extra = getattr(dup, name)
        if extra:
            have = getattr(kept, name)
            for item in extra:
                if item not in have:
                    have.append(item)


def merged_in_time_order(snapshots: list[Account]) -> Account:
    """One account's snapshots (in the order read) merged: per field, the value of the
    newest snapshot that has one; on equal times the later read is the newer. The
    snapshots are merged into one another, so the list is spent."""
    ordered = sorted(snapshots, key=lambda a: a.seen_at or _EPOCH)  # stable: ties as read
    merged = ordered[0]
    for newer in ordered[1:]:
        _fill_missing(newer, merged)
        merged = newer
    return merged


def _make_filler() -> Callable[[Account, Account], None]:
    # Generated like dataclasses generate __init__: plain attribute code is several times
    # faster than a getattr/setattr loop, and ingest merges an account per repeated author.
    body = "\n".join(
        f"    if newer.{n} is None:\n        newer.{n} = older.{n}" for n in ACCOUNT_FIELDS
    )
    namespace: dict[str, Any] = {}
    exec(f"def fill(newer, older):\n{body}\n", namespace)
    fill: Callable[[Account, Account], None] = namespace["fill"]
    fill.__doc__ = "Fill the newer snapshot's missing fields from the older one."
    return fill


_fill_missing = _make_filler()


# -- what Batch does, on Arrow tables ------------------------------------------------------

_LISTS = ("urls", "hashtags", "mentions", "media")


def group_codes(table: pa.Table, keys: list[str]) -> npt.NDArray[np.int64]:
    """Each row's group under the ``keys`` columns, numbered 0, 1, ... as groups first appear.

    Arrow's dictionary encoding hashes a column once and numbers its values in order of
    first appearance (a null is a value of its own, as in a group-by); several columns'
    numbers are combined and numbered the same way, and a column of one value (the one
    platform of most batches) splits nothing and is skipped.
    """
    codes: npt.NDArray[np.int64] | None = None
    for name in keys:
        column = table.column(name)
        encoded = pc.dictionary_encode(
            column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column,
            null_encoding="encode",
        )
        width = len(encoded.dictionary)
        if codes is not None and width <= 1:
            continue
        numbers = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        if codes is None:
            codes = numbers
        else:
            combined = pc.dictionary_encode(pa.array(codes * np.int64(width) + numbers))
            codes = np.asarray(combined.indices.to_numpy(), dtype=np.int64)
    return np.zeros(table.num_rows, dtype=np.int64) if codes is None else codes


def dedupe_posts(
    posts: pa.Table, hashes: npt.NDArray[np.uint64] | None = None
) -> tuple[pa.Table, int]:
    """The first row of each (platform, post_id), with the entity lists of the later rows
    added to it as ``Batch`` adds them; and the number of rows dropped.

    ``hashes`` (the store's ``post_key_hashes`` of the rows), when given, number the keys
    with one integer sort instead of hashing the key strings again; the keys are then
    compared within each hash, and a collision falls back to the strings.
    """
    n = posts.num_rows
    if n < 2:
        return posts, 0
    grouped = None if hashes is None else _hash_groups(posts, hashes)
    codes, first = grouped if grouped is not None else _key_groups(posts)
    if first.size == n:
        return posts, 0
    is_first = np.zeros(n, dtype=bool)
    is_first[first] = True
    # A mask keeps the first rows in row order, at a fraction of the cost of a take: kept
    # rows come in long runs, which a filter copies whole.
    kept = posts.filter(pa.array(is_first))
    dups = np.flatnonzero(~is_first)
    has_lists = np.zeros(n, dtype=bool)
    for name in _LISTS:
        lengths = pc.fill_null(pc.list_value_length(posts.column(name)), 0)
        has_lists |= np.asarray(lengths.to_numpy(), dtype=np.int64) > 0
    extra = dups[has_lists[dups]]
    if extra.size:
        # Each group's kept row is its first row's place among the first rows.
        place = np.cumsum(is_first) - 1
        kept = _merge_lists(posts, kept, extra, place[first[codes[extra]]])
    return kept, int(dups.size)


def _key_groups(posts: pa.Table) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each row's key group (numbered as keys first appear) and each group's first row."""
    codes = group_codes(posts, ["platform", "post_id"])
    starts = np.ones(codes.size, dtype=bool)
    starts[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]  # a new number appears
    return codes, np.flatnonzero(starts)


def _hash_groups(
    posts: pa.Table, hashes: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Each row's key group and each group's first row (groups in any order), from the
    keys' hashes; None if two different keys share a hash."""
    order, ordered, starts = _runs(hashes)
    if starts.all():
        return np.arange(ordered.size, dtype=np.int64), np.arange(ordered.size, dtype=np.int64)
    run = np.cumsum(starts) - 1
    heads = order[starts]  # stable: the first row of each hash
    repeated = np.flatnonzero(~starts)
    rows, firsts = pa.array(order[repeated]), pa.array(heads[run[repeated]])
    for name in ("platform", "post_id"):
        column = posts.column(name)
        if not pc.all(pc.equal(column.take(rows), column.take(firsts))).as_py():
            return None
    codes = np.empty(ordered.size, dtype=np.int64)
    codes[order] = run
    return codes, heads


def _merge_lists(
    posts: pa.Table,
    kept: pa.Table,
    extra: npt.NDArray[np.int64],
    target: npt.NDArray[np.int64],
) -> pa.Table:
    """Add to each kept row ``target[i]`` the list items of the repeated row ``extra[i]``
    that it lacks, in row order, as ``Batch`` adds them (items a kept list repeats stay)."""
    owners = _distinct(target)
    for name in _LISTS:
        column = kept.column(name).combine_chunks()
        have = column.take(pa.array(owners))
        more = posts.column(name).take(pa.array(extra)).combine_chunks()
        have_items, more_items = pc.list_flatten(have), pc.list_flatten(more)
        if not len(more_items):
            continue  # the repeated rows bring no item of this kind
        n_have = len(have_items)
        owner = np.concatenate(
            [
                owners[pc.list_parent_indices(have).to_numpy()],
                target[pc.list_parent_indices(more).to_numpy()],
            ]
        )
        items = pa.concat_arrays([have_items, more_items])
        encoded = pc.dictionary_encode(items, null_encoding="encode")
        key = owner * len(encoded.dictionary) + encoded.indices.to_numpy()
        # A repeated row's item is added if its owner lacks it and no earlier row added it.
        added = np.zeros(key.size - n_have, dtype=bool)
        added[_first_of_each(key[n_have:])] = True
        added &= ~np.isin(key[n_have:], key[:n_have])
        take = np.concatenate([np.arange(n_have), n_have + np.flatnonzero(added)])
        by_owner = take[np.argsort(owner[take], kind="stable")]  # kept items, then added
        counts = np.bincount(np.searchsorted(owners, owner[take]), minlength=owners.size)
        offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
        merged = pa.ListArray.from_arrays(
            offsets,
            items.take(pa.array(by_owner)),
            mask=pc.and_(have.is_null(), pa.array(counts == 0)),
        )
        # The merged lists replace their owners' lists: appended, then taken into place.
        index = np.arange(kept.num_rows)
        index[owners] = kept.num_rows + np.arange(owners.size)
        joined = pa.concat_arrays([column, merged.cast(column.type)])
        kept = kept.set_column(
            kept.schema.get_field_index(name), name, joined.take(pa.array(index))
        )
    return kept


def _runs(
    values: npt.NDArray[Any],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any], npt.NDArray[np.bool_]]:
    """The positions of ``values`` in value order (ties in position order), the values so
    ordered, and where each run of equal values starts among them."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return order, ordered, starts


def _distinct(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct values, ascending."""
    _, ordered, starts = _runs(values)
    return ordered[starts]


def _first_of_each(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The position of each distinct value's first occurrence."""
    order, _, starts = _runs(values)
    return order[starts]


def merge_snapshots_table(accounts: pa.Table) -> pa.Table:
    """One row per account, merged as ``Batch`` merges snapshots: per field, the non-null
    value of the newest snapshot (by seen_at, the later one on equal times), the accounts
    in order of first appearance."""
    n = accounts.num_rows
    if n < 2:
        return accounts
    codes = group_codes(accounts, ["platform", "account_id"])
    seen = accounts.column("seen_at").cast(pa.int64())
    micros = pc.fill_null(seen, 0).to_numpy(zero_copy_only=False)
    in_time = bool(np.all(micros[1:] >= micros[:-1]))  # also when no snapshot has a time
    # Snapshots by time, ties in row order (a stable sort): the later row is the newer.
    order = None if in_time else np.argsort(micros, kind="stable")
    return _last_per_group(accounts, codes, order)


def _last_per_group(
    table: pa.Table, codes: npt.NDArray[np.int64], order: npt.NDArray[np.int64] | None
) -> pa.Table:
    """One row per group of ``codes`` (``group_codes``), in the groups' order: per column,
    the last non-null value when the rows are taken in ``order`` (None: as they are).

    Each column's last valid row per group is a maximum of ranks (``np.maximum.at``), and
    the column is taken at those rows: no hash aggregate copies the strings of every
    snapshot, and columns without nulls share one set of rows. A column that every
    snapshot leaves null stays null.
    """
    n = table.num_rows
    groups = int(codes.max()) + 1 if n else 0
    if groups == n:
        return table
    by_rank = np.arange(n) if order is None else order  # the row at each rank
    rank = np.empty(n, dtype=np.int64)
    rank[by_rank] = np.arange(n)
    full = np.full(groups, -1, dtype=np.int64)
    np.maximum.at(full, codes, rank)
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if column.null_count == n:
            columns.append(pa.nulls(groups, column.type))
            continue
        at = full
        if column.null_count:
            valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            at = np.full(groups, -1, dtype=np.int64)
            np.maximum.at(at, codes[valid], rank[valid])
        rows = by_rank[np.maximum(at, 0)]
        columns.append(column.take(pa.array(rows, mask=at < 0)))
    return pa.Table.from_arrays(columns, schema=table.schema)

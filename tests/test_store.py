"""The store on its own: batches, keys, account merging, Parquet round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from limelight.errors import InputError, StoreError
from limelight.records import Account, Deletion, Post, Reject
from limelight.store import Database, records_to_table
from limelight.store import _database as database_module
from limelight.store._keyhashes import KeyHashes
from limelight.store._schema import ARROW_SCHEMAS


def _t(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


def test_posts_are_keyed_by_platform_and_id(tmp_path: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        first = db.write_batch(
            [Post("twitter", "1", text="a"), Post("twitter", "1", text="b"), Post("bluesky", "1")],
            [],
            [],
            [],
        )
        again = db.write_batch([Post("twitter", "1", text="c"), Post("twitter", "2")], [], [], [])
        assert (first.posts_stored, first.posts_duplicate) == (2, 1)
        assert (again.posts_stored, again.posts_duplicate) == (1, 1)
        # The first record seen wins, so re-ingesting never rewrites history.
        assert db.query("SELECT text FROM posts WHERE platform='twitter' AND post_id='1'") == [
            ("a",)
        ]
        assert db.count("posts") == 3


def test_account_snapshots_merge_newest_first_field_by_field(tmp_path: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        db.write_batch(
            [], [Account("twitter", "u", handle="old", followers=5, seen_at=_t(1))], [], []
        )
        db.write_batch(
            [], [Account("twitter", "u", handle="new", followers=None, seen_at=_t(3))], [], []
        )
        # An older snapshot arriving later changes nothing it has a newer value for.
        db.write_batch(
            [],
            [Account("twitter", "u", handle="older", followers=1, location="X", seen_at=_t(2))],
            [],
            [],
        )
        row = db.query("SELECT handle, followers, location, seen_at FROM accounts")
        assert row == [("new", 5, "X", _t(3))]


def test_a_failed_batch_leaves_the_store_as_before(tmp_path: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        db.write_batch([Post("twitter", "1")], [], [], [])
        bad = Post("twitter", "2", created_at="not a time")
        with pytest.raises(Exception):  # noqa: B017 - any Arrow error; the point is the rollback
            db.write_batch([Post("twitter", "3"), bad], [], [], [])
        assert db.query("SELECT post_id FROM posts") == [("1",)]


def test_deletions_and_rejects_are_idempotent(tmp_path: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        for _ in range(2):
            db.write_batch(
                [],
                [],
                [Deletion("bluesky", "at://x/app.bsky.feed.post/1", deleted_at=_t(1))],
                [Reject("/data/f.jsonl", 7, "invalid JSON", "{oops")],
            )
        assert db.count("deletions") == 1
        assert db.count("rejects") == 1


def test_parquet_round_trip(tmp_path: Path) -> None:
    with Database(tmp_path / "a.duckdb") as db:
        db.write_batch(
            [Post("twitter", "1", created_at=_t(1), urls=["https://a.org"], hashtags=["x"])],
            [Account("twitter", "u", handle="h", seen_at=_t(1))],
            [Deletion("twitter", "9")],
            [Reject("f", 1, "bad", "raw")],
        )
        db.export_parquet(tmp_path / "out")
        original = db.query("SELECT * FROM posts")
    with Database(tmp_path / "b.duckdb") as db2:
        first = db2.import_parquet(tmp_path / "out")
        second = db2.import_parquet(tmp_path / "out")
        assert first["posts"].posts_stored == 1
        assert second["posts"].posts_duplicate == 1
        assert db2.query("SELECT * FROM posts") == original
        assert db2.count("accounts") == 1 and db2.count("rejects") == 1


def test_import_of_a_folder_without_tables_says_what_to_give(tmp_path: Path) -> None:
    with Database(tmp_path / "a.duckdb") as db, pytest.raises(InputError, match="limelight export"):
        db.import_parquet(tmp_path)


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("hello")
    with pytest.raises(StoreError, match=r"choose another --db|cannot open"):
        Database(bogus)


def test_replace_table_refuses_canonical_tables(tmp_path: Path) -> None:
    import pyarrow as pa

    with Database(tmp_path / "a.duckdb") as db:
        assert db.replace_table("scores", pa.table({"a": [1, 2]})) == 2
        assert db.has_table("scores")
        with pytest.raises(StoreError):
            db.replace_table("posts", pa.table({"a": [1]}))


def test_duplicate_posts_add_entities_the_stored_post_lacks(tmp_path: Path) -> None:
    # Long-format sources give one entity per row; scalars stay first-seen.
    with Database(tmp_path / "s.duckdb") as db:
        db.write_batch([Post("facebook", "1", text="first", urls=["urlid://d/1"])], [], [], [])
        db.write_batch(
            [
                Post(
                    "facebook",
                    "1",
                    text="second",
                    urls=["urlid://d/1", "urlid://d/2"],
                    media=["phashid:9"],
                )
            ],
            [],
            [],
            [],
        )
        assert db.query("SELECT text, urls, media FROM posts") == [
            ("first", ["urlid://d/1", "urlid://d/2"], ["phashid:9"])
        ]


def test_release_memory_keeps_the_limit_and_the_data(tmp_path: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        db.write_batch([Post("twitter", str(i), text="x" * 200) for i in range(20_000)], [], [], [])
        limit = db.query("SELECT current_setting('memory_limit')")
        # a large read leaves DuckDB's cache full; releasing it must not lose anything
        assert db.query("SELECT count(DISTINCT text || post_id) FROM posts") == [(20_000,)]
        db.release_memory()
        assert db.query("SELECT current_setting('memory_limit')") == limit
        assert db.count("posts") == 20_000
        db.write_batch([Post("twitter", "new")], [], [], [])
        assert db.count("posts") == 20_001


def test_the_store_takes_the_memory_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB's own default is 80% of the machine; the store is capped as the detectors'
    # connections are, and keeps its cap after handing memory back.
    monkeypatch.setenv("LIMELIGHT_DUCKDB_MEMORY", "300MB")
    with Database(tmp_path / "s.duckdb") as db:
        assert db.query("SELECT current_setting('memory_limit')") == [("286.1 MiB",)]
        monkeypatch.setenv("LIMELIGHT_DUCKDB_MEMORY", "900MB")  # later, for other stores
        db.release_memory()
        assert db.query("SELECT current_setting('memory_limit')") == [("286.1 MiB",)]


def test_replace_tables_is_all_or_nothing(tmp_path: Path) -> None:
    """Tables replaced together stay together: if one cannot be written, the others keep
    their previous rows too."""
    with Database(tmp_path / "s.duckdb") as db:
        db.replace_tables({"scores": pa.table({"x": [1, 2]}), "groups": pa.table({"g": ["a"]})})
        assert db.query("SELECT x FROM scores ORDER BY x") == [(1,), (2,)]
        with pytest.raises(Exception):  # noqa: B017 - whatever DuckDB raises for bad data
            db.replace_tables({"scores": pa.table({"x": [3]}), "groups": object()})  # type: ignore[dict-item]
        assert db.query("SELECT x FROM scores ORDER BY x") == [(1,), (2,)]
        assert db.query("SELECT g FROM groups") == [("a",)]
        with pytest.raises(StoreError, match="canonical"):
            db.replace_tables({"scores": pa.table({"x": [4]}), "posts": pa.table({"x": [4]})})
        assert db.query("SELECT x FROM scores ORDER BY x") == [(1,), (2,)]


def _posts_table(start: int, n: int) -> pa.Table:
    schema = ARROW_SCHEMAS["posts"]
    cols = {f.name: pa.nulls(n, f.type) for f in schema}
    cols["platform"] = pa.array(["twitter"] * n, schema.field("platform").type)
    cols["post_id"] = pa.array([str(i) for i in range(start, start + n)])
    cols["account_id"] = pa.array([str(i % 997) for i in range(start, start + n)])
    return pa.table(cols, schema=schema)


def _accounts_table(n: int, day: int) -> pa.Table:
    schema = ARROW_SCHEMAS["accounts"]
    cols = {f.name: pa.nulls(n, f.type) for f in schema}
    cols["platform"] = pa.array(["twitter"] * n, schema.field("platform").type)
    cols["account_id"] = pa.array([str(i) for i in range(n)])
    cols["followers"] = pa.array([i + day for i in range(n)], schema.field("followers").type)
    cols["seen_at"] = pa.array([_t(day)] * n, schema.field("seen_at").type)
    return pa.table(cols, schema=schema)


def _empty(table: str) -> pa.Table:
    return ARROW_SCHEMAS[table].empty_table()


def _row_groups(db: Database, table: str) -> int:
    return int(
        db.query(f"SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('{table}')")[0][0]
    )


def _three_batches(db: Database) -> None:
    for k in range(3):
        db.write_tables(
            _posts_table(k * 130_000, 130_000),
            *(_empty(t) for t in ("accounts", "deletions", "rejects")),
        )


def test_batches_stay_unmerged_through_ingest_and_later_writes(tmp_path: Path) -> None:
    """Three batches of 130,000 posts each end in a part-filled row group. DuckDB's vacuum
    would rewrite full row groups to merge those at the next checkpoint, whatever wrote
    then; the store keeps it off, so neither the ingest's checkpoint nor a later command
    that saves a table rewrites the posts. With the vacuum on, the same checkpoint does."""
    counts = {}
    for vacuum in (False, True):
        path = tmp_path / f"{vacuum}.duckdb"
        with Database(path) as db:
            assert db.query("SELECT current_setting('max_vacuum_tasks')") == [(0,)]
            with db.bulk_writes():
                _three_batches(db)
            wal = Path(f"{path}.wal")
            assert not wal.exists() or wal.stat().st_size == 0  # checkpointed
            assert _row_groups(db, "posts") == 6  # 3 x (122,880 + 7,120)
        with Database(path) as db:  # a later command that writes, then closes the store
            cur = db.cursor()
            if vacuum:
                cur.execute("SET max_vacuum_tasks = 100")
            cur.execute("CREATE OR REPLACE TABLE edges_x AS SELECT 1 AS weight")
            cur.close()
        with Database(path, read_only=True) as db:
            assert db.count("posts") == 390_000
            counts[vacuum] = _row_groups(db, "posts")
    assert counts[False] == 6 and counts[True] < 6, counts


def test_many_small_ingests_end_in_a_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each small ingest leaves a part-filled row group; once they pass the limit (2 here)
    and half of the groups, the ingest's last checkpoint merges them."""
    monkeypatch.setattr(database_module, "_FRAGMENTS", 2)
    seen = []
    with Database(tmp_path / "s.duckdb") as db:
        for k in range(4):
            with db.bulk_writes():
                db.write_tables(
                    _posts_table(k * 1_000, 1_000),
                    *(_empty(t) for t in ("accounts", "deletions", "rejects")),
                )
            seen.append(_row_groups(db, "posts"))
        assert db.count("posts") == 4_000
        assert db.query("SELECT current_setting('max_vacuum_tasks')") == [(0,)]
    assert seen == [1, 2, 1, 2], seen  # the third ingest's 3 scraps became one group


def test_bulk_writes_vacuum_a_table_whose_dead_rows_outnumber_the_live(tmp_path: Path) -> None:
    """Newer snapshots of the same 70,000 accounts replace the stored rows batch after
    batch. After the second batch 70,000 deleted rows are kept (less than a row group);
    the third brings them to 140,000 against 70,000 live, and a checkpoint with the vacuum
    on drops them at once, inside the bulk writes."""

    def stored() -> int:
        row = db.query("SELECT estimated_size FROM duckdb_tables() WHERE table_name = 'accounts'")
        return int(row[0][0])

    with Database(tmp_path / "s.duckdb") as db:
        sizes = []
        with db.bulk_writes():
            for day in (1, 2, 3):
                db.write_tables(
                    _empty("posts"),
                    _accounts_table(70_000, day),
                    _empty("deletions"),
                    _empty("rejects"),
                )
                sizes.append(stored())
            assert db.query("SELECT current_setting('max_vacuum_tasks')") == [(0,)]
        assert sizes == [70_000, 140_000, 70_000]
        assert stored() == db.count("accounts") == 70_000
        assert db.query("SELECT min(followers), max(followers) FROM accounts") == [(3, 70_002)]


def test_a_long_ingest_vacuums_every_few_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ``_VACUUM_BATCHES``-th batch of a bulk write ends in a checkpoint that merges
    the batches' part-filled row groups (2 here: after the second batch of 130,000 posts
    its two tails are one group); with the limit out of reach they stay apart."""
    groups = {}
    for every in (2, 1_000):
        monkeypatch.setattr(database_module, "_VACUUM_BATCHES", every)
        with Database(tmp_path / f"{every}.duckdb") as db:
            with db.bulk_writes():
                for k in range(2):
                    db.write_tables(
                        _posts_table(k * 130_000, 130_000),
                        *(_empty(t) for t in ("accounts", "deletions", "rejects")),
                    )
                groups[every] = _row_groups(db, "posts")
            assert db.count("posts") == 260_000
    assert groups == {2: 3, 1_000: 4}, groups  # 2 x 122,880 + 14,240, or two tails


def test_a_repeated_profile_keeps_its_row_and_the_line_it_came_from(tmp_path: Path) -> None:
    """A file of posts repeats its accounts' profiles in every batch: a snapshot equal to
    the stored profile changes nothing (no row is deleted and written again, the line
    stays the first one), a changed one replaces it, line included."""

    def account(handle: str, line: int) -> Account:
        return Account("twitter", "u", handle=handle, source_file="/f.csv", source_line=line)

    def stored() -> int:
        row = db.query("SELECT estimated_size FROM duckdb_tables() WHERE table_name = 'accounts'")
        return int(row[0][0])

    with Database(tmp_path / "s.duckdb") as db:
        db.write_batch([], [account("a", 1)], [], [])
        again = db.write_batch([], [account("a", 5)], [], [])
        assert again.accounts_upserted == 0 and stored() == 1
        assert db.query("SELECT handle, source_line FROM accounts") == [("a", 1)]
        db.write_batch([], [account("b", 9)], [], [])
        assert db.query("SELECT handle, source_line FROM accounts") == [("b", 9)]


def test_nested_bulk_writes_leave_the_checkpoint_to_the_outer_one(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Database(path) as db:
        with db.bulk_writes():
            with db.bulk_writes():
                db.write_batch([Post("twitter", "1")], [], [], [])
            wal = Path(f"{path}.wal")
            assert wal.exists() and wal.stat().st_size > 0  # not checkpointed yet
            db.write_batch([Post("twitter", "2")], [], [], [])
        assert not wal.exists() or wal.stat().st_size == 0
        assert db.count("posts") == 2


def test_bulk_writes_leave_the_vacuum_off_after_an_error(tmp_path: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        with pytest.raises(RuntimeError), db.bulk_writes():
            db.write_batch([Post("twitter", "1")], [], [], [])
            raise RuntimeError("stopped mid-ingest")
        assert db.query("SELECT current_setting('max_vacuum_tasks')") == [(0,)]
        assert db.count("posts") == 1


def test_key_hashes_never_miss_a_key_they_were_given() -> None:
    """Runs of every size are merged as batches arrive; whatever the merges, every hash
    added is found and (almost) no other is."""
    rng = np.random.default_rng(3)
    keys = KeyHashes(rng.integers(0, 2**64, 1000, dtype=np.uint64))
    given = [keys._runs[0].copy()]
    for size in (1, 500, 2000, 3, 3, 3, 10_000, 0, 7):
        batch = rng.integers(0, 2**64, size, dtype=np.uint64)
        keys.add(batch)
        given.append(batch)
        held = np.concatenate(given)
        assert keys.may_hold(held).all()
        assert len(keys) == len(held)
        assert all(np.all(r[:-1] <= r[1:]) for r in keys._runs)  # each run sorted
    assert len(keys._runs) <= 6  # merged into a few runs, not one per batch
    others = rng.integers(0, 2**64, 5000, dtype=np.uint64)
    assert not keys.may_hold(others[~np.isin(others, held)]).any()


def _post_batch(ids: list[str], url: str | None = None) -> pa.Table:
    posts = [Post("twitter", i, urls=[url] if url else []) for i in ids]
    return records_to_table(posts, "posts")


def test_bulk_writes_find_stored_keys_by_hash_as_the_join_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside bulk writes a batch's new keys skip the lookup in the table. Batches that
    repeat keys of earlier ones (committed, or only tried and rolled back), and hashes
    that all collide, must give the counts and entities of writes without the hashes."""
    account = records_to_table([Account("twitter", "u")], "accounts")

    def run(db: Database) -> list[tuple[int, int]]:
        got = []
        rest = [_empty(t) for t in ("accounts", "deletions", "rejects")]
        for ids, url in ((["1", "2"], None), (["2", "3"], "https://a.org/"), (["4"], None)):
            r = db.write_tables(_post_batch(ids, url), *rest, unique=True)
            got.append((r.posts_stored, r.posts_duplicate))
        # A batch whose transaction fails: its keys must not count as stored afterwards.
        real = Database._upsert_accounts

        def fails(*args: object, **kwargs: object) -> int:
            raise RuntimeError("disk full")

        monkeypatch.setattr(Database, "_upsert_accounts", fails)
        with pytest.raises(RuntimeError):
            db.write_tables(_post_batch(["5", "1"]), account, *rest[1:], unique=True)
        monkeypatch.setattr(Database, "_upsert_accounts", real)
        r = db.write_tables(_post_batch(["5", "1"], "https://b.org/"), *rest, unique=True)
        got.append((r.posts_stored, r.posts_duplicate))
        return got

    results = {}
    for name in ("plain", "bulk", "colliding"):
        if name == "colliding":
            monkeypatch.setattr(KeyHashes, "may_hold", lambda self, h: np.ones(len(h), bool))
        with Database(tmp_path / f"{name}.duckdb") as db:
            if name == "plain":
                counts = run(db)
            else:
                with db.bulk_writes():
                    counts = run(db)
                    assert db._post_keys is not None and len(db._post_keys) >= 5
            results[name] = (counts, db.query("SELECT post_id, urls FROM posts ORDER BY post_id"))
    assert results["plain"][0] == [(2, 0), (1, 1), (1, 0), (1, 1)]
    assert results["plain"][1] == [
        ("1", ["https://b.org/"]),
        ("2", ["https://a.org/"]),
        ("3", ["https://a.org/"]),
        ("4", []),
        ("5", ["https://b.org/"]),
    ]
    assert results["bulk"] == results["plain"]
    assert results["colliding"] == results["plain"]

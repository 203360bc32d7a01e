"""The one module that talks to DuckDB: open the store, write batches, read back.

Writes go through ``write_batch``, one transaction per batch, so a crash or Ctrl-C leaves
the database as it was before the batch. Posts and deletions are keyed by (platform, id)
and inserted with an anti-join (no index needed, so ingest stays fast as the table grows;
during an ingest, key hashes spare a batch of new posts even the join: ``_keyhashes.py``);
accounts are merged field by field, the newest snapshot winning where it has a value.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from limelight.errors import InputError, StoreError
from limelight.records import Account, Deletion, Post, Reject
from limelight.store._keyhashes import KeyHashes
from limelight.store._limits import connection_config, memory_limit
from limelight.store._schema import ARROW_SCHEMAS, DDL, SCHEMA_VERSION, TABLE_KEYS

__all__ = ["CANONICAL_TABLES", "BatchResult", "Database", "is_interrupt", "records_to_table"]

CANONICAL_TABLES: tuple[str, ...] = ("posts", "accounts", "deletions", "rejects")
_ENTITY_LISTS = ("urls", "hashtags", "mentions", "media")


@dataclass(slots=True)
class BatchResult:
    """What one batch did to the store."""

    posts_stored: int = 0
    posts_duplicate: int = 0
    deletions_stored: int = 0
    deletions_duplicate: int = 0
    accounts_upserted: int = 0
    rejects_stored: int = 0


def records_to_table(records: Sequence[Any], table: str) -> pa.Table:
    """Turn a list of record dataclasses into an Arrow table with the store's schema."""
    schema = ARROW_SCHEMAS[table]
    if not records:
        return schema.empty_table()
    # One C-level attrgetter call per record and one transpose beat a Python loop per field.
    rows = map(attrgetter(*schema.names), records)
    columns = [
        pa.array(col, type=f.type) for col, f in zip(zip(*rows, strict=True), schema, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)


class Database:
    """A limelight store in one DuckDB file.

    Open it with ``Database(path)``; use it as a context manager or call ``close``. Reads
    may use ``cursor()`` from any thread; writes go through this object's methods.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise InputError(
                f"{self.path}: no such database; create it with `limelight ingest FILE "
                f"--db {self.path}`"
            )
        try:
            # Capped like every connection limelight opens (``_limits``): a read of
            # millions of posts spills instead of taking most of the machine.
            self._memory_limit = memory_limit()
            self._conn = duckdb.connect(
                str(self.path), read_only=read_only, config=connection_config(self._memory_limit)
            )
        except duckdb.IOException as exc:
            msg = str(exc)
            if "lock" in msg.lower():
                raise StoreError(
                    f"{self.path}: the database is in use by another process; wait for it "
                    f"to finish or use another --db"
                ) from None
            raise StoreError(
                f"{self.path}: cannot open the database ({msg.splitlines()[0]})"
            ) from None
        except duckdb.Error as exc:
            raise StoreError(
                f"{self.path}: not a DuckDB database or made by a newer DuckDB "
                f"({str(exc).splitlines()[0]}); choose another --db"
            ) from None
        self._conn.execute("SET TimeZone = 'UTC'")
        self._lock = threading.Lock()
        #: DuckDB's vacuum setting, used for the checkpoints that do vacuum (``_tidied``).
        self._vacuum_tasks = 0
        if not read_only:
            self._vacuum_tasks = self._vacuum_off()
        #: Whether ``bulk_writes`` is running.
        self._bulk = False
        #: Batches written since the last checkpoint that vacuumed (``_tidied``).
        self._since_vacuum = 0
        #: While ``bulk_writes`` runs, the hashes of the stored post keys, loaded at its
        #: first batch (else None).
        self._post_keys: KeyHashes | None = None
        if not read_only:
            self._create_schema()

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for reads; each thread should take its own."""
        return self._conn.cursor()

    def release_memory(self) -> None:
        """Hand back to the system the memory DuckDB kept after a large read.

        After a query over millions of posts DuckDB keeps its cache and freed buffers
        (reading co-text's actions from a 10M-post store left 1.3 GB resident, of which
        DuckDB itself still used 0.26 GB). Lowering the memory limit for a moment makes it
        evict its cache and return what it freed; then the limit the store was opened
        with (``LIMELIGHT_DUCKDB_MEMORY`` at that time) is restored. Batch stages call this
        between large reads (``find_campaigns``); a query running on another thread at
        that moment would see the low limit, so a server should not.
        """
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute("SET memory_limit = '64MB'")
            except duckdb.Error:
                pass  # more than that is pinned right now: nothing to hand back, no harm
            finally:
                cur.execute(f"SET memory_limit = '{self._memory_limit}'")
                cur.close()

    def _vacuum_off(self) -> int:
        """Turn DuckDB's vacuum off for this session; return the setting it had.

        At a checkpoint the vacuum merges part-filled row groups by rewriting the full
        row groups around them, and every ingest batch ends in one. Left on, it did that
        at the first checkpoint after an ingest whatever wrote then: a command that saved
        a few thousand edges after a million CSV posts spent 0.5 s closing the store and
        grew the file from 33 to 49 MB (the rewritten blocks stay behind as free space).
        So it only runs when a checkpoint is worth it (``_tidied``): a table mostly made
        of deleted rows, or posts in many part-filled row groups.
        """
        row = self._conn.execute("SELECT current_setting('max_vacuum_tasks')").fetchone()
        self._conn.execute("SET max_vacuum_tasks = 0")
        return int(row[0]) if row else 100

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Many write transactions in a row (an ingest's batches), then one checkpoint.

        The store's vacuum is off (``_vacuum_off``), so the batches' part-filled row
        groups stay as they are: for a million CSV posts in four batches merging them took
        0.9 s of a 5 s ingest. The checkpoint at the end vacuums (``_tidied``) when
        deleted rows of some table (accounts replaced by newer snapshots) outnumber its
        live rows by a row group or more, so they never pile up over a long ingest or
        repeated ones, and when the posts lie in more than ``_FRAGMENTS`` part-filled row
        groups, half of all or more, so that many small ingests do not leave a table of
        scraps (a large ingest leaves one part-filled group in three). During a long
        ingest, every ``_VACUUM_BATCHES``-th batch ends in a checkpoint that vacuums too:
        without it the file kept the blocks the checkpoints had freed. After an error or
        an interrupt nothing is checkpointed here. Inside another ``bulk_writes`` this one
        changes nothing: the outer one checkpoints.
        """
        if self._bulk:
            yield
            return
        self._bulk = True
        finished = False
        try:
            yield
            finished = True
        finally:
            with self._lock:
                self._bulk = False
                self._post_keys = None
                if finished and not self._tidied(fragments=True):
                    self._checkpoint()

    def _tidied(self, *, fragments: bool, batches: bool = False) -> bool:
        """Checkpoint with the vacuum on if some table needs it (``bulk_writes``); say if it
        did. Part-filled row groups count only with ``fragments`` (at the ingest's end),
        the batches written since the last vacuum only with ``batches`` (after a batch)."""
        due = batches and self._since_vacuum >= _VACUUM_BATCHES
        if not (due or self._mostly_dead() or (fragments and self._fragmented())):
            return False
        self._conn.execute(f"SET max_vacuum_tasks = {self._vacuum_tasks}")
        try:
            self._checkpoint()
        finally:
            self._conn.execute("SET max_vacuum_tasks = 0")
        self._since_vacuum = 0
        return True

    def _fragmented(self) -> bool:
        """Whether the posts lie in more than ``_FRAGMENTS`` part-filled row groups, half
        of the table's groups or more (75 ms to tell at 10M posts)."""
        rows = self._conn.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE n < ?) FROM (
                SELECT row_group_id, max(count) AS n FROM pragma_storage_info('posts')
                GROUP BY row_group_id)
            """,
            [_ROW_GROUP],
        ).fetchall()
        groups, partial = (int(v) for v in rows[0]) if rows else (0, 0)
        return partial > _FRAGMENTS and 2 * partial >= groups

    def _mostly_dead(self) -> bool:
        """Whether some table keeps more deleted rows than live ones, a row group or more."""
        for table in TABLE_KEYS:
            # fetchall, not fetchone: a result left unfinished makes DuckDB refuse the next
            # register() on this connection (an execute() would close it first).
            rows = self._conn.execute(
                "SELECT estimated_size FROM duckdb_tables() WHERE table_name = ?", [table]
            ).fetchall()
            row = rows[0] if rows else None
            stored = int(row[0]) if row and row[0] is not None else 0
            if stored < _ROW_GROUP:
                continue
            live = self.count(table)
            dead = stored - live
            if dead >= _ROW_GROUP and dead > live:
                return True
        return False

    def _checkpoint(self) -> None:
        # The batches are committed and safe in the log already; a checkpoint that fails
        # here (a full disk) is tried again, and reported, when the store closes.
        with suppress(duckdb.Error):
            self._conn.execute("CHECKPOINT")

    def _create_schema(self) -> None:
        for stmt in DDL:
            self._conn.execute(stmt)
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            self._conn.execute(
                "INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: made by a newer limelight (schema {row[0]}); upgrade limelight"
            )

    # -- writes --------------------------------------------------------------------------

    def write_batch(
        self,
        posts: Sequence[Post],
        accounts: Sequence[Account],
        deletions: Sequence[Deletion],
        rejects: Sequence[Reject],
    ) -> BatchResult:
        """Write one batch of records in one transaction and say what was new."""
        return self.write_tables(
            records_to_table(posts, "posts"),
            records_to_table(accounts, "accounts"),
            records_to_table(deletions, "deletions"),
            records_to_table(rejects, "rejects"),
        )

    def write_tables(
        self,
        posts: pa.Table,
        accounts: pa.Table,
        deletions: pa.Table,
        rejects: pa.Table,
        *,
        unique: bool = False,
        post_hashes: npt.NDArray[np.uint64] | None = None,
    ) -> BatchResult:
        """Write one batch given as Arrow tables (the store's schemas) in one transaction.

        Keys may repeat within the batch: the first row of a key wins (its entity lists
        gain the others'), and account snapshots merge as across batches. ``unique=True``
        is the caller's word that ``posts`` and ``accounts`` hold one row per key (as
        ``dedupe_posts`` and ``merge_snapshots_table`` leave them), which spares hashing
        every key again to find out. ``post_hashes`` are the posts' ``post_key_hashes``
        when the caller made them already (to find repeats).
        """
        result = BatchResult()
        unique_posts = posts.num_rows > 0 and (unique or _unique_keys(posts, TABLE_KEYS["posts"]))
        hashes = None
        with self._transaction():
            if unique_posts and self._bulk:
                self._load_post_keys()
                hashes = self.post_key_hashes(posts) if post_hashes is None else post_hashes
            if unique_posts:
                # One row per key: find the rows whose key is stored (only those whose
                # hash is known, during an ingest), insert the others as they come, and
                # let the stored rows that carry entities add them to their posts.
                stored = self._stored_rows(posts, hashes)
                if stored.any():
                    fresh = posts.filter(pa.array(~stored))
                    result.posts_stored = self._insert_all("posts", fresh)
                    merge = posts.filter(pa.array(stored & _has_entities(posts)))
                    if merge.num_rows:
                        self._merge_entities(merge)
                else:
                    result.posts_stored = self._insert_all("posts", posts)
                result.posts_duplicate = posts.num_rows - result.posts_stored
            elif posts.num_rows:
                result.posts_stored = self._insert_new("posts", posts, unique=False)
                result.posts_duplicate = posts.num_rows - result.posts_stored
                if result.posts_duplicate:
                    self._merge_entities(posts)
            if deletions.num_rows:
                result.deletions_stored = self._insert_new("deletions", deletions)
                result.deletions_duplicate = deletions.num_rows - result.deletions_stored
            if accounts.num_rows:
                result.accounts_upserted = self._upsert_accounts(accounts, unique=unique)
            if rejects.num_rows:
                result.rejects_stored = self._insert_new("rejects", rejects)
        if hashes is not None and self._post_keys is not None:
            # Committed: the batch's keys are all stored now (the new ones and the rest).
            self._post_keys.add(hashes)
        if self._bulk:
            with self._lock:
                self._since_vacuum += 1
                self._tidied(fragments=False, batches=True)
        return result

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction: committed if the block ends, rolled back if it raises.

        DuckDB turns Ctrl-C during a query into an InterruptException; it becomes a
        KeyboardInterrupt here, so callers see one kind of interrupt whatever was running.
        """
        with self._lock:
            self._conn.execute("BEGIN TRANSACTION")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException as exc:
                # An interrupted COMMIT may leave no transaction to roll back.
                with suppress(duckdb.TransactionException):
                    self._conn.execute("ROLLBACK")
                if is_interrupt(exc):
                    raise KeyboardInterrupt from None
                raise

    def _unregister(self, name: str) -> None:
        # After an interrupt or error inside a query the transaction is aborted and DuckDB
        # refuses even this until the rollback; the name is harmless until replaced by the
        # next register, so a refusal here must not hide the error that caused it.
        with suppress(duckdb.Error):
            self._conn.unregister(name)

    def _load_post_keys(self) -> None:
        """Load the stored keys' hashes, at the first batch of a ``bulk_writes``. Runs
        inside the batch's transaction."""
        if self._post_keys is None:
            stored = self._conn.execute("SELECT hash(platform, post_id) AS h FROM posts")
            self._post_keys = KeyHashes(np.asarray(stored.fetchnumpy()["h"], dtype=np.uint64))

    def post_key_hashes(self, posts: pa.Table) -> npt.NDArray[np.uint64]:
        """DuckDB's 64-bit hash of each row's (platform, post_id), the hash the store's
        key hashes hold (``_keyhashes.py``). Equal keys hash alike, so rows whose hashes
        are all different have different keys. On a cursor of its own: it reads nothing
        stored, and may run between transactions while a result is still open."""
        with self._conn.cursor() as cur:
            cur.register("_keys", posts.select(["platform", "post_id"]))
            got = cur.execute("SELECT hash(platform, post_id) AS h FROM _keys")
            return np.asarray(got.fetchnumpy()["h"], dtype=np.uint64)

    def _stored_rows(
        self, posts: pa.Table, hashes: npt.NDArray[np.uint64] | None
    ) -> npt.NDArray[np.bool_]:
        """Per row of ``posts`` (one row per key): whether the store holds its key.

        Only rows whose hash the store's key hashes hold are looked up (all rows when
        there are no hashes); a batch of new posts is not joined with the table at all.
        """
        n = posts.num_rows
        if hashes is not None and self._post_keys is not None:
            doubt = self._post_keys.may_hold(hashes)
        else:
            doubt = np.ones(n, dtype=bool)
        stored = np.zeros(n, dtype=bool)
        if not doubt.any():
            return stored
        # Only the keys go to DuckDB: copying the rows' text and lists would cost more
        # than the join.
        keyed = pa.table(
            {
                "platform": posts.column("platform"),
                "post_id": posts.column("post_id"),
                "_i": pa.array(np.arange(n, dtype=np.int64)),
            }
        ).filter(pa.array(doubt))
        self._conn.register("_candidates", keyed)
        try:
            found = self._conn.execute(
                "SELECT _i FROM _candidates c SEMI JOIN posts t USING (platform, post_id)"
            ).fetchnumpy()["_i"]
        finally:
            self._unregister("_candidates")
        stored[np.asarray(found, dtype=np.int64)] = True
        return stored

    def _insert_all(self, table: str, batch: pa.Table) -> int:
        """Insert every row of ``batch`` (the caller knows none is stored)."""
        if not batch.num_rows:
            return 0
        cols = ", ".join(batch.schema.names)
        self._conn.register("_batch", batch)
        try:
            row = self._conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch"
            ).fetchone()
        finally:
            self._unregister("_batch")
        return int(row[0]) if row else 0

    def _insert_new(self, table: str, batch: pa.Table, *, unique: bool | None = None) -> int:
        """Insert the rows of ``batch`` whose key the table lacks; the first of a key wins.

        ``unique`` says whether no two rows share a key, when the caller knows."""
        keys = TABLE_KEYS[table]
        cols = ", ".join(batch.schema.names)
        part = ", ".join(keys)
        if unique is None:
            unique = _unique_keys(batch, keys)
        if unique:
            sql = f"""
                INSERT INTO {table} ({cols})
                SELECT {cols} FROM _batch b ANTI JOIN {table} t USING ({part})
                """
        else:
            # An explicit ordinal: "first" must mean first in the file, whatever order a
            # parallel scan reads the batch in.
            batch = batch.append_column("_ord", pa.array(range(batch.num_rows), pa.int64()))
            sql = f"""
                INSERT INTO {table} ({cols})
                SELECT {cols} FROM (
                    SELECT *, row_number() OVER (PARTITION BY {part} ORDER BY _ord) AS _rn
                    FROM _batch
                ) b
                WHERE _rn = 1 AND NOT EXISTS (
                    SELECT 1 FROM {table} t WHERE {" AND ".join(f"t.{k} = b.{k}" for k in keys)}
                )
                """
        self._conn.register("_batch", batch)
        try:
            row = self._conn.execute(sql).fetchone()
        finally:
            self._unregister("_batch")
        return int(row[0]) if row else 0

    def _merge_entities(self, batch: pa.Table) -> None:
        """Add to stored posts the URLs, hashtags, mentions and media they lack.

        Long-format sources (CooRTweet's multi-platform table) give one entity per row, with
        the rows of one post scattered through the file; the first row stored must not be
        the only one that counts. Scalars stay first-seen; entity lists grow.
        """
        lists = ("urls", "hashtags", "mentions", "media")
        new = {c: f"[x for x in b.{c} if NOT list_contains(t.{c}, x)]" for c in lists}
        has_any = " OR ".join(f"len({c}) > 0" for c in lists)
        # An UPDATE applies one source row per target row, so several rows of one post in
        # the batch are merged in rounds: the n-th row of every post in round n, in file
        # order, as Batch merges them.
        ranked = batch.append_column("_ord", pa.array(range(batch.num_rows), pa.int64()))
        self._conn.register("_batch", ranked)
        try:
            row = self._conn.execute(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM _batch GROUP BY platform, post_id)"
            ).fetchone()
            rounds = int(row[0]) if row and row[0] is not None else 0
            for rank in range(1, rounds + 1):
                self._conn.execute(
                    f"""
                    UPDATE posts t
                    SET {", ".join(f"{c} = list_concat(t.{c}, {new[c]})" for c in lists)}
                    FROM (
                        SELECT platform, post_id, {", ".join(lists)} FROM (
                            SELECT *, row_number() OVER (
                                PARTITION BY platform, post_id ORDER BY _ord
                            ) AS _rn FROM _batch
                        ) WHERE _rn = {rank} AND ({has_any})
                    ) b
                    WHERE t.platform = b.platform AND t.post_id = b.post_id
                      AND ({" OR ".join(f"len({new[c]}) > 0" for c in lists)})
                    """
                )
        finally:
            self._unregister("_batch")

    def _upsert_accounts(self, batch: pa.Table, *, unique: bool = False) -> int:
        """Merge account snapshots: per field, the newest snapshot's non-null value wins.

        Done as delete-and-insert of only the accounts whose merged row differs from the
        stored one, which is far cheaper in DuckDB than ON CONFLICT updates, and makes
        re-ingesting the same snapshots a no-op. One join with the stored accounts gives
        both the merge and the comparison (the stored values ride along as ``_was_*``).
        Where the account was read (``source_file``, ``source_line``) is not a difference
        on its own: a snapshot that repeats the stored profile leaves the row, and the line
        it names, as they are. A file of posts repeats its active accounts' profiles in
        every batch; rewriting each one only to move its line filled the table with deleted
        rows and cost the vacuum that clears them (at 10M generated posts, 40 batches of
        some 100,000 accounts).
        """
        names = batch.schema.names
        key = ("platform", "account_id")
        epoch = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"
        seen = f"coalesce(seen_at, {epoch})"
        if not (unique or _unique_keys(batch, key)):
            # Newest first; on equal times the later row wins, as in Batch.
            batch = batch.append_column("_ord", pa.array(range(batch.num_rows), pa.int64()))
            order = f"(epoch_us({seen})::HUGEINT * 4294967296 + _ord)"
            merged_batch = ", ".join(
                c
                if c in key
                else (
                    "max(seen_at) AS seen_at"
                    if c == "seen_at"
                    else f"arg_max({c}, {order}) FILTER (WHERE {c} IS NOT NULL) AS {c}"
                )
                for c in names
            )
            source = f"(SELECT {merged_batch} FROM _batch GROUP BY platform, account_id)"
        else:
            source = "_batch"
        newer = f"coalesce(b.seen_at, {epoch}) >= coalesce(a.seen_at, {epoch})"
        merged = ", ".join(
            f"b.{c}"
            if c in key
            else (
                "greatest(b.seen_at, a.seen_at) AS seen_at"
                if c == "seen_at"
                else f"CASE WHEN a.account_id IS NULL OR {newer} THEN coalesce(b.{c}, a.{c}) "
                f"ELSE coalesce(a.{c}, b.{c}) END AS {c}"
            )
            for c in names
        )
        cols = ", ".join(names)
        compared = [c for c in names if c not in ("source_file", "source_line")]
        self._conn.register("_batch", batch)
        try:
            self._conn.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE _merged AS
                SELECT {", ".join(f"m.{c}" for c in names)}, m._existed FROM (
                    SELECT {merged}, a.account_id IS NOT NULL AS _existed,
                           {", ".join(f"a.{c} AS _was_{c}" for c in compared)}
                    FROM {source} b LEFT JOIN accounts a USING (platform, account_id)
                ) m
                WHERE NOT m._existed
                   OR ({", ".join(f"m.{c}" for c in compared)}) IS DISTINCT FROM
                      ({", ".join(f"m._was_{c}" for c in compared)})
                """
            )
            self._conn.execute(
                """DELETE FROM accounts a USING _merged m
                WHERE m._existed AND a.platform = m.platform AND a.account_id = m.account_id"""
            )
            row = self._conn.execute(
                f"INSERT INTO accounts ({cols}) SELECT {cols} FROM _merged"
            ).fetchone()
            self._conn.execute("DROP TABLE _merged")
        finally:
            self._unregister("_batch")
        return int(row[0]) if row else 0

    def record_file(
        self, path: str, fingerprint: str, fmt: str, counts: dict[str, int], *, completed: bool
    ) -> None:
        """Remember that a file (path + content fingerprint) was ingested, and its counts."""
        self._conn.execute(
            """
            INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)
            ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint,
                format = excluded.format, completed = excluded.completed,
                read = excluded.read, stored = excluded.stored,
                duplicates = excluded.duplicates, rejected = excluded.rejected,
                finished_at = excluded.finished_at
            """,
            [
                path,
                fingerprint,
                fmt,
                completed,
                counts.get("read", 0),
                counts.get("stored", 0),
                counts.get("duplicates", 0),
                counts.get("rejected", 0),
            ],
        )

    def replace_table(self, name: str, data: pa.Table) -> int:
        """Replace a derived table (scores, edges, campaigns) with ``data`` in one transaction.

        Detectors write their results through here, so a failed run leaves the previous
        results in place. Canonical tables cannot be replaced.
        """
        return self.replace_tables({name: data})[name]

    def replace_tables(self, tables: Mapping[str, pa.Table]) -> dict[str, int]:
        """Replace several derived tables in one transaction: results that belong together
        (scores and the cohorts they name) are never left half old, half new."""
        for name in tables:
            if name in CANONICAL_TABLES or name in ("ingested_files", "meta"):
                raise StoreError(f"refusing to replace canonical table {name!r}")
            if not name.replace("_", "").isalnum():
                raise StoreError(f"bad table name {name!r}: use letters, digits and '_'")
        with self._transaction():
            for name, data in tables.items():
                self._conn.register("_replacement", data)
                try:
                    self._conn.execute(
                        f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _replacement"
                    )
                finally:
                    self._unregister("_replacement")
        return {name: int(data.num_rows) for name, data in tables.items()}

    def append_table(self, name: str, data: pa.Table, key: Sequence[str] = ()) -> int:
        """Append rows to a derived table, created from ``data``'s schema on first use.

        For tables that grow a little at a time (the LLM cache and usage log), where
        ``replace_table`` would rewrite everything for each row. With ``key``, rows whose
        key the table already holds are skipped. One transaction; returns rows added.
        """
        if name in CANONICAL_TABLES or name in ("ingested_files", "meta"):
            raise StoreError(f"refusing to append to canonical table {name!r}")
        if not name.replace("_", "").isalnum() or not all(
            k.replace("_", "").isalnum() for k in key
        ):
            raise StoreError(f"bad table or column name in {name!r}: use letters, digits and '_'")
        source = "_append"
        if key:
            source = f"(SELECT b.* FROM _append b ANTI JOIN {name} t USING ({', '.join(key)}))"
        with self._transaction():
            self._conn.register("_append", data)
            try:
                self._conn.execute(f"CREATE TABLE IF NOT EXISTS {name} AS FROM _append LIMIT 0")
                row = self._conn.execute(f"INSERT INTO {name} BY NAME FROM {source}").fetchone()
            finally:
                self._conn.unregister("_append")
        return int(row[0]) if row else 0

    def has_table(self, name: str) -> bool:
        """Whether a table of this name exists in the store."""
        row = (
            self.cursor()
            .execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
            .fetchone()
        )
        return bool(row and row[0])

    # -- reads ---------------------------------------------------------------------------

    def file_completed(self, path: str, fingerprint: str) -> bool:
        """Whether this exact file (same path and fingerprint) was ingested to its end."""
        row = (
            self.cursor()
            .execute(
                "SELECT completed FROM ingested_files WHERE path = ? AND fingerprint = ?",
                [path, fingerprint],
            )
            .fetchone()
        )
        return bool(row and row[0])

    def count(self, table: str) -> int:
        """Number of rows in a canonical table."""
        if table not in CANONICAL_TABLES:
            raise InputError(f"no table {table!r}; choose one of {', '.join(CANONICAL_TABLES)}")
        row = self.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a read query on a fresh cursor and return its rows."""
        return self.cursor().execute(sql, params or []).fetchall()

    def arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a read query and return an Arrow table (work stays columnar)."""
        return self.cursor().sql(sql, params=list(params or [])).to_arrow_table()

    # -- parquet -------------------------------------------------------------------------

    def export_parquet(self, directory: str | Path) -> dict[str, int]:
        """Write each canonical table to DIR/<table>.parquet; return rows written per table."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        for table in CANONICAL_TABLES:
            cols = ", ".join(ARROW_SCHEMAS[table].names)
            target = out / f"{table}.parquet"
            self._conn.execute(
                f"COPY (SELECT {cols} FROM {table}) TO '{_sql_path(target)}' "
                f"(FORMAT parquet, COMPRESSION zstd)"
            )
            written[table] = self.count(table)
        return written

    def import_parquet(self, directory: str | Path) -> dict[str, BatchResult]:
        """Load DIR/<table>.parquet files written by ``export_parquet``, deduplicating."""
        src = Path(directory)
        found = {
            t: src / f"{t}.parquet" for t in CANONICAL_TABLES if (src / f"{t}.parquet").exists()
        }
        if not found:
            raise InputError(
                f"{src}: no posts.parquet, accounts.parquet, deletions.parquet or "
                f"rejects.parquet here; give the folder written by `limelight export`"
            )
        results: dict[str, BatchResult] = {}
        with self._transaction():
            for table, path in found.items():
                schema = ARROW_SCHEMAS[table]
                try:
                    data = (
                        self._conn.sql(
                            f"SELECT {', '.join(schema.names)} FROM read_parquet(?)",
                            params=[str(path)],
                        )
                        .to_arrow_table()
                        .cast(schema)
                    )
                except (duckdb.Error, pa.ArrowInvalid) as exc:
                    raise InputError(
                        f"{path}: not a limelight {table} table ({str(exc).splitlines()[0]}); "
                        f"export it again with `limelight export`"
                    ) from None
                res = BatchResult()
                if table == "accounts":
                    res.accounts_upserted = self._upsert_accounts(data)
                else:
                    n = self._insert_new(table, data)
                    if table == "posts":
                        res.posts_stored, res.posts_duplicate = n, data.num_rows - n
                    elif table == "deletions":
                        res.deletions_stored, res.deletions_duplicate = n, data.num_rows - n
                    else:
                        res.rejects_stored = n
                results[table] = res
        return results


#: Rows in a DuckDB row group (its default): the unit the vacuum merges by.
_ROW_GROUP = 122_880

#: Part-filled row groups of posts past which an ingest's last checkpoint vacuums, if
#: they are half the groups (``Database.bulk_writes``): a 1M-post CSV ingest leaves 5 of
#: 11, a 10M one 25 of 88.
_FRAGMENTS = 16

#: An ingest's batches between two checkpoints with the vacuum on (``Database.bulk_writes``).
#: Without any, 10M generated CSV posts (40 batches) went in 12 to 17 s faster but left a
#: 545 MB file, 220 MB of it free blocks, and a peak 0.5 GB higher; with one after every
#: batch the file was 326 MB and the ingest 82 s; every 8th, 325 MB in 63 to 65 s with the
#: peak where it was (1.44 GB).
_VACUUM_BATCHES = 8


def is_interrupt(exc: BaseException) -> bool:
    """Whether an exception is DuckDB's report of a query stopped by Ctrl-C.

    DuckDB raises InterruptException, or a plain RuntimeError 'Query interrupted' from some
    operators; both mean the user pressed Ctrl-C.
    """
    if isinstance(exc, duckdb.InterruptException):
        return True
    return isinstance(exc, RuntimeError) and "query interrupted" in str(exc).lower()


def _has_entities(posts: pa.Table) -> npt.NDArray[np.bool_]:
    """Per row: whether it lists any URL, hashtag, mention or media item."""
    listed = np.zeros(posts.num_rows, dtype=bool)
    for name in _ENTITY_LISTS:
        lengths = pc.fill_null(pc.list_value_length(posts.column(name)), 0)
        listed |= np.asarray(lengths.to_numpy(), dtype=np.int64) > 0
    return listed


def _unique_keys(batch: pa.Table, keys: tuple[str, ...]) -> bool:
    """Whether no two rows of ``batch`` share a key (the pipeline dedupes batches first)."""
    if batch.num_rows < 2:
        return True
    columns = [batch.column(k) for k in keys]
    varying = [c for c in columns if pc.count_distinct(c).as_py() > 1]
    if len(varying) == 1:  # the usual case: one platform, so the ids alone decide
        return bool(pc.count_distinct(varying[0], mode="all").as_py() == batch.num_rows)
    distinct = batch.group_by(list(keys)).aggregate([]).num_rows
    return bool(distinct == batch.num_rows)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")

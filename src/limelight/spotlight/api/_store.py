"""How the server holds the store: read-only for reads, one short write at a time.

DuckDB lets one process write a file, or several read it; a process cannot hold both a
read-only and a read-write connection to one file. The server reads through one read-only
connection (a cursor per request, so requests run in parallel), and for a write (analyst
feedback) it waits for running reads to finish, holds new ones back, reopens the file
read-write, writes in one transaction, and goes back to read-only. Writes are rare and
small, so this costs little, and while the server reads, other processes may read the
same file too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from limelight.errors import InputError
from limelight.store import Database

__all__ = ["StoreAccess"]

T = TypeVar("T")


class StoreAccess:
    """Shared reads and exclusive writes on one store file, for a multi-threaded server."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(
                f"{self.path}: no such database; create it with `limelight ingest FILE "
                f"--db {self.path}` (or `limelight analyze`) before serving it"
            )
        self._db = Database(self.path, read_only=True)
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._tables: frozenset[str] | None = None
        self.generation = 0  # bumped by every write; read caches key on it

    def close(self) -> None:
        """Close the read-only connection."""
        with self._cond:
            self._db.close()

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for one request's reads; waits while a write runs."""
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            cursor = self._db.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    def tables(self) -> frozenset[str]:
        """The names of the store's tables (cached until the next write)."""
        known = self._tables
        if known is None:
            with self.reading() as cur:
                rows = cur.execute("SELECT table_name FROM information_schema.tables").fetchall()
            known = frozenset(str(r[0]) for r in rows)
            self._tables = known
        return known

    def write(self, work: Callable[[Database], T]) -> T:
        """Run ``work`` on a read-write Database, alone; reads wait and resume after."""
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True  # set before draining, so no new reader slips in
            while self._readers:
                self._cond.wait()
        try:
            self._db.close()
            try:
                with Database(self.path) as db:
                    return work(db)
            finally:
                self._db = Database(self.path, read_only=True)
                self._tables = None
                self.generation += 1
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()

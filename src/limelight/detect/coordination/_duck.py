"""Private in-memory DuckDB connections for set-based work, with a memory cap that spills.

Every coordination step computes over Arrow tables on its own throw-away connection
(never the store), capped and spilling as every DuckDB connection limelight opens is
(``limelight.store._limits``: ``LIMELIGHT_DUCKDB_MEMORY``, ``LIMELIGHT_DUCKDB_TEMP``).

A connection is a cursor on an in-memory database kept per thread: starting a database
took 12 to 16 ms, about 20 times per campaigns run, where a cursor takes well under a
millisecond. What a connection creates (temporary tables and views, registered Arrow
tables) goes with it when it is closed, as it went with a database of its own; a plain
table would stay in the thread's database, so the detectors create none. DuckDB keeps
the memory a closed connection freed, for reuse (a gigabyte after a join of 20 million
rows); in a process past ``_KEEP_BELOW_MIB`` each use ends by closing the database, as
it did when every connection had a database of its own. Settings that DuckDB keeps per
database (``disabled_optimizers``) are set and reset within one connection's use; the
rest are set per connection (``SET SESSION``). Threads never share a database, so two
steps running side by side keep each their own cap and settings; a changed cap or
temporary folder starts a new one, and so does a forked process (which leaves the
databases it inherited alone).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from limelight.store._limits import connection_config, memory_limit

__all__ = ["connect", "memory_limit"]

_PER_THREAD = threading.local()

#: Databases a forked process inherited. Their threads stayed in the parent, so the child
#: neither uses nor closes them (closing would wait on those threads); it starts its own.
_INHERITED: list[threading.local] = []


def _forget_after_fork() -> None:
    global _PER_THREAD
    _INHERITED.append(_PER_THREAD)
    _PER_THREAD = threading.local()


os.register_at_fork(after_in_child=_forget_after_fork)


@contextmanager
def connect() -> Iterator[duckdb.DuckDBPyConnection]:
    """A new in-memory connection in UTC with the memory cap and a spill folder.

    Use it in a ``with`` block: leaving it closes the connection (and, in a large
    process, its database).
    """
    config = connection_config()
    key = tuple(sorted((k, str(v)) for k, v in config.items()))
    if getattr(_PER_THREAD, "key", None) != key:
        _PER_THREAD.database = duckdb.connect(config=config)
        _PER_THREAD.key = key
    database: duckdb.DuckDBPyConnection = _PER_THREAD.database
    conn = database.cursor()
    try:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn
    finally:
        conn.close()
        resident = _resident_mib()
        if resident is None or resident > _KEEP_BELOW_MIB:
            _PER_THREAD.key = None  # the next connection starts a database of its own
            del _PER_THREAD.database
            database.close()


#: Below this resident size (MiB) a process keeps its threads' databases, and the memory
#: their connections freed, for the next connection; above it each use ends by closing
#: the database. Kept memory is reused warm: a campaigns run on 1M posts (under 0.8 GB)
#: ran 0.5 to 0.6 s faster of 6.3 than with a database of its own per connection. At 10M
#: posts (2 to 3.5 GB) a join leaves a gigabyte behind, and keeping the databases (even
#: made to hand back what they kept) raised the run's peak by 0.1 to 0.4 GB.
_KEEP_BELOW_MIB = 1024

_STATM = Path("/proc/self/statm")


def _resident_mib() -> float | None:
    """This process's resident memory in MiB, None where ``/proc`` cannot tell (then the
    memory is handed back after every use)."""
    try:
        return int(_STATM.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return None

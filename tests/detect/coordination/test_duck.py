"""The detectors' private DuckDB connections: cursors on a database kept per thread."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from limelight.detect.coordination import _duck
from limelight.detect.coordination._duck import connect
from limelight.store._limits import connection_config


def _setting(conn: duckdb.DuckDBPyConnection, name: str) -> object:
    row = conn.execute(f"SELECT current_setting('{name}')").fetchone()
    assert row is not None
    return row[0]


def _has_table(conn: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def test_a_closed_connection_leaves_nothing_behind() -> None:
    with connect() as first:
        first.execute("CREATE TEMP TABLE _t AS SELECT 1 AS x")
        first.register("_arrow", pa.table({"x": [1, 2]}))
        first.execute("SET SESSION preserve_insertion_order = false")
        assert _setting(first, "preserve_insertion_order") is False
    with connect() as second:
        # Its tables, registered Arrow tables and settings went with it.
        with pytest.raises(duckdb.CatalogException):
            second.execute("SELECT * FROM _t")
        with pytest.raises(duckdb.CatalogException):
            second.execute("SELECT * FROM _arrow")
        assert _setting(second, "preserve_insertion_order") is True
        assert _setting(second, "TimeZone") == "UTC"


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc (Linux)")
def test_a_closed_connection_hands_its_memory_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB keeps what a query freed for reuse; in a process past _KEEP_BELOW_MIB (here
    # any) the database is closed after each use, which returns it.
    monkeypatch.setattr(_duck, "_KEEP_BELOW_MIB", 0)
    with connect() as conn:
        used = _duck._PER_THREAD.database
        conn.execute(
            "CREATE TEMP TABLE _big AS SELECT i, i::VARCHAR || repeat('x', 20) AS s "
            "FROM range(6000000) t(i)"
        )
        conn.execute("CREATE TEMP TABLE _grouped AS SELECT s, count(*) AS n FROM _big GROUP BY s")
        during = _duck._resident_mib()
    after = _duck._resident_mib()
    assert during is not None and after is not None
    assert during - after > 150, (during, after)
    assert _duck._PER_THREAD.key is None and used is not None  # the next one starts anew
    fresh = duckdb.connect(config=connection_config())
    with connect() as conn:  # the cap is back to what it was
        assert _setting(conn, "memory_limit") == _setting(fresh, "memory_limit")
    fresh.close()


def test_threads_and_memory_caps_get_databases_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_duck, "_KEEP_BELOW_MIB", float("inf"))  # a small process
    seen: list[bool] = []

    def other() -> None:
        with connect() as conn:
            seen.append(_has_table(conn, "_kept"))

    with connect() as here:
        # A plain table outlives its connection in this thread's database (the detectors
        # create only temporary ones); another thread's database never holds it.
        here.execute("CREATE TABLE _kept AS SELECT 1 AS x")
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert seen == [False]
    first = _duck._PER_THREAD.database
    # A new cap (LIMELIGHT_DUCKDB_MEMORY) takes effect at once: a new database.
    monkeypatch.setenv("LIMELIGHT_DUCKDB_MEMORY", "123MB")
    with connect() as capped:
        assert str(_setting(capped, "memory_limit")).startswith("117")  # 123 MB in MiB
        assert not _has_table(capped, "_kept")
    assert _duck._PER_THREAD.database is not first
    first.execute("DROP TABLE _kept")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_process_starts_a_database_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(_duck, "_KEEP_BELOW_MIB", float("inf"))  # keep this one
    with connect() as conn:
        conn.execute("SELECT 1").fetchall()
    parent = _duck._PER_THREAD.database
    pid = os.fork()
    if pid == 0:  # the child: a working connection, the parent's database left alone
        code = 1
        try:
            with connect() as conn:
                ok = conn.execute("SELECT 41 + 1").fetchone() == (42,)
            code = 0 if ok and _duck._PER_THREAD.database is not parent else 1
        finally:
            os._exit(code)
    # A child stuck in a lock some parent thread held at the fork fails, not hangs, the test.
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child did not finish within a minute")
    assert os.waitstatus_to_exitcode(status) == 0
    with connect() as conn:  # the parent's own still works
        assert conn.execute("SELECT 1").fetchone() == (1,)

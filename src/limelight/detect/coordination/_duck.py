"""Private in-memory DuckDB connections for set-based work, with a memory cap that spills.

Every coordination step computes over Arrow tables on its own throw-away connection
(never the store), capped and spilling as every DuckDB connection limelight opens is
(``limelight.store._limits``: ``LIMELIGHT_DUCKDB_MEMORY``, ``LIMELIGHT_DUCKDB_TEMP``).
"""

from __future__ import annotations

import duckdb

from limelight.store._limits import connection_config, memory_limit

__all__ = ["connect", "memory_limit"]


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory connection in UTC with the memory cap and a spill folder."""
    conn = duckdb.connect(config=connection_config())
    conn.execute("SET TimeZone = 'UTC'")
    return conn

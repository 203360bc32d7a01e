"""How much working memory each DuckDB connection limelight opens may take, and where it spills.

DuckDB's default memory limit is 80% of the machine's RAM, so one large read or join
could take most of a shared machine. Every connection limelight opens, the store's and
the private in-memory ones the detectors compute on, is capped instead
(``LIMELIGHT_DUCKDB_MEMORY``, default 1.5GB) and spills what does not fit to a temporary
folder (``LIMELIGHT_DUCKDB_TEMP``, default a ``limelight-duckdb`` folder in the system's
temporary directory), so joins, sorts and aggregations over millions of rows slow down
rather than exhaust memory. At 10M generated posts ``find_campaigns`` took the same time
under 1.5 GB as under 2 GB (152.1 and 151.6 s) and peaked 0.35 GB lower (3,237 against
3,590 MiB), which keeps the whole run clear of a 4 GB budget.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["connection_config", "memory_limit", "temp_directory"]

_DEFAULT_LIMIT = "1.5GB"


def memory_limit() -> str:
    """The memory cap of each DuckDB connection (``LIMELIGHT_DUCKDB_MEMORY``, e.g. 4GB)."""
    return os.environ.get("LIMELIGHT_DUCKDB_MEMORY", "").strip() or _DEFAULT_LIMIT


def connection_config(limit: str | None = None) -> dict[str, str | bool | int | float | list[str]]:
    """The ``config`` every DuckDB connection limelight opens is given: cap and spill folder.

    ``limit`` is a cap already read (``memory_limit()``) by a caller that keeps it.
    """
    return {"memory_limit": limit or memory_limit(), "temp_directory": temp_directory()}


def temp_directory() -> str:
    """Where DuckDB spills (``LIMELIGHT_DUCKDB_TEMP``, else the system's temporary folder)."""
    temp = os.environ.get("LIMELIGHT_DUCKDB_TEMP", "").strip()
    return str(Path(temp) if temp else Path(tempfile.gettempdir()) / "limelight-duckdb")

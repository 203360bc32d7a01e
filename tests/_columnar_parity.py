"""Ingest a file with the column-wise path on or off, for the parity tests of both paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import limelight._parallel as parallel
from limelight.ingest import ingest_paths
from limelight.store import Database


def ingest_with_path(
    paths: list[Path], db_path: Path, tables: dict[str, str], *, columnar: bool, **kw: Any
) -> tuple[dict[str, Any], dict[str, list[Any]], int]:
    """The summary (without timings), the ``tables`` queried, and how many chunks went
    column-wise; with ``columnar`` False every chunk takes the row path."""
    used = 0
    real = parallel._parse_columnar

    def counting(task: parallel.ChunkTask, threads: bool) -> parallel.ChunkResult | None:
        nonlocal used
        result = real(task, threads) if columnar else None
        used += result is not None
        return result

    parallel._parse_columnar = counting
    try:
        with Database(db_path) as db:
            summary = ingest_paths(paths, db, **kw).to_json()
            queried = {name: db.query(sql) for name, sql in tables.items()}
    finally:
        parallel._parse_columnar = real
    for f in summary["files"]:
        f.pop("seconds")
    return summary, queried, used

"""Exports of the fused results: labels as CSV and JSONL, tables as Parquet, networks for Gephi.

``export_results(db, directory)`` writes, for the formats asked for:

- ``csv``: ``account_labels.csv``, ``post_labels.csv``, ``campaigns.csv``; list cells are
  joined with `` | ``, span lists and other nested cells are JSON;
- ``jsonl``: the same three as JSON lines, plus ``evidence.jsonl`` (every evidence row);
- ``parquet``: ``parquet/<table>.parquet`` for every fused table and coordination's
  campaign tables, with their Arrow types;
- ``gexf``, ``graphml``: ``campaigns.gexf`` / ``campaigns.graphml``, the members' significant
  edges of every campaign (coordination's writer; ``campaign_id`` and ``layer`` are edge
  attributes).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from limelight.campaigns._tables import (
    ACCOUNT_LABELS,
    EDGES,
    EVIDENCE,
    FUSED_TABLES,
    POST_LABELS,
    SPOTLIGHT_CAMPAIGNS,
)
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["EXPORT_FORMATS", "export_results"]

EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet", "gexf", "graphml")

_LABEL_FILES = {
    ACCOUNT_LABELS: "account_labels",
    POST_LABELS: "post_labels",
    SPOTLIGHT_CAMPAIGNS: "campaigns",
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return " | ".join(value)
        return orjson.dumps(value, default=str).decode()
    if isinstance(value, dict):
        return orjson.dumps(value, default=str).decode()
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return value


def _write_csv(table: pa.Table, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=10_000):
            for row in batch.to_pylist():
                writer.writerow([_cell(v) for v in row.values()])


def _write_jsonl(table: pa.Table, path: Path) -> None:
    with path.open("wb") as fh:
        for batch in table.to_batches(max_chunksize=10_000):
            for row in batch.to_pylist():
                fh.write(orjson.dumps(row, default=str, option=orjson.OPT_NAIVE_UTC) + b"\n")


def export_results(
    db: Database, directory: str | Path, formats: Sequence[str] = EXPORT_FORMATS
) -> list[Path]:
    """Write the fused results of ``db`` into ``directory``; return the files written."""
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        raise InputError(
            f"unknown export format {', '.join(unknown)}; choose from {', '.join(EXPORT_FORMATS)}"
        )
    if not db.has_table(SPOTLIGHT_CAMPAIGNS):
        raise InputError(
            f"{db.path}: no analysis to export; run `limelight analyze FILE --db {db.path}` first"
        )
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def table(name: str) -> pa.Table:
        return db.arrow(f"SELECT * FROM {name}")

    for name, stem in _LABEL_FILES.items():
        data = table(name)
        if "csv" in formats:
            _write_csv(data, out / f"{stem}.csv")
            written.append(out / f"{stem}.csv")
        if "jsonl" in formats:
            _write_jsonl(data, out / f"{stem}.jsonl")
            written.append(out / f"{stem}.jsonl")
    if "jsonl" in formats:
        _write_jsonl(table(EVIDENCE), out / "evidence.jsonl")
        written.append(out / "evidence.jsonl")
    if "parquet" in formats:
        folder = out / "parquet"
        folder.mkdir(exist_ok=True)
        names = [*FUSED_TABLES, "campaigns", "campaign_members", "campaign_evidence"]
        for name in names:
            if db.has_table(name):
                pq.write_table(table(name), folder / f"{name}.parquet", compression="zstd")
                written.append(folder / f"{name}.parquet")
    graph = [f for f in ("gexf", "graphml") if f in formats]
    if graph and db.has_table(EDGES):
        from limelight.detect.coordination import write_edges

        edges = table(EDGES)
        for fmt in graph:
            target = out / f"campaigns.{fmt}"
            write_edges(
                edges,
                target,
                description="limelight campaigns: significant co-action edges between members",
            )
            written.append(target)
    return written

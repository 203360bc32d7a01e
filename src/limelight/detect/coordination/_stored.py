"""Writing coordination results to the store: edge tables with their parameters, atomically.

Every edge table (``edges_<behaviour>``) is written together with one row of
``edge_params`` that says how it was computed (behaviour, method, window, minimum weight,
every option, which command wrote it and when), and the same facts as JSON in the table's
comment, so the report and later stages can show them without guessing. A campaigns run
writes its edge tables, ``campaigns``, ``campaign_members``, ``campaign_evidence`` and the
parameter rows in a single transaction: a crash or an error part way leaves every table
as the previous run left it, never campaigns from one run with evidence from another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from limelight.errors import StoreError
from limelight.store import CANONICAL_TABLES, Database

__all__ = [
    "EDGE_PARAMS",
    "EDGE_PARAMS_SCHEMA",
    "EdgeParams",
    "read_edge_params",
    "replace_tables",
]

EDGE_PARAMS = "edge_params"
"""The store table with one row per stored edge table: how its edges were computed."""

EDGE_PARAMS_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("behaviour", pa.string()),
        ("method", pa.string()),
        ("window_s", pa.float64()),
        ("min_weight", pa.int64()),
        ("options", pa.string()),
        ("n_actions", pa.int64()),
        ("n_edges", pa.int64()),
        ("stage", pa.string()),
        ("computed_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True, slots=True)
class EdgeParams:
    """How one stored edge table was computed (one row of ``edge_params``).

    ``window_s`` is null for an infinite window; ``options`` holds every behaviour option
    (and, for a campaigns run, the significance settings such as ``alpha``); ``stage`` is
    ``coordination`` or ``campaigns``, the command that wrote the table.
    """

    table_name: str
    behaviour: str
    method: str
    window_s: float | None
    min_weight: int
    options: dict[str, Any]
    n_actions: int
    n_edges: int
    stage: str
    computed_at: datetime

    def row(self) -> dict[str, Any]:
        """The ``edge_params`` row, options as sorted JSON."""
        return {
            "table_name": self.table_name,
            "behaviour": self.behaviour,
            "method": self.method,
            "window_s": self.window_s,
            "min_weight": self.min_weight,
            "options": json.dumps(self.options, sort_keys=True, default=str),
            "n_actions": self.n_actions,
            "n_edges": self.n_edges,
            "stage": self.stage,
            "computed_at": self.computed_at,
        }


def now() -> datetime:
    """The time a run is stamped with (UTC, microseconds)."""
    return datetime.now(UTC)


def _check_name(name: str) -> None:
    if name in CANONICAL_TABLES or name in ("ingested_files", "meta"):
        raise StoreError(f"refusing to replace canonical table {name!r}")
    if not name.replace("_", "").isalnum():
        raise StoreError(f"bad table name {name!r}: use letters, digits and '_'")


def replace_tables(
    db: Database, tables: Mapping[str, pa.Table], params: Iterable[EdgeParams] = ()
) -> None:
    """Replace derived tables and upsert their ``edge_params`` rows in one transaction.

    Either every table is replaced or none is: an exception (or a crash) part way rolls
    the store back to what it held before. The work runs on its own cursor, so it does not
    hold the store's write lock while Arrow data is copied in.
    """
    rows = [p.row() for p in params]
    for name in tables:
        _check_name(name)
    cur = db.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            for k, (name, data) in enumerate(tables.items()):
                view = f"_replacement_{k}"
                cur.register(view, data)
                cur.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {view}")
                cur.unregister(view)
            if rows:
                _upsert_params(cur, rows)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()


def _upsert_params(cur: Any, rows: list[dict[str, Any]]) -> None:
    """Insert the parameter rows, replacing older rows of the same tables, and comment them."""
    new = pa.Table.from_pylist(rows, schema=EDGE_PARAMS_SCHEMA)
    cur.register("_params", new)
    cur.execute(f"CREATE TABLE IF NOT EXISTS {EDGE_PARAMS} AS FROM _params LIMIT 0")
    cur.execute(f"DELETE FROM {EDGE_PARAMS} WHERE table_name IN (SELECT table_name FROM _params)")
    cur.execute(f"INSERT INTO {EDGE_PARAMS} BY NAME FROM _params")
    cur.unregister("_params")
    for row in rows:
        described = {k: v for k, v in row.items() if k != "table_name"}
        described["options"] = json.loads(row["options"])
        text = json.dumps(described, sort_keys=True, default=str).replace("'", "''")
        cur.execute(f"COMMENT ON TABLE {row['table_name']} IS '{text}'")


def read_edge_params(db: Database, table_name: str | None = None) -> list[EdgeParams]:
    """The stored parameter rows (all, or the one of ``table_name``), newest first."""
    if not db.has_table(EDGE_PARAMS):
        return []
    sql = f"SELECT * FROM {EDGE_PARAMS}"
    args: list[Any] = []
    if table_name is not None:
        sql += " WHERE table_name = ?"
        args.append(table_name)
    found = db.arrow(sql + " ORDER BY computed_at DESC, table_name", args).to_pylist()
    out = []
    for r in found:
        r["options"] = json.loads(r["options"])
        out.append(EdgeParams(**r))
    return out

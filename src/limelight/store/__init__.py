"""The store: one DuckDB file holding every canonical table, with Parquet in and out."""

from __future__ import annotations

from limelight.store._database import CANONICAL_TABLES, BatchResult, Database, records_to_table
from limelight.store._schema import ARROW_SCHEMAS, SCHEMA_VERSION

__all__ = [
    "ARROW_SCHEMAS",
    "CANONICAL_TABLES",
    "SCHEMA_VERSION",
    "BatchResult",
    "Database",
    "records_to_table",
]

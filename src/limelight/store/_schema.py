"""The canonical tables and their DuckDB types, in one place.

docs/schema.md documents each column and where each format fills it from.
"""

from __future__ import annotations

import pyarrow as pa

__all__ = ["ARROW_SCHEMAS", "DDL", "SCHEMA_VERSION", "TABLE_KEYS"]

SCHEMA_VERSION = 1

_TS = pa.timestamp("us", tz="UTC")
_STRS = pa.list_(pa.string())

ARROW_SCHEMAS: dict[str, pa.Schema] = {
    "posts": pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("account_id", pa.string()),
            ("created_at", _TS),
            ("text", pa.string()),
            ("lang", pa.string()),
            ("kind", pa.string()),
            ("ref_post_id", pa.string()),
            ("ref_account_id", pa.string()),
            ("reply_to_post_id", pa.string()),
            ("reply_to_account_id", pa.string()),
            ("conversation_id", pa.string()),
            ("client", pa.string()),
            ("urls", _STRS),
            ("hashtags", _STRS),
            ("mentions", _STRS),
            ("media", _STRS),
            ("like_count", pa.int64()),
            ("repost_count", pa.int64()),
            ("reply_count", pa.int64()),
            ("quote_count", pa.int64()),
            ("source_file", pa.string()),
            ("source_line", pa.int64()),
            ("raw", pa.string()),
        ]
    ),
    "accounts": pa.schema(
        [
            ("platform", pa.string()),
            ("account_id", pa.string()),
            ("handle", pa.string()),
            ("display_name", pa.string()),
            ("created_at", _TS),
            ("description", pa.string()),
            ("followers", pa.int64()),
            ("following", pa.int64()),
            ("posts_count", pa.int64()),
            ("likes_count", pa.int64()),
            ("listed_count", pa.int64()),
            ("verified", pa.bool_()),
            ("default_profile", pa.bool_()),
            ("default_image", pa.bool_()),
            ("location", pa.string()),
            ("url", pa.string()),
            ("lang", pa.string()),
            ("bot_declared", pa.bool_()),
            ("seen_at", _TS),
            ("source_file", pa.string()),
            ("source_line", pa.int64()),
            ("raw", pa.string()),
        ]
    ),
    "deletions": pa.schema(
        [
            ("platform", pa.string()),
            ("post_id", pa.string()),
            ("account_id", pa.string()),
            ("deleted_at", _TS),
            ("reason", pa.string()),
            ("source_file", pa.string()),
            ("source_line", pa.int64()),
        ]
    ),
    "rejects": pa.schema(
        [
            ("source_file", pa.string()),
            ("source_line", pa.int64()),
            ("format", pa.string()),
            ("reason", pa.string()),
            ("raw", pa.string()),
        ]
    ),
}

TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "posts": ("platform", "post_id"),
    "accounts": ("platform", "account_id"),
    "deletions": ("platform", "post_id"),
    "rejects": ("source_file", "source_line"),
}

_DUCK = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    _TS: "TIMESTAMPTZ",
    _STRS: "VARCHAR[]",
}


def _ddl(table: str, extra: str = "") -> str:
    cols = [f"{f.name} {_DUCK[f.type]}" for f in ARROW_SCHEMAS[table]]
    cols_sql = ",\n    ".join(cols + ([extra] if extra else []))
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {cols_sql}\n)"


DDL: list[str] = [
    _ddl("posts"),
    _ddl("accounts"),
    _ddl("deletions"),
    _ddl("rejects", "rejected_at TIMESTAMPTZ DEFAULT current_timestamp"),
    """CREATE TABLE IF NOT EXISTS ingested_files (
    path VARCHAR PRIMARY KEY,
    fingerprint VARCHAR,
    format VARCHAR,
    completed BOOLEAN,
    read BIGINT,
    stored BIGINT,
    duplicates BIGINT,
    rejected BIGINT,
    finished_at TIMESTAMPTZ
)""",
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
]

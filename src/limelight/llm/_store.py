"""The LLM's two tables in the store: ``llm_cache`` (answers) and ``llm_usage`` (every call).

``llm_cache`` is keyed by a hash of model, task, prompt version, prompt hash and the exact
text the model saw, so a rerun over the same posts sends nothing. ``llm_usage`` has one row
per call, cached or not, with tokens, latency and attempts, so that the cost of a run can be
read back with SQL (``limelight llm stats``). Rows are buffered and written in one
transaction per flush through ``Database.append_table``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from limelight.store import Database

__all__ = ["CACHE_TABLE", "USAGE_TABLE", "CachedAnswer", "LLMStore", "UsageRow", "usage_summary"]

CACHE_TABLE = "llm_cache"
USAGE_TABLE = "llm_usage"

_TS = pa.timestamp("us", tz="UTC")
CACHE_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("task", pa.string()),
        ("prompt_version", pa.string()),
        ("prompt_hash", pa.string()),
        ("model", pa.string()),
        ("output", pa.string()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("created_at", _TS),
    ]
)
USAGE_SCHEMA = pa.schema(
    [
        ("called_at", _TS),
        ("task", pa.string()),
        ("prompt_version", pa.string()),
        ("model", pa.string()),
        ("key", pa.string()),
        ("cached", pa.bool_()),
        ("ok", pa.bool_()),
        ("attempts", pa.int32()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("latency_ms", pa.float64()),
        ("response_format", pa.string()),
        ("injection_suspected", pa.bool_()),
        ("error", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A validated answer as stored: its JSON and what it cost when it was made."""

    output: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One call as it goes into ``llm_usage``."""

    task: str
    prompt_version: str
    model: str
    key: str
    cached: bool
    ok: bool
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    response_format: str
    injection_suspected: bool
    error: str | None


class LLMStore:
    """Reads and buffered writes of the cache and usage tables over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._cache_rows: list[dict[str, Any]] = []
        self._usage_rows: list[dict[str, Any]] = []

    def lookup(self, keys: Sequence[str]) -> dict[str, CachedAnswer]:
        """The cached answers among ``keys`` (one query for the lot)."""
        if not keys or not self.db.has_table(CACHE_TABLE):
            return {}
        rows = self.db.query(
            f"SELECT key, output, prompt_tokens, completion_tokens FROM {CACHE_TABLE} "
            "WHERE list_contains(?, key)",
            [list(keys)],
        )
        return {k: CachedAnswer(o, int(p or 0), int(c or 0)) for k, o, p, c in rows}

    def add_answer(
        self,
        key: str,
        task: str,
        prompt_version: str,
        prompt_hash: str,
        model: str,
        answer: CachedAnswer,
    ) -> None:
        """Queue a validated answer for the cache."""
        row = {
            "key": key,
            "task": task,
            "prompt_version": prompt_version,
            "prompt_hash": prompt_hash,
            "model": model,
            "output": answer.output,
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "created_at": datetime.now(UTC),
        }
        with self._lock:
            self._cache_rows.append(row)

    def add_usage(self, usage: UsageRow) -> None:
        """Queue one call for the usage log."""
        row = {name: getattr(usage, name) for name in USAGE_SCHEMA.names if name != "called_at"}
        row["called_at"] = datetime.now(UTC)
        with self._lock:
            self._usage_rows.append(row)

    def pending(self) -> int:
        """Rows queued and not yet written."""
        with self._lock:
            return len(self._cache_rows) + len(self._usage_rows)

    def flush(self) -> None:
        """Write the queued rows (cache first: an answer paid for is never lost to the log)."""
        with self._lock:
            cache, self._cache_rows = self._cache_rows, []
            usage, self._usage_rows = self._usage_rows, []
        if cache:
            unique = list({row["key"]: row for row in cache}.values())
            self.db.append_table(
                CACHE_TABLE, pa.Table.from_pylist(unique, schema=CACHE_SCHEMA), key=("key",)
            )
        if usage:
            self.db.append_table(USAGE_TABLE, pa.Table.from_pylist(usage, schema=USAGE_SCHEMA))


def usage_summary(db: Database) -> list[dict[str, Any]]:
    """Calls, cache hits, failures, tokens and latency per task and model, from ``llm_usage``."""
    if not db.has_table(USAGE_TABLE):
        return []
    table = db.arrow(
        f"""
        SELECT task, prompt_version, model,
               count(*) AS calls,
               count(*) FILTER (WHERE cached) AS cache_hits,
               count(*) FILTER (WHERE NOT ok) AS failures,
               sum(attempts)::BIGINT AS requests,
               coalesce(sum(prompt_tokens) FILTER (WHERE NOT cached), 0)::BIGINT AS prompt_tokens,
               coalesce(sum(completion_tokens) FILTER (WHERE NOT cached), 0)::BIGINT
                   AS completion_tokens,
               round(avg(latency_ms) FILTER (WHERE NOT cached), 1) AS mean_latency_ms,
               round(quantile_cont(latency_ms, 0.95) FILTER (WHERE NOT cached), 1)
                   AS p95_latency_ms,
               min(called_at) AS first_call, max(called_at) AS last_call
        FROM {USAGE_TABLE}
        GROUP BY ALL ORDER BY task, prompt_version, model
        """
    )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows

"""Small helpers every query shares: rows as dicts, pages, LIKE patterns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import duckdb
from pydantic import BaseModel

from limelight.spotlight.api._models import Page

__all__ = ["fetch_dicts", "like_pattern", "page_of"]

M = TypeVar("M", bound=BaseModel)


def _clean(value: Any) -> Any:
    """NaN and infinities have no JSON form; the API says null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fetch_dicts(
    cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts keyed by column name."""
    result = cur.execute(sql, list(params))
    names = [d[0] for d in result.description or []]
    return [{n: _clean(v) for n, v in zip(names, row, strict=True)} for row in result.fetchall()]


def page_of(
    cur: duckdb.DuckDBPyConnection,
    model: type[M],
    relation: str,
    where: Sequence[str],
    params: Sequence[Any],
    order: str,
    limit: int,
    offset: int,
    select: str = "*",
) -> Page[M]:
    """One page of ``relation`` filtered by ``where`` (ANDed), with the total count."""
    clause = f"WHERE {' AND '.join(f'({w})' for w in where)}" if where else ""
    total_row = cur.execute(f"SELECT count(*) FROM {relation} r {clause}", list(params)).fetchone()
    total = int(total_row[0]) if total_row else 0
    rows = fetch_dicts(
        cur,
        f"SELECT {select} FROM {relation} r {clause} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    items = [model.model_validate(r) for r in rows]
    nxt = offset + limit if offset + limit < total else None
    return Page[model](total=total, limit=limit, offset=offset, next_offset=nxt, items=items)  # type: ignore[valid-type]


def like_pattern(text: str) -> str:
    """A case-insensitive substring pattern for ``ILIKE ? ESCAPE '\\'``."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

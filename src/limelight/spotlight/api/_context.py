"""What a request gets to work with: the store, its tables, the server's settings."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
from fastapi import Request

from limelight.spotlight.api._store import StoreAccess

__all__ = ["ReadContext", "ServeSettings", "is_loopback", "read_context", "store_of"]


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """How the server runs.

    ``allow_remote_reads=False`` (the default) answers reads only to clients on this
    machine, so that a store of collected posts is not published by accident; writes
    always need an API token. ``cache_entries`` read responses are kept until the next
    write (0 turns the cache off).
    """

    db: Path
    allow_remote_reads: bool = False
    cache_entries: int = 1024


@dataclass(frozen=True, slots=True)
class ReadContext:
    """A cursor of one request's own and the store's tables."""

    cur: duckdb.DuckDBPyConnection
    tables: frozenset[str]
    store: StoreAccess


def store_of(request: Request) -> StoreAccess:
    """The app's store."""
    store: StoreAccess = request.app.state.store
    return store


def read_context(request: Request) -> Iterator[ReadContext]:
    """FastAPI dependency: a read cursor for the request, released when it is answered."""
    store = store_of(request)
    tables = store.tables()
    with store.reading() as cur:
        yield ReadContext(cur, tables, store)


def is_loopback(host: str | None) -> bool:
    """Whether a client address or Host name is this machine."""
    if not host:
        return False
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""A cache of whole read responses, valid until the server's next write.

While the server runs, the store changes only through its own writes (DuckDB lets no other
process write a file the server holds), so a read's answer stays right until then. Each
write bumps the store's ``generation``, which is part of every key: nothing stale is ever
served, and an analyst team opening the same pages pays for each query once. DuckDB
spends most of a small query planning it, which the cache skips.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["CachedResponse", "ResponseCache"]


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """What is needed to answer again: status, headers (less the length), body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ResponseCache:
    """A thread-safe LRU of ``max_entries`` responses, each at most ``max_bytes``."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 1 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[int, str, str], CachedResponse] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[int, str, str]) -> CachedResponse | None:
        """The cached response for this key, if any (and mark it recently used)."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple[int, str, str], response: CachedResponse) -> None:
        """Keep a response unless it is too big; drop the least recently used beyond the cap."""
        if self.max_entries <= 0 or len(response.body) > self.max_bytes:
            return
        with self._lock:
            # Entries of older generations can never be asked for again.
            stale = [k for k in self._items if k[0] != key[0]]
            for k in stale:
                del self._items[k]
            self._items[key] = response
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

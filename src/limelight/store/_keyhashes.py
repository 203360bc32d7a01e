"""Hashes of the post keys a store holds, so that an ingest batch of new posts skips the
join that looks each key up in the whole table.

Inserting a batch used to anti-join it against every stored key: one scan of the posts
table per batch, so an ingest's cost grew with the square of its size (at 10 million
posts, 24.5 s of a 99 s ingest went to the posts insert). During ``bulk_writes`` the store
keeps the 64-bit hashes of its keys here (8 bytes a post). A batch key whose hash is not
among them cannot be stored; only keys whose hash is found (stored before, or a hash
collision) are looked up in the table. Identical keys always hash alike, so no stored key
is ever missed; a collision costs one exact lookup, never a wrong answer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["KeyHashes"]

Hashes = npt.NDArray[np.uint64]


class KeyHashes:
    """A set of 64-bit hashes kept as a few sorted runs.

    Each batch's hashes are sorted into a run of their own; a run is merged into the one
    before it while it is at least half that one's size, so there are O(log n) runs and
    each hash is merged O(log n) times. A stable sort of two sorted runs placed end to end
    is a linear merge (NumPy's timsort finds the runs).
    """

    __slots__ = ("_runs",)

    def __init__(self, hashes: Hashes | None = None) -> None:
        self._runs: list[Hashes] = []
        if hashes is not None and len(hashes):
            self._runs.append(np.sort(hashes))

    def __len__(self) -> int:
        return sum(len(r) for r in self._runs)

    def may_hold(self, hashes: Hashes) -> npt.NDArray[np.bool_]:
        """Per hash: True if it is in the set (its key may be stored), False if not."""
        # Searched in sorted order: NumPy's binary search starts from the previous key's
        # place when keys ascend, six times faster than random order on a 10M run.
        order = np.argsort(hashes)
        needles = hashes[order]
        hit = np.zeros(len(hashes), dtype=bool)
        for run in self._runs:
            at = np.searchsorted(run, needles)
            inside = at < len(run)
            hit[inside] |= run[at[inside]] == needles[inside]
        found = np.empty(len(hashes), dtype=bool)
        found[order] = hit
        return found

    def add(self, hashes: Hashes) -> None:
        """Add hashes (repeats of ones held are harmless: they only cost space)."""
        if not len(hashes):
            return
        self._runs.append(np.sort(hashes))
        while len(self._runs) > 1 and 2 * len(self._runs[-1]) >= len(self._runs[-2]):
            last = self._runs.pop()
            self._runs[-1] = np.sort(np.concatenate([self._runs[-1], last]), kind="stable")

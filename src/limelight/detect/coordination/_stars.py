"""Star clustering: each linked node joins a centre it is linked to, never a chain.

Both ways of finding near-duplicate texts (MinHash in ``_similar``, embeddings in
``_paraphrase``) end with checked links between texts and need clusters whose item, the
centre's text, stands for every member. Connected components would chain A~B~C~D into
one cluster whose ends share nothing; stars keep every member one checked link from its
centre.
"""

from __future__ import annotations

import numpy as np

from limelight.detect.coordination._numbers import MIX, distinct_ints

__all__ = ["star_clusters"]


def star_clusters(n: int, links: np.ndarray) -> np.ndarray:
    """Each node's cluster: the centre it joined (itself for a centre or a lone node).

    Greedy star clustering, run in parallel rounds: among the nodes still unassigned, a
    node becomes a centre when no linked unassigned node outranks it (more unassigned
    links first, then a fixed pseudo-random order), and every unassigned node linked to a
    centre joins its highest-ranked one. Every member is thus linked to its centre by a
    checked pair, so a cluster cannot drift: connected components chained 599,153 of
    600,000 generated texts from a 25-word vocabulary into one cluster at Jaccard 0.5.
    A node with no unassigned link left stands alone. The pseudo-random order (not the
    node number) keeps the rounds few on a chain of equal degrees.
    """
    label = np.arange(n, dtype=np.int64)
    if not links.size or n < 2:
        return label
    code = distinct_ints(np.sort(links, axis=1) @ np.array([n, 1], dtype=np.int64))
    a, b = code // n, code % n
    a, b = a[a != b], b[a != b]
    # A fixed permutation of the nodes (a multiply-xorshift hash, then its ranks).
    mixed = np.arange(n, dtype=np.uint64) * MIX
    mixed ^= mixed >> np.uint64(29)
    node_of = np.argsort(mixed, kind="stable")  # the node at each rank
    rank = np.empty(n, dtype=np.int64)
    rank[node_of] = np.arange(n, dtype=np.int64)
    while a.size:
        degree = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
        key = degree * np.int64(n) + rank  # distinct for distinct nodes
        best = key.copy()
        np.maximum.at(best, a, key[b])
        np.maximum.at(best, b, key[a])
        centre = (best == key) & (degree > 0)
        pick = np.full(n, -1, dtype=np.int64)
        joins_a = centre[a] & ~centre[b]  # b joins a
        joins_b = centre[b] & ~centre[a]
        np.maximum.at(pick, b[joins_a], key[a[joins_a]])
        np.maximum.at(pick, a[joins_b], key[b[joins_b]])
        joined = pick >= 0
        label[joined] = node_of[pick[joined] % n]
        done = centre | joined
        alive = ~(done[a] | done[b])
        a, b = a[alive], b[alive]
    return label

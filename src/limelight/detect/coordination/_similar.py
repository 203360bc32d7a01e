"""Near-duplicate text clusters for the co-similar-text behaviour (MinHash LSH).

Copy-pasta campaigns change a word or two between accounts, so exact co-text misses them.
Each distinct normalized text becomes a set of word shingles; MinHash signatures and
locality-sensitive hashing (datasketch's ``MinHashLSH``) propose pairs of texts whose
Jaccard similarity is probably above the threshold; each proposal is then checked with
the *exact* Jaccard similarity of the two shingle sets, so LSH only saves work and never
invents a match. Texts joined by checked pairs form a cluster (connected components, so
A~B and B~C put A and C together); the cluster's item is its lexicographically smallest
text, which names the cluster and shows an analyst what was shared.

The defaults follow coordination-network-toolkit's co_similar_tweet: word sets (shingles
of one word) and Jaccard >= 0.8 (its ``--similarity_threshold`` default). Texts with fewer
than ``min_tokens`` words are left out, as the toolkit's ``--min_document_size_similarity``
does: short texts ("thank you!") are near-duplicates of each other by chance.

Work is per distinct text, not per post, and runs in Python (datasketch hashes each text's
shingles with numpy); a few hundred thousand distinct texts take well under a minute.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["near_duplicate_items", "shingles"]

_WORD = re.compile(r"\w+")


def shingles(text: str, size: int) -> tuple[int, frozenset[str]]:
    """The number of words in ``text`` and its set of ``size``-word shingles."""
    words = _WORD.findall(text)
    if len(words) <= size:
        return len(words), frozenset([" ".join(words)]) if words else frozenset()
    return len(words), frozenset(
        " ".join(words[i : i + size]) for i in range(len(words) - size + 1)
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


def near_duplicate_items(
    texts: pa.ChunkedArray | pa.Array,
    *,
    threshold: float = 0.8,
    shingle_size: int = 1,
    min_tokens: int = 5,
    num_perm: int = 128,
    random_state: int = 1,
) -> pa.Array:
    """The near-duplicate cluster item of each text (null where a text is too short).

    ``texts`` are already normalized (one per action); equal texts get the same item and
    so do texts chained by exact Jaccard similarity >= ``threshold`` among the pairs that
    LSH proposes. ``random_state`` seeds the MinHash permutations: a different seed can
    change which borderline pairs LSH proposes, never the similarity of a proposed pair.
    """
    # Imported here: datasketch pulls in scipy, seconds of start-up every other path skips.
    from datasketch import MinHash, MinHashLSH

    distinct = pc.unique(texts).drop_null()
    values: list[str] = distinct.to_pylist()
    sets: list[frozenset[str] | None] = []
    for text in values:
        n_words, grams = shingles(text, shingle_size)
        sets.append(grams if n_words >= min_tokens and grams else None)
    kept = [i for i, s in enumerate(sets) if s is not None]
    parent = list(range(len(values)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(kept) > 1:
        signatures = MinHash.bulk(
            ([g.encode("utf-8") for g in sets[i]] for i in kept),  # type: ignore[union-attr]
            num_perm=num_perm,
            seed=random_state,
        )
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        with lsh.insertion_session() as session:
            for i, signature in zip(kept, signatures, strict=True):
                session.insert(i, signature, check_duplication=False)
        for i, signature in zip(kept, signatures, strict=True):
            for j in lsh.query(signature):
                if j > i and _jaccard(sets[i], sets[j]) >= threshold:  # type: ignore[arg-type]
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
    # Sorting once makes the smallest member of each cluster the first one seen.
    representative: dict[int, str] = {}
    for i in sorted(kept, key=values.__getitem__):
        representative.setdefault(find(i), values[i])
    items = pa.array(
        [representative[find(i)] if sets[i] is not None else None for i in range(len(values))],
        type=pa.string(),
    )
    return pc.take(items, pc.index_in(texts, value_set=distinct))

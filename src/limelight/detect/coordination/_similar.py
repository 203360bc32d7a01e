"""Near-duplicate text clusters for the co-similar-text behaviour (MinHash LSH, set-based).

Copy-pasta campaigns change a word or two between accounts, so exact co-text misses them.
Each distinct normalized text becomes a set of word shingles; MinHash signatures and
locality-sensitive hashing (LSH) propose pairs of texts whose Jaccard similarity is
probably above the threshold; each proposal is then checked with the *exact* Jaccard
similarity of the two shingle sets, so LSH only saves work and never invents a match.
Checked pairs group the texts into stars: each cluster has a centre text and every other
member is a checked near-duplicate of it (``star_clusters``), so a chain A~B~C~D... of
look-alike texts cannot grow into one cluster of things that share nothing. The centre's
text is the cluster's item, which names the cluster and shows an analyst what was shared.

The defaults follow coordination-network-toolkit's co_similar_tweet: word sets (shingles
of one word) and Jaccard >= 0.8 (its ``--similarity_threshold`` default). Texts with fewer
than ``min_tokens`` words are left out, as the toolkit's ``--min_document_size_similarity``
does: short texts ("thank you!") are near-duplicates of each other by chance.

How it scales: nothing runs per text in Python. Exact copies are collapsed first (the work
is per distinct text). Arrow splits the texts into words (DuckDB builds longer shingles)
and each distinct shingle is hashed to 64 bits; numpy computes the MinHash signatures
(``num_perm`` multiply-add-shift hash functions; the texts of one length form a table,
and each text's minimum is taken down its column); the signature is cut into bands and
texts that agree on a whole band are candidates (sorting each band's keys, not a Python
index); the exact Jaccard of every candidate pair is counted in numpy; the stars come
from a few rounds of array operations. Given the texts' times and a window, texts are
proposed only when posted in the same or neighbouring window-wide time cells, and the
work runs in chunks of cells, so memory follows a chunk. At a million generated posts
(about half a million distinct texts) this takes about a minute on two loaded cores
where a per-text Python index (datasketch) was stopped after a quarter of an hour
(docs/coordination.md, "Speed").

Bands and rows: ``b`` bands of ``r`` rows (``b * r <= num_perm``) are chosen to minimise
the weighted area of wrongly proposed (below the threshold) and wrongly missed (above it)
similarities, the criterion datasketch's ``MinHashLSH`` uses, but with a false miss
weighted 0.9 and a false proposal 0.1: a proposal costs one exact check, a miss loses a
match. At the default 0.8 and 128 permutations that is 14 bands of 9 rows (a pair at
Jaccard 0.8 is proposed with probability 0.87, at 0.9 with 0.999).

How many permutations (``default_num_perm``): 64 from a threshold of 0.7 up, 128 below.
At 0.8, 64 give 9 bands of 7 rows (0.88 at 0.8, 0.997 at 0.9) for half the hashing and
fewer band sorts; every proposal is checked exactly, so the price is only more checks of
pairs below the threshold, and on the IRA tweets the share of truly similar pairs found
was the same (docs/coordination.md, "Speed"). At 0.5, 64 give bands of 3 rows, which
propose 2 % of unrelated pairs (Jaccard 0.1) against 0.3 % with 128's bands of 4 rows:
at 10M generated posts that took clustering from 56 to 113 s.

A band shared by very many texts (a mass of variants of one template) would make a
quadratic number of pairs; within a band bucket each text is paired with the next
``_NEIGHBOURS`` texts only (in a fixed order), which keeps a cluster of true
near-duplicates connected while its pairs grow linearly.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.coordination._duck import connect
from limelight.detect.coordination._numbers import (
    MIX,
    distinct_ints,
    index_ranges,
    numbered,
    without_repeats,
)
from limelight.detect.coordination._stars import star_clusters

__all__ = [
    "default_num_perm",
    "lsh_bands",
    "near_duplicate_codes",
    "near_duplicate_items",
    "shared_clusters",
    "shingles",
]

_WORD = re.compile(r"\w+")
# Python's \w (letters, digits, underscore) in RE2's terms, so SQL and Python agree.
_WORD_SQL = r"[\pL\pN_]+"
_NOT_WORD_SQL = r"[^\pL\pN_]+"
# Pairs per text within one band bucket (see the module docstring).
_NEIGHBOURS = 32
# Shingle rows per block of the exact check (x 64): bounds its memory.
_BLOCK = 1 << 17
# Candidate pairs per block when they are mapped to texts and checked: bounds memory.
_PAIR_BLOCK = 1 << 22
# Text-time rows per chunk when texts are compared within time cells: bounds memory.
_CHUNK = 1_000_000
# Hash buckets whose shingle counts bound two texts' intersection (``_bucket_counts``).
_BUCKET_BITS = 6
_BUCKETS = 1 << _BUCKET_BITS
# Texts up to this many bytes are split into words by Arrow (``_words``), whose string
# arrays hold at most 2 GiB; more go to DuckDB, which splits them in a stream.
_ARROW_SPLIT_BYTES = 2**31 - 1
# Rows per block when the proposed texts' shingle sets are made exact (``_text_sets``).
_PIECE = 1 << 17
# Threads making and sorting band keys (numpy releases the GIL in that work).
_THREADS = 2
# Weights of a missed and of a wrongly proposed similarity when choosing the bands.
_MISS, _PROPOSE = 0.9, 0.1


def shingles(text: str, size: int) -> tuple[int, frozenset[str]]:
    """The number of words in ``text`` and its set of ``size``-word shingles."""
    words = _WORD.findall(text)
    if len(words) <= size:
        return len(words), frozenset([" ".join(words)]) if words else frozenset()
    return len(words), frozenset(
        " ".join(words[i : i + size]) for i in range(len(words) - size + 1)
    )


def default_num_perm(threshold: float) -> int:
    """MinHash permutations for ``threshold``: 64 from 0.7 up, 128 below (module docstring)."""
    return 64 if threshold >= 0.7 else 128


@functools.lru_cache(maxsize=64)
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """The (bands, rows) that best separate similarities below and above ``threshold``.

    Minimises ``0.1 * P(proposed | s < t) + 0.9 * P(missed | s >= t)`` integrated over the
    similarity ``s`` (the module docstring says why misses weigh more).
    """
    grid = np.linspace(0.0, 1.0, 1001)
    below = grid < threshold
    best: tuple[float, int, int] = (math.inf, 1, num_perm)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            p = 1.0 - (1.0 - grid**r) ** b
            cost = _PROPOSE * np.trapezoid(np.where(below, p, 0.0), grid)
            cost += _MISS * np.trapezoid(np.where(below, 0.0, 1.0 - p), grid)
            if cost < best[0]:
                best = (float(cost), b, r)
    return best[1], best[2]


def _shingle_ids(
    distinct: pa.Array, shingle_size: int, min_tokens: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text numbers and shingle numbers, rows grouped by text, and the shingle hashes.

    Returns ``(tid, sid, uniq)``: ``tid`` ascending, ``uniq`` the distinct 64-bit
    shingle hashes that ``sid`` indexes (in the order first met). A text's rows may
    repeat a shingle (a word said twice): the MinHash minimum is the same either way,
    and only the few texts that LSH proposes need their sets exact (``_text_sets``), so
    the sort that drops repeats runs on those alone. Only texts with at least
    ``min_tokens`` words take part. A text of ``shingle_size`` words or fewer is one
    shingle (its words joined), as ``shingles`` does. Single words (the default) are
    split by Arrow (``_words``) unless the texts pass 2 GiB; longer shingles, and those
    texts, are split and hashed by DuckDB. The word count is tested inside the
    projection: as a ``WHERE`` on the words, DuckDB would push the split into the filter
    and split every text twice.
    """
    k = int(shingle_size)
    if k == 1 and distinct.nbytes < _ARROW_SPLIT_BYTES:
        return _words(distinct, min_tokens)
    grams = "w"
    if k > 1:
        grams = (
            f"CASE WHEN len(w) <= {k} THEN [array_to_string(w, ' ')] ELSE "
            f"list_transform(range(len(w) - {k - 1}), "
            f"lambda i: array_to_string(w[i + 1:i + {k}], ' ')) END"
        )
    with connect() as conn:
        conn.execute("SET SESSION preserve_insertion_order = false")
        n = len(distinct)
        conn.register("_texts", pa.table({"tid": np.arange(n, dtype=np.int32), "text": distinct}))
        rows = conn.sql(
            f"""
            WITH t AS (
                SELECT tid, regexp_extract_all(text, '{_WORD_SQL}') AS w
                FROM _texts)
            SELECT tid, hash(unnest(CASE WHEN len(w) >= {max(int(min_tokens), 1)}
                                         THEN {grams} END)) AS h
            FROM t
            """
        ).to_arrow_table()
    tid = rows.column("tid").to_numpy().astype(np.int64)
    # Shingle numbers from a hash table, not a sort: np.unique's argsort of the millions
    # of rows took 2.4 s at a million posts where this takes 0.1 s.
    encoded = pc.dictionary_encode(rows.column("h").combine_chunks())
    del rows
    uniq = encoded.dictionary.to_numpy().astype(np.uint64)
    inverse = encoded.indices.to_numpy().astype(np.int64)
    del encoded
    return _distinct_rows(tid, inverse, uniq)  # the sort groups the rows by text


def _distinct_rows(
    tid: np.ndarray, inverse: np.ndarray, uniq: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(tid, sid, uniq)`` from text and shingle numbers: each pair once, sorted."""
    width = np.int64(max(uniq.size, 1))
    code = distinct_ints(tid * width + inverse)
    del tid, inverse
    return (code // width).astype(np.int32), (code % width).astype(np.int32), uniq


def _text_sets(
    starts: np.ndarray, sid: np.ndarray, positions: np.ndarray, uniq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the texts at ``positions`` (ascending), each text's shingles a set.

    ``starts`` and ``sid`` are every text's rows, grouped by text, repeats allowed;
    returns ``(starts, sid)`` of the chosen texts in that order, each text's shingle
    numbers distinct and ascending, as ``_bucket_counts`` and ``_verified`` need. The
    texts go a block of about ``_PIECE`` rows at a time, so what this adds to the memory
    of a run is its 32-bit result, not a few 64-bit copies of every row; the blocks are
    sorted on two threads (numpy's sort lets go of the interpreter lock): in campaigns
    this runs while the other behaviours wait for it, one core idle.
    """
    width = np.int64(max(uniq.size, 1))
    sizes = np.diff(np.r_[starts, sid.size])[positions]
    cut = np.searchsorted(np.cumsum(sizes), np.arange(_PIECE, int(sizes.sum()), _PIECE))
    bounds = distinct_ints(np.r_[0, cut + 1, positions.size].clip(0, positions.size))

    def block_sets(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        block = np.arange(hi - lo, dtype=np.int64)
        code = np.repeat(block * width, sizes[lo:hi])
        code += sid[index_ranges(starts[positions[lo:hi]], sizes[lo:hi])]
        code = without_repeats(np.sort(code))
        return (code % width).astype(np.int32), np.bincount(code // width, minlength=hi - lo)

    exact, counts = [np.empty(0, dtype=np.int32)], [np.empty(0, dtype=np.int64)]
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        for block_exact, block_counts in pool.map(
            lambda span: block_sets(*span), pairwise(bounds.tolist())
        ):
            exact.append(block_exact)
            counts.append(block_counts)
    per_text = np.concatenate(counts)
    return np.cumsum(per_text) - per_text, np.concatenate(exact)


def _words(distinct: pa.Array, min_tokens: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each word of the texts with ``min_tokens`` words or more: (text, word number), hashes.

    The words are what ``regexp_extract_all`` with ``_WORD_SQL`` finds (``_split_words``),
    numbered by a hash table, and only the distinct words hashed, by DuckDB's ``hash``
    (so a word's hash is the one the DuckDB path gives). At a million texts this took
    about a second where splitting and hashing every word in DuckDB took two to three.
    """
    n = len(distinct)
    flat, per_text = _split_words(distinct)
    enough = per_text >= max(int(min_tokens), 1)
    if not enough.all():
        flat = flat.filter(pa.array(np.repeat(enough, per_text)))
    owner = np.repeat(np.arange(n, dtype=np.int32), np.where(enough, per_text, 0))
    names, numbers = numbered(flat)
    del flat
    with connect() as conn:
        conn.register("_words", pa.table({"w": names}))
        hashes = conn.sql("SELECT hash(w) AS h FROM _words").to_arrow_table().column("h")
    uniq = hashes.to_numpy().astype(np.uint64)
    return owner, numbers.to_numpy(), uniq


def _split_words(texts: pa.Array) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Every text's words in order (the runs of ``_WORD_SQL``), and each text's count.

    The texts go in blocks of about ``_SPLIT_BYTES`` on two threads (numpy and Arrow's
    kernels let go of the interpreter lock), so memory follows a block, not the texts.
    """
    if not (pa.types.is_string(texts.type) or pa.types.is_large_string(texts.type)):
        texts = texts.cast(pa.large_string())  # string views and the like: plain offsets
    offsets = _offsets(texts)
    cuts = np.searchsorted(
        offsets, np.arange(int(offsets[0]) + _SPLIT_BYTES, int(offsets[-1]), _SPLIT_BYTES)
    )
    bounds = distinct_ints(np.r_[0, cuts, len(texts)].clip(0, len(texts))).tolist()
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        parts = list(
            pool.map(lambda s: _block_words(texts.slice(s[0], s[1] - s[0])), pairwise(bounds))
        )
    words = pa.chunked_array([p[0] for p in parts], type=pa.string())
    counts = np.concatenate([np.empty(0, dtype=np.int64), *(p[1] for p in parts)])
    return words, counts


#: The bytes that are word characters (``_WORD_SQL``) on their own: ASCII letters,
#: digits and the underscore. A byte from 0x80 is part of a longer character.
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[np.frombuffer(b"0123456789_", dtype=np.uint8)] = True
_WORD_BYTE[ord("A") : ord("Z") + 1] = _WORD_BYTE[ord("a") : ord("z") + 1] = True
# Texts per block of ``_split_words``, by bytes: a block's byte masks and copies are a
# few times this, per thread (32 MiB blocks raised a 1M-post campaigns run's peak by
# about 100 MB).
_SPLIT_BYTES = 1 << 23


def _block_words(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """``_split_words`` for one block of texts.

    A text of ASCII alone (most texts in most collections) is split in numpy: a word is a
    run of word bytes inside one text, found with a table lookup and a comparison of
    neighbours over the block's bytes, and the words are the word bytes copied out with
    their lengths as offsets. In the 557,696 distinct texts of a million generated posts
    this took 0.5 to 0.7 s of CPU where Arrow's regular expressions (with the dropping of
    empty pieces) took 1.9 to 2.2. The texts with other characters (``\\pL`` and
    ``\\pN`` reach far beyond ASCII) are split by Arrow's regular-expression kernel
    (RE2, as DuckDB's) and their words put in place.
    """
    n = len(texts)
    if texts.null_count or n == 0 or texts.buffers()[2] is None:
        return _regex_words(texts)
    offsets = _offsets(texts)
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets = (offsets - offsets[0]).astype(np.int64)
    size = data.size
    if size == 0:
        return pa.array([], pa.string()), np.zeros(n, dtype=np.int64)
    word = _WORD_BYTE[data]
    wide = np.flatnonzero(data >= 0x80)
    others = distinct_ints(np.searchsorted(offsets, wide, side="right") - 1)
    if others.size:
        lengths = offsets[others + 1] - offsets[others]
        word[index_ranges(offsets[others], lengths)] = False
    # A word starts at a word byte after a non-word byte or at a text's first byte, and
    # ends likewise; texts lie back to back, so their first and last bytes are set apart.
    first = offsets[:-1][offsets[:-1] < size]
    last = offsets[1:][offsets[1:] > 0] - 1
    starts = np.empty(size, dtype=bool)
    starts[0] = word[0]
    np.greater(word[1:], word[:-1], out=starts[1:])
    starts[first] = word[first]
    ends = np.empty(size, dtype=bool)
    ends[-1] = word[-1]
    np.greater(word[:-1], word[1:], out=ends[:-1])
    ends[last] = word[last]
    begin = np.flatnonzero(starts)
    del starts
    length = np.flatnonzero(ends) + 1 - begin
    del ends
    word_offsets = np.zeros(begin.size + 1, dtype=np.int32)
    np.cumsum(length, out=word_offsets[1:])
    counts = np.diff(np.searchsorted(begin, offsets)).astype(np.int64)
    words = pa.StringArray.from_buffers(
        begin.size, pa.py_buffer(word_offsets), pa.py_buffer(np.ascontiguousarray(data[word]))
    )
    del begin, word
    if others.size == 0:
        return words, counts
    # The other texts' words, put after the words of the texts before them.
    other_words, other_counts = _regex_words(texts.take(pa.array(others)))
    owner = np.r_[np.repeat(np.arange(n), counts), np.repeat(others, other_counts)]
    counts[others] = other_counts
    order = np.argsort(owner, kind="stable")  # two ascending runs: a merge
    return pa.concat_arrays([words, other_words.cast(pa.string())]).take(pa.array(order)), counts


def _offsets(texts: pa.Array) -> np.ndarray:
    """A string or large string array's value offsets, as they lie in its buffer."""
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    return np.frombuffer(texts.buffers()[1], dtype=width)[
        texts.offset : texts.offset + len(texts) + 1
    ]


def _regex_words(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """``_split_words`` by Arrow's regular-expression kernel, for any texts."""
    pieces = pc.split_pattern_regex(texts, _NOT_WORD_SQL)
    lengths = pc.fill_null(pc.list_value_length(pieces), 0).to_numpy().astype(np.int64)
    flat = pc.list_flatten(pieces)
    # The split leaves an empty string where a text starts or ends with a non-word
    # character, and for a text with no word at all; a separator is a whole run of
    # non-word characters, so every other piece is a word.
    kept = pc.greater(pc.binary_length(flat), 0)
    owner = np.repeat(np.arange(len(texts)), lengths)
    counts = np.bincount(owner[kept.to_numpy(zero_copy_only=False)], minlength=len(texts)).astype(
        np.int64
    )
    return flat.filter(kept).cast(pa.string()), counts


class _BandKeys:
    """Per band, one 64-bit key per text (texts in ``tid`` order): its ``rows`` MinHashes mixed.

    Hash function ``i`` is ``(a_i * x + b_i) mod 2^64 >> 32`` with ``a_i`` odd, a
    multiply-add-shift family, universal from 64-bit keys to 32-bit values; it is applied
    to each distinct shingle once (``uniq``, indexed by ``sid``). The texts are grouped by
    their number of rows: the rows of ``n`` texts of length ``L`` are an ``L x n`` table
    of shingle numbers (``_Lengths``), so a band's minimums are one gather of its ``rows``
    hash values per shingle row and one column-wise ``minimum`` over the table, where a
    ``minimum.reduceat`` per hash function over the texts' rows took twice as long. A
    band's key is made when asked for, so memory stays a few arrays as long as the
    shingle table whatever ``num_perm`` is.
    """

    def __init__(
        self,
        tid: np.ndarray,
        sid: np.ndarray,
        uniq: np.ndarray,
        num_perm: int,
        seed: int,
        bands: tuple[int, int],
    ) -> None:
        rng = np.random.default_rng(seed)
        self.a = rng.integers(0, 2**63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 2**63, num_perm, dtype=np.uint64)
        # Where each text's rows begin (none without rows).
        self.starts = np.flatnonzero(np.r_[tid.size > 0, tid[1:] != tid[:-1]])
        self.sid = sid
        self.uniq = uniq
        self.n_bands, self.rows = bands
        self.lengths = _Lengths(self.starts, sid)

    def __call__(self, band: int) -> np.ndarray:
        """The key of every text in ``band``."""
        shift = np.uint64(32)
        cols = range(band * self.rows, (band + 1) * self.rows)
        # One row of hash values per shingle: a gathered row brings the band's all.
        values = np.empty((self.uniq.size, self.rows), dtype=np.uint32)
        for j, col in enumerate(cols):
            values[:, j] = (self.uniq * self.a[col] + self.b[col]) >> shift
        lowest = self.lengths.minimums(values)
        key = np.zeros(self.starts.size, dtype=np.uint64)
        for j in range(self.rows):
            key ^= lowest[:, j]
            key *= MIX
            key ^= key >> np.uint64(29)
        out = np.empty_like(key)
        out[self.lengths.order] = key
        return out


class _Lengths:
    """The texts' shingle rows regrouped by text length, for column-wise minimums.

    ``order`` lists the texts by length (ties in text order); ``pieces`` holds, for each
    run of equal-length texts in that order, ``(lo, hi, table)`` with ``table[j, i]`` the
    ``j``-th shingle number of text ``order[lo + i]``. A run is cut so that a table holds
    at most ``_PIECE`` rows: the gathered values of a piece stay a few MB. 32-bit, as
    ``sid``: the tables are as large as the shingle rows.
    """

    def __init__(self, starts: np.ndarray, sid: np.ndarray) -> None:
        sizes = np.diff(np.r_[starts, sid.size])
        self.order = np.argsort(sizes, kind="stable")
        by_length = sizes[self.order]
        runs = np.flatnonzero(np.r_[True, by_length[1:] != by_length[:-1]])
        self.pieces: list[tuple[int, int, np.ndarray]] = []
        for lo, end in pairwise([*runs.tolist(), sizes.size] if sizes.size else []):
            length = int(by_length[lo])
            step = max(_PIECE // length, 1)
            for a in range(lo, end, step):
                b = min(a + step, end)
                first = starts[self.order[a:b]]
                rows = first[None, :] + np.arange(length, dtype=np.int64)[:, None]
                self.pieces.append((a, b, sid[rows]))

    def minimums(self, values: np.ndarray) -> np.ndarray:
        """Per text (in ``order``), the column-wise minimum of ``values`` over its rows."""
        out = np.empty((self.order.size, values.shape[1]), dtype=np.uint64)
        for lo, hi, table in self.pieces:
            out[lo:hi] = np.take(values, table, axis=0).min(axis=0)
        return out


def _bucket_pairs(key: np.ndarray, near: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Pairs of positions whose keys are equal, one band's share, as distinct pair codes.

    A pair ``(i, j)``, ``i < j``, is the single number ``i * n + j`` (``n`` = number of
    keys): half the memory of two columns, and repeats go with one integer sort. With
    ``near`` = (time cell, text) per position, positions must come in cell order, and
    only pairs of different texts in the same or neighbouring cells are kept: within a
    bucket the positions then follow the cells, so the next ``_NEIGHBOURS`` of a text are
    the texts posted nearest after it.
    """
    n = np.int64(key.size)
    order = _key_order(key)
    k = key[order]
    same = k[1:] == k[:-1]
    if near is not None:
        # Within a bucket the cells ascend, so a text with a close partner has one right
        # beside it: the rest of a bucket (texts of other hours) never enters the loop.
        cells = near[0][order]
        same &= cells[1:] - cells[:-1] <= 1
        del cells
    if not same.any():
        return np.empty(0, dtype=np.int64)
    # Only texts in buckets of two or more can pair.
    in_bucket = np.r_[same, False] | np.r_[False, same]
    members = order[in_bucket]
    mk = k[in_bucket]
    if near is not None:
        cell, text = near[0][members], near[1][members]
    found = [np.empty(0, dtype=np.int64)]
    for d in range(1, _NEIGHBOURS + 1):
        if d >= members.size:
            break
        hit = np.flatnonzero(mk[d:] == mk[:-d])
        if near is not None:
            # Close at distance d implies close at every shorter one (cells ascend).
            hit = hit[cell[hit + d] - cell[hit] <= 1]
        if not hit.size:
            break
        if near is not None:
            hit = hit[text[hit + d] != text[hit]]
        first, second = members[hit], members[hit + d]
        found.append(np.minimum(first, second) * n + np.maximum(first, second))
    return distinct_ints(np.concatenate(found))


def _band_pairs(
    band_key: Callable[[int], np.ndarray],
    n_bands: int,
    near: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Candidate pairs of positions that share any band's key, as distinct codes.

    ``band_key(band)`` makes a band's keys; the codes are ``first * n + second`` (``n``
    keys a band) with ``first < second`` (``_decoded`` turns them back); ``near`` goes to
    ``_bucket_pairs``. Bands are independent and numpy lets go of the interpreter lock in
    its sorts, gathers and reductions, so two threads work on two bands at once. Each
    band's codes are made distinct at once and merged with the others' whenever they
    outgrow what is already merged, so memory follows the distinct proposals, not the sum
    over bands (58 million proposals, 39 million distinct, on a flood of look-alike texts).
    """
    merged = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    waiting = 0
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        for part in pool.map(lambda band: _bucket_pairs(band_key(band), near), range(n_bands)):
            pending.append(part)
            waiting += part.size
            if waiting > max(merged.size, 1 << 20):
                merged = _merged(merged, pending, runs=True)
                pending, waiting = [], 0
    return _merged(merged, pending, runs=True) if pending else merged


def _merged(merged: np.ndarray, pending: list[np.ndarray], *, runs: bool = False) -> np.ndarray:
    """The distinct values of ``merged`` and ``pending`` together, sorted in place.

    With ``runs`` (each array already ascending) the sort is numpy's stable one, a
    timsort that merges the runs it finds: on a band's proposals merged into those before
    it, 4 to 15 times faster than the default sort, which takes no notice of them.
    """
    values = np.concatenate([merged, *pending])
    del merged
    pending.clear()
    values.sort(kind="stable" if runs else "quicksort")
    return without_repeats(values)


def _decoded(code: np.ndarray, n: int) -> np.ndarray:
    """Pair codes (``first * n + second``) as rows of two positions."""
    return np.stack([code // np.int64(n), code % np.int64(n)], axis=1)


def _key_order(key: np.ndarray) -> np.ndarray:
    """The positions of ``key`` (uint64) in key order, ties by position: a stable argsort.

    Each key's low bits are replaced by its position and the packed values sorted (a
    plain integer sort, about 5x faster than ``argsort`` at a million keys). Keys equal
    but for those low bits then sort by position among themselves, which can interleave
    two distinct keys only when they agree on their top ``64 - log2(n)`` bits (a chance
    of about ``n^2 / 2^(65 - log2 n)`` per band); the caller compares the full keys, so
    such a case can only drop a candidate, never invent one.
    """
    n = key.size
    if n < 2:
        return np.arange(n, dtype=np.int64)
    bits = int(n - 1).bit_length()
    low = np.uint64((1 << bits) - 1)
    packed = key & ~low
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    return (packed & low).astype(np.int64)


def _bucket_counts(starts: np.ndarray, sid: np.ndarray, uniq: np.ndarray) -> np.ndarray:
    """Per text, how many of its shingles fall in each of ``_BUCKETS`` hash buckets.

    Two texts share at most ``min(a_j, b_j)`` shingles in bucket ``j``, so the sum of
    those minimums bounds their intersection from above (``_possible``) whatever the
    hash does. One row a text, uint8 unless a bucket holds more than 255 shingles.
    """
    n = starts.size
    bucket = (uniq[sid] >> np.uint64(64 - _BUCKET_BITS)).astype(np.uint8)
    sizes = np.diff(np.r_[starts, sid.size])
    out = np.zeros((n, _BUCKETS), dtype=np.uint8)
    step = 1 << 14  # texts per bincount: a million counts at a time
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        rows = slice(int(starts[lo]), int(starts[hi]) if hi < n else sid.size)
        owner = np.repeat(np.arange(hi - lo, dtype=np.int64), sizes[lo:hi])
        counts = np.bincount(owner * _BUCKETS + bucket[rows], minlength=(hi - lo) * _BUCKETS)
        if out.dtype == np.uint8 and counts.max(initial=0) > np.iinfo(np.uint8).max:
            out = out.astype(np.uint32)  # a long text: wider counts from here on
        out[lo:hi] = counts.reshape(hi - lo, _BUCKETS)
    return out


def _possible(
    counts: np.ndarray, size_a: np.ndarray, size_b: np.ndarray, pairs: np.ndarray, threshold: float
) -> np.ndarray:
    """Which pairs may reach ``threshold``: a bound that never drops a pair that does.

    Jaccard ``i / (a + b - i)`` grows with the intersection ``i``, which is at most the
    smaller set and at most the bucket-wise minimums' sum (``_bucket_counts``).
    """
    bound = np.minimum(size_a, size_b)
    step = _BLOCK * 2  # pairs per block: two gathers of a few MB
    for lo in range(0, len(pairs), step):
        hi = min(lo + step, len(pairs))
        both = np.minimum(counts[pairs[lo:hi, 0]], counts[pairs[lo:hi, 1]])
        np.minimum(bound[lo:hi], both.sum(axis=1, dtype=np.int64), out=bound[lo:hi])
    ok: np.ndarray = bound >= threshold * (size_a + size_b - bound)
    return ok


def _verified(
    starts: np.ndarray,
    sid: np.ndarray,
    texts: np.ndarray,
    pairs: np.ndarray,
    threshold: float,
    counts: np.ndarray,
) -> np.ndarray:
    """The candidate pairs (text numbers) whose exact Jaccard similarity is >= threshold.

    ``sid`` holds the shingle numbers of text ``i`` from ``starts[i]`` on, ascending
    within each text. Most LSH proposals fall well short of the threshold; those are
    rejected first by a bound from ``counts`` (``_bucket_counts``), and the rest are
    counted exactly: for a block of pairs each side's shingles are keyed by
    (pair, shingle), which keeps each side's keys sorted, and the second side's keys are
    looked up in the first's (each text's shingles are distinct, so a hit is one shared
    shingle).
    """
    n_sh = np.int64(int(sid.max()) + 1 if sid.size else 1)
    sizes = np.diff(np.r_[starts, sid.size])  # row i of the signatures = texts[i]
    keep = np.zeros(len(pairs), dtype=bool)
    size_a, size_b = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    todo = np.flatnonzero(_possible(counts, size_a, size_b, pairs, threshold))
    size_a, size_b = size_a[todo], size_b[todo]
    # Blocks of pairs with about _BLOCK * 64 shingle rows between them.
    work = np.cumsum(size_a + size_b)
    lo = 0
    while lo < todo.size:
        hi = int(np.searchsorted(work, work[lo] + _BLOCK * 64, side="left"))
        hi = min(max(hi, lo + 1), todo.size)
        at = todo[lo:hi]
        block = np.arange(hi - lo, dtype=np.int64)
        la, lb = size_a[lo:hi], size_b[lo:hi]
        first = np.repeat(block, la) * n_sh + sid[index_ranges(starts[pairs[at, 0]], la)]
        owner = np.repeat(block, lb)
        second = owner * n_sh + sid[index_ranges(starts[pairs[at, 1]], lb)]
        pos = np.minimum(np.searchsorted(first, second), first.size - 1)
        shared = np.bincount(owner[first[pos] == second], minlength=hi - lo)
        keep[at] = shared / (la + lb - shared) >= threshold
        lo = hi
    return np.stack([texts[pairs[keep, 0]], texts[pairs[keep, 1]]], axis=1).astype(np.int64)


def _time_cells(
    index: np.ndarray, at_us: np.ndarray, window_us: int, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (text number, time cell) for the texts' posting times, each once, in cell order.

    ``index`` is each post's text number (below ``n``; negative for none). Time is cut
    into cells one window wide. Two posts are compared when their cells are equal or
    neighbours: always when they are within one window of each other, never when they are
    more than two windows apart. The rows come sorted by cell, then text, from one
    integer sort.
    """
    ok = (index >= 0) & ~np.isnan(at_us) if at_us.dtype.kind == "f" else index >= 0
    text, at = index[ok], at_us[ok].astype(np.int64)
    cell = np.floor_divide(at, max(window_us, 1))
    cell -= cell.min(initial=0) if cell.size else 0
    width = np.int64(max(n, 1))
    code = distinct_ints(cell * width + text)
    return code % width, code // width


@dataclass(frozen=True, slots=True)
class _Settings:
    shingle_size: int
    min_tokens: int
    num_perm: int
    seed: int
    threshold: float


def _links(
    texts: pa.Array, settings: _Settings, rows: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Checked near-duplicate links among ``texts`` and the texts that have shingles.

    Both as positions in ``texts``. With ``rows`` (text position, time cell; in cell
    order), texts are proposed only when their band keys agree and they were posted in
    the same or neighbouring cells; without, anywhere.
    """
    tid, sid, uniq = _shingle_ids(texts, settings.shingle_size, settings.min_tokens)
    bands = lsh_bands(settings.threshold, settings.num_perm)
    keys = _BandKeys(tid, sid, uniq, settings.num_perm, settings.seed, bands)
    texts_with = tid[keys.starts]  # row i of every band's keys is text texts_with[i]
    del tid, sid  # the keys hold the shingle numbers as an index; memory follows one copy
    none = np.empty((0, 2), dtype=np.int64)
    if texts_with.size < 2:
        return none, texts_with
    if rows is None:
        code = _band_pairs(keys, keys.n_bands)
    else:
        at = np.searchsorted(texts_with, rows[0])
        has = at < texts_with.size
        has[has] = texts_with[at[has]] == rows[0][has]
        pos, cell = at[has], rows[1][has]
        # A text's rows share its band keys; rows stay in cell order, as ``near`` needs.
        row_code = _band_pairs(lambda band: keys(band)[pos], keys.n_bands, (cell, pos))
        # From pairs of rows (a text in a time cell) to pairs of texts, a block at a time.
        m, rows_n = np.int64(texts_with.size), np.int64(pos.size)
        parts = []
        for lo in range(0, row_code.size, _PAIR_BLOCK):
            block = row_code[lo : lo + _PAIR_BLOCK]
            first, second = pos[block // rows_n], pos[block % rows_n]
            parts.append(np.minimum(first, second) * m + np.maximum(first, second))
        del row_code
        code = _merged(np.empty(0, dtype=np.int64), parts)
    if not code.size:
        return none, texts_with
    # Only the proposed texts need their exact shingle sets, numbered here 0, 1, ...
    m = np.int64(texts_with.size)
    proposed = np.zeros(texts_with.size, dtype=bool)
    for lo in range(0, code.size, _PAIR_BLOCK):
        block = code[lo : lo + _PAIR_BLOCK]
        proposed[block // m] = True
        proposed[block % m] = True
    positions = np.flatnonzero(proposed)
    local = np.cumsum(proposed, dtype=np.int64) - 1
    del proposed
    starts, sid = _text_sets(keys.starts, keys.sid, positions, keys.uniq)
    counts = _bucket_counts(starts, sid, keys.uniq)
    # The proposals are checked a block at a time: memory follows a block, not all of them.
    links = [
        _verified(
            starts,
            sid,
            texts_with[positions],
            local[_decoded(code[lo : lo + _PAIR_BLOCK], texts_with.size)],
            settings.threshold,
            counts,
        )
        for lo in range(0, code.size, _PAIR_BLOCK)
    ]
    return np.concatenate(links), texts_with


def near_duplicate_items(
    texts: pa.ChunkedArray | pa.Array,
    *,
    threshold: float = 0.8,
    shingle_size: int = 1,
    min_tokens: int = 5,
    num_perm: int | None = None,
    random_state: int = 1,
    at_us: pa.ChunkedArray | pa.Array | None = None,
    window: float | None = None,
) -> pa.Array:
    """The near-duplicate cluster item of each text (null where a text is too short).

    ``texts`` are already normalized (one per action); equal texts get the same item and
    so do texts chained by exact Jaccard similarity >= ``threshold`` among the pairs that
    LSH proposes. ``random_state`` seeds the MinHash hash functions: a different seed can
    change which borderline pairs LSH proposes, never the similarity of a proposed pair.
    ``num_perm`` (MinHash permutations) defaults to ``default_num_perm(threshold)``.

    With ``at_us`` (each text's time in epoch microseconds) and a finite ``window``
    (seconds), two texts are compared only when they were posted close in time (in the
    same or neighbouring window-wide time cells: always within one window, never more
    than two windows apart), as the embedding method does: co-action edges need the
    posts within the window anyway, the chains of similar texts cannot walk across a
    day of posts on one topic, and at millions of posts the proposals stay few.
    """
    names, index = numbered(texts)
    codes = near_duplicate_codes(
        names,
        index,
        threshold=threshold,
        shingle_size=shingle_size,
        min_tokens=min_tokens,
        num_perm=num_perm,
        random_state=random_state,
        at_us=at_us,
        window=window,
    )
    return names.take(pa.array(codes, mask=codes < 0))


def near_duplicate_codes(
    distinct: pa.Array,
    index: pa.ChunkedArray | pa.Array,
    *,
    threshold: float = 0.8,
    shingle_size: int = 1,
    min_tokens: int = 5,
    num_perm: int | None = None,
    random_state: int = 1,
    at_us: pa.ChunkedArray | pa.Array | None = None,
    window: float | None = None,
) -> np.ndarray:
    """``near_duplicate_items`` as numbers: each text's cluster (-1 for none).

    Takes the texts as ``numbered`` gives them; ``distinct.take(codes)`` gives the
    items. Millions of posts' items need not be written out as strings when only a few of
    them will be kept (campaigns keep the clusters that two or more accounts posted in,
    see ``shared_clusters``).
    """
    n = len(distinct)
    settings = _Settings(
        max(int(shingle_size), 1),
        int(min_tokens),
        max(int(num_perm or default_num_perm(threshold)), 1),
        int(random_state),
        float(threshold),
    )
    kept = np.zeros(n, dtype=bool)
    found: list[np.ndarray] = []
    if at_us is not None and window is not None and math.isfinite(window):
        idx = pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        times = pc.fill_null(pc.cast(at_us, pa.int64()), 0).to_numpy(zero_copy_only=False)
        text, cell = _time_cells(idx, times, round(window * 1_000_000), n)
        # Cells in order, cut into chunks of about _CHUNK rows at cell boundaries; each
        # chunk also takes the next cell when it neighbours its last, so a pair across a
        # cut is in the chunk before it, and memory follows the chunk.
        new_cell = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        first = np.searchsorted(new_cell, np.arange(0, cell.size, _CHUNK))
        cuts = distinct_ints(new_cell[first[first < new_cell.size]])
        ends = np.r_[cuts[1:], cell.size][: cuts.size]  # no text at all: no cut, no chunk
        after = np.r_[new_cell, cell.size][np.searchsorted(new_cell, ends, side="right")]
        inside = ends < cell.size
        touching = np.zeros(ends.size, dtype=bool)
        touching[inside] = cell[ends[inside]] == cell[ends[inside] - 1] + 1
        reach = np.where(touching, after, ends)
        for lo, hi in zip(cuts, reach, strict=True):
            members = distinct_ints(text[lo:hi])
            if members.size == n:  # every text (0, 1, ...): no copy of them is needed
                chunk_texts, local = distinct, text[lo:hi]
            else:
                chunk_texts = distinct.take(pa.array(members))
                local = np.searchsorted(members, text[lo:hi])
            links, with_shingles = _links(chunk_texts, settings, (local, cell[lo:hi]))
            kept[members[with_shingles]] = True
            found.append(members[links])
    else:
        links, with_shingles = _links(distinct, settings, None)
        kept[with_shingles] = True
        found.append(links)
    # The cluster's item is its centre's text: every member is a checked near-duplicate of it.
    links = np.concatenate(found) if found else np.empty((0, 2), np.int64)
    representative = star_clusters(n, links)
    representative[~kept] = -1
    at = pc.fill_null(index, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = np.where(at >= 0, representative[np.maximum(at, 0)] if n else -1, -1)
    result: np.ndarray = codes.astype(np.int64)
    return result


def shared_clusters(codes: np.ndarray, accounts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Which rows are in a cluster (code >= 0) that two or more distinct accounts posted in."""
    valid = codes >= 0
    if not valid.any():
        return valid
    encoded = pc.dictionary_encode(accounts)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    account = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    counted = valid & (account >= 0)  # a null account is no account
    width = np.int64(max(len(encoded.dictionary), 1))
    pairs = distinct_ints(codes[counted] * width + account[counted])
    per_cluster = np.bincount(pairs // width, minlength=int(codes.max()) + 1)
    shared: np.ndarray = valid & (per_cluster[np.maximum(codes, 0)] >= 2)
    return shared

"""Statistics of handles and display names, vectorized over Arrow string arrays.

Operators register sockpuppets in batches with generated handles: a first name plus a run
of digits (``DennaMcsparren4821``), or random letters (``borremanstpdri2``). Two cheap
signals catch both: digit counts, and how likely the handle's letters are under a
character-bigram model of ordinary words and handles. A random string scores low; a name
or a word scores high (BotometerLite's "screen name likelihood", Yang et al., AAAI 2020).

Everything here works on whole Arrow arrays (pyarrow.compute and NumPy); no Python loop
runs per account, so scoring stays above 100,000 accounts per second.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["BigramModel", "handle_local_part", "handle_stats", "string_stats"]

# Symbols of the bigram model: a-z, 0-9, '_', any other byte, and a boundary marker.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"
_OTHER = len(_ALPHABET)
_BOUNDARY = _OTHER + 1
N_SYMBOLS = _BOUNDARY + 1
_LUT = np.full(256, _OTHER, dtype=np.int64)
for _i, _c in enumerate(_ALPHABET):
    _LUT[ord(_c)] = _i
    _LUT[ord(_c.upper())] = _i


def handle_local_part(handles: pa.Array) -> pa.Array:
    """The part of a handle a person chose: drop '@', a Mastodon '@server', a '.domain'.

    ``@alice@mastodon.social`` and ``alice.bsky.social`` both become ``alice``, so handle
    statistics mean the same thing on every platform.
    """
    parts = pc.extract_regex(handles, r"^@?(?P<h>[^@.]*)")
    return pc.struct_field(parts, "h")


def string_stats(values: pa.Array) -> dict[str, np.ndarray]:
    """Length, digit count and trailing-digit run of each string (NaN where null)."""
    length = pc.utf8_length(values)
    digits = pc.count_substring_regex(values, r"\d")
    trailing = pc.utf8_length(pc.struct_field(pc.extract_regex(values, r"(?P<d>\d*)$"), "d"))
    words = pc.list_value_length(pc.utf8_split_whitespace(values))
    return {
        "length": _floats(length),
        "digits": _floats(digits),
        "trailing_digits": _floats(trailing),
        "words": np.where(_floats(length) == 0, 0.0, _floats(words)),
    }


def handle_stats(handles: pa.Array) -> dict[str, np.ndarray]:
    """Length, digit count and trailing-digit run of ASCII handles, from their bytes.

    The same byte scan as the bigram model, so no regex runs over the handles.
    """
    codes, start, length = _codes(handles)
    n = len(start)
    out = {name: np.zeros(n) for name in ("length", "digits", "trailing_digits")}
    nonempty = np.flatnonzero(length > 0)
    if len(codes) and len(nonempty):
        is_digit = (codes >= 26) & (codes < 36)
        out["length"] = length.astype(np.float64)
        out["digits"][nonempty] = np.add.reduceat(is_digit.astype(np.int64), start[nonempty])
        # Position of the last non-digit in each handle (-1 when all digits).
        pos = np.where(is_digit, -1, np.arange(len(codes)))
        last = np.maximum.reduceat(pos, start[nonempty])
        last = np.where(last >= start[nonempty], last, start[nonempty] - 1)
        out["trailing_digits"][nonempty] = (start[nonempty] + length[nonempty] - 1) - last
    mask = np.asarray(pc.is_null(handles).to_numpy(zero_copy_only=False), dtype=bool)
    for arr in out.values():
        arr[mask] = np.nan
    return out


def _floats(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _codes(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symbol codes of all strings end to end, with each string's start and length."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    arr = pc.fill_null(pc.cast(values, pa.large_string()), "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8)
        if data_buf is not None
        else np.zeros(0, dtype=np.uint8)
    )
    start, end = offsets[:-1], offsets[1:]
    base = start[0] if len(start) else 0
    codes = _LUT[data[base : end[-1] if len(end) else 0]]
    return codes, start - base, end - start


class BigramModel:
    """Character-bigram log-likelihood of strings, fitted on a reference vocabulary.

    ``log_prob`` is a (symbols x symbols) table of log10 P(next | previous) with add-one
    smoothing; a string's score is the mean over its bigrams, including the boundaries,
    so long and short handles compare on one scale.
    """

    def __init__(self, log_prob: np.ndarray) -> None:
        self.log_prob = np.asarray(log_prob, dtype=np.float64)

    @classmethod
    def fit(cls, words: Iterable[str]) -> BigramModel:
        """Count bigrams over ``words`` (e.g. the words and @handles of organic posts)."""
        counts = np.ones((N_SYMBOLS, N_SYMBOLS), dtype=np.float64)
        arr = pa.array([w for w in words if w], type=pa.large_string())
        codes, start, length = _codes(arr)
        prev, cur = _pairs(codes, start, length)
        np.add.at(counts, (prev, cur), 1.0)
        probs = counts / counts.sum(axis=1, keepdims=True)
        return cls(np.round(np.log10(probs), 4))

    def score(self, values: pa.Array) -> np.ndarray:
        """Mean log10 bigram probability of each string; NaN for null or empty strings."""
        codes, start, length = _codes(values)
        out = np.full(len(start), np.nan)
        if not len(codes):
            return out
        prev, cur = _pairs(codes, start, length)
        logp = self.log_prob[prev, cur]
        nonempty = length > 0
        # Each non-empty string owns length + 1 consecutive pairs (with its end boundary).
        pair_start = start[nonempty] + np.arange(int(nonempty.sum()))
        sums = np.add.reduceat(logp, pair_start)
        out[nonempty] = sums / (length[nonempty] + 1)
        mask = pc.is_null(values).to_numpy(zero_copy_only=False)
        out[np.asarray(mask, dtype=bool)] = np.nan
        return out


def _pairs(
    codes: np.ndarray, start: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(previous, current) symbol pairs of every string, boundaries included, in order."""
    nonempty = length > 0
    starts = start[nonempty]
    ends = starts + length[nonempty]
    # Interleave: for each string, its characters followed by one boundary symbol.
    cur = np.insert(codes, ends, _BOUNDARY)
    prev = np.empty_like(cur)
    prev[1:] = cur[:-1]
    shifted_starts = starts + np.arange(len(starts))
    prev[shifted_starts] = _BOUNDARY
    return prev, cur

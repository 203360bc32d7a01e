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

__all__ = [
    "BigramModel",
    "contains_ascii",
    "handle_local_part",
    "handle_stats",
    "name_stats",
    "replace_ascii_digits",
    "string_stats",
    "template_parts",
]

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


def name_stats(values: pa.Array) -> dict[str, np.ndarray]:
    """Length (characters), ASCII digit count and word count of each string (NaN where
    null), from the UTF-8 bytes: one pass, no regex and no split lists.

    Words are runs of characters that are not Unicode white space.
    """
    data, start, length = _bytes(values)
    n = len(start)
    out = {name: np.zeros(n) for name in ("digits", "words")}
    out["length"] = _floats(pc.utf8_length(values)).copy()
    nonempty = np.flatnonzero(length > 0)
    if len(data) and len(nonempty):
        is_digit = (data >= 0x30) & (data <= 0x39)
        space = _white_space(data)
        word_start = ~space
        word_start[1:] &= space[:-1]
        word_start[start[nonempty]] = ~space[start[nonempty]]  # a string starts a word
        out["digits"][nonempty] = np.add.reduceat(is_digit.astype(np.int64), start[nonempty])
        out["words"][nonempty] = np.add.reduceat(word_start.astype(np.int64), start[nonempty])
    mask = np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool)
    for arr in out.values():
        arr[mask] = np.nan
    return out


def contains_ascii(values: pa.Array, needles: tuple[str, ...]) -> np.ndarray:
    """Whether each string contains one of the ASCII ``needles``, ignoring ASCII case
    (False for null), from the bytes: one pass finds the needle's first byte, and the
    following bytes are checked only at those few positions (several times faster than a
    substring kernel per needle)."""
    data, start, length = _bytes(values)
    found = np.zeros(len(start), dtype=bool)
    # x | 0x20 equals a lower-case letter exactly when x is that letter in either case
    folded = data | np.uint8(0x20)
    end = start + length
    for needle in needles:
        pattern = needle.lower().encode("ascii")
        k = len(pattern)
        if len(data) < k:
            continue

        source = [folded if chr(c).isalpha() else data for c in pattern]
        pos = np.flatnonzero(source[0][: len(data) - k + 1] == pattern[0])
        for i in range(1, k):
            pos = pos[source[i][pos + i] == pattern[i]]
        row = np.searchsorted(start, pos, side="right") - 1
        found[row[pos + k <= end[row]]] = True
    return found


def template_parts(handles: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """For handles of the form letters-or-'_' then 2+ digits (``name + digits``), the
    number of letters and of digits; -1 for both where a handle has another form.

    The same test as the regex ``^[A-Za-z_]+[0-9]{2,}$``, from the bytes.
    """
    codes, start, length = _codes(handles)
    n = len(start)
    letters = np.full(n, -1, dtype=np.int64)
    digits = np.full(n, -1, dtype=np.int64)
    nonempty = np.flatnonzero(length > 0)
    if not len(codes) or not len(nonempty):
        return letters, digits
    raw, _, _ = _bytes(handles)
    ascii_letter = ((raw | 0x20) >= 0x61) & ((raw | 0x20) <= 0x7A)
    is_word = ascii_letter | (raw == 0x5F)
    is_digit = (raw >= 0x30) & (raw <= 0x39)
    n_word = np.add.reduceat(is_word.astype(np.int64), start[nonempty])
    n_digit = np.add.reduceat(is_digit.astype(np.int64), start[nonempty])
    trailing = handle_stats(handles)["trailing_digits"][nonempty]
    size = length[nonempty]
    ok = (trailing >= 2) & (n_digit == trailing) & (n_word == size - trailing) & (n_word >= 1)
    letters[nonempty[ok]] = n_word[ok]
    digits[nonempty[ok]] = n_digit[ok]
    return letters, digits


def replace_ascii_digits(values: pa.Array, digit: str = "0") -> pa.Array:
    """The strings with every ASCII digit replaced by ``digit`` (byte for byte, so the
    offsets stay; what ``replace_substring_regex(values, r"\\d", digit)`` gives)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    arr = pc.cast(values, pa.large_string())
    validity, offsets, data_buf = arr.buffers()
    if data_buf is None:
        return values
    data = np.frombuffer(data_buf, dtype=np.uint8).copy()
    data[(data >= 0x30) & (data <= 0x39)] = ord(digit)
    out = pa.LargeStringArray.from_buffers(
        len(arr), offsets, pa.py_buffer(data), validity, arr.null_count, arr.offset
    )
    return pc.cast(out, values.type)


def _white_space(data: np.ndarray) -> np.ndarray:
    """Which UTF-8 bytes belong to a white-space character (ASCII ones, NEL, no-break
    space, the U+2000 block's spaces, line and paragraph separators, ideographic space)."""
    space: np.ndarray = np.asarray(
        (data == 0x20) | ((data >= 0x09) & (data <= 0x0D)) | ((data >= 0x1C) & (data <= 0x1F)),
        dtype=bool,
    )
    n = len(data)
    if n < 2:
        return space
    b0, b1 = data[:-1], data[1:]
    two = (b0 == 0xC2) & ((b1 == 0xA0) | (b1 == 0x85))
    space[:-1] |= two
    space[1:] |= two
    if n < 3:
        return space
    c0, c1, c2 = data[:-2], data[1:-1], data[2:]
    three = (
        ((c0 == 0xE1) & (c1 == 0x9A) & (c2 == 0x80))
        | ((c0 == 0xE2) & (c1 == 0x80) & (((c2 >= 0x80) & (c2 <= 0x8A)) | (c2 == 0xA8)))
        | ((c0 == 0xE2) & (c1 == 0x80) & ((c2 == 0xA9) | (c2 == 0xAF)))
        | ((c0 == 0xE2) & (c1 == 0x81) & (c2 == 0x9F))
        | ((c0 == 0xE3) & (c1 == 0x80) & (c2 == 0x80))
    )
    space[:-2] |= three
    space[1:-1] |= three
    space[2:] |= three
    return space


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
    data, start, length = _bytes(values)
    return _LUT[data], start, length


def _bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTF-8 bytes of all strings end to end (null as empty), each string's start, length."""
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
    return data[base : end[-1] if len(end) else 0], start - base, end - start


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

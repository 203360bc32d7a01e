"""Columnar reading of CSV blocks: Arrow parses, readers map whole columns at once.

The row-by-row path (``read_csv_units``) builds a dict, a Post and an Account per row in
Python, which caps ingest at tens of thousands of rows a second. Here Arrow's C++ CSV
parser reads a block of whole rows into string columns and a reader that knows its
columns (``CsvReader.parse_columns``) maps them to the store's tables with vectorized
compute. Only the rows a reader cannot map plainly (an empty id, an unusual time) go
through its row-level ``parse``, so they are rejected or read exactly as the row path
would.

A block is read here only when it is plainly regular: valid UTF-8, no NUL bytes, no lone
carriage returns, no blank lines, the same number of fields on every row. Anything else
returns None and the caller reads the block row by row, which keeps the row path's
reasons and line numbers for every irregular row. The tests check that both paths leave
the same store.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from limelight._batch import merge_snapshots_table
from limelight.errors import RecordError
from limelight.records import Account, Post, Reject
from limelight.sources._base import CsvReader
from limelight.store import records_to_table
from limelight.store._schema import ARROW_SCHEMAS

__all__ = [
    "ColumnarBlock",
    "ColumnarRows",
    "csv_header",
    "parse_csv_block",
]

_MAX_RAW = 65536

#: Characters that Python's str.strip() and str.split() treat as whitespace but Arrow's
#: Unicode whitespace functions do not: a row holding one takes the row path.
PY_ONLY_SPACE = "[\x1c-\x1f]"


@dataclass(slots=True)
class ColumnarRows:
    """What a reader made of a block's columns.

    ``posts`` and ``accounts`` are in the store's schemas with ``source_line`` set, for the
    rows not in ``slow``; ``slow`` lists the row indices the reader wants read row by row.
    """

    posts: pa.Table
    accounts: pa.Table
    slow: npt.NDArray[np.int64]


@dataclass(slots=True)
class ColumnarBlock:
    """A block read column-wise: the store's four tables and the counts behind them."""

    posts: pa.Table
    accounts: pa.Table
    deletions: pa.Table
    rejects: pa.Table
    read: int
    account_snapshots: int
    #: Rows dropped as repeats of a key already in the block (counted in ``read``).
    duplicates: int = 0


def csv_header(header_line: bytes, encoding: str = "utf-8") -> tuple[list[str], str] | None:
    """Column names and delimiter of a header line, as the row path reads them."""
    try:
        first = header_line.decode("utf-8-sig" if _is_utf8(encoding) else encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    names = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
    if not names or len(set(names)) != len(names):
        return None
    return names, delimiter


def parse_csv_block(
    reader: CsvReader,
    data: bytes,
    names: Sequence[str],
    delimiter: str,
    *,
    first_line: int,
    source: str,
    encoding: str = "utf-8",
    threads: bool = False,
) -> ColumnarBlock | None:
    """Read a block of whole CSV rows (no header) column-wise, or None if it is irregular.

    ``first_line`` is the file line the block starts on. None means: read this block with
    the row path instead; nothing was lost or half-done.
    """
    if not _is_utf8(encoding) or reader.options.keep_raw or not data:
        return None
    if b"\x00" in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(
                column_names=list(names), use_threads=threads, block_size=1 << 24
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    n = table.num_rows
    lines = _row_lines(table, data, first_line)
    if lines is None:
        return None
    mapped = reader.parse_columns(table, lines, source)
    if mapped is None:
        return None
    posts, accounts = mapped.posts, mapped.accounts
    rejects: list[Reject] = []
    if len(mapped.slow):
        slow_posts, slow_accounts, rejects = _read_slow_rows(
            reader, table, mapped.slow, lines, data, first_line, source
        )
        if slow_posts.num_rows:
            posts = _in_file_order(pa.concat_tables([posts, slow_posts]))
        if slow_accounts.num_rows:
            accounts = _in_file_order(pa.concat_tables([accounts, slow_accounts]))
    del n
    snapshots = accounts.num_rows
    return ColumnarBlock(
        posts=posts,
        accounts=merge_undated_snapshots(accounts),
        deletions=ARROW_SCHEMAS["deletions"].empty_table(),
        rejects=records_to_table(rejects, "rejects"),
        read=posts.num_rows + len(rejects),
        account_snapshots=snapshots,
    )


def merge_undated_snapshots(accounts: pa.Table) -> pa.Table:
    """One row per account when no snapshot has a time: per field, the last non-null value.

    That is how the store merges snapshots of equal time (the later one wins), done here
    in Arrow so the store's transaction gets one row per account, not one per post.
    Snapshots with times are left to the store, which orders them by time.
    """
    if accounts.num_rows < 2 or accounts.column("seen_at").null_count != accounts.num_rows:
        return accounts
    return merge_snapshots_table(accounts)


def _is_utf8(encoding: str) -> bool:
    return encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig")


def _row_lines(table: pa.Table, data: bytes, first_line: int) -> npt.NDArray[np.int64] | None:
    """The file line each row starts on; None if the block has blank lines.

    Every row ends with one line break, plus one per line break inside its quoted values;
    if the block's line breaks add up to more, there were blank lines, which the row path
    skips while counting them, and this block is left to it.
    """
    n = table.num_rows
    breaks = data.count(b"\n")
    ends = 0 if data.endswith(b"\n") else 1
    if breaks == n - ends:
        # Every row but an unterminated last one ends in a line break of its own, so no
        # value can hold one: the rows are the lines (the common case, checked in one scan).
        return (first_line + np.arange(n, dtype=np.int64)).astype(np.int64)
    embedded = np.zeros(n, dtype=np.int64)
    for column in table.columns:
        counts = pc.count_substring(column, "\n")
        embedded += np.asarray(counts.to_numpy(zero_copy_only=False), dtype=np.int64)
    expected = n + int(embedded.sum()) - ends
    if breaks != expected:
        return None
    before = np.concatenate(([0], np.cumsum(embedded)[:-1])) if n else embedded
    starts: npt.NDArray[np.int64] = (first_line + np.arange(n, dtype=np.int64) + before).astype(
        np.int64
    )
    return starts


def _read_slow_rows(
    reader: CsvReader,
    table: pa.Table,
    slow: npt.NDArray[np.int64],
    lines: npt.NDArray[np.int64],
    data: bytes,
    first_line: int,
    source: str,
) -> tuple[pa.Table, pa.Table, list[Reject]]:
    """Read the rows a reader left to the row path, exactly as read_csv_units does."""
    text_lines = data.decode("utf-8").split("\n")
    names = table.column_names
    picked = table.take(pa.array(slow, pa.int64())).to_pylist()
    posts: list[Post] = []
    accounts: list[Account] = []
    rejects: list[Reject] = []
    name = reader.name
    for i, row in zip(slow.tolist(), picked, strict=True):
        line = int(lines[i])
        end = int(lines[i + 1]) if i + 1 < len(lines) else first_line + len(text_lines)
        raw = "\n".join(text_lines[line - first_line : end - first_line]).rstrip("\r\n")
        values = {k: row[k] for k in names}
        try:
            records = list(reader.parse(values))
        except RecordError as exc:
            rejects.append(Reject(source, line, exc.message, raw[:_MAX_RAW], name))
            continue
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            reason = f"malformed {name} row: {type(exc).__name__}: {exc}"
            rejects.append(Reject(source, line, reason, raw[:_MAX_RAW], name))
            continue
        for rec in records:
            if rec.source_file is None:
                rec.source_file = source
                rec.source_line = line
            if isinstance(rec, Post):
                posts.append(rec)
            elif isinstance(rec, Account):
                accounts.append(rec)
            else:  # a CSV reader that yields deletions has no columnar mapping
                raise TypeError(f"{name}: columnar reading cannot keep {type(rec).__name__}")
    return records_to_table(posts, "posts"), records_to_table(accounts, "accounts"), rejects


def _in_file_order(table: pa.Table) -> pa.Table:
    # Stable: records of one row keep their order.
    order = pc.sort_indices(table, sort_keys=[("source_line", "ascending")])
    return table.take(order)


# -- helpers for readers' parse_columns ------------------------------------------------------


def stripped(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """str.strip() of every value (Unicode whitespace), as one array."""
    return _one(pc.utf8_trim_whitespace(column))


def empty_to_null(column: pa.Array) -> pa.Array:
    """ "" becomes null, as ``value or None`` does per row."""
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def has_py_only_space(*columns: pa.Array) -> npt.NDArray[np.bool_]:
    """Rows where any of the columns holds a character only Python counts as whitespace."""
    if not any(_holds_py_only_space(c) for c in columns):
        return np.zeros(len(columns[0]), dtype=bool)
    out: npt.NDArray[np.bool_] | None = None
    for column in columns:
        hit = np.asarray(
            pc.match_substring_regex(column, PY_ONLY_SPACE).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        out = hit if out is None else (out | hit)
    assert out is not None
    return out


def _holds_py_only_space(column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any value holds a byte in 0x1c-0x1f: one scan of the value bytes, where a
    regular expression per value costs several times more (in UTF-8 these bytes are
    never part of a longer character)."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True  # not plain strings: let the regular expression decide
        if len(chunk) == 0:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets_buf, values_buf = chunk.buffers()[1:3]
        if values_buf is None:
            continue
        offsets = np.frombuffer(offsets_buf, dtype=width)
        start, end = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        values = np.frombuffer(values_buf, dtype=np.uint8)[start:end]
        if ((values - np.uint8(0x1C)) < np.uint8(4)).any():
            return True
    return False


def posix_micros(
    column: pa.Array,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Microseconds since 1970 of POSIX-seconds strings, and which rows need the row path.

    Plain decimals (``-?digits[.digits]``) are converted as ``parse_time`` converts a float:
    values past 1e11 are milliseconds and past 1e15 microseconds, the fraction rounded to
    the microsecond half-to-even, as ``datetime.fromtimestamp`` does. Anything else
    (exponents, spaces, out-of-range dates) is left to the row path.
    """
    plain = np.asarray(
        pc.match_substring_regex(column, r"^-?[0-9]{1,20}(\.[0-9]*)?$").to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    filled = pc.if_else(pa.array(plain), column, pa.scalar("0"))
    x = np.asarray(pc.cast(filled, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    x = np.where(x > 1e15, x / 1e6, np.where(x > 1e11, x / 1e3, x))
    # datetime's range, in seconds since 1970 (years 1 to 9999).
    ok = plain & (x >= -62135596800.0) & (x < 253402300800.0)
    x = np.where(ok, x, 0.0)
    frac, whole = np.modf(x)
    us = np.round(frac * 1e6)
    whole_i = whole.astype(np.int64)
    us_i = us.astype(np.int64)
    micros = whole_i * 1_000_000 + us_i
    return micros, ~ok


def timestamps(micros: npt.NDArray[np.int64]) -> pa.Array:
    """UTC timestamps from microseconds since 1970."""
    return pa.array(micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def split_urls(
    column: pa.Array, normalize: Callable[[str], str], n: int
) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """Per row: the whitespace-separated URLs, normalized, first occurrence kept, in order.

    ``normalize`` is applied once per distinct URL. Returns a list<string> array and the
    rows whose field holds a character only Python splits on (to be read row by row).
    """
    fn = normalize
    odd = has_py_only_space(column)
    lists = pc.utf8_split_whitespace(column)
    flat = lists.flatten()
    parents = np.asarray(pc.list_parent_indices(lists).to_numpy(), dtype=np.int64)
    keep = np.asarray(pc.not_equal(flat, "").to_numpy(zero_copy_only=False), dtype=bool)
    flat = flat.filter(pa.array(keep))
    parents = parents[keep]
    if len(flat):
        distinct = pc.unique(flat)
        normalized = pa.array([fn(u) for u in distinct.to_pylist()], pa.string())
        distinct_norm = pc.unique(normalized)
        codes_of_distinct = np.asarray(
            pc.index_in(normalized, distinct_norm).to_numpy(), dtype=np.int64
        )
        idx = np.asarray(pc.index_in(flat, distinct).to_numpy(), dtype=np.int64)
        codes = codes_of_distinct[idx]
        # First occurrence of each (row, normalized URL), in file order.
        key = parents * (len(distinct_norm) + 1) + codes
        _, first = np.unique(key, return_index=True)
        first.sort()
        parents = parents[first]
        values = distinct_norm.take(pa.array(codes[first], pa.int64()))
    else:
        values = pa.array([], pa.string())
    counts = np.bincount(parents, minlength=n) if len(parents) else np.zeros(n, np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values), odd


def empty_lists(n: int) -> pa.Array:
    """n empty list<string> values."""
    return pa.ListArray.from_arrays(
        pa.array(np.zeros(n + 1, dtype=np.int32), pa.int32()), pa.array([], pa.string())
    )


def nulls(n: int, type_: pa.DataType) -> pa.Array:
    """n nulls of a type."""
    return pa.nulls(n, type_)


def store_table(name: str, columns: dict[str, pa.Array], n: int) -> pa.Table:
    """A table in the store's schema from the columns given; the others are null."""
    schema = ARROW_SCHEMAS[name]
    arrays = [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def constant(value: str, n: int) -> pa.Array:
    """n copies of one string."""
    return pa.repeat(pa.scalar(value, pa.string()), n)


def mask(array: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.bool_]:
    """A boolean Arrow result as a numpy mask (null counts as False)."""
    filled = pc.fill_null(array, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _one(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column


def one(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one contiguous array."""
    return _one(column)

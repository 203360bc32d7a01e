"""Opening source files: decompression by magic bytes, encoding checks, JSON and CSV units.

This is the only module in sources/ that touches files. It hands readers parsed units
(a JSON value or a CSV row as a dict) with the line or item number they came from, and
turns the ways a file can be broken into one-line FormatErrors naming the file and the fix.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import orjson
import zstandard

from limelight.errors import FormatError, InputError

__all__ = [
    "CountingFile",
    "CsvUnit",
    "JsonUnit",
    "Opened",
    "compression_of",
    "iter_csv_units",
    "iter_json_units",
    "open_source",
    "read_head",
]

SNIFF_BYTES = 256 * 1024
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


class CountingFile(io.RawIOBase):
    """Wraps the compressed file and counts bytes consumed, for the progress bar."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._raw.readinto(b)  # type: ignore[attr-defined]
        if n:
            self.consumed += n
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class Opened:
    """An opened source: a decompressed binary stream plus what we learned opening it."""

    path: Path
    stream: IO[bytes]
    counter: CountingFile
    compression: str | None
    size: int

    def close(self) -> None:
        self.stream.close()


def compression_of(head: bytes) -> str | None:
    """Name the compression of a file from its first bytes, or None for plain."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return None


def open_source(path: Path) -> Opened:
    """Open ``path`` for reading, decompressing gzip, bz2 or zstd by their magic bytes."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by Opened.close
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the files inside it") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror}); check the path") from None
    size = os.fstat(raw.fileno()).st_size
    magic = raw.read(4)
    raw.seek(0)
    counter = CountingFile(raw)
    buffered = io.BufferedReader(counter, buffer_size=1 << 20)
    kind = compression_of(magic)
    stream: IO[bytes]
    if kind == "gzip":
        stream = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
    elif kind == "bz2":
        stream = bz2.BZ2File(buffered, mode="rb")
    elif kind == "zstd":
        dctx = zstandard.ZstdDecompressor()
        reader = dctx.stream_reader(buffered, read_across_frames=True, closefd=True)
        stream = io.BufferedReader(reader, buffer_size=1 << 20)
    else:
        stream = buffered
    return Opened(path, stream, counter, kind, size)


def decompress_error(path: Path, compression: str | None, exc: BaseException) -> FormatError:
    """Turn what a decompressor raises on a broken file into a one-line FormatError."""
    what = compression or "compressed"
    if isinstance(exc, EOFError):
        return FormatError(
            f"{path}: the {what} stream ends early (the file is truncated); records before "
            f"the cut were kept; re-download or re-copy the file, then ingest it again"
        )
    return FormatError(
        f"{path}: the {what} data is corrupt ({exc}); check it with "
        f"`{'gzip -t' if what == 'gzip' else what + ' -t'}` and re-copy the file"
    )


DECOMPRESS_ERRORS: tuple[type[BaseException], ...] = (
    EOFError,
    gzip.BadGzipFile,
    zlib.error,
    OSError,
    zstandard.ZstdError,
)


MAX_FIRST_LINE = 256 << 20
_PROBE_LINES = 5


def read_head(path: Path, n: int = SNIFF_BYTES) -> bytes:
    """The first ``n`` decompressed bytes of ``path``; for JSON, at least its first lines.

    One API page per line can be megabytes long, and detection needs whole lines. A JSON
    array written on one line (TwiBot-20's files, many exports: hundreds of MB) needs
    only its first few items: reading stops once they parse, checked each time the head
    doubles, so the checks cost at most twice what is read.
    """
    opened = open_source(path)
    try:
        parts = [opened.stream.read(n)]
        start = parts[0].lstrip()[:1]
        if start in (b"{", b"["):
            size, lines = len(parts[0]), parts[0].count(b"\n")
            check_at = size if start == b"[" else MAX_FIRST_LINE
            # Detection skips a few broken lines, so it needs a few whole lines.
            while lines < _PROBE_LINES and size < MAX_FIRST_LINE:
                if size >= check_at:
                    if _array_items(b"".join(parts)) >= _PROBE_LINES:
                        break
                    check_at = 2 * size
                more = opened.stream.read(1 << 20)
                if not more:
                    break
                parts.append(more)
                size += len(more)
                lines += more.count(b"\n")
        return b"".join(parts)
    except DECOMPRESS_ERRORS as exc:
        raise decompress_error(path, opened.compression, exc) from None
    finally:
        opened.close()


def _array_items(block: bytes) -> int:
    """How many whole items (up to ``_PROBE_LINES``) the JSON array opening ``block`` has."""
    found = 0
    try:
        for _ in ijson.items(io.BytesIO(block), "item", use_float=True):
            found += 1
            if found >= _PROBE_LINES:
                break
    except ijson.common.IncompleteJSONError:
        pass
    except ijson.common.JSONError:
        return _PROBE_LINES  # not valid JSON: reading more cannot help detection
    return found


def check_encoding(path: Path, head: bytes, encoding: str) -> None:
    """Refuse files whose encoding is plainly not the one we were told to read.

    A UTF-16/32 byte order mark, or many undecodable bytes in the first block, means the
    whole file would be rejected line by line; one clear error is better.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or head.startswith(
        (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    ):
        raise FormatError(
            f"{path}: the file is UTF-16 or UTF-32 encoded; convert it to UTF-8 first, e.g. "
            f"`iconv -f UTF-16 -t UTF-8 {path.name} > {path.stem}.utf8{path.suffix}`"
        )
    if encoding.replace("-", "").lower() not in ("utf8", "utf8sig"):
        return
    sample = head[: SNIFF_BYTES - 4]
    bad = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    pos = 0
    while pos < len(sample):
        try:
            decoder.decode(sample[pos:], final=False)
            break
        except UnicodeDecodeError as exc:
            bad += 1
            pos += exc.end
            decoder.reset()
            if bad > 3:
                raise FormatError(
                    f"{path}: the file is not UTF-8 (undecodable bytes near the start); "
                    f"give its encoding, e.g. `--encoding cp1252` or `--encoding latin-1`"
                ) from None


@dataclass(slots=True)
class JsonUnit:
    """One JSON value from a file: a JSONL line or an element of a top-level array."""

    line: int
    value: Any
    raw: bytes | None
    error: str | None = None


def iter_json_units(opened: Opened, encoding: str = "utf-8") -> Iterator[JsonUnit]:
    """Yield the JSON values in a JSONL file or a top-level JSON array, streaming.

    A line that is not valid JSON comes out with ``error`` set and ``raw`` kept, so the
    pipeline can reject it and go on. A file that is one JSON array is streamed element by
    element with ijson; a file that is one multi-line JSON object becomes one unit.
    """
    stream = opened.stream
    head = stream.peek(SNIFF_BYTES) if hasattr(stream, "peek") else b""
    first = head.lstrip()[:1]
    first_line = head.lstrip().split(b"\n", 1)[0]
    if first == b"[" and not _is_json(first_line):
        yield from _iter_array(opened)
        return
    probe = head.lstrip().split(b"\n")[:6]
    if first == b"{" and len(probe) > 2 and not any(_is_json(line) for line in probe[:-1]):
        # No line parses on its own: one pretty-printed object, read whole.
        whole = stream.read()
        try:
            yield JsonUnit(1, orjson.loads(whole), None)
            return
        except orjson.JSONDecodeError:
            stream = io.BufferedReader(io.BytesIO(whole))
    utf8 = encoding.replace("-", "").lower() in ("utf8", "utf8sig")
    for lineno, line in enumerate(stream, 1):
        if lineno == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[3:]
        if not line.strip():
            continue
        try:
            value = orjson.loads(line if utf8 else line.decode(encoding))
        except orjson.JSONDecodeError as exc:
            yield JsonUnit(lineno, None, line, f"invalid JSON: {exc}")
        except UnicodeDecodeError as exc:
            yield JsonUnit(lineno, None, line, f"cannot decode as {encoding}: {exc.reason}")
        else:
            yield JsonUnit(lineno, value, line)


def _is_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _iter_array(opened: Opened) -> Iterator[JsonUnit]:
    items = ijson.items(opened.stream, "item", use_float=True)
    index = 0
    try:
        for index, item in enumerate(items, 1):
            yield JsonUnit(index, item, None)
    except ijson.common.IncompleteJSONError as exc:
        raise FormatError(
            f"{opened.path}: the JSON array breaks after item {index} ({exc}); "
            f"items before it were kept; fix or re-export the file"
        ) from None


@dataclass(slots=True)
class CsvUnit:
    """One CSV data row as a dict keyed by the header, or an error with the raw row."""

    line: int
    row: dict[str, str] | None
    raw: str
    error: str | None = None


def iter_csv_units(opened: Opened, encoding: str = "utf-8") -> tuple[list[str], Iterator[CsvUnit]]:
    """Read the header of a CSV (comma or tab separated) and stream its rows as dicts.

    Undecodable bytes are kept (surrogate-escaped) so the row can be rejected with its raw
    text; rows with a different number of fields than the header are rejected too.
    """
    enc = "utf-8-sig" if encoding.replace("-", "").lower() in ("utf8", "utf8sig") else encoding
    text = io.TextIOWrapper(opened.stream, encoding=enc, errors="surrogateescape", newline="")
    first = text.readline()
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    consumed: list[str] = []

    def physical_lines() -> Iterator[str]:
        # Remember the physical lines of the current row, for a reject's raw text.
        for raw_line in text:
            consumed.append(raw_line)
            yield raw_line

    reader = csv.reader(physical_lines(), delimiter=delimiter)
    width = len(header)

    def rows() -> Iterator[CsvUnit]:
        line = 1
        while True:
            consumed.clear()
            start = line + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line += len(consumed)
                raw = "".join(consumed).rstrip("\r\n")
                yield CsvUnit(start, None, _printable(raw), f"unreadable CSV row: {exc}")
                continue
            line += len(consumed)
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            raw = (consumed[0] if len(consumed) == 1 else "".join(consumed)).rstrip("\r\n")
            if len(fields) != width:
                yield CsvUnit(
                    start, None, _printable(raw), f"expected {width} fields, found {len(fields)}"
                )
                continue
            if not raw.isascii() and _has_surrogates(raw):
                yield CsvUnit(
                    start,
                    None,
                    _printable(raw),
                    f"bytes that are not valid {encoding}; if the file is not {encoding}, "
                    f"give --encoding",
                )
                continue
            yield CsvUnit(start, dict(zip(header, fields, strict=True)), raw)

    return header, rows()


def _printable(s: str) -> str:
    """Raw text safe to store: undecodable bytes shown as U+FFFD."""
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "\ufffd")


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False

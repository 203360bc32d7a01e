"""Reading a file into canonical records, without a store: the readers' common driver.

``read_records`` opens a file, detects (or takes) its format and yields Post, Account,
Deletion and Reject records with the file and line each came from. The ingest pipeline
batches what this yields into the store; tests and notebooks can use it directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from limelight.errors import FormatError, RecordError
from limelight.records import Record, Reject
from limelight.sources._base import (
    CsvReader,
    JsonReader,
    Reader,
    ReaderOptions,
    get_reader,
    readers,
)
from limelight.sources._detect import detect_format
from limelight.sources._io import (
    DECOMPRESS_ERRORS,
    Opened,
    check_encoding,
    decompress_error,
    iter_csv_units,
    iter_json_units,
    open_source,
    read_head,
)

__all__ = ["FileRead", "read_records", "records_of_value", "resolve_format"]

_MAX_RAW = 1 << 20  # keep at most 1 MiB of a rejected record's raw text


@dataclass
class FileRead:
    """A file being read: its format, and progress for a progress bar."""

    path: Path
    format: str | None
    opened: Opened | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bytes_done(self) -> int:
        """Compressed bytes consumed so far."""
        return self.opened.counter.consumed if self.opened else 0

    @property
    def size(self) -> int:
        """The file's size on disk."""
        return self.opened.size if self.opened else 0


def resolve_format(path: Path, fmt: str | None, encoding: str = "utf-8") -> str | None:
    """The reader name for ``path``: ``fmt`` if given (checked), else detected.

    Returns None for an empty file. Raises FormatError for an unknown --format or a file
    whose format cannot be told.
    """
    head = read_head(path)
    check_encoding(path, head, encoding)
    if fmt is not None:
        names = [c.name for c in readers()]
        if fmt not in names:
            raise FormatError(f"unknown --format {fmt!r}; choose one of: {', '.join(names)}")
        return fmt if head.strip() else None
    return detect_format(path, head)


def read_records(
    path: str | Path,
    fmt: str | None = None,
    *,
    options: ReaderOptions | None = None,
    encoding: str = "utf-8",
    progress: FileRead | None = None,
    source_name: str | None = None,
) -> Iterator[Record | Reject]:
    """Yield the canonical records (and rejects) in one file, streaming.

    Records name the file as ``source_name`` (default: the path as given).

    Raises FormatError (before yielding) when the format is unknown, and during iteration
    when a compressed stream turns out truncated or corrupt; records yielded before that
    are good.
    """
    path = Path(path)
    name = resolve_format(path, fmt, encoding)
    if progress is not None:
        progress.format = name
    if name is None:
        return
    reader = get_reader(name)(options)
    opened = open_source(path)
    if progress is not None:
        progress.opened = opened
    source = source_name or str(path)
    try:
        if isinstance(reader, JsonReader):
            others = [c(options) for c in readers() if issubclass(c, JsonReader) and c.name != name]
            yield from read_json_units(
                reader, others if fmt is None else [], opened, source, encoding
            )
        elif isinstance(reader, CsvReader):
            yield from read_csv_units(reader, opened, source, encoding)
    except DECOMPRESS_ERRORS as exc:
        raise decompress_error(path, opened.compression, exc) from None
    finally:
        opened.close()


def read_json_units(
    reader: JsonReader, others: list[JsonReader], opened: Opened, source: str, encoding: str
) -> Iterator[Record | Reject]:
    """Records from the JSON values of an opened file; values another reader matches
    go to it (``others``), values no reader matches are rejected."""
    name = reader.name
    for unit in iter_json_units(opened, encoding):
        if unit.error is not None:
            yield Reject(source, unit.line, unit.error, _raw_text(unit.raw), name)
            continue
        values = unit.value if isinstance(unit.value, list) else [unit.value]
        for value in values:
            yield from records_of_value(reader, others, value, unit.line, unit, source)


def records_of_value(
    reader: JsonReader,
    others: Sequence[JsonReader],
    value: Any,
    line: int,
    unit: Any,
    source: str,
) -> Iterator[Record | Reject]:
    """The records of one JSON value read on ``line``: from ``reader`` if it matches, else
    from the first of ``others`` that does; a Reject with the reason if none can read it.

    ``unit`` is the JsonUnit (or the raw line as bytes) that a reject keeps as raw text.
    """
    name = reader.name
    chosen: Reader | None = reader if reader.matches(value) else None
    if chosen is None:
        chosen = next((o for o in others if o.matches(value)), None)
    if chosen is None:
        yield Reject(source, line, _not_mine(value, name), _dump(value, unit), name)
        return
    try:
        records = list(chosen.parse(value))  # type: ignore[attr-defined]
    except RecordError as exc:
        yield Reject(source, line, exc.message, _dump(value, unit), chosen.name)
        return
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        yield Reject(
            source,
            line,
            f"malformed {chosen.name} record: {type(exc).__name__}: {exc}",
            _dump(value, unit),
            chosen.name,
        )
        return
    for rec in records:
        if rec.source_file is None:
            rec.source_file = source
            rec.source_line = line
        yield rec


def read_csv_units(
    reader: CsvReader, opened: Opened, source: str, encoding: str
) -> Iterator[Record | Reject]:
    """Records from the rows of an opened CSV file; raises FormatError if the header
    lacks a required column."""
    header, rows = iter_csv_units(opened, encoding)
    missing = reader.missing_columns(header)
    if missing:
        raise FormatError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} for format {reader.name} (the header has "
            f"{', '.join(header[:10])}{', ...' if len(header) > 10 else ''}); "
            f"fix the header or give the right --format"
        )
    name = reader.name
    for unit in rows:
        if unit.row is None:
            yield Reject(
                source, unit.line, unit.error or "unreadable row", unit.raw[:_MAX_RAW], name
            )
            continue
        try:
            records = list(reader.parse(unit.row))
        except RecordError as exc:
            yield Reject(source, unit.line, exc.message, unit.raw[:_MAX_RAW], name)
            continue
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            yield Reject(
                source,
                unit.line,
                f"malformed {name} row: {type(exc).__name__}: {exc}",
                unit.raw[:_MAX_RAW],
                name,
            )
            continue
        line = unit.line
        for rec in records:
            if rec.source_file is None:
                rec.source_file = source
                rec.source_line = line
            yield rec


def _not_mine(value: Any, name: str) -> str:
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:6])
        return (
            f"not a {name} record (keys: {keys}); if the file mixes formats, "
            f"ingest it without --format"
        )
    return f"not a {name} record (a JSON {type(value).__name__})"


def _dump(value: Any, unit: Any) -> str:
    if isinstance(unit, bytes):
        return _raw_text(unit)
    if unit.raw is not None and not isinstance(unit.value, list):
        return _raw_text(unit.raw)
    return orjson.dumps(value).decode()[:_MAX_RAW]


def _raw_text(raw: bytes | None) -> str:
    if raw is None:
        return ""
    return raw[:_MAX_RAW].decode("utf-8", "replace").rstrip("\r\n")

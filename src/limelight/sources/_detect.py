"""Format detection: look at the first records of a file and ask each reader.

Detection reads only the first block (256 KiB decompressed), so it is cheap, and it skips
a few broken lines at the start so that one bad first line does not hide a good file.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import ijson
import orjson

from limelight.errors import FormatError
from limelight.sources._base import CsvReader, JsonReader, readers

__all__ = ["detect_format", "first_json_values"]

_MAX_PROBE_LINES = 50
_EMPTY_ARRAY = re.compile(rb"\[\s*\]\s*")


def detect_format(path: Path, head: bytes) -> str | None:
    """Name the reader for a file given its first decompressed bytes.

    Returns None for a file with no content (empty or only whitespace). Raises FormatError
    naming the file, what it looked like and the --format choices when nothing matches.
    """
    text = head.lstrip()
    if text.startswith(b"\xef\xbb\xbf"):
        text = text[3:].lstrip()
    if not text:
        return None
    if text[:1] in (b"{", b"["):
        if _EMPTY_ARRAY.fullmatch(text):
            return None  # an empty JSON array: no records, like an empty file
        values = first_json_values(text)
        for value in values:
            for cls in readers():
                if issubclass(cls, JsonReader) and cls().matches(value):
                    return cls.name
        if values:
            raise FormatError(
                f"{path}: JSON in no format limelight knows (first record has keys "
                f"{_describe(values[0])}); give --format, one of: {_choices('json')}"
            )
        raise FormatError(
            f"{path}: starts like JSON but no record in the first block parses; check the "
            f"file (truncated or not JSON?) or give --format, one of: {_choices('json')}"
        )
    header = _csv_header(text)
    if len(header) >= 2:
        for cls in readers():
            if issubclass(cls, CsvReader) and cls().matches_header(header):
                return cls.name
        raise FormatError(
            f"{path}: a CSV whose columns ({', '.join(header[:8])}"
            f"{', ...' if len(header) > 8 else ''}) match no known format; give --format, "
            f"one of: {_choices('csv')}"
        )
    raise FormatError(
        f"{path}: neither JSON nor CSV; limelight reads the formats listed by "
        f"`limelight formats` (plain, gzip, bz2 or zstd)"
    )


def first_json_values(text: bytes) -> list[Any]:
    """Parse the first few JSON values of a block: JSONL lines, array items or one object."""
    values: list[Any] = []
    lines = text.split(b"\n")
    for line in lines[:_MAX_PROBE_LINES]:
        if not line.strip():
            continue
        try:
            values.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
        if len(values) >= 5:
            break
    if values and not (len(values) == 1 and isinstance(values[0], list)):
        return [v for v in values if not isinstance(v, list)] or values
    if values:  # the block held a whole JSON array on one line: its first items
        return list(values[0][:5])
    if text[:1] == b"[":
        try:
            for i, item in enumerate(ijson.items(io.BytesIO(text), "item", use_float=True)):
                values.append(item)
                if i >= 4:
                    break
        except ijson.common.IncompleteJSONError:
            pass
        return values
    try:
        return [orjson.loads(text)]
    except orjson.JSONDecodeError:
        return values


def _csv_header(text: bytes) -> list[str]:
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    row = next(csv.reader([first], delimiter=delimiter), [])
    return [c.strip() for c in row]


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = list(value)[:8]
        return ", ".join(keys) + (", ..." if len(value) > 8 else "")
    return type(value).__name__


def _choices(container: str) -> str:
    return ", ".join(c.name for c in readers() if c.container == container)

"""Readers: one per source format, each turning its input into canonical records.

Importing this package registers the built-in readers; _base.DETECTION_ORDER says in
which order detection tries them. ``limelight formats`` lists them.
"""

from __future__ import annotations

from limelight.sources import (  # noqa: F401 - imported to register the readers
    bluesky,
    cnt_csv,
    coortweet,
    io_archive,
    ira_538,
    mastodon,
    twarc_csv,
    twibot20,
    twitter_v1,
    twitter_v2,
    users_csv,
)
from limelight.sources._base import (
    CsvReader,
    JsonReader,
    Reader,
    ReaderOptions,
    get_reader,
    readers,
    register_reader,
)
from limelight.sources._detect import detect_format
from limelight.sources._read import FileRead, read_records, resolve_format

__all__ = [
    "CsvReader",
    "FileRead",
    "JsonReader",
    "Reader",
    "ReaderOptions",
    "detect_format",
    "get_reader",
    "read_records",
    "readers",
    "register_reader",
    "resolve_format",
]

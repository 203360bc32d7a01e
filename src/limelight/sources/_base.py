"""The reader contract and the registry that detects a file's format.

A reader is a small class with pure methods: ``matches`` says whether a parsed unit (a JSON
value or a CSV header) is in its format, and ``parse`` turns one unit into canonical
records. Readers never open files (sources/_io.py does) and never touch the store. They
raise RecordError with a short reason for a unit they cannot read; the pipeline rejects it.
New formats, ours or a plugin's, register with ``register_reader``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from limelight.records import Record

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa

    from limelight.sources._columnar import ColumnarRows

__all__ = [
    "CsvReader",
    "JsonReader",
    "Reader",
    "ReaderOptions",
    "get_reader",
    "readers",
    "register_reader",
]


@dataclass(frozen=True, slots=True)
class ReaderOptions:
    """Settings a reader may use.

    ``platform`` names the platform for formats that do not say (CSV exports of tools);
    ``keep_raw`` asks readers to keep each post's raw JSON or row in ``Post.raw``.
    """

    platform: str | None = None
    keep_raw: bool = False


class Reader(ABC):
    """What every reader declares: a short name for --format and a title for people."""

    name: ClassVar[str]
    title: ClassVar[str]
    container: ClassVar[Literal["json", "csv"]]
    #: Platform written on records when the source does not say and no option is given.
    default_platform: ClassVar[str] = "twitter"

    def __init__(self, options: ReaderOptions | None = None) -> None:
        self.options = options or ReaderOptions()

    @property
    def platform(self) -> str:
        """The platform to write on records from sources that do not name one."""
        return self.options.platform or self.default_platform


class JsonReader(Reader):
    """A reader for JSON values, one per JSONL line or per element of a JSON array."""

    container: ClassVar[Literal["json", "csv"]] = "json"

    @abstractmethod
    def matches(self, value: Any) -> bool:
        """Whether ``value`` is in this reader's format (cheap key checks, no parsing)."""

    @abstractmethod
    def parse(self, value: Any) -> Iterable[Record]:
        """Turn one JSON value into canonical records; raise RecordError if it cannot."""


class CsvReader(Reader):
    """A reader for CSV rows given as dicts keyed by the header."""

    container: ClassVar[Literal["json", "csv"]] = "csv"
    #: Columns that must be in the header; used for detection and for the missing-column error.
    required_columns: ClassVar[tuple[str, ...]]

    def matches_header(self, header: Sequence[str]) -> bool:
        """Whether a CSV header is this reader's (by default: all required columns present)."""
        return set(self.required_columns) <= set(header)

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        """The required columns the header lacks, in declaration order."""
        have = set(header)
        return [c for c in self.required_columns if c not in have]

    @abstractmethod
    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Turn one CSV row into canonical records; raise RecordError if it cannot."""

    def parse_columns(
        self, table: pa.Table, lines: npt.NDArray[np.int64], source: str
    ) -> ColumnarRows | None:
        """Map a block of rows (string columns named by the header) to the store's tables.

        The fast path for large files (see ``sources._columnar``): a reader that implements
        it must give the same records as ``parse`` row by row, and list in ``slow`` the rows
        it cannot map plainly. None (the default) means: read every row with ``parse``.
        """
        del table, lines, source
        return None


_REGISTRY: dict[str, type[Reader]] = {}

#: Detection order of the built-in readers: specific formats before general ones (a plain
#: v2 tweet would also pass twarc2-flat's looser check). Readers not named here (plugins)
#: come after, in registration order.
DETECTION_ORDER: tuple[str, ...] = (
    "bluesky-jetstream",
    "mastodon",
    "twarc2",
    "twarc2-flat",
    "twitter-v1",
    "gnip-activity",
    "twibot-20",
    "twarc-csv",
    "io-archive",
    "io-archive-users",
    "ira-538",
    "ira-538-authors",
    "cnt-csv",
    "coortweet-multi",
    "coortweet",
    "twitter-users-csv",
)


def register_reader(cls: type[Reader]) -> type[Reader]:
    """Add a reader class to the registry (usable as a decorator).

    Detection tries the built-in readers in DETECTION_ORDER, then the others in
    registration order.
    """
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a reader named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def readers() -> list[type[Reader]]:
    """All registered reader classes, in detection order."""
    from limelight import sources  # noqa: F401 - importing registers the built-in readers

    rank = {name: i for i, name in enumerate(DETECTION_ORDER)}
    known = len(rank)
    ordered = sorted(
        enumerate(_REGISTRY.values()), key=lambda p: (rank.get(p[1].name, known), p[0])
    )
    return [cls for _, cls in ordered]


def get_reader(name: str) -> type[Reader]:
    """The reader class registered as ``name``; KeyError if there is none."""
    from limelight import sources  # noqa: F401

    return _REGISTRY[name]

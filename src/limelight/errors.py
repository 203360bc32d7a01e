"""The exceptions limelight raises, each with what went wrong and what to do.

    LimelightError            (exit 1, HTTP 500)  base class; never raised bare
    ├── InputError            (exit 2, HTTP 400)  a file or argument the user gave cannot be used
    │   └── FormatError       (exit 2, HTTP 400)  the format is unknown, unreadable or wrong
    ├── StoreError            (exit 3, HTTP 500)  the database cannot be opened or written
    └── RecordError           (never exits)       one record is bad; it goes to the rejects table

Every message names the input, the problem and the fix, in one line, so that the CLI can
print it without a traceback and the API can return it as JSON.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FormatError", "InputError", "LimelightError", "RecordError", "StoreError"]


class LimelightError(Exception):
    """Base class of every error limelight raises on purpose."""

    exit_code: int = 1
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, Any]:
        """The one JSON error shape shared by the CLI's --json output and the API."""
        return {"error": {"type": type(self).__name__, "message": self.message}}


class InputError(LimelightError):
    """A path, option or file given by the user cannot be used as it is."""

    exit_code = 2
    http_status = 400


class FormatError(InputError):
    """A file's format is unknown, unsupported, or not what --format said."""


class StoreError(LimelightError):
    """The DuckDB store cannot be opened, read or written."""

    exit_code = 3
    http_status = 500


class RecordError(LimelightError):
    """One source record cannot be turned into canonical records.

    Readers raise it with a short reason; the ingest pipeline catches it and keeps the raw
    record in the rejects table, so nothing is lost and the counts still add up.
    """

    exit_code = 1
    http_status = 422

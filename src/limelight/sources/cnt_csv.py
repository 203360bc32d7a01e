"""Reader for the CSV input of QUT's coordination-network-toolkit (``--format cnt-csv``).

The toolkit (``pip install coordination-network-toolkit``) takes a CSV with a header and
the columns ``message_id, user_id, username, repost_id, reply_id, message, timestamp,
urls``: ``repost_id`` and ``reply_id`` are empty unless the message is a verbatim repost
(a retweet, a reblog) or a reply, ``timestamp`` is POSIX seconds and ``urls`` is a
space-separated list. Every row becomes a Post (``repost`` when ``repost_id`` is set,
else ``reply`` when ``reply_id`` is set, else ``original``) and an Account snapshot
(``user_id`` and ``username``). The format does not name its platform: records get
``twitter`` (the toolkit was built for it) unless ``--platform`` says otherwise.

Where we differ from the toolkit's own ``preprocess`` (checked against it in the tests):

- It reads columns by position and ignores the header; we read them by name, so a file in
  the documented order reads the same in both and a reordered one still reads right here.
- It keeps URLs raw, splits on single spaces (an empty field gives it one empty URL) and
  leaves a repost's URLs out of its co-link table. We split on any whitespace, drop empty
  pieces and duplicates, normalize each URL with ``normalize_url``, and keep a repost's
  URLs on the post: detectors choose by ``kind``.
- It opens the file in universal-newline mode, so a quoted CRLF inside a message becomes
  LF there; we keep the message exactly as the file has it.
- It crashes on a timestamp that is not a number; we reject that row with the reason.
  Milliseconds (values past the year 5138 as seconds) are read as milliseconds, as
  ``parse_time`` does everywhere else. The toolkit only needs times that are consistent,
  so a file with relative or logical times reads as times close to 1970.
- A row with both ``repost_id`` and ``reply_id`` is a ``repost`` that keeps
  ``reply_to_post_id``. Rows repeating a ``message_id`` are all yielded; the store keeps
  the first, as the toolkit's ``insert or ignore`` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

import orjson

from limelight.errors import RecordError
from limelight.normalize import normalize_url, parse_time
from limelight.records import Account, Post, Record
from limelight.sources._base import CsvReader, register_reader

__all__ = ["CntCsvReader"]


@register_reader
class CntCsvReader(CsvReader):
    """Rows of coordination-network-toolkit's CSV input, one message per row."""

    name: ClassVar[str] = "cnt-csv"
    title: ClassVar[str] = (
        "coordination-network-toolkit CSV (message_id, user_id, username, repost_id, "
        "reply_id, message, timestamp, urls)"
    )
    default_platform: ClassVar[str] = "twitter"
    required_columns: ClassVar[tuple[str, ...]] = (
        "message_id",
        "user_id",
        "username",
        "repost_id",
        "reply_id",
        "message",
        "timestamp",
        "urls",
    )

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Turn one CSV row into its Post and the author's Account snapshot."""
        post_id = row["message_id"].strip()
        if not post_id:
            raise RecordError("empty message_id")
        user_id = row["user_id"].strip()
        if not user_id:
            raise RecordError(f"message {post_id}: empty user_id")
        created_at = posix_seconds(row["timestamp"], "timestamp")
        repost_id = row["repost_id"].strip() or None
        reply_id = row["reply_id"].strip() or None
        url_field = row["urls"]
        urls = list(dict.fromkeys(normalize_url(u) for u in url_field.split())) if url_field else []
        platform = self.platform
        raw = orjson.dumps(row).decode() if self.options.keep_raw else None
        post = Post(
            platform,
            post_id,
            account_id=user_id,
            created_at=created_at,
            text=row["message"] or None,
            kind="repost" if repost_id else ("reply" if reply_id else "original"),
            ref_post_id=repost_id,
            reply_to_post_id=reply_id,
            urls=urls,
            raw=raw,
        )
        handle = row["username"].strip() or None
        return (post, Account(platform, user_id, handle=handle, raw=raw))


def posix_seconds(value: str, column: str) -> datetime:
    """Read a POSIX time in (possibly fractional) seconds, or raise RecordError saying why.

    Stricter than ``parse_time``: the formats that promise a number get rejected rows, not
    silently guessed dates, when a column holds something else.
    """
    try:
        seconds = float(value)
    except ValueError:
        raise RecordError(f"{column} {value!r} is not a POSIX time in seconds") from None
    if not math.isfinite(seconds):
        raise RecordError(f"{column} {value!r} is not a POSIX time in seconds")
    try:
        created = parse_time(seconds)
    except (OverflowError, OSError, ValueError):
        raise RecordError(f"{column} {value!r} is out of the range of dates") from None
    if created is None:  # parse_time gives None only for empty input, never for a float
        raise RecordError(f"empty {column}")
    return created

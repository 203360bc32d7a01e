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

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from limelight.errors import RecordError
from limelight.normalize import normalize_url, parse_time
from limelight.records import Account, Post, Record
from limelight.sources import _columnar as col
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

    def parse_columns(
        self, table: pa.Table, lines: npt.NDArray[np.int64], source: str
    ) -> col.ColumnarRows:
        """``parse`` for a whole block of rows at once (the same records, column-wise).

        Rows with an empty id, a time that is not a plain decimal, or a character that
        only Python counts as whitespace go to ``parse`` one by one.
        """
        n = table.num_rows
        raw_ids = [col.one(table.column(c)) for c in ("message_id", "user_id")]
        post_id, user_id = (col.stripped(c) for c in raw_ids)
        repost_id = col.empty_to_null(col.stripped(table.column("repost_id")))
        reply_id = col.empty_to_null(col.stripped(table.column("reply_id")))
        username = col.one(table.column("username"))
        handle = col.empty_to_null(col.stripped(username))
        micros, bad_time = col.posix_micros(col.one(table.column("timestamp")))
        urls, odd_urls = col.split_urls(col.one(table.column("urls")), normalize_url, n)
        empty_id = np.asarray(
            pc.or_(pc.equal(post_id, ""), pc.equal(user_id, "")).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        odd_space = col.has_py_only_space(
            *raw_ids,
            col.one(table.column("repost_id")),
            col.one(table.column("reply_id")),
            username,
        )
        slow = empty_id | bad_time | odd_urls | odd_space
        kind = pc.if_else(
            pc.is_valid(repost_id),
            pa.scalar("repost"),
            pc.if_else(pc.is_valid(reply_id), pa.scalar("reply"), pa.scalar("original")),
        )
        platform = col.constant(self.platform, n)
        src = col.constant(source, n)
        line = pa.array(lines, pa.int64())
        posts_cols = {
            "platform": platform,
            "post_id": post_id,
            "account_id": user_id,
            "created_at": col.timestamps(micros),
            "text": col.empty_to_null(col.one(table.column("message"))),
            "kind": kind,
            "ref_post_id": repost_id,
            "reply_to_post_id": reply_id,
            "urls": urls,
            "hashtags": col.empty_lists(n),
            "mentions": col.empty_lists(n),
            "media": col.empty_lists(n),
            "source_file": src,
            "source_line": line,
        }
        accounts_cols = {
            "platform": platform,
            "account_id": user_id,
            "handle": handle,
            "source_file": src,
            "source_line": line,
        }
        keep = pa.array(~slow)
        return col.ColumnarRows(
            posts=col.store_table("posts", posts_cols, n).filter(keep),
            accounts=col.store_table("accounts", accounts_cols, n).filter(keep),
            slow=np.flatnonzero(slow).astype(np.int64),
        )


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

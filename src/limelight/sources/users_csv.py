"""Profiles as CSV (``twitter-users-csv``): one v1.1 user object per row, flattened.

Bot-detection data and many collection scripts keep accounts this way: cresci-2017's
``users.csv`` files, the Kaggle "Twitter bot classification" set, tweepy or pandas
exports of user objects. The columns are the v1.1 user fields (``id`` or ``id_str``,
``screen_name``, ``name``, ``followers_count``, ``friends_count``, ``statuses_count``,
``favourites_count``, ``listed_count`` or ``listedcount``, ``created_at``, ``verified``,
``default_profile``, ``default_profile_image``, ``url``, ``description``, ``location``,
``lang``); only ``screen_name`` and the three main counts are required. Each row is one
Account; the file holds no posts.

Quirks handled, as these files were written:

- ``NULL``, ``None`` and ``nan`` are unknown. An empty flag cell is false (cresci-2017
  wrote false as an empty cell), an empty text cell is no value. Ids, handles, counts
  and times that an export quoted twice (``"\"lenirvana666\""``) lose the extra quotes.
- ``created_at`` is v1.1's "Wed Oct 07 03:19:21 +0000 2009", an ISO or "YYYY-MM-DD
  HH:MM:SS" time, epoch milliseconds with Java's ``L`` ("1183552203000L"), or what a
  spreadsheet made of them: "13-03-2017 22:21" (day first, with dashes) or "3/13/2017
  23:48" (month first, with slashes), read as UTC.
- An id that a spreadsheet rounded ("8.41E+17") names no single account: the account is
  then '@' + its lower-cased handle, the form the store uses for an account known by its
  handle only.
- ``seen_at`` is ``crawled_at``, else ``updated`` (when the counts were taken), so
  account age and growth rates are measured then.
- Label columns (``bot``, ``label``, ``class``, ``account_type``), when present, are
  kept in ``Account.raw`` as JSON, e.g. ``json_extract_string(raw, '$.bot')``; with
  ``--keep-raw`` the whole row is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import orjson

from limelight.errors import RecordError
from limelight.normalize import normalize_url, parse_export_time
from limelight.records import Account, Record
from limelight.sources._base import CsvReader, register_reader
from limelight.sources.io_archive import clean_id, count

__all__ = ["UsersCsvReader"]

_UNKNOWN = frozenset({"null", "none", "nan"})
_TRUE = frozenset({"1", "true", "t", "yes", "1.0"})
_LABELS = ("bot", "label", "class", "account_type")


def _cell(row: dict[str, str], key: str, *, bare: bool = False) -> str | None:
    value = (row.get(key) or "").strip()
    if bare:  # an id, handle, count or time that an export wrapped in quotes once more
        value = value.strip('"').strip()
    return None if not value or value.lower() in _UNKNOWN else value


def _flag(row: dict[str, str], key: str) -> bool | None:
    if key not in row:
        return None
    value = (row[key] or "").strip().lower()
    return None if value in _UNKNOWN else value in _TRUE


def _count(row: dict[str, str], *keys: str) -> int | None:
    for key in keys:
        value = _cell(row, key, bare=True)
        if value is not None:
            return count(value)
    return None


def _time(row: dict[str, str], key: str) -> datetime | None:
    value = _cell(row, key, bare=True)
    if value is None:
        return None
    found = parse_export_time(value)
    if found is None:
        raise RecordError(f"{key} {value!r} is not a time this reader knows")
    return found


def _account_id(row: dict[str, str], handle: str | None) -> str:
    for key in ("id_str", "id"):
        value = clean_id(_cell(row, key, bare=True))  # "123.0" -> "123", "8.41E+17" -> None
        if value and value.isdigit():
            return value
    if handle:
        return "@" + handle.lower()
    raise RecordError("a profile row with neither a whole id nor a screen_name")


@register_reader
class UsersCsvReader(CsvReader):
    """Twitter user profiles, one flattened v1.1 user object per CSV row."""

    name = "twitter-users-csv"
    title = "Twitter user profiles as CSV (v1.1 user columns: cresci-2017, Kaggle, exports)"
    default_platform = "twitter"
    required_columns = ("screen_name", "followers_count", "friends_count", "statuses_count")

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """One Account per row."""
        handle = _cell(row, "screen_name", bare=True)
        url = _cell(row, "url")
        labels = {k: row[k] for k in _LABELS if k in row}
        raw = dict(row) if self.options.keep_raw else labels
        return [
            Account(
                platform=self.platform,
                account_id=_account_id(row, handle),
                handle=handle,
                display_name=_cell(row, "name"),
                created_at=_time(row, "created_at"),
                description=_cell(row, "description"),
                followers=_count(row, "followers_count"),
                following=_count(row, "friends_count"),
                posts_count=_count(row, "statuses_count"),
                likes_count=_count(row, "favourites_count"),
                listed_count=_count(row, "listed_count", "listedcount"),
                verified=_flag(row, "verified"),
                default_profile=_flag(row, "default_profile"),
                default_image=_flag(row, "default_profile_image"),
                location=_cell(row, "location"),
                url=normalize_url(url) if url else None,
                lang=_cell(row, "lang"),
                seen_at=_time(row, "crawled_at") or _time(row, "updated"),
                raw=orjson.dumps(raw).decode() if raw else None,
            )
        ]

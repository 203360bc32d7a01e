"""X/Twitter information-operations archive CSVs (``io-archive``, ``io-archive-users``).

Twitter's transparency center (elections integrity, later "information operations")
published the tweets of the state-backed networks it removed as CSV: one row per tweet
with the author's profile repeated on every row, and in many releases a separate users
file. Accounts under 5,000 followers are "hashed": ``userid``, ``user_screen_name`` and
``user_display_name`` hold one base64 SHA-256 string (as do the ids in
``in_reply_to_userid``, ``retweet_userid`` and ``user_mentions`` that point at them), so
ids are kept as strings exactly as published and still join within a release.

Quirks handled:

- ``hashtags``, ``urls`` and ``user_mentions`` are bracketed list cells written two ways:
  "[tag1, tag2]" and Python's "['a', 'b']" (see :func:`parse_list`); ``user_mentions``
  holds user ids (so Post.mentions are ids, hashed or not).
- ``is_retweet`` is true/false in either case; a retweet is a ``repost`` of
  ``retweet_tweetid`` by ``retweet_userid``; ``quoted_tweet_tweetid`` makes a ``quote``;
  ``in_reply_to_tweetid`` a ``reply`` (precedence repost > quote > reply, as for the API
  formats; ``in_reply_to_userid`` without a tweet id, a tweet that starts with a mention,
  stays ``original``). Counts may be written as floats ("12.0"); ids written by pandas as "123.0"
  lose the ".0", and ids in scientific notation (lossy) are dropped rather than guessed.
- ``latitude``/``longitude`` (often "absent") and ``poll_choices`` have no canonical
  field; they stay in Post.raw with ``keep_raw``.
- The profile columns are the same on every row of an account (the profile as Twitter held
  it for the release, not at tweet time), so the Account snapshots have no ``seen_at``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from functools import lru_cache

import orjson

from limelight.errors import RecordError
from limelight.normalize import normalize_hashtag, normalize_url, parse_time
from limelight.records import Account, Post, Record
from limelight.sources._base import CsvReader, register_reader
from limelight.sources.twitter_v2 import post_kind

__all__ = ["IoArchiveReader", "IoArchiveUsersReader", "clean_id", "count", "parse_list"]

_TRUE = frozenset({"true", "t", "1", "yes"})
_hashtag = lru_cache(maxsize=65_536)(normalize_hashtag)
# Minute-resolution tweet times and per-account creation dates repeat across rows.
_time = lru_cache(maxsize=65_536)(parse_time)


def parse_list(cell: str) -> list[str]:
    """The items of a bracketed list cell: "[a, b]", "['a', 'b']", '["a"]', "[]" or "".

    The archive wrote these lists as Python prints them, which is not JSON; quoted items
    are read by finding their closing quote (fast), with ``ast.literal_eval`` only for the
    rare cell holding backslash escapes. Raises RecordError for a cell that cannot be read.
    """
    s = cell.strip()
    if s[:1] == "[":
        if s[-1:] != "]":
            raise RecordError(f"unclosed list cell {cell[:80]!r}")
        s = s[1:-1].strip()
    if not s:
        return []
    if s[0] not in "'\"":
        parts = s.split(", ") if ", " in s else s.split(",")
        return [p for p in (part.strip() for part in parts) if p]
    if "\\" in s:
        try:
            value = ast.literal_eval("[" + s + "]")
        except (ValueError, SyntaxError):
            raise RecordError(f"unreadable list cell {cell[:80]!r}") from None
        return [str(v) for v in value]
    items: list[str] = []
    i, n = 0, len(s)
    while i < n:
        quote = s[i]
        if quote in "'\"":
            end = s.find(quote, i + 1)
            if end < 0:
                raise RecordError(f"unterminated quote in list cell {cell[:80]!r}")
            items.append(s[i + 1 : end])
            comma = s.find(",", end + 1)
        else:
            comma = s.find(",", i)
            item = (s[i:] if comma < 0 else s[i:comma]).strip()
            if item:
                items.append(item)
        if comma < 0:
            break
        i = comma + 1
        while i < n and s[i] == " ":
            i += 1
    return items


def clean_id(value: str | None) -> str | None:
    """An id cell as a string: None when empty or lossy (scientific notation), '123.0' -> '123'.

    Hashed ids (base64 text) are returned unchanged.
    """
    if not value:
        return None
    s = value.strip()
    if not s:
        return None
    if s.endswith(".0") and s[:-2].isdigit():
        return s[:-2]
    if ("e+" in s or "E+" in s) and s[0].isdigit() and "=" not in s:
        return None
    return s


def count(value: str | None) -> int | None:
    """A count cell as an int ('12', '12.0'); None when empty or not a number ('absent')."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        return int(float(value))
    except ValueError:
        return None


def _list(row: dict[str, str], key: str) -> list[str]:
    cell = row.get(key)
    return parse_list(cell) if cell and cell != "[]" else []


def _account(reader: CsvReader, row: dict[str, str], uid: str) -> Account:
    url = (row.get("user_profile_url") or "").strip()
    return Account(
        platform=reader.platform,
        account_id=uid,
        handle=row.get("user_screen_name") or None,
        display_name=row.get("user_display_name") or None,
        created_at=_time(row.get("account_creation_date")),
        description=row.get("user_profile_description") or None,
        followers=count(row.get("follower_count")),
        following=count(row.get("following_count")),
        location=row.get("user_reported_location") or None,
        url=normalize_url(url) if url else None,
        lang=row.get("account_language") or None,
    )


@register_reader
class IoArchiveReader(CsvReader):
    """The archive's tweet files: one row per tweet, the author's profile on every row."""

    name = "io-archive"
    title = "X/Twitter information-operations archive tweets CSV (hashed or not)"
    default_platform = "twitter"
    required_columns = ("tweetid", "userid", "tweet_text", "tweet_time", "is_retweet")

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Map one tweet row to its Post and the author's Account."""
        post_id = clean_id(row["tweetid"])
        uid = clean_id(row["userid"])
        if not post_id or not uid:
            raise RecordError("a row without tweetid or userid")
        retweeted = clean_id(row.get("retweet_tweetid"))
        is_retweet = row["is_retweet"].strip().lower() in _TRUE
        quoted = clean_id(row.get("quoted_tweet_tweetid"))
        replied = clean_id(row.get("in_reply_to_tweetid"))
        if is_retweet:
            kind, ref_post = "repost", retweeted
            ref_account = clean_id(row.get("retweet_userid"))
        else:
            kind, ref_post, ref_account = post_kind(None, quoted, replied), quoted, None
        post = Post(
            platform=self.platform,
            post_id=post_id,
            account_id=uid,
            created_at=_time(row["tweet_time"]),
            text=row["tweet_text"],
            lang=row.get("tweet_language") or None,
            kind=kind,
            ref_post_id=ref_post,
            ref_account_id=ref_account,
            reply_to_post_id=replied,
            reply_to_account_id=clean_id(row.get("in_reply_to_userid")) if replied else None,
            client=row.get("tweet_client_name") or None,
            urls=[normalize_url(u) for u in _list(row, "urls")],
            hashtags=[_hashtag(h) for h in _list(row, "hashtags")],
            mentions=_list(row, "user_mentions"),
            like_count=count(row.get("like_count")),
            repost_count=count(row.get("retweet_count")),
            reply_count=count(row.get("reply_count")),
            quote_count=count(row.get("quote_count")),
            raw=orjson.dumps(row).decode() if self.options.keep_raw else None,
        )
        return [post, _account(self, row, uid)]


@register_reader
class IoArchiveUsersReader(CsvReader):
    """The archive's users files: one profile per row, no tweets."""

    name = "io-archive-users"
    title = "X/Twitter information-operations archive users CSV"
    default_platform = "twitter"
    required_columns = ("userid", "user_screen_name", "follower_count", "account_creation_date")

    def matches_header(self, header: Sequence[str]) -> bool:
        """All required columns and no ``tweetid`` (a tweets file goes to ``io-archive``)."""
        return super().matches_header(header) and "tweetid" not in header

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Map one profile row to an Account."""
        uid = clean_id(row["userid"])
        if not uid:
            raise RecordError("a row without userid")
        account = _account(self, row, uid)
        if self.options.keep_raw:
            account.raw = orjson.dumps(row).decode()
        return [account]

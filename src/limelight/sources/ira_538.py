"""FiveThirtyEight's IRA troll tweets (``ira-538``) and the per-author authors table.

FiveThirtyEight published ~3 million tweets of Internet Research Agency accounts, collected
by Linvill and Warren through Social Studio, as CSV with one row per tweet. Two layouts
are read by ``ira-538``, told apart per row by their columns:

- the original: ``external_author_id, author, content, ..., post_type`` (RETWEET,
  QUOTE_TWEET or blank), ``account_type, account_category``, ``alt_external_id,
  tweet_id, article_url`` and ``tco1_step1..tco3_step1`` (the first redirect of each t.co
  link); ``publish_date`` is month first, "10/1/2017 19:58" (Excel copies write "10/1/17").
- the per-author re-organisation (russian-troll-tweets-by-author): ``author_id, content,
  ..., publish_date`` as "2017-09-07 19:52:00", ``post_type`` R, Q or blank, with the
  author columns moved to ``authors.csv``, read by ``ira-538-authors``.

Ids. The post id is ``tweet_id``, else the status id in ``article_url``, else (the
per-author layout has neither) a stable id ``ira538-`` + 16 hex digits of a BLAKE2b hash
of (lower-cased author, publish time, content): rows the source duplicated get the same
id and are counted as duplicates. The account id is ``external_author_id`` when it is
exact, else ``alt_external_id`` or the user id in ``article_url``, else the handle; in the
per-author files it is ``author_id``, and ``ira-538-authors`` uses ``author_id`` too, so
tweets and authors join. ``author_id`` is the handle except for 22 authors whose handle
was used by two Twitter ids, where it is handle + id (too long for a handle, so those rows
carry no handle; authors.csv gives it), and FindDietNone (no id was known). Many
``external_author_id`` values were rounded by a spreadsheet ("9.06E+17", or
906000000000000000 in authors.csv) and are shared by dozens of accounts, so rounded ids
are never used as account ids.

What the format does not give, and what stands in:

- No entities: hashtags, mentions ('@handle') and links are taken from the text; in the
  original layout the expanded ``tco*_step1`` links replace the t.co ones. Links to a
  tweet's photos or videos are left out of ``urls``; on a retweet or quote such a link
  (or a link to another status) names the original post and its author ('@handle').
- Retweets are ``repost`` (post_type R/RETWEET), quotes ``quote``; a text starting
  "RT @handle:" (also "RT handle:", as some IRA automation wrote it) is a repost of
  '@handle' when nothing better names the original.
- Texts that start with a spreadsheet formula character (@ - + =) were stored wrapped in
  single quotes ("'@x hi'"); the quotes are removed. A tweet that then starts with
  '@x' is read as a ``reply`` to '@x' (no replied-to post id is known; this format has no
  reply fields, and Twitter put the replied-to handle first).
- ``language`` is a name ("English"); it becomes its ISO 639-1 code ("und" for
  LANGUAGE UNDEFINED). ``region`` (Social Studio's guess) becomes Account.location.
- ``followers``, ``following`` and ``updates`` give an Account snapshot seen at publish
  time; ``updates`` counts tweets, retweets and likes and is stored as posts_count.
- The IRA labels ``account_category`` (RightTroll, LeftTroll, NewsFeed, HashtagGamer,
  Fearmonger, ...) and ``account_type`` are kept in Account.raw as JSON: the whole row of
  authors.csv, and these author columns of original-layout rows. Query them with
  ``json_extract_string(raw, '$.account_category')``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

import orjson

from limelight.errors import RecordError
from limelight.normalize import normalize_url, parse_time
from limelight.records import Account, Post, Record
from limelight.sources._base import CsvReader, register_reader
from limelight.sources._text_entities import (
    replied_handle,
    retweeted_handle,
    text_hashtags,
    text_links,
    text_mentions,
)
from limelight.sources.io_archive import count
from limelight.sources.twitter_v2 import is_self_link

__all__ = ["LANGUAGE_CODES", "Ira538AuthorsReader", "Ira538Reader", "publish_time"]

#: The language names in the 538 data (all 56 in the full set) and their ISO 639-1 codes.
LANGUAGE_CODES: dict[str, str] = {
    "English": "en", "Russian": "ru", "German": "de", "Ukrainian": "uk", "Italian": "it",
    "Serbian": "sr", "Uzbek": "uz", "Bulgarian": "bg", "LANGUAGE UNDEFINED": "und",
    "Arabic": "ar", "Macedonian": "mk", "French": "fr", "Spanish": "es", "Norwegian": "no",
    "Farsi (Persian)": "fa", "Romanian": "ro", "Dutch": "nl", "Swedish": "sv",
    "Vietnamese": "vi", "Estonian": "et", "Japanese": "ja", "Catalan": "ca", "Finnish": "fi",
    "Albanian": "sq", "Croatian": "hr", "Icelandic": "is", "Pushto": "ps", "Portuguese": "pt",
    "Turkish": "tr", "Lithuanian": "lt", "Polish": "pl", "Somali": "so", "Slovak": "sk",
    "Tagalog (Filipino)": "tl", "Kurdish": "ku", "Malay": "ms", "Latvian": "lv",
    "Hungarian": "hu", "Czech": "cs", "Greek": "el", "Indonesian": "id", "Korean": "ko",
    "Danish": "da", "Hindi": "hi", "Hebrew": "he", "Slovenian": "sl", "Urdu": "ur",
    "Thai": "th", "Simplified Chinese": "zh-cn", "Traditional Chinese": "zh-tw",
    "Tamil": "ta", "Gujarati": "gu", "Bengali": "bn", "Telugu": "te", "Kannada": "kn",
    "Malayalam": "ml",
}  # fmt: skip

_REPOST = frozenset({"R", "RETWEET"})
_QUOTE = frozenset({"Q", "QUOTE_TWEET"})
_TCO = ("tco1_step1", "tco2_step1", "tco3_step1")
# Texts starting with a spreadsheet formula character were stored wrapped in '...'.
_FORMULA_STARTS = frozenset("@-+=")
_AUTHOR_COLUMNS = (
    "author",
    "external_author_id",
    "alt_external_id",
    "account_type",
    "account_category",
    "new_june_2018",
)
_TWITTER = "https://twitter.com/"


@lru_cache(maxsize=65_536)
def publish_time(value: str) -> datetime | None:
    """A 538 time as aware UTC: "2017-09-07 19:52:00", "10/1/2017 19:58" or "10/1/17 19:58".

    The times are UTC (the data's maintainers confirmed it); the slashed form is month
    first. Cached: times have minute resolution, so many rows share one.
    """
    s = value.strip()
    if "/" not in s:
        return parse_time(s)
    date, _, clock = s.partition(" ")
    month, day, year = (int(p) for p in date.split("/"))
    hms = [int(p) for p in clock.split(":")] if clock else [0, 0]
    second = hms[2] if len(hms) > 2 else 0
    return datetime(
        year + 2000 if year < 100 else year, month, day, hms[0], hms[1], second, tzinfo=UTC
    )


@lru_cache(maxsize=65_536)
def _time_key(value: str) -> str:
    # The publish time as written into derived post ids, the same in both layouts.
    created = publish_time(value)
    return created.isoformat() if created else ""


def _exact_id(value: str | None) -> str | None:
    # Spreadsheet-rounded ids ("9.06E+17", 906000000000000000) name no single account.
    if not value or not value.isdigit():
        return None
    if len(value) >= 15 and value.endswith("000000000"):
        return None
    return value


def _article_ids(url: str | None) -> tuple[str | None, str | None]:
    # "http://twitter.com/905874659358453760/statuses/914580356430536707" -> (user, status)
    if not url or "/statuses/" not in url:
        return None, None
    head, _, status = url.rstrip("/").partition("/statuses/")
    user = head.rpartition("/")[2]
    return (user if user.isdigit() else None), (status if status.isdigit() else None)


def _status_of(link: str) -> tuple[str, str] | None:
    # A normalized "https://twitter.com/<handle>/status/<id>[/photo/1]" -> (handle, id)
    if not link.startswith(_TWITTER):
        return None
    parts = link[len(_TWITTER) :].split("/", 3)
    if len(parts) >= 3 and parts[1] in ("status", "statuses") and parts[2].isdigit():
        return parts[0].lower(), parts[2]
    return None


def _expanded_links(row: dict[str, str], post_id: str) -> tuple[list[str], tuple[str, str] | None]:
    urls: list[str] = []
    ref: tuple[str, str] | None = None
    for key in _TCO:
        link = row.get(key)
        if not link:
            continue
        link = normalize_url(link)
        status = _status_of(link)
        if status and status[1] != post_id and ref is None:
            ref = status
        if status and ("/photo/" in link or "/video/" in link):
            continue
        if not is_self_link(link, post_id):
            urls.append(link)
    return urls, ref


@register_reader
class Ira538Reader(CsvReader):
    """FiveThirtyEight's IRA tweets, original and per-author layouts."""

    name = "ira-538"
    title = "FiveThirtyEight IRA troll tweets CSV (original or per-author layout)"
    default_platform = "twitter"
    required_columns = ("content", "publish_date", "following", "followers", "post_type")

    def matches_header(self, header: Sequence[str]) -> bool:
        """The tweet columns plus an author column (``author`` or ``author_id``)."""
        return super().matches_header(header) and ("author" in header or "author_id" in header)

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Map one tweet row to its Post and an Account snapshot at publish time."""
        content = row["content"]
        created = publish_time(row["publish_date"])
        account_raw: str | None = None
        author_id = row.get("author_id")
        if author_id is not None:
            author = account_id = author_id
            handle = author_id if len(author_id) <= 15 else None
            post_id = None
            expanded = False
        else:
            author = row.get("author") or ""
            article_user, post_id = _article_ids(row.get("article_url"))
            post_id = _exact_id(row.get("tweet_id")) or post_id
            account_id = (
                _exact_id(row.get("external_author_id"))
                or _exact_id(row.get("alt_external_id"))
                or article_user
                or author
            )
            handle = author or None
            expanded = bool(row.get("tco1_step1") or row.get("tco2_step1") or row.get("tco3_step1"))
            account_raw = orjson.dumps({k: row.get(k) for k in _AUTHOR_COLUMNS}).decode()
        if not account_id:
            raise RecordError("a row without author_id, author or external_author_id")
        if not post_id:
            key = f"{author.lower()}\x1f{_time_key(row['publish_date'])}\x1f{content}"
            post_id = "ira538-" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
        text = content
        if text[:1] == "'" and text[1:2] in _FORMULA_STARTS and text[-1] == "'":
            text = text[1:-1]
        post_type = row["post_type"].strip().upper()
        if post_type in _REPOST or (not post_type and row.get("retweet") == "1"):
            kind = "repost"
        else:
            kind = "quote" if post_type in _QUOTE else "original"
        ref: tuple[str, str] | None = None
        if expanded:
            urls, ref = _expanded_links(row, post_id)
        else:
            urls = text_links(text)
        ref_post = ref_account = reply_account = None
        if text.startswith("RT ") and kind != "quote":
            ref_account = retweeted_handle(text)
            if ref_account:
                kind = "repost"
        elif kind == "original":
            reply_account = replied_handle(text)
            if reply_account:
                kind = "reply"
        if ref is not None and kind in ("repost", "quote"):
            # The link names the retweeted or quoted post itself: better than the RT handle.
            ref_account, ref_post = "@" + ref[0], ref[1]
        post = Post(
            platform=self.platform,
            post_id=post_id,
            account_id=account_id,
            created_at=created,
            text=text,
            lang=LANGUAGE_CODES.get(row.get("language") or ""),
            kind=kind,
            ref_post_id=ref_post,
            ref_account_id=ref_account,
            reply_to_account_id=reply_account,
            urls=urls,
            hashtags=text_hashtags(text),
            mentions=text_mentions(text),
            raw=orjson.dumps(row).decode() if self.options.keep_raw else None,
        )
        region = row.get("region")
        account = Account(
            platform=self.platform,
            account_id=account_id,
            handle=handle,
            followers=count(row["followers"]),
            following=count(row["following"]),
            posts_count=count(row.get("updates")),
            location=region if region and region != "Unknown" else None,
            seen_at=created,
            raw=account_raw,
        )
        return [post, account]


@register_reader
class Ira538AuthorsReader(CsvReader):
    """authors.csv of the per-author re-organisation: one IRA account per row."""

    name = "ira-538-authors"
    title = "FiveThirtyEight IRA authors table (authors.csv, with account_category)"
    default_platform = "twitter"
    required_columns = ("author_id", "author", "external_author_id", "account_category")

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Map one author row to an Account whose raw JSON keeps the IRA labels."""
        author_id = row["author_id"].strip()
        if not author_id:
            raise RecordError("a row without author_id")
        return [
            Account(
                platform=self.platform,
                account_id=author_id,
                handle=row["author"] or None,
                raw=orjson.dumps(row).decode(),
            )
        ]

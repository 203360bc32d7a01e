"""Readers for the CSV tables of the CooRTweet R package (``coortweet``, ``coortweet-multi``).

``coortweet``: CooRTweet's prepared input, one shared object per row: ``object_id`` (what
was shared), ``account_id`` (who shared it; older releases call it ``id_user``),
``content_id`` (the sharing post's own id) and ``timestamp_share`` (POSIX seconds, or
``YYYY-MM-DD HH:MM:SS`` in UTC as ``prep_data`` allows). Each row becomes a Post with
``post_id = content_id`` and an Account that has only its id. CooRTweet's
``reshape_tweets`` fills ``object_id`` with different things depending on the intent, so
the reader looks at its shape:

- a post id (retweets intent: the retweeted tweet's id; the bundled Russian data holds
  hashed ids): a ``repost`` with ``ref_post_id = object_id``;
- the row's own ``content_id`` (``reshape_tweets`` adds each retweeted tweet with itself
  as the object): an ``original``;
- a URL (``http://``, ``https://`` or ``www.``; urls intent): an ``original`` with that
  URL, normalized, in ``urls``; a bare domain such as ``rt.com`` (urls_domains intent)
  goes to ``urls`` as ``https://rt.com``;
- a ``#tag``: an ``original`` with the tag in ``hashtags``;
- text with spaces (cotweet intent: normalized text): an ``original`` with that ``text``.

A hashtag written without '#' cannot be told from a post id and reads as one; prefix it
with '#' before ingest.

``coortweet-multi``: the multi-platform, multi-modal table CooRTweet ships as
``german_elections``: ``account_id`` (prefixed ``fb_`` or ``tw_``, giving the platform
``facebook`` or ``twitter``; the prefix stays in the id, so ids match CooRTweet's output),
``post_id``, ``timestamp`` (POSIX seconds) and the anonymised integer ids ``url_id``,
``hashtag_id``, ``domain_id`` and ``phash_id``, any of them empty. They are not real URLs
or tags, so they become marked stand-ins that the co-URL, co-domain, co-hashtag and
co-image detectors compare like any other value:

- ``url_id`` u on domain d: ``urls = ["urlid://domain-d/u"]``. ``url_domain`` gives
  ``domain-d``, so co-domain works too.
- ``domain_id`` d without a ``url_id`` (a link whose page the data does not name):
  ``urls = ["urlid://domain-d/unknown-<post_id>"]``, unique to the post so that it never
  pairs two posts as the same URL but still counts for its domain.
- ``hashtag_id`` h: ``hashtags = ["hashtagid:h"]``; ``phash_id`` p (a perceptual hash of an
  image): ``media = ["phashid:p"]``.

The table is long: a post with several entities spans several rows, not always next to
each other, and each row yields a Post for the same ``post_id`` with that row's entities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from limelight.errors import RecordError
from limelight.normalize import normalize_hashtag, normalize_url, parse_time
from limelight.records import Account, Post, Record
from limelight.sources import _columnar as col
from limelight.sources._base import CsvReader, register_reader

__all__ = ["CooRTweetMultiReader", "CooRTweetReader"]

_URL_PREFIXES = ("http://", "https://", "www.")
_PLATFORM_PREFIXES = {"fb_": "facebook", "tw_": "twitter"}
_ENTITY_COLUMNS = ("url_id", "hashtag_id", "domain_id", "phash_id")


def _share_time(value: str, column: str) -> datetime:
    # Numbers first: float() and the epoch path are twice as fast as parse_time's string checks.
    when: str | float
    try:
        when = float(value)
    except ValueError:
        when = value
    try:
        created = parse_time(when)
    except ValueError:
        raise RecordError(f"{column} {value!r} is not a POSIX time or a date") from None
    except (OverflowError, OSError):
        raise RecordError(f"{column} {value!r} is out of the range of dates") from None
    if created is None:
        raise RecordError(f"empty {column}")
    return created


def _is_bare_domain(value: str) -> bool:
    # 'rt.com', 'news.example.org': dotted, no path, a letters-only top-level label. Post ids
    # (digits, hex hashes, 'page_post' pairs) never end like that.
    if "/" in value or "." not in value:
        return False
    tld = value.rpartition(".")[2]
    return len(tld) >= 2 and tld.isalpha()


@register_reader
class CooRTweetMultiReader(CsvReader):
    """CooRTweet's multi-platform table (german_elections): one entity share per row."""

    name: ClassVar[str] = "coortweet-multi"
    title: ClassVar[str] = (
        "CooRTweet multi-platform table (account_id, post_id, url_id, hashtag_id, "
        "domain_id, phash_id, timestamp)"
    )
    default_platform: ClassVar[str] = "twitter"
    required_columns: ClassVar[tuple[str, ...]] = ("account_id", "post_id", "timestamp")

    def matches_header(self, header: Sequence[str]) -> bool:
        """The required columns and at least one entity column (url_id, hashtag_id, ...)."""
        have = set(header)
        return set(self.required_columns) <= have and any(c in have for c in _ENTITY_COLUMNS)

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Turn one row into a Post carrying that row's entities, and its Account."""
        account_id = row["account_id"].strip()
        if not account_id:
            raise RecordError("empty account_id")
        post_id = row["post_id"].strip()
        if not post_id:
            raise RecordError("empty post_id")
        created_at = _share_time(row["timestamp"], "timestamp")
        platform = _PLATFORM_PREFIXES.get(account_id[:3]) or self.platform
        get = row.get
        url_id = get("url_id", "").strip()
        domain_id = get("domain_id", "").strip()
        hashtag_id = get("hashtag_id", "").strip()
        phash_id = get("phash_id", "").strip()
        urls: list[str] = []
        if url_id:
            urls.append(f"urlid://domain-{domain_id}/{url_id}" if domain_id else f"urlid:/{url_id}")
        elif domain_id:
            urls.append(f"urlid://domain-{domain_id}/unknown-{post_id}")
        raw = orjson.dumps(row).decode() if self.options.keep_raw else None
        post = Post(
            platform,
            post_id,
            account_id=account_id,
            created_at=created_at,
            urls=urls,
            hashtags=[f"hashtagid:{hashtag_id}"] if hashtag_id else [],
            media=[f"phashid:{phash_id}"] if phash_id else [],
            raw=raw,
        )
        return (post, Account(platform, account_id))


@register_reader
class CooRTweetReader(CsvReader):
    """CooRTweet's prepared input: who shared which object, in which post, when."""

    name: ClassVar[str] = "coortweet"
    title: ClassVar[str] = (
        "CooRTweet prepared data (object_id, account_id, content_id, timestamp_share)"
    )
    default_platform: ClassVar[str] = "twitter"
    required_columns: ClassVar[tuple[str, ...]] = (
        "object_id",
        "account_id",
        "content_id",
        "timestamp_share",
    )

    def matches_header(self, header: Sequence[str]) -> bool:
        """The four columns, accepting ``id_user`` for ``account_id`` (CooRTweet < 2)."""
        return not self.missing_columns(header)

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        """The required columns the header lacks; ``id_user`` stands in for ``account_id``."""
        have = set(header)
        if "id_user" in have:
            have.add("account_id")
        return [c for c in self.required_columns if c not in have]

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Turn one share into a Post (a repost of ``object_id`` unless it is a URL, ...)."""
        content_id = row["content_id"].strip()
        if not content_id:
            raise RecordError("empty content_id")
        account = row.get("account_id")
        account_id = (account if account is not None else row["id_user"]).strip()
        if not account_id:
            raise RecordError(f"content {content_id}: empty account_id")
        obj = row["object_id"].strip()
        if not obj:
            raise RecordError(f"content {content_id}: empty object_id")
        created_at = _share_time(row["timestamp_share"], "timestamp_share")
        platform = self.platform
        raw = orjson.dumps(row).decode() if self.options.keep_raw else None
        post = Post(platform, content_id, account_id=account_id, created_at=created_at, raw=raw)
        if obj == content_id:
            pass  # the shared post itself, listed beside its shares
        elif obj[:8].lower().startswith(_URL_PREFIXES):
            post.urls = [normalize_url(obj)]
        elif obj[0] == "#" or obj[0] == "＃":
            post.hashtags = [normalize_hashtag(obj)]
        elif " " in obj:
            post.text = obj
        elif "." in obj and _is_bare_domain(obj):
            post.urls = [normalize_url("https://" + obj)]
        else:
            post.kind = "repost"
            post.ref_post_id = obj
        return (post, Account(platform, account_id))

    def parse_columns(
        self, table: pa.Table, lines: npt.NDArray[np.int64], source: str
    ) -> col.ColumnarRows:
        """``parse`` for a block of rows, column-wise, for the usual shapes: a share of a
        post id (a repost) or of the post itself (an original).

        Objects that are URLs, tags, text or domains, times that are not plain decimals,
        empty ids, and characters only Python counts as whitespace go to ``parse``.
        """
        n = table.num_rows
        account_name = "account_id" if "account_id" in table.column_names else "id_user"
        raw = {
            "content_id": col.one(table.column("content_id")),
            "account_id": col.one(table.column(account_name)),
            "object_id": col.one(table.column("object_id")),
        }
        content_id, account_id, obj = (col.stripped(raw[c]) for c in raw)
        micros, bad_time = col.posix_micros(col.one(table.column("timestamp_share")))
        # Anything that might be a URL, a tag, text or a domain is the row path's to judge.
        odd_object = col.mask(pc.match_substring_regex(obj, r"^(?i:https?://|www\.)|^[#＃]|[ .]"))
        empty = col.mask(
            pc.or_(pc.or_(pc.equal(content_id, ""), pc.equal(account_id, "")), pc.equal(obj, ""))
        )
        slow = empty | bad_time | odd_object | col.has_py_only_space(*raw.values())
        itself = pc.equal(obj, content_id)
        platform = col.constant(self.platform, n)
        src = col.constant(source, n)
        line = pa.array(lines, pa.int64())
        posts = col.store_table(
            "posts",
            {
                "platform": platform,
                "post_id": content_id,
                "account_id": account_id,
                "created_at": col.timestamps(micros),
                "kind": pc.if_else(itself, pa.scalar("original"), pa.scalar("repost")),
                "ref_post_id": pc.if_else(itself, pa.scalar(None, pa.string()), obj),
                "urls": col.empty_lists(n),
                "hashtags": col.empty_lists(n),
                "mentions": col.empty_lists(n),
                "media": col.empty_lists(n),
                "source_file": src,
                "source_line": line,
            },
            n,
        )
        accounts = col.store_table(
            "accounts",
            {
                "platform": platform,
                "account_id": account_id,
                "source_file": src,
                "source_line": line,
            },
            n,
        )
        keep = pa.array(~slow)
        return col.ColumnarRows(
            posts=posts.filter(keep),
            accounts=accounts.filter(keep),
            slow=np.flatnonzero(slow).astype(np.int64),
        )

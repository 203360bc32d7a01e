"""The CSV that DocNow's twarc-csv plugin writes (``twarc2 csv``): one tweet per row.

Columns are the v2 tweet's fields flattened with dots (``public_metrics.like_count``,
``referenced_tweets.retweeted.id``, ``author.username``, ...). Each row gives a Post and,
from the ``author.*`` columns, an Account snapshot. The kind and its references follow the
same rules as the JSON readers (:func:`limelight.sources.twitter_v2.post_kind`).

What twarc-csv does to the data, and what this reader does about it:

- newlines in text are written as the two characters backslash and ``n``; they are turned
  back into newlines (a literal backslash-n in a tweet cannot be told apart).
- list cells hold JSON lists (or Python reprs with ``--no-json-encode-lists``). With its
  default ``--process-entities``, urls are expanded links (never the unwound landing page),
  media links appear as ``pic.twitter.com/...`` and are left out, hashtags are '#tag' and
  mentions are '@handle' without ids. With ``--no-process-entities`` the cells hold the API
  objects and go through the same functions as the JSON readers.
- with its default ``--merge-retweets`` a retweet's text, entities and metrics are the
  retweeted tweet's; the metrics are then dropped (they are not the retweet's own), the
  text and entities kept as the content the retweet spread.
- pandas writes integers of a column with gaps as floats ('12.0'); they are read as ints.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from limelight.errors import RecordError
from limelight.normalize import normalize_handle, normalize_hashtag, normalize_url, tweet_text
from limelight.records import Account, Post, Record
from limelight.sources._base import CsvReader, register_reader
from limelight.sources.twitter_v2 import (
    api_time,
    entity_mentions,
    entity_urls,
    is_self_link,
    post_kind,
)

__all__ = ["TwarcCsvReader"]

_MARKERS = ("referenced_tweets.", "public_metrics.", "author.", "__twarc.")
_TRUE = frozenset({"True", "true", "TRUE", "1"})
_FALSE = frozenset({"False", "false", "FALSE", "0"})


def _list(cell: str) -> list[Any]:
    if not cell or cell[0] != "[":
        return [cell] if cell else []
    try:
        value = orjson.loads(cell)
    except orjson.JSONDecodeError:
        try:
            value = ast.literal_eval(cell)  # --no-json-encode-lists writes Python reprs
        except (ValueError, SyntaxError):
            raise RecordError(f"a list cell that is neither JSON nor a list: {cell[:80]}") from None
    return value if isinstance(value, list) else [value]


def _int(cell: str | None) -> int | None:
    if not cell:
        return None
    try:
        return int(cell)
    except ValueError:
        return int(float(cell))


def _bool(cell: str | None) -> bool | None:
    if cell in _TRUE:
        return True
    if cell in _FALSE:
        return False
    return None


def _text(cell: str | None) -> str | None:
    if not cell:
        return None
    return cell.replace("\\n", "\n") if "\\n" in cell else cell


def _urls(cell: str, tweet_id: str, merged_from: str | None) -> list[str]:
    # A merged retweet carries the retweeted tweet's links, media links included.
    items = _list(cell)
    if items and isinstance(items[0], dict):
        return entity_urls(items, merged_from or tweet_id)
    out: list[str] = []
    for item in items:
        link = normalize_url(str(item))
        if not is_self_link(link, tweet_id) and not (
            merged_from and is_self_link(link, merged_from)
        ):
            out.append(link)
    return out


def _hashtags(cell: str) -> list[str]:
    items = _list(cell)
    return [normalize_hashtag(h["tag"] if isinstance(h, dict) else str(h)) for h in items]


def _mentions(cell: str) -> list[str]:
    items = _list(cell)
    if items and isinstance(items[0], dict):
        return entity_mentions(items)
    return ["@" + normalize_handle(str(m)) for m in items if str(m).strip("@ ")]


@register_reader
class TwarcCsvReader(CsvReader):
    """twarc-csv output: the CSV ``twarc2 csv`` writes from twarc2 tweet pages."""

    name = "twarc-csv"
    title = "Twitter/X API v2 tweets as CSV (DocNow twarc-csv, `twarc2 csv`)"
    default_platform = "twitter"
    required_columns = ("id", "author_id", "created_at", "text")

    def matches_header(self, header: Sequence[str]) -> bool:
        """The required columns plus twarc-csv's dotted column names."""
        return super().matches_header(header) and any(c.startswith(_MARKERS) for c in header)

    def parse(self, row: dict[str, str]) -> Iterable[Record]:
        """Map one row to its Post and its author's Account."""
        tid = row["id"]
        if not tid:
            raise RecordError("a row without a tweet id")
        get = row.get
        retweeted = get("referenced_tweets.retweeted.id") or None
        quoted = get("referenced_tweets.quoted.id") or None
        replied = get("referenced_tweets.replied_to.id") or None
        kind = post_kind(retweeted, quoted, replied)
        text = tweet_text(_text(get("text")))
        # A merged retweet (the default) carries the retweeted tweet's entities and metrics.
        merged = bool(retweeted and text and not text.startswith("RT @"))
        own_metrics = not merged
        platform = self.platform
        post = Post(
            platform=platform,
            post_id=tid,
            account_id=get("author_id") or None,
            created_at=api_time(get("created_at")),
            text=text,
            lang=get("lang") or None,
            kind=kind,
            ref_post_id=retweeted or quoted,
            ref_account_id=(
                get("retweeted_user_id") if retweeted else get("quoted_user_id") if quoted else None
            )
            or None,
            reply_to_post_id=replied,
            reply_to_account_id=(get("in_reply_to_user_id") or None) if replied else None,
            conversation_id=get("conversation_id") or None,
            client=get("source") or None,
            urls=_urls(get("entities.urls") or "", tid, retweeted if merged else None),
            hashtags=_hashtags(get("entities.hashtags") or ""),
            mentions=_mentions(get("entities.mentions") or ""),
            media=[str(k) for k in _list(get("attachments.media_keys") or "")],
            like_count=_int(get("public_metrics.like_count")) if own_metrics else None,
            repost_count=_int(get("public_metrics.retweet_count")) if own_metrics else None,
            reply_count=_int(get("public_metrics.reply_count")) if own_metrics else None,
            quote_count=_int(get("public_metrics.quote_count")) if own_metrics else None,
            raw=self._raw(row),
        )
        author = get("author.id")
        if not author:
            return [post]
        image = get("author.profile_image_url")
        url = get("author.url")
        links = _list(get("author.entities.url.urls") or "")
        if links:  # with --no-process-entities author.url is a t.co link
            url = links[0].get("expanded_url") if isinstance(links[0], dict) else str(links[0])
        account = Account(
            platform=platform,
            account_id=author,
            handle=get("author.username") or None,
            display_name=get("author.name") or None,
            created_at=api_time(get("author.created_at")),
            description=_text(get("author.description")),
            followers=_int(get("author.public_metrics.followers_count")),
            following=_int(get("author.public_metrics.following_count")),
            posts_count=_int(get("author.public_metrics.tweet_count")),
            likes_count=_int(get("author.public_metrics.like_count")),
            listed_count=_int(get("author.public_metrics.listed_count")),
            verified=_bool(get("author.verified")),
            default_image=("default_profile_images" in image) if image else None,
            location=get("author.location") or None,
            url=normalize_url(url) if url else None,
            seen_at=api_time(get("__twarc.retrieved_at")),
            raw=self._raw(row),
        )
        return [post, account]

    def _raw(self, row: dict[str, str]) -> str | None:
        return orjson.dumps(row).decode() if self.options.keep_raw else None

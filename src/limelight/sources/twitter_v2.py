"""Twitter/X API v2 readers: twarc2 response pages (``twarc2``) and flattened tweets.

``twarc2`` reads what ``twarc2 search``, ``timeline``, ``stream``, ``users`` and
``compliance-job download`` write: one API response page per line, ``{"data", "includes",
"meta", "__twarc"}``. Every tweet in ``data`` and every referenced tweet in
``includes.tweets`` becomes a Post of its own, and every user in ``includes.users`` an
Account snapshot seen at ``__twarc.retrieved_at``. ``twarc2-flat`` reads ``twarc2 flatten``
output, one tweet per line with its expansions inline, and plain v2 tweet objects from
other collectors. Both go through :func:`tweet_to_post` and :func:`user_to_account`, so one
tweet gives the same records whichever shape it came in.

Choices worth knowing:

- kind: a tweet can reference several tweets (a reply that quotes). The kind is ``repost``
  if it retweets, else ``quote`` if it quotes, else ``reply`` (:func:`post_kind`): a retweet
  is an action on another post, and a quote carries content about another post, which the
  coordination behaviours key on. ``reply_to_*`` is filled whenever the tweet replies, so a
  quote-reply keeps its reply target. A tweet that only starts with ``@handle`` has
  ``in_reply_to_user_id`` but no ``replied_to`` reference; it stays ``original``.
- ref_account_id is the referenced tweet's ``author_id`` from the page (or the flattened
  reference); when the API left a retweeted tweet out (withheld, deleted), it is the id of
  the "RT @handle:" mention. A reply's target account is ``in_reply_to_user_id``.
- urls: ``unwound_url`` (the landing page after redirects), else ``expanded_url``; links
  that only point at the tweet itself (its attached photos and videos, its own status page)
  are left out. Mentions without an id are resolved through the page's users, as twarc2
  flatten does, else kept as '@handle'.
- a long tweet's ``note_tweet`` text and entities replace the truncated ones.
- tweet-counts and lists pages, API error lines and account compliance lines are rejected
  with the reason; a user-lookup page gives Accounts only (its pinned tweets are left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from limelight.errors import RecordError
from limelight.normalize import (
    normalize_handle,
    normalize_hashtag,
    normalize_url,
    parse_time,
    tweet_text,
)
from limelight.records import Account, Deletion, Post, Record
from limelight.sources._base import JsonReader, register_reader

__all__ = [
    "Twarc2FlatReader",
    "Twarc2Reader",
    "api_time",
    "entity_mentions",
    "entity_urls",
    "is_self_link",
    "post_kind",
    "tweet_to_post",
    "user_to_account",
]

_PAGE_KEYS = ("includes", "meta", "__twarc", "matching_rules", "errors")
_V1_KEYS = ("id_str", "user", "full_text", "retweeted_status")
_MEDIA_HOSTS = ("pic.twitter.com/", "pic.x.com/")
_NO_HANDLES: dict[str, str] = {}
_EMPTY: Mapping[str, Any] = {}
# Twitter switched tweet ids to time-based "snowflake" ids in November 2010; every older
# (sequential) tweet id is below this, and such a tweet was written before the switch.
_LAST_SEQUENTIAL_TWEET_ID = 30_000_000_000
_SNOWFLAKE_START = datetime(2010, 11, 4, 1, 42, 54, tzinfo=UTC)


# A corpus repeats a few thousand hashtags millions of times; caching skips the casefold.
_hashtag = lru_cache(maxsize=65_536)(normalize_hashtag)


def api_time(value: Any) -> datetime | None:
    """Parse an API v2 time ('2021-04-08T15:07:30.000Z') to aware UTC, fast path first.

    v2 times are all ISO 8601, which ``datetime.fromisoformat`` reads directly; anything
    else goes through :func:`limelight.normalize.parse_time` (ValueError if unreadable).
    """
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return parse_time(value)
    if dt.tzinfo is UTC:
        return dt
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def post_kind(retweeted: str | None, quoted: str | None, replied: str | None) -> str:
    """The Post kind of a tweet from the ids it retweets, quotes and replies to.

    Precedence repost > quote > reply (see the module docstring for why).
    """
    if retweeted:
        return "repost"
    if quoted:
        return "quote"
    if replied:
        return "reply"
    return "original"


def is_self_link(link: str, tweet_id: str) -> bool:
    """Whether a (normalized) link only points at the tweet itself or its attached media.

    Such t.co links are added by Twitter, not shared by the author: counting them would
    make every tweet with a photo "share a URL".
    """
    return link.startswith(_MEDIA_HOSTS) or f"/status/{tweet_id}" in link


def entity_urls(items: Sequence[Mapping[str, Any]], tweet_id: str) -> list[str]:
    """The links a v2 ``entities.urls`` list shares: unwound, else expanded, normalized,
    without the links to the tweet itself or its attached media."""
    out: list[str] = []
    for u in items:
        if "media_key" in u:
            continue
        display = u.get("display_url")
        if display and display.startswith(_MEDIA_HOSTS):
            continue
        link = u.get("unwound_url") or u.get("expanded_url") or u.get("url")
        if not link:
            continue
        link = normalize_url(link)
        if not is_self_link(link, tweet_id):
            out.append(link)
    return out


def entity_mentions(
    items: Sequence[Mapping[str, Any]], handles: Mapping[str, str] = _NO_HANDLES
) -> list[str]:
    """Account ids of a v2 ``entities.mentions`` list; '@handle' where no id is known."""
    out: list[str] = []
    for m in items:
        mid = m.get("id")
        if mid:
            out.append(str(mid))
            continue
        handle = normalize_handle(m.get("username") or "")
        if handle:
            out.append(handles.get(handle) or "@" + handle)
    return out


def _rt_author(tweet: Mapping[str, Any], handles: Mapping[str, str]) -> str | None:
    # "RT @handle: ..." names the retweeted author even when the API left that tweet out.
    text = tweet.get("text") or ""
    if not text.startswith("RT @"):
        return None
    for m in (tweet.get("entities") or {}).get("mentions") or ():
        if m.get("start") == 3:
            mid = m.get("id")
            if mid:
                return str(mid)
            return handles.get(normalize_handle(m.get("username") or ""))
    return None


def tweet_to_post(
    tweet: Mapping[str, Any],
    platform: str,
    authors: Mapping[str, Any],
    handles: Mapping[str, str] = _NO_HANDLES,
    keep_raw: bool = False,
) -> Post:
    """Map one v2 tweet object to a Post.

    ``authors`` maps the ids of tweets available alongside (includes.tweets, flattened
    references) to their ``author_id``, to name a referenced post's author; ``handles``
    maps lower-cased usernames to ids, to resolve mentions the API gave without an id.
    """
    tid = str(tweet["id"])
    retweeted = quoted = replied = None
    for ref in tweet.get("referenced_tweets") or ():
        typ = ref.get("type")
        if typ == "retweeted":
            retweeted = ref.get("id")
        elif typ == "quoted":
            quoted = ref.get("id")
        elif typ == "replied_to":
            replied = ref.get("id")
    kind = post_kind(retweeted, quoted, replied)
    ref_post = retweeted or quoted
    ref_account = authors.get(ref_post) if ref_post else None
    if retweeted and not ref_account:
        ref_account = _rt_author(tweet, handles)
    text = tweet.get("text")
    entities = tweet.get("entities")
    note = tweet.get("note_tweet")
    if note:
        text = note.get("text") or text
        entities = note.get("entities") or entities
    text = tweet_text(text)
    urls: list[str] = []
    hashtags: list[str] = []
    mentions: list[str] = []
    if entities:
        if "urls" in entities:
            urls = entity_urls(entities["urls"], tid)
        if "hashtags" in entities:
            hashtags = [_hashtag(h["tag"]) for h in entities["hashtags"]]
        if "mentions" in entities:
            mentions = entity_mentions(entities["mentions"], handles)
    attachments = tweet.get("attachments")
    metrics = tweet.get("public_metrics") or _EMPTY
    return Post(
        platform=platform,
        post_id=tid,
        account_id=tweet.get("author_id") or (tweet.get("author") or _EMPTY).get("id"),
        created_at=api_time(tweet.get("created_at")),
        text=text,
        lang=tweet.get("lang"),
        kind=kind,
        ref_post_id=ref_post,
        ref_account_id=ref_account,
        reply_to_post_id=replied,
        reply_to_account_id=(tweet.get("in_reply_to_user_id") or authors.get(replied))
        if replied
        else None,
        conversation_id=tweet.get("conversation_id"),
        client=tweet.get("source"),
        urls=urls,
        hashtags=hashtags,
        mentions=mentions,
        media=list(attachments.get("media_keys") or ()) if attachments else [],
        like_count=metrics.get("like_count"),
        repost_count=metrics.get("retweet_count"),
        reply_count=metrics.get("reply_count"),
        quote_count=metrics.get("quote_count"),
        raw=orjson.dumps(tweet).decode() if keep_raw else None,
    )


def user_to_account(
    user: Mapping[str, Any], platform: str, seen_at: datetime | None, keep_raw: bool = False
) -> Account:
    """Map one v2 user object to an Account snapshot seen at ``seen_at``.

    The profile link is the expanded one from ``entities.url`` (the ``url`` field is a
    t.co link), normalized so that accounts pointing at one site compare equal.
    """
    metrics = user.get("public_metrics") or _EMPTY
    url = user.get("url") or None
    links = ((user.get("entities") or _EMPTY).get("url") or _EMPTY).get("urls")
    if links:
        url = links[0].get("expanded_url") or url
    image = user.get("profile_image_url")
    return Account(
        platform=platform,
        account_id=str(user["id"]),
        handle=user.get("username") or None,
        display_name=user.get("name") or None,
        created_at=api_time(user.get("created_at")),
        description=user.get("description") or None,
        followers=metrics.get("followers_count"),
        following=metrics.get("following_count"),
        posts_count=metrics.get("tweet_count"),
        likes_count=metrics.get("like_count"),
        listed_count=metrics.get("listed_count"),
        verified=user.get("verified"),
        default_image=("default_profile_images" in image) if image else None,
        location=user.get("location") or None,
        url=normalize_url(url) if url else None,
        seen_at=seen_at,
        raw=orjson.dumps(user).decode() if keep_raw else None,
    )


class _HandleIds(Mapping[str, str]):
    """Lower-cased username -> account id over a page's users, indexed on first lookup.

    A page lists the users its tweets mention (expansion entities.mentions.username), which
    names the ids of mentions that older responses gave by username only. Recent pages give
    the ids themselves, so most pages never build the index.
    """

    __slots__ = ("_index", "_users")

    def __init__(self, users: Iterable[Mapping[str, Any]]) -> None:
        self._users = users
        self._index: dict[str, str] | None = None

    def _built(self) -> dict[str, str]:
        if self._index is None:
            self._index = {
                u["username"].lower(): str(u["id"])
                for u in self._users
                if "username" in u and "id" in u
            }
        return self._index

    def __getitem__(self, key: str) -> str:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


def _seen_at(value: Mapping[str, Any]) -> datetime | None:
    meta = value.get("__twarc")
    return api_time(meta.get("retrieved_at")) if isinstance(meta, dict) else None


def _error_message(errors: Any) -> str:
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, dict):
        return str(first)
    return str(first.get("detail") or first.get("message") or first.get("title") or first)


def _compliance(value: Mapping[str, Any], platform: str) -> Deletion:
    action, reason, oid = value.get("action"), value.get("reason"), str(value["id"])
    if action != "delete" or reason == "scrub_geo":
        raise RecordError(
            f"compliance event {action!r} ({reason}) is not a deletion; limelight stores only "
            f"deletions"
        )
    created = api_time(value.get("created_at"))
    # created_at is the object's creation time. A pre-snowflake id created after the switch
    # cannot be a tweet: the line comes from a users compliance job.
    if created and int(oid) < _LAST_SEQUENTIAL_TWEET_ID and created > _SNOWFLAKE_START:
        raise RecordError(
            f"an account compliance event (user {oid}, {reason}): limelight stores post "
            f"deletions only; account compliance events are not stored"
        )
    return Deletion(
        platform=platform,
        post_id=oid,
        deleted_at=api_time(value.get("redacted_at")),
        reason=reason,
    )


@register_reader
class Twarc2Reader(JsonReader):
    """twarc2 output: Twitter API v2 response pages, stream lines and compliance lines."""

    name = "twarc2"
    title = "Twitter/X API v2 pages (twarc2 search/timeline/stream/users, compliance)"
    default_platform = "twitter"

    def matches(self, value: Any) -> bool:
        """A page has ``data`` (or is an empty page) beside v2 page keys; also error and
        compliance lines."""
        if not isinstance(value, dict):
            return False
        if "data" in value:
            data = value["data"]
            if isinstance(data, dict):
                return "id" in data
            if not isinstance(data, list):
                return False
            if any(k in value for k in _PAGE_KEYS):
                return True
            return bool(data) and isinstance(data[0], dict) and "id" in data[0]
        if "errors" in value:
            errors = value["errors"]
            return (
                isinstance(errors, list)
                and bool(errors)
                and isinstance(errors[0], dict)
                and any(k in errors[0] for k in ("title", "detail", "message"))
            )
        if "action" in value and "id" in value:
            return "reason" in value or "created_at" in value
        return "meta" in value and "__twarc" in value  # a page with no results

    def parse(self, value: Any) -> Iterable[Record]:
        """Map one page (or one stream, error or compliance line) to records."""
        if "data" not in value:
            if "errors" in value:
                raise RecordError(
                    f"the API sent an error, not tweets: {_error_message(value['errors'])}"
                )
            if "action" in value:
                return [_compliance(value, self.platform)]
            return []
        data = value["data"]
        items: list[dict[str, Any]] = data if isinstance(data, list) else [data]
        if not items:
            return []
        first = items[0]
        includes = value.get("includes") or _EMPTY
        platform, keep_raw, seen_at = self.platform, self.options.keep_raw, _seen_at(value)
        users = includes.get("users") or ()
        if "text" in first or "edit_history_tweet_ids" in first or "author_id" in first:
            return self._tweets(items, includes, users, seen_at)
        if "username" in first:
            profiles = [*items, *users]
            return [user_to_account(u, platform, seen_at, keep_raw) for u in profiles]
        if "tweet_count" in first and "start" in first:
            raise RecordError("a tweet-counts page (twarc2 counts) holds no posts, only counts")
        if "member_count" in first or "owner_id" in first or "follower_count" in first:
            raise RecordError("a lists page (twarc2 lists) holds no posts, only list metadata")
        raise RecordError(
            f"a v2 page whose data holds neither tweets nor users (keys: {', '.join(first)})"
        )

    def _tweets(
        self,
        items: list[dict[str, Any]],
        includes: Mapping[str, Any],
        users: Sequence[Mapping[str, Any]],
        seen_at: datetime | None,
    ) -> list[Record]:
        platform, keep_raw = self.platform, self.options.keep_raw
        referenced = includes.get("tweets") or ()
        authors = {t["id"]: t.get("author_id") for t in referenced}
        for t in items:
            authors[t["id"]] = t.get("author_id")
        handles = _HandleIds(users)
        out: list[Record] = [tweet_to_post(t, platform, authors, handles, keep_raw) for t in items]
        if referenced:
            own = {t["id"] for t in items}
            out.extend(
                tweet_to_post(t, platform, authors, handles, keep_raw)
                for t in referenced
                if t["id"] not in own
            )
        out.extend(user_to_account(u, platform, seen_at, keep_raw) for u in users)
        return out


@register_reader
class Twarc2FlatReader(JsonReader):
    """``twarc2 flatten`` output (one tweet per line, expansions inline) and plain v2 tweets."""

    name = "twarc2-flat"
    title = "Twitter/X API v2 tweets, one per line (twarc2 flatten, other v2 collectors)"
    default_platform = "twitter"

    def matches(self, value: Any) -> bool:
        """A v2 tweet object (no v1.1 keys), or a flattened user with twarc metadata."""
        if not isinstance(value, dict) or "id" not in value or "data" in value:
            return False
        if any(k in value for k in _V1_KEYS):
            return False
        if "text" in value:
            return any(
                k in value for k in ("author_id", "edit_history_tweet_ids", "author", "__twarc")
            )
        return "__twarc" in value and "username" in value

    def parse(self, value: Any) -> Iterable[Record]:
        """Map one flattened tweet to its Post, its referenced tweets' Posts and the
        Accounts of every user expanded inline (author, reply target, mentions)."""
        platform, keep_raw, seen_at = self.platform, self.options.keep_raw, _seen_at(value)
        if "text" not in value:
            return [user_to_account(value, platform, seen_at, keep_raw)]
        refs = [r for r in value.get("referenced_tweets") or () if "text" in r]
        authors = {r["id"]: r.get("author_id") for r in refs}
        users: dict[str, Mapping[str, Any]] = {}
        for tweet in (value, *refs):
            _collect_users(tweet, users)
        handles = _HandleIds(users.values())
        out: list[Record] = [tweet_to_post(value, platform, authors, handles, keep_raw)]
        out.extend(tweet_to_post(r, platform, authors, handles, keep_raw) for r in refs)
        out.extend(user_to_account(u, platform, seen_at, keep_raw) for u in users.values())
        return out


def _collect_users(tweet: Mapping[str, Any], users: dict[str, Mapping[str, Any]]) -> None:
    for key in ("author", "in_reply_to_user"):
        user = tweet.get(key)
        if isinstance(user, dict) and "id" in user:
            users.setdefault(str(user["id"]), user)
    entities = tweet.get("entities")
    if entities:
        for m in entities.get("mentions") or ():
            # twarc2 flatten expands mentions with the whole user object where it had one.
            if "id" in m and "name" in m:
                users.setdefault(str(m["id"]), m)

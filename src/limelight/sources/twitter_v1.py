"""Twitter/X API v1.1 readers: tweets and users (``twitter-v1``) and Gnip Activity Streams.

``twitter-v1`` reads what the v1.1 REST and streaming APIs returned and what collectors of
that era (twarc 1, tweepy, Hydrator, the enterprise "original format") wrote: one tweet per
JSONL line or a JSON array of tweets (timelines, ``statuses/retweets``), a search response
``{"statuses": [...], "search_metadata": ...}``, user objects (``users/search``, each with
its latest ``status``) and stream delete notices. ``gnip-activity`` reads the enterprise
Activity Streams format (``verb`` post/share/delete, ``actor``, ``object``, ``twitter_entities``),
whose ids ("tag:search.twitter.com,2005:123", "id:twitter.com:45") are cut to the numeric
ids so that both formats give the same post and account ids.

Choices worth knowing (the same as the v2 readers', so one tweet reads the same way in
any format):

- Every embedded tweet becomes a Post of its own, recursively: a retweet's
  ``retweeted_status``, a quote's ``quoted_status``, the quote inside a retweeted quote.
  Each embedded ``user`` becomes an Account snapshot seen at that tweet's ``created_at``,
  since the profile is embedded as it was when the tweet was served.
- kind: ``repost`` if it retweets, else ``quote`` if it quotes, else ``reply`` if it
  answers a status; ``reply_to_*`` is kept on a quote that also replies. A tweet with only
  ``in_reply_to_user_id`` (it starts with @handle, no status) stays ``original``.
- text, entities and media of a long tweet come from ``extended_tweet`` (``long_object``
  in Activity Streams), else ``full_text`` (tweet_mode=extended), else ``text``. Text is
  kept as the API sent it (HTML-escaped ``&amp;``, like v2).
- urls: ``expanded_url`` normalized; photo/video links and the "twitter.com/i/web/status"
  link a truncated tweet carries to itself are left out. ``client`` is the link text of
  the HTML ``source``. Counts are the API's as of collection (a retweet's
  ``retweet_count`` is its original's, as the API reports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
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
from limelight.sources.twitter_v2 import is_self_link, post_kind

__all__ = ["GnipActivityReader", "TwitterV1Reader", "client_name", "user_account"]

_EMPTY: Mapping[str, Any] = {}
_hashtag = lru_cache(maxsize=65_536)(normalize_hashtag)
# Profiles repeat their created_at on every tweet, and busy streams repeat tweet times.
_time = lru_cache(maxsize=65_536)(parse_time)


@lru_cache(maxsize=4096)
def client_name(source: str) -> str | None:
    """The client name in a v1.1 ``source``: the text of '<a href=...>Twitter for iPhone</a>'.

    Old tweets have a bare name ("web"); that is returned as it is. Cached: a corpus has a
    few hundred distinct clients.
    """
    if not source.startswith("<"):
        return source or None
    start = source.find(">") + 1
    end = source.find("<", start)
    name = source[start:end] if start and end > 0 else ""
    return name.strip() or None


def _sid(obj: Mapping[str, Any], key: str) -> str | None:
    # Prefer the *_str form: the numeric one loses precision in JavaScript-written JSON.
    value = obj.get(key + "_str")
    if value:
        return str(value)
    value = obj.get(key)
    return str(value) if value is not None else None


def _entity_lists(ents: Mapping[str, Any], post_id: str) -> tuple[list[str], list[str], list[str]]:
    urls: list[str] = []
    for u in ents.get("urls") or ():
        link = u.get("expanded_url") or u.get("url")
        if link:
            link = normalize_url(link)
            if not is_self_link(link, post_id):
                urls.append(link)
    hashtags = [_hashtag(h["text"]) for h in ents.get("hashtags") or ()]
    mentions: list[str] = []
    for m in ents.get("user_mentions") or ():
        mid = _sid(m, "id")
        if mid:
            mentions.append(mid)
        elif m.get("screen_name"):
            mentions.append("@" + normalize_handle(m["screen_name"]))
    return urls, hashtags, mentions


def _media_ids(xents: Mapping[str, Any] | None, ents: Mapping[str, Any]) -> list[str]:
    items = (xents or _EMPTY).get("media") or ents.get("media") or ()
    return [m["id_str"] if "id_str" in m else str(m["id"]) for m in items]


def _user_url(user: Mapping[str, Any]) -> str | None:
    url = user.get("url") or None
    links = ((user.get("entities") or _EMPTY).get("url") or _EMPTY).get("urls")
    if links:
        url = links[0].get("expanded_url") or url
    return normalize_url(url) if url else None


def user_account(
    u: Mapping[str, Any], platform: str, seen_at: datetime | None, *, keep_raw: bool = False
) -> Account:
    """An Account from a v1.1 user object (also what TwiBot-20 keeps as a profile)."""
    uid = _sid(u, "id")
    if not uid:
        raise RecordError("a user object without id_str or id")
    return Account(
        platform=platform,
        account_id=uid,
        handle=u.get("screen_name") or None,
        display_name=u.get("name") or None,
        created_at=_time(u.get("created_at")),
        description=u.get("description") or None,
        followers=u.get("followers_count"),
        following=u.get("friends_count"),
        posts_count=u.get("statuses_count"),
        likes_count=u.get("favourites_count"),
        listed_count=u.get("listed_count"),
        verified=u.get("verified"),
        default_profile=u.get("default_profile"),
        default_image=u.get("default_profile_image"),
        location=u.get("location") or None,
        url=_user_url(u),
        lang=u.get("lang") or None,
        seen_at=seen_at,
        raw=orjson.dumps(u).decode() if keep_raw else None,
    )


@register_reader
class TwitterV1Reader(JsonReader):
    """Twitter API v1.1 tweets, search responses, user objects and stream delete notices."""

    name = "twitter-v1"
    title = "Twitter/X API v1.1 JSON (tweets, search responses, users, delete notices)"
    default_platform = "twitter"

    def matches(self, value: Any) -> bool:
        """A tweet (``user`` + text), a search response, a user object or a delete notice."""
        if not isinstance(value, dict):
            return False
        if "user" in value:
            return "text" in value or "full_text" in value
        if "statuses" in value:
            # A Mastodon search result also has "statuses", beside "accounts".
            return isinstance(value["statuses"], list) and "accounts" not in value
        if "screen_name" in value:
            return "followers_count" in value and "text" not in value
        delete = value.get("delete")
        return isinstance(delete, dict) and "status" in delete

    def parse(self, value: Any) -> Iterable[Record]:
        """Map one unit to its Posts (with every embedded tweet), Accounts or Deletion."""
        out: list[Record] = []
        if "user" in value:
            self._tweet(value, out)
        elif "statuses" in value:
            for status in value["statuses"]:
                self._tweet(status, out)
        elif "screen_name" in value:
            account = self._account(value, None)
            out.append(account)
            status = value.get("status")
            if isinstance(status, dict) and "user" not in status:
                self._tweet(status, out, account.account_id)
        else:
            out.append(self._deletion(value))
        return out

    def _tweet(self, t: Mapping[str, Any], out: list[Record], author: str | None = None) -> None:
        post_id = _sid(t, "id")
        if not post_id:
            raise RecordError("a tweet without id_str or id")
        created = _time(t.get("created_at"))
        user = t.get("user")
        account: Account | None = None
        if user:
            account = self._account(user, created)
            author = account.account_id
        ext = t.get("extended_tweet")
        if ext:
            text = ext.get("full_text") or t.get("text")
            ents = ext.get("entities") or t.get("entities") or _EMPTY
            xents = ext.get("extended_entities") or t.get("extended_entities")
        else:
            text = t.get("full_text") or t.get("text")
            ents = t.get("entities") or _EMPTY
            xents = t.get("extended_entities")
        text = tweet_text(text)
        urls, hashtags, mentions = _entity_lists(ents, post_id)
        retweeted = t.get("retweeted_status")
        quoted = t.get("quoted_status") if not retweeted else None
        rt_id = _sid(retweeted, "id") if retweeted else None
        qt_id = None
        if not retweeted:  # a retweet of a quote carries the quote too; the retweet wins
            qt_id = _sid(quoted, "id") if quoted else _sid(t, "quoted_status_id")
        replied = _sid(t, "in_reply_to_status_id")
        ref = retweeted or quoted
        ref_user = ref.get("user") if ref else None
        source = t.get("source")
        out.append(
            Post(
                platform=self.platform,
                post_id=post_id,
                account_id=author,
                created_at=created,
                text=text,
                lang=t.get("lang"),
                kind=post_kind(rt_id, qt_id, replied),
                ref_post_id=rt_id or qt_id,
                ref_account_id=_sid(ref_user, "id") if ref_user else None,
                reply_to_post_id=replied,
                reply_to_account_id=_sid(t, "in_reply_to_user_id") if replied else None,
                client=client_name(source) if source else None,
                urls=urls,
                hashtags=hashtags,
                mentions=mentions,
                media=_media_ids(xents, ents),
                like_count=t.get("favorite_count"),
                repost_count=t.get("retweet_count"),
                reply_count=t.get("reply_count"),
                quote_count=t.get("quote_count"),
                raw=orjson.dumps(t).decode() if self.options.keep_raw else None,
            )
        )
        if account is not None:
            out.append(account)
        if ref:
            self._tweet(ref, out)

    def _account(self, u: Mapping[str, Any], seen_at: datetime | None) -> Account:
        return user_account(u, self.platform, seen_at, keep_raw=self.options.keep_raw)

    def _deletion(self, value: Mapping[str, Any]) -> Deletion:
        notice = value["delete"]
        status = notice["status"]
        post_id = _sid(status, "id")
        if not post_id:
            raise RecordError("a delete notice without a status id")
        return Deletion(
            platform=self.platform,
            post_id=post_id,
            account_id=_sid(status, "user_id"),
            deleted_at=_time(notice.get("timestamp_ms")),
            reason="delete",
        )


def _tail(activity_id: Any) -> str:
    # "tag:search.twitter.com,2005:123" and "id:twitter.com:45" end with the v1.1 id.
    text = str(activity_id)
    return text[text.rfind(":") + 1 :]


def _status_link(link: str | None) -> tuple[str | None, str | None]:
    # "http://twitter.com/notFromShrek/statuses/8635..." -> ("notfromshrek", "8635...")
    if not link or "/status" not in link:
        return None, None
    head, _, post_id = link.rstrip("/").rpartition("/")
    handle = head[: head.rfind("/")].rpartition("/")[2]
    return normalize_handle(handle) or None, post_id or None


@register_reader
class GnipActivityReader(JsonReader):
    """Gnip / enterprise Twitter Activity Streams: activities with ``verb``, ``actor``,
    ``object`` and ``twitter_entities``."""

    name = "gnip-activity"
    title = "Twitter Activity Streams JSON (Gnip PowerTrack, Historical, Search)"
    default_platform = "twitter"

    def matches(self, value: Any) -> bool:
        """An activity: ``verb`` and ``actor`` beside ``objectType`` 'activity'."""
        return (
            isinstance(value, dict)
            and "verb" in value
            and "actor" in value
            and value.get("objectType") == "activity"
        )

    def parse(self, value: Any) -> Iterable[Record]:
        """Map one activity to its Posts (the shared and quoted ones too) and Accounts."""
        out: list[Record] = []
        if value.get("verb") == "delete":
            obj = value.get("object") or _EMPTY
            actor = value.get("actor") or _EMPTY
            out.append(
                Deletion(
                    platform=self.platform,
                    post_id=_tail(obj.get("id") or value["id"]),
                    account_id=_tail(actor["id"]) if actor.get("id") else None,
                    deleted_at=_time(value.get("postedTime")),
                    reason="delete",
                )
            )
            return out
        self._activity(value, out)
        return out

    def _activity(self, a: Mapping[str, Any], out: list[Record]) -> None:
        verb = a.get("verb")
        if verb not in ("post", "share"):
            raise RecordError(f"an activity with verb {verb!r}; only post, share and delete")
        post_id = _tail(a["id"])
        created = _time(a.get("postedTime"))
        actor = a.get("actor") or _EMPTY
        account = self._account(actor, created) if actor.get("id") else None
        long = a.get("long_object")
        if long:
            text = long.get("body") or a.get("body")
            ents = long.get("twitter_entities") or a.get("twitter_entities") or _EMPTY
            xents = long.get("twitter_extended_entities") or a.get("twitter_extended_entities")
        else:
            text = a.get("body")
            ents = a.get("twitter_entities") or _EMPTY
            xents = a.get("twitter_extended_entities")
        urls, hashtags, mentions = _entity_lists(ents, post_id)
        shared = a.get("object") if verb == "share" else None
        quoted = None if shared else a.get("twitter_quoted_status")
        ref = shared or quoted
        ref_id = _tail(ref["id"]) if ref else None
        ref_actor = (ref.get("actor") or _EMPTY) if ref else _EMPTY
        reply_handle, replied = _status_link((a.get("inReplyTo") or _EMPTY).get("link"))
        reply_account = None
        if replied:
            reply_account = self._reply_account(reply_handle, ents, account)
        generator = a.get("generator") or _EMPTY
        out.append(
            Post(
                platform=self.platform,
                post_id=post_id,
                account_id=account.account_id if account else None,
                created_at=created,
                text=text,
                lang=a.get("twitter_lang"),
                kind=post_kind(ref_id if shared else None, ref_id if quoted else None, replied),
                ref_post_id=ref_id,
                ref_account_id=_tail(ref_actor["id"]) if ref_actor.get("id") else None,
                reply_to_post_id=replied,
                reply_to_account_id=reply_account,
                client=generator.get("displayName"),
                urls=urls,
                hashtags=hashtags,
                mentions=mentions,
                media=_media_ids(xents, ents),
                like_count=a.get("favoritesCount"),
                repost_count=a.get("retweetCount"),
                raw=orjson.dumps(a).decode() if self.options.keep_raw else None,
            )
        )
        if account is not None:
            out.append(account)
        if ref:
            self._activity(ref, out)

    @staticmethod
    def _reply_account(
        handle: str | None, ents: Mapping[str, Any], account: Account | None
    ) -> str | None:
        # inReplyTo gives only a link with the handle; its id is in the mentions, or it is
        # the author's own (a thread), else the handle stands in.
        if not handle:
            return None
        if account is not None and normalize_handle(account.handle or "") == handle:
            return account.account_id
        for m in ents.get("user_mentions") or ():
            if normalize_handle(m.get("screen_name") or "") == handle:
                return _sid(m, "id") or "@" + handle
        return "@" + handle

    def _account(self, actor: Mapping[str, Any], seen_at: datetime | None) -> Account:
        links = actor.get("links") or ()
        url = links[0].get("href") if links else None
        languages = actor.get("languages") or ()
        image = actor.get("image")
        return Account(
            platform=self.platform,
            account_id=_tail(actor["id"]),
            handle=actor.get("preferredUsername") or None,
            display_name=actor.get("displayName") or None,
            created_at=_time(actor.get("postedTime")),
            description=actor.get("summary") or None,
            followers=actor.get("followersCount"),
            following=actor.get("friendsCount"),
            posts_count=actor.get("statusesCount"),
            likes_count=actor.get("favoritesCount"),
            listed_count=actor.get("listedCount"),
            verified=actor.get("verified"),
            default_image=("default_profile_images" in image) if image else None,
            location=(actor.get("location") or _EMPTY).get("displayName") or None,
            url=normalize_url(url) if url else None,
            lang=languages[0] if languages else None,
            seen_at=seen_at,
            raw=orjson.dumps(actor).decode() if self.options.keep_raw else None,
        )

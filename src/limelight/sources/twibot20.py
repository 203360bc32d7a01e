"""TwiBot-20 users (``twibot-20``): a profile, recent tweet texts and, in the labelled
splits, whether the account is a bot.

TwiBot-20 (Feng et al., CIKM 2021) is the field's common benchmark for bot detection: a
JSON array (``train.json``, ``dev.json``, ``test.json``, ``support.json``, and the public
``TwiBot-20_sample.json``) of users, each ``{"ID", "profile", "tweet", "neighbor",
"domain"}`` plus ``"label"`` ("1" bot, "0" human) in the labelled splits.

- ``profile`` is a Twitter v1.1 user object whose every value was written as a string
  with a space appended: ``"15349596 "``, ``"True "``, ``"None "``, nested objects as
  Python literals (``"{'url': {'urls': [...]}}"``). The space is removed, ``None``
  becomes null, counts become numbers, the flags booleans and ``entities`` an object
  again (so the profile link is the expanded one); the user is then read as v1.1 users
  are. A value that was really the word "None" cannot be told from a null.
- ``tweet`` holds up to 200 recent tweet *texts*, no ids, times or entities. Each becomes
  a Post with the stable id ``twibot20-{user id}-{position}`` (position in the list), no
  time (``created_at`` null), and what the text shows: "RT @handle:" makes it a
  ``repost`` of '@handle', a leading "@handle" a ``reply`` to '@handle'; links (t.co,
  unexpanded), hashtags and mentions come from the text. Without times these posts take
  no part in co-action windows; they feed the account's text behaviour (repetition,
  share of reposts, replies and links).
- ``label``, ``domain`` and ``neighbor`` (ids of up to 10 followers and followings) are
  kept in ``Account.raw`` as JSON; query the label with
  ``json_extract_string(raw, '$.label')``. The profile's own snapshot time is not in the
  data, so ``seen_at`` is null (account age is then measured at the store's latest post,
  or left unknown).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import orjson

from limelight.errors import RecordError
from limelight.records import Account, Post, Record
from limelight.sources._base import JsonReader, register_reader
from limelight.sources._text_entities import (
    replied_handle,
    retweeted_handle,
    text_hashtags,
    text_links,
    text_mentions,
)
from limelight.sources.io_archive import count
from limelight.sources.twitter_v1 import user_account

__all__ = ["TwiBot20Reader", "clean_profile"]

_FLAGS = frozenset(
    {
        "protected",
        "geo_enabled",
        "verified",
        "contributors_enabled",
        "is_translator",
        "is_translation_enabled",
        "profile_background_tile",
        "profile_use_background_image",
        "has_extended_profile",
        "default_profile",
        "default_profile_image",
    }
)
_COUNTS = frozenset(
    {"followers_count", "friends_count", "listed_count", "favourites_count", "statuses_count"}
)
_OBJECTS = frozenset({"entities", "profile_location", "status"})


def _value(key: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw[:-1] if raw.endswith(" ") else raw
    if text == "None":
        return None
    if key in _FLAGS and text in ("True", "False"):
        return text == "True"
    if key in _COUNTS:
        return count(text)
    if key in _OBJECTS and text[:1] in ("{", "["):
        try:
            return ast.literal_eval(text)  # literals only: never runs code
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None
    return text


def clean_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """A TwiBot-20 profile as the v1.1 user object it was written from."""
    return {key: _value(key, value) for key, value in profile.items()}


@register_reader
class TwiBot20Reader(JsonReader):
    """TwiBot-20 user records (profile, recent tweet texts, label)."""

    name = "twibot-20"
    title = "TwiBot-20 users JSON (ID, profile, tweet, neighbor, domain, label)"
    default_platform = "twitter"

    def matches(self, value: Any) -> bool:
        """A dict with TwiBot-20's ``ID``, ``profile`` and ``tweet``."""
        return isinstance(value, dict) and "ID" in value and "profile" in value and "tweet" in value

    def parse(self, value: Any) -> Iterable[Record]:
        """One Account (label kept in ``raw``) and a Post per tweet text."""
        uid = str(value.get("ID") or "").strip()
        if not uid:
            raise RecordError("a TwiBot-20 user without ID")
        profile = value.get("profile")
        if profile is not None and not isinstance(profile, dict):
            raise RecordError("a TwiBot-20 profile that is not an object")
        tweets = value.get("tweet") or []
        if not isinstance(tweets, list):
            raise RecordError("a TwiBot-20 tweet field that is not a list")
        extra: dict[str, Any] = {k: value.get(k) for k in ("label", "domain", "neighbor")}
        if profile:
            user = clean_profile(profile)
            user["id_str"] = uid  # the record's ID names the account, whatever the profile says
            if self.options.keep_raw:
                extra["profile"] = user
            account = user_account(user, self.platform, None)
        else:
            account = Account(platform=self.platform, account_id=uid)
        out: list[Record] = [replace(account, raw=orjson.dumps(extra).decode())]
        for i, raw_text in enumerate(tweets):
            if not isinstance(raw_text, str):
                raise RecordError(f"tweet {i} of TwiBot-20 user {uid} is not text")
            text = raw_text.rstrip("\n")
            ref_account = retweeted_handle(text)
            reply_account = None if ref_account else replied_handle(text)
            kind = "repost" if ref_account else "reply" if reply_account else "original"
            out.append(
                Post(
                    platform=self.platform,
                    post_id=f"twibot20-{uid}-{i}",
                    account_id=uid,
                    text=text,
                    kind=kind,
                    ref_account_id=ref_account,
                    reply_to_account_id=reply_account,
                    urls=text_links(text),
                    hashtags=text_hashtags(text),
                    mentions=text_mentions(text),
                    raw=orjson.dumps(raw_text).decode() if self.options.keep_raw else None,
                )
            )
        return out

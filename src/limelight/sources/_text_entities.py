"""Links, hashtags, mentions and retweet or reply handles read from a tweet's text alone.

Some sources keep only what a tweet said: the IRA troll CSVs and TwiBot-20's recent
tweets carry no entities and no reference ids. What Twitter's own rendering made
recognisable is taken from the text: "RT @handle:" opens a retweet, a leading "@handle"
a reply, t.co links and #tags as Twitter matched them. Handles become '@handle'
(lower-cased), the form the store uses for an account known only by its handle.
"""

from __future__ import annotations

import re
from functools import lru_cache

from limelight.normalize import normalize_hashtag, normalize_url

__all__ = ["replied_handle", "retweeted_handle", "text_hashtags", "text_links", "text_mentions"]

_RT = re.compile(r"RT @?([A-Za-z0-9_]{1,15}):")
_HANDLE = re.compile(r"@([A-Za-z0-9_]{1,15})")
_MENTION = re.compile(r"(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{1,15})")
_HASHTAG = re.compile(r"(?<![\w&])[#＃](\w+)")
_LINK = re.compile(r"https?://[^\s…]+(…)?")
_LINK_TAIL = ".,;:!?)]}'\"”’"
_hashtag = lru_cache(maxsize=65_536)(normalize_hashtag)


def retweeted_handle(text: str) -> str | None:
    """'@handle' of a text that opens "RT @handle:" (or "RT handle:", as some automation
    wrote it), else None."""
    if not text.startswith("RT "):
        return None
    m = _RT.match(text)
    return "@" + m.group(1).lower() if m else None


def replied_handle(text: str) -> str | None:
    """'@handle' of a text that opens with a mention (Twitter put the replied-to first)."""
    if not text.startswith("@"):
        return None
    m = _HANDLE.match(text)
    return "@" + m.group(1).lower() if m else None


def text_links(text: str) -> list[str]:
    """The normalized links in a text, without those the collector cut off ("…")."""
    if "http" not in text:
        return []
    out: list[str] = []
    for m in _LINK.finditer(text):
        if m.group(1):  # cut off by the collector ("https://t.co/S3pDD…"): not a link
            continue
        link = m.group(0).rstrip(_LINK_TAIL)
        if len(link) > 10:
            out.append(normalize_url(link))
    return out


def text_hashtags(text: str) -> list[str]:
    """The normalized hashtags of a text, in order."""
    return [_hashtag(h) for h in _HASHTAG.findall(text)] if "#" in text else []


def text_mentions(text: str) -> list[str]:
    """The '@handle' mentions of a text, in order (not parts of e-mail addresses)."""
    return ["@" + h.lower() for h in _MENTION.findall(text)] if "@" in text else []

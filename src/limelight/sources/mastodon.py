"""Mastodon API JSON: Status entities (with their accounts) and Account entities.

Works for any server speaking the Mastodon client API (Mastodon, glitch, GoToSocial,
Pleroma/Akkoma, bridges), one entity per JSONL line or a JSON array of them.

Ids. A Mastodon ``id`` is local to the server that answered the API call, and the JSON
does not say which server that was; the same status has a different ``id`` on every
server that knows it. So:

- ``post_id`` is the status ``uri``, its global ActivityPub id: the same status fetched
  through two servers is one record, and a reblog's ``ref_post_id`` (``reblog.uri``) or a
  quote's (``quote.quoted_status.uri``) is the post_id of the record emitted for it.
- ``account_id`` is the account ``url`` (``uri`` when there is no url). Mastodon fills an
  account's ``url`` and a mention's ``url`` from the same column, so mentions, reblog and
  quote authors and reply authors found among the mentions all resolve to account
  records. (``uri`` would survive a bridge's handle change better, but mentions lack it.)
- ``in_reply_to_id`` and ``in_reply_to_account_id`` are local ids and nothing in the
  status gives the parent's uri. Where the answering server is provably the author's home
  (the status's own uri is ``{account uri}/statuses/{id}``) a self-reply's parent uri is
  rebuilt the same way, so threads join up. Otherwise ``reply_to_post_id`` keeps the bare
  local id: it groups replies to one parent within a dump from one server but does not
  join a post_id, and may differ between dumps from different servers. The parent's
  author is resolved through the mention with that local id (Mastodon mentions the
  replied-to author) or the status's own author; failing both it stays the local id. A
  shallow quote (``quoted_status_id`` only) has the same limit.

Other choices: ``text`` is the content warning (``spoiler_text``) and the body joined by a
blank line, since both are written by the author and a campaign can hide its message in
either; the quote fallback (``RE: <link>``) is dropped from text and urls. ``urls`` are
the content's links that are not mentions or hashtags, plus ``card.url``. ``media`` are the
attachments' ``remote_url`` (the origin server's file, the same on every server) or
``url``. A reblog is a ``repost`` Post plus the reblogged status and its account as records
of their own; a quoted status (Mastodon 4.5 ``quote.quoted_status`` or Fedibird's
``quote``) is emitted too. A status that both replies and quotes is kind ``quote`` with
``reply_to_*`` set. The Mastodon API gives no conversation root, so ``conversation_id``
is left empty. Embedded accounts are snapshots seen at the status's ``created_at``; a
bare Account entity is seen at its ``last_status_at`` (the API was called no earlier).
``handle`` is ``user@domain`` (local accounts get the domain of their profile url). A
header image ending in ``missing.png`` is ``default_profile``, an avatar
``default_image``. ``locked`` has no field and stays in ``raw``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from limelight.normalize import (
    html_to_text,
    normalize_handle,
    normalize_hashtag,
    normalize_url,
    parse_time,
)
from limelight.records import Account, Post, Record
from limelight.sources._base import JsonReader, register_reader

__all__ = ["MastodonReader", "account_id_of"]

_ANCHOR = re.compile(r"<a\s([^>]*)>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r'href="([^"]*)"')
_CLASS = re.compile(r'class="([^"]*)"')
_TAG = re.compile(r"<[^>]+>")
_QUOTE_INLINE = re.compile(r'<(p|span) class="quote-inline">.*?</a>\s*</\1>', re.DOTALL)


def account_id_of(account: dict[str, Any]) -> str:
    """The id limelight gives a Mastodon account: its profile url, else its uri.

    Mentions carry the same url, so a mention joins the account it names; see the module
    docstring for why not the server-local ``id``.
    """
    url = account.get("url") or account.get("uri")
    if url:
        return str(url)
    return "@" + _handle(account)


def _handle(account: dict[str, Any]) -> str:
    acct = str(account["acct"])
    if "@" in acct:
        return acct
    url = account.get("url") or account.get("uri") or ""
    host = url.split("/")[2] if url.count("/") >= 2 else ""
    return f"{acct}@{host}" if host else acct


@register_reader
class MastodonReader(JsonReader):
    """Reads Mastodon API Status and Account entities into posts and account snapshots."""

    name = "mastodon"
    title = "Mastodon API statuses and accounts (JSON)"
    default_platform = "mastodon"

    def matches(self, value: Any) -> bool:
        """A Status has an ``account`` object, ``content`` and ``uri``; an Account has ``acct``.

        Twitter objects also have ``id`` and ``created_at`` but name their author ``user``
        and their handle ``screen_name``, so they never match.
        """
        if not isinstance(value, dict):
            return False
        account = value.get("account")
        if account is not None:
            return isinstance(account, dict) and "content" in value and "uri" in value
        return "acct" in value and "username" in value

    def parse(self, value: Any) -> Iterable[Record]:
        """One Status gives its Post and Account (plus reblogged/quoted ones); an Account one."""
        if "account" not in value:
            return [self._account(value, parse_time(value.get("last_status_at")))]
        out: list[Record] = []
        self._status(value, out)
        return out

    def _raw(self, value: Any) -> str | None:
        return orjson.dumps(value).decode() if self.options.keep_raw else None

    def _account(self, a: dict[str, Any], seen: datetime | None) -> Account:
        avatar = a.get("avatar") or ""
        header = a.get("header") or ""
        note = a.get("note")
        return Account(
            self.platform,
            account_id_of(a),
            handle=_handle(a),
            display_name=a.get("display_name") or None,
            created_at=parse_time(a.get("created_at")),
            description=html_to_text(note) if note else None,
            followers=a.get("followers_count"),
            following=a.get("following_count"),
            posts_count=a.get("statuses_count"),
            default_profile=header.endswith("missing.png") if header else None,
            default_image=avatar.endswith("missing.png") if avatar else None,
            url=a.get("url"),
            bot_declared=a.get("bot"),
            seen_at=seen,
            raw=self._raw(a),
        )

    def _status(self, s: dict[str, Any], out: list[Record]) -> None:
        created = parse_time(s["created_at"])
        author = s["account"]
        author_id = account_id_of(author)
        post = Post(
            self.platform,
            str(s["uri"]),
            account_id=author_id,
            created_at=created,
            lang=s.get("language") or None,
            client=(s.get("application") or {}).get("name"),
            like_count=s.get("favourites_count"),
            repost_count=s.get("reblogs_count"),
            reply_count=s.get("replies_count"),
            quote_count=s.get("quotes_count"),
            raw=self._raw(s),
        )
        out.append(post)
        out.append(self._account(author, created))
        reblog = s.get("reblog")
        if isinstance(reblog, dict):
            post.kind = "repost"
            post.ref_post_id = str(reblog["uri"])
            post.ref_account_id = account_id_of(reblog["account"])
            self._status(reblog, out)
            return
        mention_ids: dict[str, str] = {}
        for m in s.get("mentions") or ():
            mid = m.get("url") or "@" + normalize_handle(m["acct"])
            if mid not in post.mentions:
                post.mentions.append(mid)
            mention_ids[str(m.get("id"))] = mid
        tag_urls = set()
        for tag in s.get("tags") or ():
            name = normalize_hashtag(tag["name"])
            if name and name not in post.hashtags:
                post.hashtags.append(name)
            tag_urls.add(tag.get("url"))
        content = s.get("content") or ""
        if "quote-inline" in content:
            content = _QUOTE_INLINE.sub("", content)
        skip = tag_urls | set(mention_ids.values())
        if "<a" in content:
            _content_links(content, skip, post.urls)
        card = s.get("card")
        # Servers also make preview cards for profile links, so a card can be a mention.
        if isinstance(card, dict) and card.get("url") and card["url"] not in skip:
            _add_url(post.urls, card["url"])
        for media in s.get("media_attachments") or ():
            key = media.get("remote_url") or media.get("url")
            if key:
                post.media.append(key)
        body = html_to_text(content) if content else ""
        post.text = "\n\n".join(t for t in (s.get("spoiler_text"), body) if t) or None
        quoted = self._quote(s.get("quote"), post)
        if s.get("in_reply_to_id") or s.get("in_reply_to_account_id"):
            self._reply(s, author, author_id, mention_ids, post)
        if quoted is not None:
            self._status(quoted, out)

    @staticmethod
    def _quote(quote: Any, post: Post) -> dict[str, Any] | None:
        # Mastodon 4.5: {state, quoted_status} or shallow {state, quoted_status_id};
        # Fedibird and forks: the quoted Status itself.
        if not isinstance(quote, dict):
            return None
        quoted = quote if "uri" in quote and "account" in quote else quote.get("quoted_status")
        if isinstance(quoted, dict):
            post.kind = "quote"
            post.ref_post_id = str(quoted["uri"])
            post.ref_account_id = account_id_of(quoted["account"])
            return quoted
        local_id = quote.get("quoted_status_id")
        if local_id:
            post.kind = "quote"
            post.ref_post_id = str(local_id)
        return None

    @staticmethod
    def _reply(
        s: dict[str, Any],
        author: dict[str, Any],
        author_id: str,
        mention_ids: dict[str, str],
        post: Post,
    ) -> None:
        parent = s.get("in_reply_to_id")
        parent_author = s.get("in_reply_to_account_id")
        if post.kind == "original":
            post.kind = "reply"
        if parent_author is not None and str(parent_author) == str(author.get("id")):
            post.reply_to_account_id = author_id
            home = author.get("uri")
            # Only the author's home server uses the ids that appear in its uris.
            if parent and home and post.post_id == f"{home}/statuses/{s['id']}":
                post.reply_to_post_id = f"{home}/statuses/{parent}"
                return
        elif parent_author is not None:
            post.reply_to_account_id = mention_ids.get(str(parent_author), str(parent_author))
        post.reply_to_post_id = str(parent) if parent else None


def _content_links(content: str, skip: set[Any], urls: list[str]) -> None:
    """Add the content's plain links to ``urls`` and the mention/hashtag links to ``skip``."""
    for attrs, inner in _ANCHOR.findall(content):
        href = _HREF.search(attrs)
        if not href:
            continue
        link = html.unescape(href.group(1))
        if link in skip or not link.startswith(("http://", "https://")):
            continue
        cls = _CLASS.search(attrs)
        # Servers that do not mark mentions (Pleroma, bridges) still write "@user" as text.
        if (cls and ("mention" in cls.group(1) or "hashtag" in cls.group(1))) or _TAG.sub(
            "", inner
        ).lstrip()[:1] in ("@", "#"):
            skip.add(link)
            continue
        _add_url(urls, link)


def _add_url(urls: list[str], link: str) -> None:
    url = normalize_url(link)
    if url not in urls:
        urls.append(url)

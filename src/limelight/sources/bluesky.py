"""Bluesky Jetstream v1 events: posts, reposts, likes, deletions and identity updates.

Jetstream turns the AT Protocol firehose into JSON lines of the shape
``{did, time_us, kind: commit|identity|account, commit: {rev, operation, collection, rkey,
record, cid}}``. What each event becomes:

- ``app.bsky.feed.post`` create or update -> Post (original, reply or quote);
  ``app.bsky.feed.repost`` -> Post of kind ``repost`` and ``app.bsky.feed.like`` -> Post of
  kind ``like``, both with ``ref_post_id``/``ref_account_id`` naming the subject post and its
  author (likes are public records on Bluesky, and liking in concert is a coordination
  signal). Every post id is the record's at:// URI, so refs, replies and deletions all
  join on one key.
- An update re-emits the post under the same id; the store keeps the first version it saw,
  so the original text stays the evidence (the edited record is in ``raw`` if kept).
- A delete of a post, repost or like -> Deletion of that record's at:// URI.
- ``identity`` with a handle -> Account snapshot (handle, seen_at). An identity event
  without a handle (it only says "re-resolve this DID") and ``account`` status events
  (active/takendown/...) carry nothing the Account record holds, so they are rejected
  with that reason rather than stored as empty snapshots.
- Any other collection (follows, blocks, profiles, lists, third-party lexicons) is
  rejected as "not a post: <collection> event; kept in rejects", so counts add up.

Time: ``created_at`` is ``time_us``, the moment Jetstream received the commit from the
relay. The record's own ``createdAt`` is set by the client and can be anything (archive
importers backdate posts by years); coordination timing must not trust it. When the claim
differs from ``time_us`` by more than ``BACKDATE_TOLERANCE`` (or cannot be parsed) the
event's JSON is kept in ``raw`` even without ``keep_raw``, since a false date is itself
evidence; with ``keep_raw`` every record keeps it.

Media are the blob CIDs of images and videos: a CID is a hash of the bytes, so the same
image posted by many accounts has the same key. The reply-and-quote case is kind
``quote`` with the ``reply_to_*`` fields also set.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson

from limelight.errors import RecordError
from limelight.normalize import normalize_hashtag, normalize_url
from limelight.records import Account, Deletion, Post, Record
from limelight.sources._base import JsonReader, register_reader

__all__ = ["BACKDATE_TOLERANCE", "AtUri", "BlueskyJetstreamReader", "parse_at_uri"]

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
LIKE = "app.bsky.feed.like"
_DELETE_REASON = {POST: "post deleted", REPOST: "repost undone", LIKE: "like undone"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: How far a record's claimed createdAt may sit from the relay's time before we keep raw.
BACKDATE_TOLERANCE = timedelta(minutes=10)


class AtUri(NamedTuple):
    """The parts of an at:// URI: the repository (a DID), the collection and the record key."""

    did: str
    collection: str
    rkey: str


def parse_at_uri(uri: str) -> AtUri:
    """Split ``at://{did}/{collection}/{rkey}`` so refs can name the author of what they cite.

    A URI that names only a repository or a collection gives empty strings for the parts
    it lacks. Raises ValueError for a string that is not an at:// URI, so a malformed ref
    rejects its record instead of storing a wrong author.
    """
    if not uri.startswith("at://") or len(uri) == 5:
        raise ValueError(f"not an at:// URI: {uri!r}")
    parts = uri[5:].split("/", 2)
    did = parts[0]
    collection = parts[1] if len(parts) > 1 else ""
    rkey = parts[2] if len(parts) > 2 else ""
    return AtUri(did, collection, rkey)


def _did_of(uri: str) -> str:
    # parse_at_uri without the tuple: this runs once per like and repost.
    end = uri.find("/", 5)
    did = uri[5:end] if end > 0 else uri[5:]
    if not did or not uri.startswith("at://"):
        raise ValueError(f"not an at:// URI: {uri!r}")
    return did


def _blob_cid(blob: Any) -> str | None:
    # Current blobs are {"$type": "blob", "ref": {"$link": cid}}; legacy ones {"cid": cid}.
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    if isinstance(ref, dict):
        link = ref.get("$link")
        return link if isinstance(link, str) else None
    cid = blob.get("cid")
    return cid if isinstance(cid, str) else None


@register_reader
class BlueskyJetstreamReader(JsonReader):
    """Reads Jetstream v1 JSON events (one per line) into posts, actions and deletions."""

    name = "bluesky-jetstream"
    title = "Bluesky Jetstream v1 events (JSONL)"
    default_platform = "bluesky"

    def matches(self, value: Any) -> bool:
        """A Jetstream event has a DID, a microsecond timestamp and an event kind."""
        return isinstance(value, dict) and "did" in value and "time_us" in value and "kind" in value

    def parse(self, value: Any) -> Iterable[Record]:
        """Turn one event into a Post, Deletion or Account, or reject it with the reason."""
        kind = value["kind"]
        did: str = value["did"]
        seen = _EPOCH + timedelta(microseconds=int(value["time_us"]))
        if kind == "commit":
            return [self._commit(value, did, seen)]
        if kind == "identity":
            handle = (value.get("identity") or {}).get("handle")
            if not handle:
                raise RecordError("identity event without a handle; nothing to store")
            raw = orjson.dumps(value).decode() if self.options.keep_raw else None
            return [Account(self.platform, did, handle=handle, seen_at=seen, raw=raw)]
        if kind == "account":
            acc = value.get("account") or {}
            state = acc.get("status") or ("active" if acc.get("active") else "inactive")
            raise RecordError(f"account status events are not stored (status: {state})")
        raise RecordError(f"unknown Jetstream event kind {kind!r}")

    def _commit(self, value: Any, did: str, seen: datetime) -> Post | Deletion:
        commit = value["commit"]
        collection: str = commit["collection"]
        if collection not in _DELETE_REASON:
            raise RecordError(f"not a post: {collection} event; kept in rejects")
        uri = f"at://{did}/{collection}/{commit['rkey']}"
        operation = commit["operation"]
        if operation == "delete":
            return Deletion(
                self.platform,
                uri,
                account_id=did,
                deleted_at=seen,
                reason=_DELETE_REASON[collection],
            )
        if operation not in ("create", "update"):
            raise RecordError(f"unknown commit operation {operation!r}")
        record = commit["record"]
        keep = self.options.keep_raw or _claims_other_time(record, seen)
        raw = orjson.dumps(value).decode() if keep else None
        if collection == POST:
            return self._post(record, uri, did, seen, raw)
        subject = record["subject"]["uri"]
        return Post(
            self.platform,
            uri,
            account_id=did,
            created_at=seen,
            kind="repost" if collection == REPOST else "like",
            ref_post_id=subject,
            ref_account_id=_did_of(subject),
            raw=raw,
        )

    def _post(
        self, record: dict[str, Any], uri: str, did: str, seen: datetime, raw: str | None
    ) -> Post:
        post = Post(
            self.platform,
            uri,
            account_id=did,
            created_at=seen,
            text=record.get("text") or None,
            conversation_id=uri,
            raw=raw,
        )
        langs = record.get("langs")
        if langs:
            post.lang = langs[0]
        urls, mentions, hashtags = post.urls, post.mentions, post.hashtags
        for facet in record.get("facets") or ():
            for feature in facet.get("features") or ():
                ftype = feature.get("$type")
                if ftype == "app.bsky.richtext.facet#link":
                    _add(urls, normalize_url(feature["uri"]))
                elif ftype == "app.bsky.richtext.facet#mention":
                    _add(mentions, feature["did"])
                elif ftype == "app.bsky.richtext.facet#tag":
                    _add(hashtags, normalize_hashtag(feature["tag"]))
        for tag in record.get("tags") or ():  # extra hashtags the author set outside the text
            _add(hashtags, normalize_hashtag(tag))
        embed = record.get("embed")
        if embed:
            self._embed(embed, post)
        reply = record.get("reply")
        if reply:
            parent = reply["parent"]["uri"]
            post.reply_to_post_id = parent
            post.reply_to_account_id = _did_of(parent)
            post.conversation_id = reply["root"]["uri"]
            if post.kind == "original":
                post.kind = "reply"
        return post

    def _embed(self, embed: dict[str, Any], post: Post) -> None:
        etype = embed.get("$type")
        if etype == "app.bsky.embed.recordWithMedia":
            self._quote(embed["record"]["record"]["uri"], post)
            media = embed.get("media")
            if isinstance(media, dict):
                self._embed(media, post)
        elif etype == "app.bsky.embed.record":
            self._quote(embed["record"]["uri"], post)
        elif etype == "app.bsky.embed.external":
            link = embed["external"].get("uri")
            if link:
                _add(post.urls, normalize_url(link))
        elif etype == "app.bsky.embed.images":
            for image in embed.get("images") or ():
                cid = _blob_cid(image.get("image"))
                if cid:
                    _add(post.media, cid)
        elif etype == "app.bsky.embed.video":
            cid = _blob_cid(embed.get("video"))
            if cid:
                _add(post.media, cid)

    @staticmethod
    def _quote(uri: str, post: Post) -> None:
        # Embedding a feed, list or starter pack is not quoting a post; only posts count.
        target = parse_at_uri(uri)
        if target.collection == POST:
            post.kind = "quote"
            post.ref_post_id = uri
            post.ref_account_id = target.did


def _add(items: list[str], item: str) -> None:
    if item and item not in items:
        items.append(item)


def _claims_other_time(record: dict[str, Any], seen: datetime) -> bool:
    claimed = record.get("createdAt")
    if not isinstance(claimed, str):
        return claimed is not None
    try:
        when = datetime.fromisoformat(claimed)
    except ValueError:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return abs(when - seen) > BACKDATE_TOLERANCE

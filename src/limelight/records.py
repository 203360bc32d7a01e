"""The canonical records every later stage reads: Post, Account, Deletion, Reject.

Readers turn each source format into these and nothing after the readers knows a format.
They are plain slotted dataclasses rather than Pydantic models because ingest builds
millions of them; validation happens once, at the reader that builds them, and the store
writes them column by column through Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Literal

__all__ = [
    "ACCOUNT_FIELDS",
    "DELETION_FIELDS",
    "POST_FIELDS",
    "POST_KINDS",
    "Account",
    "Deletion",
    "Post",
    "PostKind",
    "Record",
    "Reject",
]

PostKind = Literal["original", "repost", "quote", "reply", "like"]
POST_KINDS: tuple[str, ...] = ("original", "repost", "quote", "reply", "like")


@dataclass(slots=True)
class Post:
    """One post, or one action on a post (a repost, a like), on one platform.

    ``kind`` says what the author did: wrote an ``original``, a ``reply`` (then
    ``reply_to_*`` are set), a ``quote`` or a ``repost`` of another post (then ``ref_*`` name
    that post and its author), or a ``like`` (Bluesky exposes likes as public records).
    Times are timezone-aware UTC; ``urls`` are expanded and normalized, ``hashtags`` are
    lower-cased without '#', ``mentions`` hold account ids where the source gives them and
    '@handle' (lower-cased) where it does not.
    """

    platform: str
    post_id: str
    account_id: str | None = None
    created_at: datetime | None = None
    text: str | None = None
    lang: str | None = None
    kind: str = "original"
    ref_post_id: str | None = None
    ref_account_id: str | None = None
    reply_to_post_id: str | None = None
    reply_to_account_id: str | None = None
    conversation_id: str | None = None
    client: str | None = None
    urls: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    like_count: int | None = None
    repost_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None
    source_file: str | None = None
    source_line: int | None = None
    raw: str | None = None


@dataclass(slots=True)
class Account:
    """A snapshot of one account's profile as seen at ``seen_at``.

    The store keeps the latest snapshot per (platform, account_id); fields a newer
    snapshot lacks (None) keep their earlier value.
    """

    platform: str
    account_id: str
    handle: str | None = None
    display_name: str | None = None
    created_at: datetime | None = None
    description: str | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    likes_count: int | None = None
    listed_count: int | None = None
    verified: bool | None = None
    default_profile: bool | None = None
    default_image: bool | None = None
    location: str | None = None
    url: str | None = None
    lang: str | None = None
    bot_declared: bool | None = None
    seen_at: datetime | None = None
    source_file: str | None = None
    source_line: int | None = None
    raw: str | None = None


@dataclass(slots=True)
class Deletion:
    """A notice that a post was deleted (Bluesky delete events, Twitter compliance lines).

    Kept in its own table: a deletion is evidence too (operators clean up after campaigns).
    """

    platform: str
    post_id: str
    account_id: str | None = None
    deleted_at: datetime | None = None
    reason: str | None = None
    source_file: str | None = None
    source_line: int | None = None


@dataclass(slots=True)
class Reject:
    """A source record that could not be read, kept with where it was and why."""

    source_file: str
    source_line: int
    reason: str
    raw: str
    format: str | None = None


Record = Post | Account | Deletion

POST_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Post))
ACCOUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Account))
DELETION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Deletion))

"""The Bluesky Jetstream reader on a real firehose window (152 events, July 2026).

The window has no mention facet, no quote, no post update and no identity event with a
handle; those cases are checked by editing a copy of one of its real events in the test.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from limelight.errors import RecordError
from limelight.records import Account, Post
from limelight.sources import ReaderOptions, resolve_format
from limelight.sources.bluesky import BlueskyJetstreamReader, parse_at_uri
from limelight.sources.mastodon import MastodonReader
from tests.conftest import ReadResult, read_all

FOLLOW_REASON = "not a post: app.bsky.graph.follow event; kept in rejects"


@pytest.fixture(scope="module")
def sample(data_dir: Path) -> Path:
    return data_dir / "bluesky-jetstream-sample" / "expected_v1.jsonl"


@pytest.fixture(scope="module")
def result(sample: Path) -> ReadResult:
    return read_all(sample)


@pytest.fixture(scope="module")
def events(sample: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in sample.read_bytes().splitlines() if line.strip()]


def _event(events: list[dict[str, Any]], rkey: str) -> dict[str, Any]:
    for e in events:
        if e.get("commit", {}).get("rkey") == rkey:
            return copy.deepcopy(e)
    raise AssertionError(f"no event with rkey {rkey}")


def _parse_one(event: dict[str, Any], **options: Any) -> Any:
    (record,) = BlueskyJetstreamReader(ReaderOptions(**options)).parse(event)
    return record


def test_format_is_detected(sample: Path) -> None:
    assert resolve_format(sample, None) == "bluesky-jetstream"


def test_counts_match_the_manifest(sample: Path, result: ReadResult) -> None:
    manifest = json.loads((sample.parent / "manifest.json").read_text())
    assert len(result.items) == manifest["v1_events"] == 152
    kinds = [p.kind for p in result.posts]
    # Per-collection counts of the window, as its SOURCE.md states them.
    assert kinds.count("like") == 105
    assert kinds.count("repost") == 15
    assert sum(k in ("original", "reply", "quote") for k in kinds) == 17
    assert len(result.deletions) == 1
    not_posts = [r for r in result.rejects if r.reason.startswith("not a post: ")]
    deleted_follows = [r for r in not_posts if '"operation":"delete"' in r.raw]
    # Every create or update is a post, repost or like, or a rejected non-post record.
    assert len(result.posts) + len(not_posts) - len(deleted_follows) == (
        manifest["creates"] + manifest["updates"]
    )
    assert len(result.deletions) + len(deleted_follows) == manifest["deletes"] == 4
    identity = [r for r in result.rejects if r.reason.startswith("identity event")]
    status = [r for r in result.rejects if r.reason.startswith("account status events")]
    assert len(identity) == manifest["identity"] == 1
    assert len(status) == manifest["account"] == 1
    assert status[0].reason == "account status events are not stored (status: active)"


def test_repost_names_the_subject_post_and_its_author(result: ReadResult) -> None:
    repost = result.post("at://did:plc:5er4dj3kkwyj4cy5gdnzn56w/app.bsky.feed.repost/3mptbypowzs2e")
    assert repost.kind == "repost"
    assert repost.account_id == "did:plc:5er4dj3kkwyj4cy5gdnzn56w"
    assert repost.ref_post_id == (
        "at://did:plc:lthsfxxeghkgg44eummxtvbe/app.bsky.feed.post/3mpt6c57uy22u"
    )
    assert repost.ref_account_id == "did:plc:lthsfxxeghkgg44eummxtvbe"
    # The relay's time (time_us), not the client's claimed createdAt of 14:38:07.594.
    assert repost.created_at == datetime(2026, 7, 4, 14, 38, 8, 114190, tzinfo=UTC)
    assert repost.raw is None


def test_like_is_a_post_of_kind_like(result: ReadResult) -> None:
    like = result.post("at://did:plc:wq4aajammjtxdomz3e23667t/app.bsky.feed.like/3mptbyplj5d2a")
    assert like.kind == "like"
    assert like.ref_account_id == "did:plc:r2zybk6op3ymzpz6jhqpkoy5"
    assert (
        like.ref_post_id == "at://did:plc:r2zybk6op3ymzpz6jhqpkoy5/app.bsky.feed.post/3mpsjbtci2c2o"
    )
    assert like.text is None


def test_post_facets_give_normalized_links_tags_and_media(result: ReadResult) -> None:
    youtube = result.post("at://did:plc:dclwtltrt2ggsryagfzk7dp4/app.bsky.feed.post/3mptbyoeyc22k")
    # The facet link and the link card are the same URL: one entry, www. dropped.
    assert youtube.urls == ["https://youtube.com/watch?v=V5lDo-jw8mA"]
    assert youtube.kind == "original"
    assert youtube.conversation_id == youtube.post_id
    tumblr = result.post("at://did:plc:ynfp6wddjqpl44gordpsqkuw/app.bsky.feed.post/3mptbyo7tas2u")
    assert tumblr.hashtags == ["talesatwonderworld", "balanwonderworldoc"]
    assert tumblr.lang == "es"  # first of langs ["es", "en"]
    assert tumblr.media == ["bafkreidrnwt23f7wy7fyfex5acdkxh62wsgpg245ame4c4rogfwb3upyaa"]
    tags = result.post("at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/3mptbypfywk2v")
    assert tags.hashtags == ["howtotellaitoshutup", "indierebellion"]
    assert tags.text is not None and tags.text.startswith("#HowToTellAiToShutUp!")


def test_reply_names_parent_and_thread_root(result: ReadResult) -> None:
    reply = result.post("at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyoumc22i")
    assert reply.kind == "reply"
    assert reply.reply_to_post_id == (
        "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyou7ls2i"
    )
    assert reply.reply_to_account_id == "did:plc:u4lmvw4wwzaql3z5kcf3r7h4"
    assert reply.conversation_id == (
        "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyospqk2i"
    )
    # The thread's root is in the window too, so the thread joins up.
    root = result.post(reply.conversation_id)
    assert root.kind == "original" and root.conversation_id == root.post_id
    gif = result.post("at://did:plc:ajg5c7huhiibhwandhdscpdq/app.bsky.feed.post/3mptbyproxc2q")
    assert gif.reply_to_account_id == "did:plc:ippiobxpsddnkzd6ms2dbpcy"
    assert gif.conversation_id == (
        "at://did:plc:ajg5c7huhiibhwandhdscpdq/app.bsky.feed.post/3mptb7zj4lc2q"
    )


def test_delete_becomes_a_deletion(result: ReadResult) -> None:
    (deletion,) = result.deletions
    assert deletion.post_id == (
        "at://did:plc:4smmjsqf6l5jkzczvw6vsrqc/app.bsky.feed.post/3mpt73z3ejc2p"
    )
    assert deletion.account_id == "did:plc:4smmjsqf6l5jkzczvw6vsrqc"
    assert deletion.reason == "post deleted"
    assert deletion.deleted_at == datetime(2026, 7, 4, 14, 38, 8, 377628, tzinfo=UTC)


def test_follows_and_other_collections_are_rejected_with_the_reason(result: ReadResult) -> None:
    follows = [r for r in result.rejects if r.reason == FOLLOW_REASON]
    assert len(follows) == 9  # 6 follows and 3 unfollows
    assert all(r.format == "bluesky-jetstream" and r.source_line > 0 for r in follows)
    assert '"did:plc:f2furrjn2jdhjcn2td54ivxx"' in "".join(r.raw for r in follows)
    reasons = {r.reason for r in result.rejects}
    assert "not a post: app.bsky.graph.block event; kept in rejects" in reasons
    assert "not a post: app.bsky.actor.status event; kept in rejects" in reasons


def test_identity_event_gives_the_handle(events: list[dict[str, Any]]) -> None:
    (identity,) = [copy.deepcopy(e) for e in events if e["kind"] == "identity"]
    with pytest.raises(RecordError, match="identity event without a handle"):
        _parse_one(identity)
    identity["identity"]["handle"] = "example.bsky.social"
    account = _parse_one(identity)
    assert isinstance(account, Account)
    assert account.account_id == "did:plc:hqvhxrowqbemo5e4wjnj6zao"
    assert account.handle == "example.bsky.social"
    assert account.seen_at == datetime(2026, 7, 4, 14, 38, 8, 384849, tzinfo=UTC)


def test_mention_facet_gives_the_mentioned_did(events: list[dict[str, Any]]) -> None:
    event = _event(events, "3mptbypjm6224")
    event["commit"]["record"]["facets"] = [
        {
            "features": [
                {
                    "$type": "app.bsky.richtext.facet#mention",
                    "did": "did:plc:2a7ygipkrbh544aqhcav53oy",
                }
            ],
            "index": {"byteStart": 0, "byteEnd": 5},
        }
    ]
    post = _parse_one(event)
    assert post.mentions == ["did:plc:2a7ygipkrbh544aqhcav53oy"]


def test_embedded_record_makes_a_quote(events: list[dict[str, Any]]) -> None:
    quoted = "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.post/3mptbyospqk2i"
    event = _event(events, "3mptbxs3hq22j")  # a post with one image
    images = event["commit"]["record"]["embed"]
    event["commit"]["record"]["embed"] = {
        "$type": "app.bsky.embed.recordWithMedia",
        "record": {"$type": "app.bsky.embed.record", "record": {"uri": quoted, "cid": "x"}},
        "media": images,
    }
    post = _parse_one(event)
    assert (post.kind, post.ref_post_id) == ("quote", quoted)
    assert post.ref_account_id == "did:plc:u4lmvw4wwzaql3z5kcf3r7h4"
    assert post.media == ["bafkreicwsq23gkygrgpijv7ocssxdyjokfv3quss3f2dg4csds3jpeqkwe"]
    # Embedding a feed generator is not quoting a post.
    event["commit"]["record"]["embed"] = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": "at://did:plc:u4lmvw4wwzaql3z5kcf3r7h4/app.bsky.feed.generator/news"},
    }
    assert _parse_one(event).kind == "original"


def test_update_keeps_the_post_id(events: list[dict[str, Any]]) -> None:
    event = _event(events, "3mptbypjm6224")
    created = _parse_one(event)
    event["commit"]["operation"] = "update"
    event["commit"]["record"]["text"] = "edited"
    updated = _parse_one(event)
    assert isinstance(updated, Post)
    assert updated.post_id == created.post_id
    assert updated.text == "edited"


def test_backdated_claim_is_kept_in_raw(events: list[dict[str, Any]]) -> None:
    event = _event(events, "3mptbypjm6224")
    assert _parse_one(event).raw is None
    assert _parse_one(event, keep_raw=True).raw == orjson.dumps(event).decode()
    event["commit"]["record"]["createdAt"] = "2015-03-01T09:00:00.000Z"
    post = _parse_one(event)
    assert post.created_at == datetime(2026, 7, 4, 14, 38, 8, 303926, tzinfo=UTC)
    assert post.raw is not None and "2015-03-01T09:00:00.000Z" in post.raw


def test_parse_at_uri() -> None:
    uri = "at://did:plc:lthsfxxeghkgg44eummxtvbe/app.bsky.feed.post/3mpt6c57uy22u"
    parts = parse_at_uri(uri)
    assert parts == ("did:plc:lthsfxxeghkgg44eummxtvbe", "app.bsky.feed.post", "3mpt6c57uy22u")
    assert parts.did == "did:plc:lthsfxxeghkgg44eummxtvbe"
    assert parse_at_uri("at://did:plc:abc") == ("did:plc:abc", "", "")
    with pytest.raises(ValueError, match="not an at:// URI"):
        parse_at_uri("https://bsky.app/profile/did:plc:abc/post/3mpt6c57uy22u")


def test_jetstream_and_mastodon_do_not_claim_each_other(
    events: list[dict[str, Any]], data_dir: Path
) -> None:
    bluesky, mastodon = BlueskyJetstreamReader(), MastodonReader()
    assert all(bluesky.matches(e) and not mastodon.matches(e) for e in events)
    statuses = data_dir / "mastodon-status-json" / "statuses.jsonl"
    status = orjson.loads(statuses.read_bytes().splitlines()[0])
    assert not bluesky.matches(status)

"""twarc2 and twarc2-flat readers on real twarc2 output (the twarc-csv project's test data)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from limelight.errors import RecordError
from limelight.records import Account, Post
from limelight.sources import resolve_format
from limelight.sources.twitter_v2 import Twarc2Reader
from tests.conftest import ReadResult, read_all

V2 = "twarc2-v2-json"


def _v2(data_dir: Path, name: str) -> Path:
    return data_dir / V2 / name


def _read(data_dir: Path, name: str, fmt: str | None = None, **options: object) -> ReadResult:
    return read_all(_v2(data_dir, name), fmt, **options)


def _fields(record: Post | Account) -> dict[str, Any]:
    d = dataclasses.asdict(record)
    for where in ("source_file", "source_line", "raw"):
        d.pop(where)
    return d


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("mentions_tweet.jsonl", "twarc2"),
        ("quoted_edit.jsonl", "twarc2"),
        ("users.jsonl", "twarc2"),
        ("streaming_output_with_error.jsonl", "twarc2"),
        ("counts.jsonl", "twarc2"),
        ("tweets_compliance.jsonl", "twarc2"),
        ("flat.jsonl", "twarc2-flat"),
        ("empty.json", None),
    ],
)
def test_format_is_detected(data_dir: Path, name: str, fmt: str | None) -> None:
    assert resolve_format(_v2(data_dir, name), None) == fmt


@pytest.mark.parametrize("name", ["brexit.jsonl", "noflat.jsonl", "entities_test.jsonl"])
def test_format_is_detected_when_the_first_page_is_longer_than_the_probe(
    data_dir: Path, name: str
) -> None:
    assert resolve_format(_v2(data_dir, name), None) == "twarc2"


def test_retweet_names_the_original_and_its_author(data_dir: Path) -> None:
    got = _read(data_dir, "mentions_tweet.jsonl")
    assert not got.rejects
    rt = got.post("1589681856941002753")
    assert rt.kind == "repost"
    assert rt.account_id == "68401342"
    assert rt.ref_post_id == "1589671906718134272"
    assert rt.ref_account_id == "1221317221714157569"
    assert rt.mentions == ["1221317221714157569"]
    assert rt.created_at == datetime(2022, 11, 7, 18, 11, 4, tzinfo=UTC)
    assert rt.created_at.utcoffset() is not None and not rt.created_at.utcoffset()
    original = got.post("1589671906718134272")
    assert original.kind == "original"
    assert original.account_id == "1221317221714157569"
    assert original.hashtags == ["xbox", "playstation", "gaming"]
    assert "@Xbox" in (original.text or "")
    assert {a.account_id for a in got.accounts} == {"68401342", "1221317221714157569"}


def test_retweet_missing_from_the_page_takes_its_author_from_the_rt_mention(
    data_dir: Path,
) -> None:
    got = _read(data_dir, "withheld.jsonl")
    rt = got.post("1404368973873958913")
    assert rt.text is not None and rt.text.startswith("RT @bsindia:")
    assert rt.kind == "repost"
    assert rt.ref_post_id == "1404284963038633985"
    same_page = {p.post_id for p in got.posts if p.source_line == rt.source_line}
    assert "1404284963038633985" not in same_page
    # The mention has no id in this old page; the page's users name @bsindia.
    assert got.account("43855487").handle == "bsindia"
    assert rt.ref_account_id == "43855487"
    assert rt.mentions == ["43855487", "760404753180262401"]
    # A suspended retweeted account is in no page: the author stays unknown.
    assert got.post("1404371829582557188").ref_account_id is None


def test_quote_that_replies_is_a_quote_and_keeps_its_reply_target(data_dir: Path) -> None:
    got = _read(data_dir, "quoted_edit.jsonl")
    post = got.post("1576995594388000768")
    assert post.kind == "quote"
    assert (post.ref_post_id, post.ref_account_id) == ("1576994746135764992", "337119125")
    assert (post.reply_to_post_id, post.reply_to_account_id) == (
        "1576994789110992896",
        "337119125",
    )
    assert post.mentions == ["337119125"]
    assert post.urls == ["https://twitter.com/wongmjane/status/1576994746135764992"]
    # The page's includes hold the data tweet again; it is read once.
    assert [p.post_id for p in got.posts].count("1576995594388000768") == 1


def test_reply_target_and_expanded_normalized_url(data_dir: Path) -> None:
    got = _read(data_dir, "many_urls.jsonl")
    reply = got.post("1610692575752601600")
    assert reply.kind == "reply"
    assert reply.reply_to_post_id == "1610623087061471232"
    assert reply.reply_to_account_id == "1328271312628936705"
    assert reply.ref_post_id is None
    assert reply.urls == ["https://uiadrian.gumroad.com/l/web-design-guide?offer_code=twk0uc9f7"]


def test_urls_are_unwound_and_stripped_of_tracking(data_dir: Path) -> None:
    got = _read(data_dir, "entities_test.jsonl", "twarc2")
    # t.co -> dlvr.it (expanded) -> agi.it?utm_... (unwound): the landing page, untracked.
    assert got.post("1574184489815015424").urls == [
        "https://agi.it/politica/news/2022-09-25/centrodestra-elezioni-vittoria-crollo-lega-18210225"
    ]
    assert got.post("1574184402111766528").urls == ["https://youtube.com/watch?v=OFWlVzxPJn8"]
    assert got.post("1574186989737459712").hashtags == ["lega", "maratonamentana"]


def test_links_to_the_tweets_own_media_are_not_urls(data_dir: Path) -> None:
    video = _read(data_dir, "media_tweet.jsonl").post("1558553189766631429")
    assert video.urls == []
    assert video.media == ["7_1558552952549277696"]
    assert (video.like_count, video.repost_count, video.reply_count, video.quote_count) == (
        93,
        13,
        3,
        7,
    )
    # Older pages have no media_key on the pic.twitter.com link.
    photo = _read(data_dir, "brexit.jsonl", "twarc2").post("1440715720422166536")
    assert photo.urls == []
    assert photo.media == ["16_1440715712348114954"]


def test_mentions_without_ids_are_resolved_through_the_pages_users(data_dir: Path) -> None:
    got = _read(data_dir, "noflat.jsonl", "twarc2")
    assert got.post("1380242611781386245").mentions == ["2718660392"]
    # A suspended account is not among the page's users: its handle is kept.
    assert "@gatewaypundit" in {m for p in got.posts for m in p.mentions}


def test_tweet_that_only_starts_with_a_handle_is_not_a_reply(data_dir: Path) -> None:
    post = _read(data_dir, "noflat.jsonl", "twarc2").post("1380242449700847616")
    assert post.kind == "original"
    assert post.reply_to_account_id is None
    assert post.mentions[:1] == ["1349149096909668363"]


def test_kinds_on_a_search_page(data_dir: Path) -> None:
    got = _read(data_dir, "brexit.jsonl", "twarc2")
    data_ids = {t["id"] for t in orjson.loads(_v2(data_dir, "brexit.jsonl").read_bytes())["data"]}
    kinds = [p.kind for p in got.posts if p.post_id in data_ids]
    assert len(kinds) == 100
    assert (kinds.count("repost"), kinds.count("quote"), kinds.count("reply")) == (67, 11, 10)
    # The page's 59 referenced tweets are posts too; 4 of them are also in its data.
    assert len(got.posts) == 100 + 59 - 4
    assert len(got.accounts) == 177
    assert all(p.platform == "twitter" for p in got.posts)
    reposts = [p for p in got.posts if p.kind == "repost"]
    assert all(p.ref_account_id for p in reposts)
    assert all(got.post(p.ref_post_id or "").account_id == p.ref_account_id for p in reposts)


def test_account_snapshot_from_a_users_page(data_dir: Path) -> None:
    got = _read(data_dir, "users.jsonl")
    assert not got.posts and not got.rejects  # pinned tweets in includes are left out
    assert len(got.accounts) == 96
    acct = got.account("119369819")
    assert acct.handle == "DoDirty78"
    assert acct.display_name == "DoDirtysHouse"
    assert (acct.followers, acct.following, acct.posts_count, acct.listed_count) == (
        580,
        518,
        55186,
        12,
    )
    assert acct.created_at == datetime(2010, 3, 3, 12, 49, 24, tzinfo=UTC)
    assert acct.seen_at == datetime(2021, 10, 23, 19, 36, 18, tzinfo=UTC)
    assert acct.location == "NC"
    assert acct.url is None  # the profile's url field is ""
    assert acct.verified is False and acct.default_image is False
    # The profile link is the expanded one, not t.co.
    assert got.account("95500726").url == "https://facebook.com/johnny.d.hoang"


def test_account_flags(data_dir: Path) -> None:
    dev = _read(data_dir, "verified_type.jsonl").account("2244994945")
    assert dev.verified is True
    assert dev.url == "https://developer.twitter.com/en/community"
    egg = _read(data_dir, "two_tweets.jsonl").account("1380086327023169540")
    assert egg.default_image is True


def test_flat_and_page_give_the_same_records(data_dir: Path) -> None:
    flat = _read(data_dir, "flat.jsonl")
    page = _read(data_dir, "noflat.jsonl", "twarc2")
    assert not flat.rejects and not page.rejects
    flat_posts = {p.post_id: _fields(p) for p in flat.posts}
    page_posts = {p.post_id: _fields(p) for p in page.posts}
    assert flat_posts.keys() == page_posts.keys()
    assert len(flat_posts) == 164
    lines = _v2(data_dir, "flat.jsonl").read_bytes().splitlines()
    data_ids = [orjson.loads(line)["id"] for line in lines]
    for post_id in data_ids:
        assert flat_posts[post_id] == page_posts[post_id]
    # A referenced tweet's own reference is expanded on the page, not in a flattened line,
    # so its author can be missing there; everything else agrees.
    for post_id in flat_posts.keys() - set(data_ids):
        f, p = flat_posts[post_id], page_posts[post_id]
        if f["ref_account_id"] is None:
            f["ref_account_id"] = p["ref_account_id"]
        assert f == p
    flat_accounts = {a.account_id: _fields(a) for a in flat.accounts}
    assert flat_accounts == {a.account_id: _fields(a) for a in page.accounts}
    assert len(flat_accounts) == 178


def test_plain_v2_tweets_from_other_collectors(data_dir: Path, tmp_path: Path) -> None:
    page = orjson.loads(_v2(data_dir, "kpop.jsonl").read_bytes())
    lines = tmp_path / "kpop_tweets.jsonl"
    lines.write_bytes(b"\n".join(orjson.dumps(t) for t in page["data"]))
    assert resolve_format(lines, None) == "twarc2-flat"
    plain = read_all(lines)
    full = _read(data_dir, "kpop.jsonl", "twarc2")
    assert len(plain.posts) == 100 and not plain.accounts
    for post in plain.posts:
        expected = _fields(full.post(post.post_id))
        # Without the page, a retweeted tweet's author is known only from "RT @handle".
        got = _fields(post)
        got["ref_account_id"] = expected["ref_account_id"]
        assert got == expected


def test_flattened_users_are_accounts(data_dir: Path, tmp_path: Path) -> None:
    # twarc2 flatten writes each user of a users page on its own line, with __twarc.
    page = orjson.loads(_v2(data_dir, "users.jsonl").read_bytes())
    lines = tmp_path / "users_flat.jsonl"
    lines.write_bytes(
        b"\n".join(orjson.dumps({**u, "__twarc": page["__twarc"]}) for u in page["data"])
    )
    assert resolve_format(lines, None) == "twarc2-flat"
    flat = read_all(lines)
    assert not flat.posts and not flat.rejects
    page_accounts = _read(data_dir, "users.jsonl").accounts
    assert [_fields(a) for a in flat.accounts] == [_fields(a) for a in page_accounts]


def test_streaming_lines_and_the_broken_last_line(data_dir: Path) -> None:
    got = _read(data_dir, "streaming_output_with_error.jsonl")
    assert [r.source_line for r in got.rejects] == [8]
    assert "invalid JSON" in got.rejects[0].reason
    assert {p.source_line for p in got.posts} == {1, 2, 3, 4, 5, 6, 7}
    quote = got.post("1377650090978992134")
    assert (quote.kind, quote.ref_post_id) == ("quote", "1377640162566496258")
    assert got.post("1377650093109743620").kind == "reply"


def test_api_error_line_is_rejected_with_its_message(data_dir: Path) -> None:
    errors = orjson.loads(_v2(data_dir, "users.jsonl").read_bytes())["errors"]
    reader = Twarc2Reader()
    line = {"errors": errors}
    assert reader.matches(line)
    expected = r"the API sent an error, not tweets: Could not find tweet with pinned_tweet_id"
    with pytest.raises(RecordError, match=expected):
        list(reader.parse(line))


def test_counts_and_lists_pages_are_rejected_with_the_reason(data_dir: Path) -> None:
    counts = _read(data_dir, "counts.jsonl")
    assert not counts.posts and len(counts.rejects) == 1
    assert counts.rejects[0].reason.startswith("a tweet-counts page")
    lists = _read(data_dir, "lists.jsonl")
    assert not lists.posts and [r.reason[:12] for r in lists.rejects] == ["a lists page"] * 2


def test_tweet_compliance_lines_are_deletions(data_dir: Path) -> None:
    got = _read(data_dir, "tweets_compliance.jsonl")
    assert not got.rejects and not got.posts
    gone = {d.post_id: d for d in got.deletions}
    assert gone.keys() == {"1170025343920402432", "1170147183095664640"}
    assert gone["1170025343920402432"].reason == "protected"
    assert gone["1170025343920402432"].deleted_at is None  # created_at is the tweet's birth
    redacted = gone["1170147183095664640"]
    assert redacted.reason == "deactivated"
    assert redacted.deleted_at == datetime(2021, 8, 17, 17, 26, 15, 788000, tzinfo=UTC)


def test_user_compliance_lines_are_not_taken_for_tweets(data_dir: Path) -> None:
    got = _read(data_dir, "users_compliance.jsonl")
    assert not got.deletions
    assert len(got.rejects) == 2
    assert all("account compliance" in r.reason for r in got.rejects)


def test_edited_tweet_versions_are_posts_of_their_own(data_dir: Path) -> None:
    got = _read(data_dir, "edited.jsonl")
    assert sorted(p.post_id for p in got.posts) == ["1576994746135764992", "1576994789110992896"]
    # The edit links to the tweet itself: not a shared URL.
    assert got.post("1576994789110992896").urls == []


def test_empty_file_gives_nothing(data_dir: Path) -> None:
    assert _read(data_dir, "empty.json").items == []


def test_keep_raw_keeps_each_tweet_and_user(data_dir: Path) -> None:
    got = _read(data_dir, "mentions_tweet.jsonl", keep_raw=True)
    raw = orjson.loads(got.post("1589671906718134272").raw or "")
    assert raw["id"] == "1589671906718134272" and "data" not in raw
    assert orjson.loads(got.account("68401342").raw or "")["username"] == "BaldManGamer"
    assert _read(data_dir, "mentions_tweet.jsonl").post("1589671906718134272").raw is None


def test_every_post_has_an_author_and_a_utc_time(data_dir: Path) -> None:
    posts: list[Post] = []
    for name in ("2sets.jsonl", "media_policy_violation_on.jsonl", "geo_tweets.jsonl"):
        got = _read(data_dir, name, "twarc2")
        assert not got.rejects
        posts.extend(got.posts)
    assert len(posts) > 300
    assert all(p.account_id and p.created_at and p.created_at.tzinfo is UTC for p in posts)


def test_text_is_unescaped_as_the_author_wrote_it(data_dir: Path) -> None:
    # The API escapes '&' as '&amp;'; the brexit sample has such tweets.
    raw = (data_dir / "twarc2-v2-json" / "brexit.jsonl").read_text(encoding="utf-8")
    escaped = [t for page in raw.splitlines() for t in orjson.loads(page)["data"]]
    with_amp = [t for t in escaped if "&amp;" in t["text"]]
    assert with_amp
    posts = read_all(data_dir / "twarc2-v2-json" / "brexit.jsonl")
    for tweet in with_amp:
        text = posts.post(tweet["id"]).text
        assert text is not None and "&amp;" not in text
        assert text == tweet["text"].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")

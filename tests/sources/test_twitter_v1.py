"""The Twitter API v1.1 and Gnip Activity Streams readers on real tweets and users.

The fixtures are tweepy's recorded API responses and twitterdev's tweet_parser examples
(the same 25 tweets in the v1.1 "original format" and in Activity Streams).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from limelight.records import Deletion, Post
from limelight.sources import get_reader, resolve_format
from limelight.sources.twitter_v1 import client_name
from tests.conftest import ReadResult, read_all


@pytest.fixture(scope="module")
def v1(data_dir: Path) -> Path:
    """The folder of v1.1 JSON fixtures."""
    return data_dir / "twitter-v1-json"


@pytest.fixture(scope="module")
def original(v1: Path) -> ReadResult:
    """tweet_parser's 25 enterprise "original format" tweets."""
    return read_all(v1 / "tweet_parser_original_format_examples.json")


@pytest.fixture(scope="module")
def gnip(v1: Path) -> ReadResult:
    """The same tweets in Gnip Activity Streams."""
    return read_all(v1 / "tweet_parser_activity_streams_examples.json")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("tweepy_testgetretweets_0.json", "twitter-v1"),
        ("tweepy_testhometimeline_0.json", "twitter-v1"),
        ("tweepy_testlisttimeline_0.json", "twitter-v1"),
        ("tweepy_testsearchtweets_0.json", "twitter-v1"),
        ("tweepy_testsearchusers_0.json", "twitter-v1"),
        ("tweepy_testusertimeline_1.json", "twitter-v1"),
        ("tweet_parser_original_format_examples.json", "twitter-v1"),
        ("tweet_parser_public_api_sample.json", "twitter-v1"),
        ("tweet_parser_activity_streams_examples.json", "gnip-activity"),
    ],
)
def test_each_file_is_detected_as_its_format(v1: Path, name: str, fmt: str) -> None:
    assert resolve_format(v1 / name, None) == fmt


def test_every_fixture_reads_without_rejects(v1: Path) -> None:
    for path in sorted(v1.glob("*.json")):
        result = read_all(path)
        assert result.rejects == [], path.name
        assert result.posts, path.name


def test_fifteen_retweets_reference_one_original_stored_on_its_own(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testgetretweets_0.json")
    retweets = [p for p in result.posts if p.kind == "repost"]
    assert len(retweets) == 15
    assert {p.ref_post_id for p in retweets} == {"266367358078169089"}
    assert {p.ref_account_id for p in retweets} == {"783214"}  # @twitter
    assert len({p.post_id for p in retweets}) == 15
    assert len({p.account_id for p in retweets}) == 14  # one account retweeted it twice
    original = result.post("266367358078169089")
    assert original.kind == "original"
    assert original.account_id == "783214"
    assert original.created_at == datetime(2012, 11, 8, 2, 31, 41, tzinfo=UTC)
    assert original.like_count == 144
    assert original.urls == [
        "https://engineering.twitter.com/2012/11/bolstering-our-infrastructure.html"
    ]
    assert original.mentions == ["6844292"]  # @TwitterEng
    assert result.account("783214").handle == "Twitter"
    first = result.post("486663181901627392")
    assert first.client == "Twitter for iPhone"
    assert first.mentions == ["783214", "6844292"]


def test_retweeter_profile_is_a_snapshot_at_the_retweet(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testgetretweets_0.json")
    account = result.account("2390428970")
    assert account.handle == "aosuzhsbwusnshs"
    assert (account.followers, account.following, account.posts_count) == (35, 0, 18547)
    assert (account.likes_count, account.listed_count) == (16328, 2)
    assert account.default_profile is True and account.default_image is True
    assert account.verified is False
    assert account.created_at == datetime(2014, 3, 15, 5, 0, 44, tzinfo=UTC)
    assert account.seen_at == datetime(2014, 7, 9, 0, 8, 39, tzinfo=UTC)


def test_extended_tweet_gives_full_text_and_its_entities(original: ReadResult) -> None:
    post = original.post("867473446648676352")
    assert post.text is not None and len(post.text) > 140
    assert post.text.startswith("@notFromShrek @ericmbudd H) 140 chars + replies + media!")
    assert not post.text.endswith("…")
    # The truncated text's link to the tweet itself is not a shared URL.
    assert not any("i/web/status" in u for u in post.urls)
    assert post.media  # the photo sits in extended_tweet.extended_entities
    assert post.kind == "reply"
    assert post.reply_to_post_id == "863566329168711681"
    assert post.reply_to_account_id == "2382763597"  # @notFromShrek


def test_quotes_reference_the_quoted_tweet_which_is_stored_too(original: ReadResult) -> None:
    quote = original.post("872836479608733696")
    assert quote.kind == "quote"
    assert quote.ref_post_id == "872836379595620353"
    assert quote.ref_account_id == "815279070241955840"
    assert quote.hashtags == ["quotetweet", "hashtags"]
    assert original.post("872836379595620353").text == "L) This is a #Tweet with a #hashtag"
    # A quote that also replies keeps its reply target.
    both = original.post("867837275152842752")
    assert both.kind == "quote"
    assert both.reply_to_post_id == "861645830863822848"


def test_retweet_of_a_quote_stores_the_quoted_tweet_too(original: ReadResult) -> None:
    retweet = original.post("867478374385557508")
    assert retweet.kind == "repost"
    assert retweet.ref_post_id == "863566329168711681"
    assert retweet.ref_account_id == "2382763597"
    assert original.post("863566329168711681").kind == "original"


def test_expanded_urls_and_media_ids(original: ReadResult) -> None:
    link = original.post("867470833744191488")
    assert link.urls == ["https://smittenkitchen.com/2009/12/ridiculously-easy-butterscotch-sauce"]
    photos = original.post("867833721579122688")
    assert photos.media == ["867833378313293826", "867833707989807104"]
    assert photos.urls == []  # the photo's t.co link is media, not a shared link
    # "@notFromShrek @Gnip @Twitter": mentions are account ids, in text order.
    assert original.post("867471067178090496").mentions == ["2382763597", "16958875", "783214"]


def test_truncated_tweet_link_to_itself_is_not_a_url(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testlisttimeline_0.json")
    truncated = result.post("1149867193695449088")
    assert truncated.text is not None and truncated.text.endswith("señala… https://t.co/o5T2igwgPm")
    assert truncated.urls == []  # its only link is twitter.com/i/web/status/<its own id>
    assert truncated.client == "TweetDeck"
    moment = result.post("1149864294529376256")
    assert moment.urls == ["https://twitter.com/i/events/1149857201969778690"]


def test_reply_targets_in_a_user_timeline(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testusertimeline_1.json")
    post = result.post("1341793727208181762")
    assert post.kind == "reply"
    assert post.reply_to_post_id == "1341404809354760192"
    assert post.reply_to_account_id == "211002550"
    assert post.text == "@TreyNKennedy 👀 https://t.co/1CZ6VbgaIL"


def test_search_response_yields_all_its_statuses(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testsearchtweets_0.json")
    top = [p for p in result.posts if p.source_line == 1]
    assert len({p.post_id for p in top}) >= 15
    post = result.post("1149825924029980674")
    assert post.kind == "repost"
    assert post.text is not None and post.text.startswith("RT @KassidyCook1:")


def test_user_objects_become_accounts_with_their_latest_status(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testsearchusers_0.json")
    assert len(result.accounts) == 20
    twitter = result.account("783214")
    assert twitter.handle == "Twitter"
    assert twitter.followers == 56335783
    assert twitter.following == 140
    assert twitter.listed_count == 90877
    assert twitter.verified is True
    assert twitter.url == "https://about.twitter.com"
    assert twitter.location == "Everywhere"
    assert twitter.seen_at is None
    status = result.post("1149770607585824769")
    assert status.account_id == "783214"
    assert status.reply_to_account_id == "3387807501"
    assert status.like_count == 126


def test_client_names_from_the_html_source() -> None:
    assert client_name('<a href="http://twitter.com" rel="nofollow">Twitter Web Client</a>') == (
        "Twitter Web Client"
    )
    assert client_name("web") == "web"


def _top_level(result: ReadResult) -> dict[str, Post]:
    # The first post of each line is the line's own tweet; the ones after it are embedded
    # copies, which Twitter sends with less (no nested quote in a quoted tweet).
    top: dict[str, Post] = {}
    lines: set[int | None] = set()
    for post in result.posts:
        if post.source_line not in lines:
            lines.add(post.source_line)
            top[post.post_id] = post
    return top


def test_gnip_ids_match_v1_ids(original: ReadResult, gnip: ReadResult) -> None:
    assert {p.post_id for p in gnip.posts} == {p.post_id for p in original.posts}
    assert {a.account_id for a in gnip.accounts} == {a.account_id for a in original.accounts}
    v1_posts, gnip_posts = _top_level(original), _top_level(gnip)
    assert len(v1_posts) == 25
    assert gnip_posts.keys() == v1_posts.keys()
    for post_id, post in v1_posts.items():
        other = gnip_posts[post_id]
        assert (other.account_id, other.kind, other.ref_post_id, other.ref_account_id) == (
            post.account_id,
            post.kind,
            post.ref_post_id,
            post.ref_account_id,
        ), post_id
        assert (other.reply_to_post_id, other.reply_to_account_id, other.client) == (
            post.reply_to_post_id,
            post.reply_to_account_id,
            post.client,
        ), post_id
        assert (other.urls, other.hashtags, other.mentions, other.media) == (
            post.urls,
            post.hashtags,
            post.mentions,
            post.media,
        ), post_id


def test_gnip_share_is_a_repost_with_the_shared_post_stored(gnip: ReadResult) -> None:
    share = gnip.post("867478524235366400")
    assert share.kind == "repost"
    assert share.ref_post_id == "861651727614746624"
    assert share.ref_account_id == "2382763597"
    assert share.client == "Twitter Web Client"
    shared = gnip.post("861651727614746624")
    assert shared.urls == [
        "https://github.com/fionapigott/character-encoding/blob/master/character_encoding.pdf"
    ]
    # A self-reply: the target's id is the author's own.
    assert shared.reply_to_account_id == "2382763597"
    actor = gnip.account("815279070241955840")
    assert (actor.handle, actor.followers, actor.posts_count) == ("RobotPrincessFi", 1, 68)


def test_long_gnip_tweet_uses_long_object(gnip: ReadResult, original: ReadResult) -> None:
    post = gnip.post("867474613139156993")
    assert post.text == original.post("867474613139156993").text
    assert post.text is not None and len(post.text) > 140


def test_delete_notices_become_deletions() -> None:
    reader = get_reader("twitter-v1")()
    notice = {
        "delete": {
            "status": {"id": 1, "id_str": "1149770607585824769", "user_id_str": "783214"},
            "timestamp_ms": "1563000000000",
        }
    }
    assert reader.matches(notice)  # type: ignore[attr-defined]
    (deletion,) = reader.parse(notice)  # type: ignore[attr-defined]
    assert isinstance(deletion, Deletion)
    assert (deletion.post_id, deletion.account_id) == ("1149770607585824769", "783214")
    assert deletion.deleted_at == datetime(2019, 7, 13, 6, 40, tzinfo=UTC)


def test_other_platforms_values_are_not_v1() -> None:
    reader = get_reader("twitter-v1")()
    assert not reader.matches({"id": "1", "text": "hi", "author_id": "2"})  # type: ignore[attr-defined]
    assert not reader.matches({"accounts": [], "statuses": [], "hashtags": []})  # type: ignore[attr-defined]
    assert not get_reader("gnip-activity")().matches({"id": "1", "user": {}, "text": "x"})  # type: ignore[attr-defined]


def test_gnip_delete_activity_becomes_a_deletion() -> None:
    reader = get_reader("gnip-activity")()
    activity = {
        "id": "tag:search.twitter.com,2005:900000000000000001",
        "objectType": "activity",
        "verb": "delete",
        "actor": {"id": "id:twitter.com:783214", "objectType": "person"},
        "object": {"id": "tag:search.twitter.com,2005:867468138991964160"},
        "postedTime": "2017-06-01T12:00:00.000Z",
    }
    assert reader.matches(activity)  # type: ignore[attr-defined]
    (deletion,) = reader.parse(activity)  # type: ignore[attr-defined]
    assert isinstance(deletion, Deletion)
    assert (deletion.post_id, deletion.account_id) == ("867468138991964160", "783214")
    assert deletion.deleted_at == datetime(2017, 6, 1, 12, tzinfo=UTC)


def test_keep_raw_keeps_each_tweets_json(v1: Path) -> None:
    result = read_all(v1 / "tweepy_testusertimeline_0.json", keep_raw=True)
    post = result.posts[0]
    assert post.raw is not None and f'"id_str":"{post.post_id}"' in post.raw
    assert result.accounts[0].raw is not None

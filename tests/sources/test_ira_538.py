"""The FiveThirtyEight IRA readers on the real per-author sample and authors table.

The per-author files and authors.csv are real (russian-troll-tweets-by-author). No file of
the original 538 layout is in the shared data, so its tests write a few hand-made rows in
that layout (invented ids and texts, the published header) to a temporary file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from limelight.sources import resolve_format
from limelight.sources.ira_538 import publish_time
from tests.conftest import ReadResult, read_all


@pytest.fixture(scope="module")
def ira(data_dir: Path) -> Path:
    """The per-author IRA folder."""
    return data_dir / "ira-538-by-author"


@pytest.fixture(scope="module")
def sample(ira: Path) -> ReadResult:
    """The first per-author sample file (15,000 tweets)."""
    return read_all(ira / "sample30_per_author_00.csv")


@pytest.fixture(scope="module")
def authors(ira: Path) -> ReadResult:
    """authors.csv: one account per IRA author."""
    return read_all(ira / "authors.csv")


def test_files_are_detected(ira: Path) -> None:
    for i in range(5):
        assert resolve_format(ira / f"sample30_per_author_0{i}.csv", None) == "ira-538"
    assert resolve_format(ira / "authors.csv", None) == "ira-538-authors"


def test_sample_reads_with_no_rejects(sample: ReadResult) -> None:
    assert sample.rejects == []
    assert len(sample.posts) == 15000
    assert len(sample.accounts) == 15000
    kinds = {p.kind for p in sample.posts}
    assert kinds == {"original", "repost", "quote", "reply"}


def test_a_known_row(sample: ReadResult) -> None:
    post = sample.posts[0]
    assert post.account_id == "10_gop"
    assert post.text == "We're baaaaack. What did we miss?  #FreeTennessee"
    assert post.created_at == datetime(2017, 9, 7, 19, 52, tzinfo=UTC)
    assert post.lang == "en"
    assert post.kind == "original"
    assert post.hashtags == ["freetennessee"]
    assert post.post_id.startswith("ira538-") and len(post.post_id) == 7 + 16
    account = sample.accounts[0]
    assert (account.account_id, account.handle) == ("10_gop", "10_gop")
    assert (account.followers, account.following, account.posts_count) == (0, 0, 1)
    assert account.seen_at == post.created_at
    assert account.location is None  # region "Unknown"


@pytest.mark.slow
def test_every_sample_file_reads_with_no_rejects(ira: Path) -> None:
    posts = 0
    for i in range(5):
        result = read_all(ira / f"sample30_per_author_0{i}.csv")
        assert result.rejects == [], i
        posts += len(result.posts)
    assert posts == 72406


def test_derived_post_ids_are_stable_and_duplicates_collapse(ira: Path, sample: ReadResult) -> None:
    again = read_all(ira / "sample30_per_author_00.csv")
    assert [p.post_id for p in again.posts] == [p.post_id for p in sample.posts]
    # The source repeats some rows verbatim; they share an id, the rest do not.
    ids = [p.post_id for p in sample.posts]
    assert 14900 < len(set(ids)) < len(ids)


def test_wrapped_reply_is_unwrapped_and_targets_the_handle(sample: ReadResult) -> None:
    post = next(p for p in sample.posts if p.text and p.text.startswith("@umknicken Guess"))
    assert post.text is not None and post.text.endswith("accounts as big as mine was.")
    assert post.kind == "reply"
    assert post.reply_to_account_id == "@umknicken"
    assert post.reply_to_post_id is None
    assert post.mentions == ["@umknicken"]


def test_retweets(sample: ReadResult) -> None:
    rt = next(p for p in sample.posts if p.text and p.text.startswith("RT @BasicBlaecGirl:"))
    assert (rt.account_id, rt.kind) == ("AdamChapmanJR", "repost")
    assert rt.ref_account_id == "@basicblaecgirl"
    assert rt.hashtags == ["prius"]
    # Some IRA automation wrote "RT handle:" without the '@'.
    bare = next(p for p in sample.posts if p.text and p.text.startswith("RT TEN_GOP: This is"))
    assert (bare.kind, bare.ref_account_id) == ("repost", "@ten_gop")
    # post_type R: a retweet whose text does not name the original author.
    native = [p for p in sample.posts if p.account_id == "10_gop" and p.kind == "repost"]
    assert native and all(p.ref_account_id is None for p in native)


def test_quote_rows(sample: ReadResult) -> None:
    quotes = [p for p in sample.posts if p.account_id == "4MySquad3312143142" and p.kind == "quote"]
    assert any(p.text == "I support you ma #BlackFam https://t.co/SgltvCJVzn" for p in quotes)
    post = next(p for p in quotes if p.text and p.text.startswith("I support you ma"))
    assert post.urls == ["https://t.co/SgltvCJVzn"]
    assert post.ref_account_id is None  # "RT this looks ill" is no "RT handle:"


def test_links_from_text_skip_truncated_ones(sample: ReadResult) -> None:
    for post in sample.posts:
        assert all(not u.endswith("…") for u in post.urls)
    post = next(p for p in sample.posts if p.text and p.text.startswith("Dont let them get away"))
    assert post.urls == ["https://t.co/s7MpYWOqkH", "https://t.co/XdXqCN9Hf8"]


def test_authors_keep_category_and_type(authors: ReadResult) -> None:
    assert authors.rejects == []
    assert len(authors.accounts) == 2856
    gop = authors.account("10_gop")
    assert gop.handle == "10_gop"
    raw = json.loads(gop.raw or "{}")
    assert (raw["account_category"], raw["account_type"]) == ("RightTroll", "Right")
    assert raw["congress_2017_id"] == "905874659358453760"
    split = authors.account("4MySquad3312143142")
    assert split.handle == "4MySquad"
    assert json.loads(split.raw or "{}")["account_category"] == "LeftTroll"


def test_tweets_join_authors(sample: ReadResult, authors: ReadResult) -> None:
    known = {a.account_id for a in authors.accounts}
    assert {p.account_id for p in sample.posts} <= known


def test_publish_time_formats() -> None:
    expected = datetime(2017, 10, 1, 19, 58, tzinfo=UTC)
    assert publish_time("10/1/2017 19:58") == expected
    assert publish_time("10/1/17 19:58") == expected
    assert publish_time("2017-10-01 19:58:00") == expected


# The original 538 header, and hand-made rows in its shape: a spreadsheet-rounded
# external_author_id, a retweet whose t.co link points at the retweeted tweet's photo,
# a quote, an old-format row without tweet ids.
ORIGINAL_HEADER = (
    "external_author_id,author,content,region,language,publish_date,harvested_date,"
    "following,followers,updates,post_type,account_type,retweet,account_category,"
    "new_june_2018,alt_external_id,tweet_id,article_url,tco1_step1,tco2_step1,tco3_step1"
)
ORIGINAL_ROWS = [
    "9.01E+17,EXAMPLE_NEWS,Breaking: bridge closed downtown https://t.co/aaaaaaaaaa,"
    "United States,English,3/2/2017 14:05,3/2/2017 14:06,310,5120,877,,local,0,NewsFeed,0,"
    "901000000000000001,901000000000000777,"
    "http://twitter.com/901000000000000001/statuses/901000000000000777,"
    "http://www.citynews.example/bridge?utm_source=twitter,,",
    "9.01E+17,EXAMPLE_NEWS,Look at this crowd https://t.co/bbbbbbbbbb,United States,English,"
    "3/2/2017 15:10,3/2/2017 15:10,310,5121,878,RETWEET,local,1,NewsFeed,0,"
    "901000000000000001,901000000000000888,"
    "http://twitter.com/901000000000000001/statuses/901000000000000888,"
    "https://twitter.com/SomeReporter/status/900000000000000555/photo/1,,",
    "9.01E+17,EXAMPLE_NEWS,So true https://t.co/cccccccccc,United States,English,"
    "3/2/2017 16:00,3/2/2017 16:00,311,5122,879,QUOTE_TWEET,local,1,NewsFeed,0,"
    "901000000000000001,901000000000000999,"
    "http://twitter.com/901000000000000001/statuses/901000000000000999,"
    "https://twitter.com/SomeReporter/status/900000000000000666,,",
    "1234567890,OLDTROLL,\"'@someone what a day, really'\",Unknown,English,"
    "12/31/15 23:59,12/31/15 23:59,10,20,30,,Right,0,RightTroll,1,,,,,,",
]


@pytest.fixture(scope="module")
def original_layout(tmp_path_factory: pytest.TempPathFactory) -> ReadResult:
    """Read the hand-made original-layout rows."""
    path = tmp_path_factory.mktemp("ira") / "IRAhandle_tweets_example.csv"
    path.write_text("\n".join([ORIGINAL_HEADER, *ORIGINAL_ROWS]) + "\n", encoding="utf-8")
    assert resolve_format(path, None) == "ira-538"
    return read_all(path)


def test_original_layout_ids(original_layout: ReadResult) -> None:
    assert original_layout.rejects == []
    first = original_layout.posts[0]
    assert first.post_id == "901000000000000777"
    # "9.01E+17" names dozens of accounts; alt_external_id is exact.
    assert first.account_id == "901000000000000001"
    assert first.created_at == datetime(2017, 3, 2, 14, 5, tzinfo=UTC)
    assert first.urls == ["https://citynews.example/bridge"]
    account = original_layout.accounts[0]
    assert account.handle == "EXAMPLE_NEWS"
    assert account.location == "United States"
    assert json.loads(account.raw or "{}")["account_category"] == "NewsFeed"


def test_original_layout_retweet_and_quote_name_their_originals(
    original_layout: ReadResult,
) -> None:
    rt = original_layout.post("901000000000000888")
    assert rt.kind == "repost"
    assert (rt.ref_post_id, rt.ref_account_id) == ("900000000000000555", "@somereporter")
    assert rt.urls == []  # a photo link is media, not a shared link
    quote = original_layout.post("901000000000000999")
    assert quote.kind == "quote"
    assert (quote.ref_post_id, quote.ref_account_id) == ("900000000000000666", "@somereporter")


def test_original_layout_row_without_ids(original_layout: ReadResult) -> None:
    post = original_layout.posts[3]
    assert post.account_id == "1234567890"
    assert post.post_id.startswith("ira538-")
    assert post.text == "@someone what a day, really"
    assert post.created_at == datetime(2015, 12, 31, 23, 59, tzinfo=UTC)
    assert (post.kind, post.reply_to_account_id) == ("reply", "@someone")

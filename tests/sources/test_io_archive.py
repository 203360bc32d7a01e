"""The information-operations archive readers on a hand-made fixture.

No file of the archive is in the shared data, so tests/fixtures/io_archive/ holds a small
hand-made one written to the published column specification (see its README.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from limelight.errors import RecordError
from limelight.sources import resolve_format
from limelight.sources.io_archive import clean_id, count, parse_list
from tests.conftest import FIXTURES, ReadResult, read_all

HERE = FIXTURES / "io_archive"
TWEETS = HERE / "io_archive_tweets.csv"
USERS = HERE / "io_archive_users.csv"
HASHED_A = "s6jJj5OXoygC51EiBtm0+Zp83jSJYPnX3OXynX9BIUs="
HASHED_B = "N0nfVA5Q7620DVXqLxyW9O4akyzkjh/TryPVXKh0hj4="
NEWS = "2882013888"


@pytest.fixture(scope="module")
def archive() -> ReadResult:
    """Everything in the hand-made tweets file."""
    return read_all(TWEETS)


def test_files_are_detected() -> None:
    assert resolve_format(TWEETS, None) == "io-archive"
    assert resolve_format(USERS, None) == "io-archive-users"


def test_every_row_gives_a_post_and_an_account(archive: ReadResult) -> None:
    assert archive.rejects == []
    assert len(archive.posts) == 12
    assert len(archive.accounts) == 12
    assert {a.account_id for a in archive.accounts} == {NEWS, HASHED_A, HASHED_B}


def test_original_with_unquoted_lists(archive: ReadResult) -> None:
    post = archive.post("786930472917123072")
    assert post.kind == "original"
    assert post.account_id == NEWS
    assert post.created_at == datetime(2016, 10, 14, 13, 5, tzinfo=UTC)
    assert post.hashtags == ["election2016", "voteearly"]
    assert post.urls == ["https://dailycapital.example/politics/polls-open"]
    assert post.client == "TweetDeck"
    assert (post.like_count, post.repost_count, post.reply_count, post.quote_count) == (
        31,
        58,
        5,
        2,
    )


def test_quoted_lists(archive: ReadResult) -> None:
    post = archive.post("786941198021746688")
    assert post.hashtags == ["blacklivesmatter", "staywoke"]
    assert post.urls == ["https://youtube.com/watch?v=dQw4w9WgXcQ"]
    tricky = archive.post("787402218775625728")
    assert tricky.urls == [
        "https://news.example.com/a,b/story?id=7",
        "https://blog.example.net/it's-rigged",
    ]
    assert archive.post("787415559213674496").hashtags == ["выборы2016", "сша"]


def test_retweets_reference_the_original_and_its_author(archive: ReadResult) -> None:
    retweets = [p for p in archive.posts if p.kind == "repost"]
    assert {p.post_id for p in retweets} == {"786944011470123008", "786944519052210176"}
    for post in retweets:
        assert post.ref_post_id == "786930472917123072"
        assert post.ref_account_id == NEWS
        assert post.mentions == [NEWS]


def test_reply_between_hashed_accounts(archive: ReadResult) -> None:
    post = archive.post("786950733337432064")
    assert post.kind == "reply"
    assert post.account_id == HASHED_B
    assert post.reply_to_post_id == "786941198021746688"
    assert post.reply_to_account_id == HASHED_A
    assert post.mentions == [HASHED_A]
    # A tweet that starts with a mention but answers no tweet stays an original.
    loose = archive.post("787301187653742593")
    assert loose.kind == "original"
    assert loose.reply_to_account_id is None
    assert loose.mentions == [NEWS, HASHED_B]


def test_quote(archive: ReadResult) -> None:
    post = archive.post("786961402911367168")
    assert post.kind == "quote"
    assert post.ref_post_id == "786941198021746688"
    assert post.urls == []


def test_multiline_text_empty_cells_and_float_counts(archive: ReadResult) -> None:
    post = archive.post("787102930518437888")
    assert post.text == (
        'Three things to remember on Nov 8:\n1. Bring ID, "just in case"\n'
        "2. Check your polling place\n3. Don't let them scare you #VoteEarly"
    )
    assert (post.like_count, post.repost_count) == (7, 2)
    empty = archive.post("787190385041915904")
    assert (empty.hashtags, empty.urls, empty.mentions) == ([], [], [])
    assert empty.like_count is None
    assert empty.lang == "ru"


def test_account_snapshot_from_the_profile_columns(archive: ReadResult) -> None:
    news = archive.account(NEWS)
    assert news.handle == "DailyCapitalNws"
    assert news.display_name == "Daily Capital News"
    assert news.location == "Washington, DC"
    assert news.url == "https://dailycapital.example"
    assert (news.followers, news.following) == (48211, 1203)
    assert news.created_at == datetime(2014, 11, 26, tzinfo=UTC)
    assert news.seen_at is None
    hashed = archive.account(HASHED_B)
    assert hashed.handle == HASHED_B
    assert (hashed.followers, hashed.following) == (87, 140)
    assert hashed.description is None
    assert hashed.lang == "ru"


def test_keep_raw_keeps_poll_and_coordinates() -> None:
    result = read_all(TWEETS, keep_raw=True)
    raw = result.post("787230644316291072").raw
    assert raw is not None
    assert '"poll_choices":"Clinton|Trump|Nobody"' in raw
    assert '"latitude":"38.8951"' in raw


def test_users_file() -> None:
    result = read_all(USERS)
    assert result.rejects == [] and result.posts == []
    assert [a.account_id for a in result.accounts] == [NEWS, HASHED_A, HASHED_B]
    assert result.account(HASHED_A).description == "patriot | mom | #MAGA"


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("[]", []),
        ("", []),
        ("[tag1, tag2]", ["tag1", "tag2"]),
        ("[a,b]", ["a", "b"]),
        ("['a', 'b']", ["a", "b"]),
        ("[\"it's\", 'x']", ["it's", "x"]),
        ("['a, b', c]", ["a, b", "c"]),
        ("['tab\\tin']", ["tab\tin"]),
    ],
)
def test_parse_list(cell: str, items: list[str]) -> None:
    assert parse_list(cell) == items


@pytest.mark.parametrize("cell", ["['open", "['open]", "[a, b"])
def test_parse_list_rejects_a_broken_cell(cell: str) -> None:
    with pytest.raises(RecordError):
        parse_list(cell)


def test_ids_and_counts() -> None:
    assert clean_id("786930472917123072.0") == "786930472917123072"
    assert clean_id("7.8693e+17") is None
    assert clean_id(HASHED_A) == HASHED_A
    assert clean_id(" ") is None
    assert (count("12"), count("12.0"), count(""), count("absent")) == (12, 12, None, None)


def test_a_file_without_a_required_column_is_refused(tmp_path: Path) -> None:
    from limelight.errors import FormatError

    path = tmp_path / "broken.csv"
    header = TWEETS.read_text(encoding="utf-8").split("\n", 1)[0]
    path.write_text(header.replace("tweet_time,", "") + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match="tweet_time"):
        read_all(path, "io-archive")


def test_a_row_with_a_broken_list_is_rejected_and_the_rest_read(tmp_path: Path) -> None:
    lines = TWEETS.read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("786930472917123072,"))
    lines[first] = lines[first].replace('"[Election2016, VoteEarly]"', '"[Election2016, VoteEarly"')
    path = tmp_path / "broken_list.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_all(path)
    assert len(result.rejects) == 1
    assert "unclosed list cell" in result.rejects[0].reason
    assert result.rejects[0].raw.startswith("786930472917123072,")
    assert len(result.posts) == 11

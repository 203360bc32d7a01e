"""twarc-csv reader on CSVs that twarc-csv wrote from real twarc2 pages.

No twarc-csv CSV exists in the shared data, so tests/fixtures/twarc_csv/ holds the output
of `twarc2 csv` run once over the real twarc2 files (see its README.md); each CSV is
checked against the same tweets read from the JSON they came from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from limelight.errors import FormatError
from limelight.sources import resolve_format
from tests.conftest import FIXTURES, ReadResult, read_all

CSVS = FIXTURES / "twarc_csv"
V2 = "twarc2-v2-json"


@pytest.fixture(scope="module")
def brexit() -> ReadResult:
    return read_all(CSVS / "brexit.csv")


@pytest.mark.parametrize(
    "name",
    [
        "brexit.csv",
        "quoted_edit.csv",
        "many_urls.csv",
        "media_tweet.csv",
        "two_tweets_unprocessed.csv",
    ],
)
def test_format_is_detected(name: str) -> None:
    assert resolve_format(CSVS / name, None) == "twarc-csv"


@pytest.mark.parametrize(
    "name", ["brexit", "quoted_edit", "many_urls", "media_tweet", "two_tweets_unprocessed"]
)
def test_rows_and_json_agree_on_ids_kinds_and_references(data_dir: Path, name: str) -> None:
    rows = read_all(CSVS / f"{name}.csv")
    source = name.removesuffix("_unprocessed")
    pages = read_all(data_dir / V2 / f"{source}.jsonl", "twarc2")
    assert not rows.rejects
    assert len(rows.posts) == len(rows.accounts) >= 1
    for post in rows.posts:
        twin = pages.post(post.post_id)
        assert (
            post.kind,
            post.account_id,
            post.created_at,
            post.ref_post_id,
            post.ref_account_id,
            post.reply_to_post_id,
            post.reply_to_account_id,
            post.conversation_id,
            post.lang,
            post.client,
        ) == (
            twin.kind,
            twin.account_id,
            twin.created_at,
            twin.ref_post_id,
            twin.ref_account_id,
            twin.reply_to_post_id,
            twin.reply_to_account_id,
            twin.conversation_id,
            twin.lang,
            twin.client,
        )
        author = rows.account(post.account_id or "")
        page_author = pages.account(author.account_id)
        assert (author.handle, author.followers, author.created_at, author.url) == (
            page_author.handle,
            page_author.followers,
            page_author.created_at,
            page_author.url,
        )


def test_search_page_kinds(brexit: ReadResult) -> None:
    kinds = [p.kind for p in brexit.posts]
    assert len(kinds) == 100
    assert (kinds.count("repost"), kinds.count("quote"), kinds.count("reply")) == (67, 11, 10)
    assert all(p.ref_account_id for p in brexit.posts if p.kind in ("repost", "quote"))


def test_text_newlines_are_restored(brexit: ReadResult) -> None:
    post = brexit.post("1440716895355764743")
    assert post.text is not None
    assert 'leader.\n\nTypical "centrists".' in post.text
    assert "\\n" not in post.text
    assert post.hashtags == ["peoplesvote", "brexit"]
    assert post.created_at == datetime(2021, 9, 22, 16, 37, 29, tzinfo=UTC)
    assert post.created_at.utcoffset() is not None and not post.created_at.utcoffset()


def test_merged_retweet_keeps_the_content_and_drops_the_originals_metrics(
    brexit: ReadResult,
) -> None:
    rt = brexit.post("1440716856763977732")
    assert (rt.kind, rt.ref_post_id, rt.ref_account_id) == (
        "repost",
        "1440713161355583489",
        "711945679",
    )
    assert rt.text is not None and rt.text.startswith(". #BorisJohnson has revealed")
    assert rt.hashtags[:2] == ["borisjohnson", "universalcredit"]
    # The original's photo link is not a URL the retweet shares.
    assert rt.urls == []
    assert rt.media == ["3_1440712838427799560"]
    assert (rt.like_count, rt.repost_count, rt.reply_count, rt.quote_count) == (None,) * 4
    original = brexit.post("1440716895355764743")
    assert (original.like_count, original.repost_count) == (0, 0)


def test_quote_that_replies() -> None:
    post = read_all(CSVS / "quoted_edit.csv").post("1576995594388000768")
    assert post.kind == "quote"
    assert (post.ref_post_id, post.ref_account_id) == ("1576994746135764992", "337119125")
    assert post.reply_to_post_id == "1576994789110992896"
    assert post.reply_to_account_id == "337119125"
    # twarc-csv keeps only handles of mentions.
    assert post.mentions == ["@wongmjane"]
    assert post.text == "@wongmjane Test \nhttps://t.co/rBFwqjVr6B"


def test_reply_with_an_expanded_normalized_url() -> None:
    got = read_all(CSVS / "many_urls.csv")
    reply = got.post("1610692575752601600")
    assert reply.kind == "reply"
    assert reply.reply_to_post_id == "1610623087061471232"
    assert reply.urls == ["https://uiadrian.gumroad.com/l/web-design-guide?offer_code=twk0uc9f7"]
    author = got.account("1328271312628936705")
    assert author.url == "https://uiadrian.gumroad.com/l/design-manual?offer_code=100k-special"
    assert (author.followers, author.following, author.posts_count, author.listed_count) == (
        42160,
        119,
        1319,
        985,
    )
    assert author.created_at == datetime(2020, 11, 16, 9, 39, tzinfo=UTC)
    assert author.seen_at == datetime(2023, 1, 5, 16, 25, 9, tzinfo=UTC)


def test_media_link_is_not_a_url() -> None:
    post = read_all(CSVS / "media_tweet.csv").post("1558553189766631429")
    assert post.urls == []
    assert post.media == ["7_1558552952549277696"]
    assert (post.like_count, post.repost_count, post.reply_count, post.quote_count) == (
        93,
        13,
        3,
        7,
    )


def test_unprocessed_entities_and_unmerged_retweet(data_dir: Path) -> None:
    # Written with --no-process-entities --no-merge-retweets: cells hold the API objects.
    got = read_all(CSVS / "two_tweets_unprocessed.csv")
    rt = got.post("1394735776701816833")
    page = read_all(data_dir / V2 / "two_tweets.jsonl").post("1394735776701816833")
    assert rt.text == "RT @bibaigna96: #POIUYTREWQ"
    assert rt.mentions == page.mentions == ["1380086327023169540"]
    assert rt.hashtags == page.hashtags == ["poiuytrewq"]
    assert (rt.like_count, rt.repost_count) == (page.like_count, page.repost_count) == (0, 1)
    assert got.account("1379899464345923590").default_image is True


def test_author_account_from_author_columns(brexit: ReadResult) -> None:
    # One snapshot per row, from the author.* columns.
    assert [a.account_id for a in brexit.accounts] == [p.account_id for p in brexit.posts]
    acct = brexit.account("4203239195")
    assert acct.handle == "WarmongerHodges"
    assert (acct.followers, acct.following, acct.posts_count) == (34920, 3552, 108443)
    assert acct.created_at == datetime(2015, 11, 16, 17, 3, 41, tzinfo=UTC)
    assert acct.verified is False and acct.default_image is False
    assert acct.description is not None and "\n\n#VoteNIP\n#FreePalestine" in acct.description


def test_keep_raw_keeps_the_row() -> None:
    got = read_all(CSVS / "media_tweet.csv", keep_raw=True)
    row = orjson.loads(got.post("1558553189766631429").raw or "")
    assert row["author.username"] == "IgorBrigadir"


def test_a_csv_in_another_format_is_refused_by_name(data_dir: Path) -> None:
    with pytest.raises(FormatError, match=r"missing columns? .*for format twarc-csv"):
        read_all(data_dir / "coortweet-russian-coord" / "russian_coord_tweets.csv", "twarc-csv")

"""The Mastodon reader on real API responses (68 statuses from many servers, 88 accounts).

The statuses include no reblog; the reblog test wraps one of the real statuses the way
the Mastodon API does (an outer status whose ``reblog`` is the original).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from limelight.records import Account, Post
from limelight.sources import ReaderOptions, resolve_format
from limelight.sources.mastodon import MastodonReader, account_id_of
from tests.conftest import ReadResult, read_all

HALCY = "https://icosahedron.website/@halcy"


@pytest.fixture(scope="module")
def folder(data_dir: Path) -> Path:
    return data_dir / "mastodon-status-json"


@pytest.fixture(scope="module")
def statuses(folder: Path) -> ReadResult:
    return read_all(folder / "statuses.jsonl")


@pytest.fixture(scope="module")
def accounts(folder: Path) -> ReadResult:
    return read_all(folder / "accounts.jsonl")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_both_files_are_detected(folder: Path) -> None:
    assert resolve_format(folder / "statuses.jsonl", None) == "mastodon"
    assert resolve_format(folder / "accounts.jsonl", None) == "mastodon"


def test_every_status_is_read(statuses: ReadResult) -> None:
    assert statuses.rejects == []
    assert len({p.post_id for p in statuses.posts}) == 68
    # Two quoted statuses come again as records of their own: 70 posts, one account each.
    assert len(statuses.posts) == len(statuses.accounts) == 70
    assert all(p.post_id.startswith("https://") for p in statuses.posts)


def test_html_content_becomes_text(statuses: ReadResult) -> None:
    for post in statuses.posts:
        assert post.text is None or not any(t in post.text for t in ("<p>", "<span", "<a ", "<br"))
    greg = statuses.post("https://icosahedron.website/users/greg/statuses/116388148912635764")
    assert greg.text is not None
    assert greg.text.startswith("@cancel @halcy not only is this the classic hip-hop")
    assert "it's ALSO the dnb sample" in greg.text  # &#39; unescaped
    assert greg.urls == ["https://youtube.com/watch?v=MWCSw_cNxKc"]
    assert (greg.client, greg.lang, greg.reply_count) == ("Web", "en", 1)
    assert greg.created_at == datetime(2026, 4, 11, 21, 16, 53, 634000, tzinfo=UTC)


def test_content_warning_leads_the_text(statuses: ReadResult) -> None:
    post = statuses.post("https://icosahedron.website/users/halcy/statuses/101256876982565163")
    assert post.text == (
        "politics, hungary\n\nhonestly glad that viktor orban is getting pushback, finally\n"
        "he is an asshole fascist pig if there ever was one"
    )


def test_tags_are_lower_cased(statuses: ReadResult, folder: Path) -> None:
    post = statuses.post("https://icosahedron.website/users/halcy/statuses/110446222386355655")
    assert post.hashtags == ["thisisahashtag"]  # written #ThisIsAHashtag
    # Mastodon sends tag names lower-cased; other servers send them as written.
    status = next(s for s in _lines(folder / "statuses.jsonl") if s["id"] == "110446223051565765")
    status["tags"] = [{"name": "#ThisIsAHashtag", "url": status["tags"][0]["url"]}]
    (as_written,) = [r for r in MastodonReader().parse(status) if isinstance(r, Post)]
    assert as_written.hashtags == ["thisisahashtag"]
    vote = statuses.post(
        "https://social.wildeboer.net/users/jwildeboer/statuses/116386298468929496"
    )
    assert vote.hashtags == ["hungary"]
    assert vote.urls == []  # the #Hungary link is a hashtag, not a URL


def test_mentions_are_account_ids(statuses: ReadResult) -> None:
    post = statuses.post("https://icosahedron.website/users/sagamusix/statuses/116388536126309513")
    assert post.mentions == [HALCY, "https://merveilles.town/@cancel"]
    assert statuses.account(HALCY).handle == "halcy@icosahedron.website"
    # Mention links and hashtags are not URLs; the real link and its card are one URL.
    assert post.urls == ["https://cromagnontech.blogspot.com/2018/04/the-yeah-woo-machine.html"]
    # A server that writes mentions as plain links (Bonfire) and a card made for one.
    bonfire = statuses.post("https://bonfire.mavnn.eu/pub/objects/01KNYJ2SC9JHF4C9W2MV23DHH6")
    assert bonfire.urls == []
    assert "https://toot.yosh.is/@yosh" in bonfire.mentions


def test_reply_refs(statuses: ReadResult) -> None:
    post = statuses.post("https://icosahedron.website/users/sagamusix/statuses/116388536126309513")
    assert post.kind == "reply"
    # The author of the parent is found through the mention carrying its local id.
    assert post.reply_to_account_id == HALCY
    # The parent's uri is not in the API; the local id is kept as it is.
    assert post.reply_to_post_id == "116387892856015132"
    # A self-reply on the author's home server gets its parent's uri rebuilt.
    thread = statuses.post("https://icosahedron.website/users/halcy/statuses/116387871887632590")
    assert thread.reply_to_post_id == (
        "https://icosahedron.website/users/halcy/statuses/116387871376566267"
    )
    assert statuses.post(thread.reply_to_post_id).kind == "original"
    assert thread.reply_to_account_id == HALCY


def test_quote_refs_and_quoted_status_as_its_own_record(statuses: ReadResult) -> None:
    quote = statuses.post("https://icosahedron.website/users/halcy/statuses/116386066936197501")
    assert quote.kind == "quote"
    assert quote.ref_post_id == (
        "https://icosahedron.website/users/halcy/statuses/101256876982565163"
    )
    assert quote.ref_account_id == HALCY
    bridged = statuses.post(
        "https://bsky.brid.gy/convert/ap/at://did:plc:5syfqzormjkutgo5hi2u2gpr/"
        "app.bsky.feed.post/3lwlumdwf522i"
    )
    assert bridged.kind == "quote" and bridged.ref_post_id == "115044056977193502"  # shallow
    assert bridged.text is not None and "RE:" not in bridged.text
    assert bridged.reply_to_post_id == "115044053131672379"  # a reply that quotes


def test_media_are_origin_urls(statuses: ReadResult) -> None:
    post = statuses.post("https://icosahedron.website/users/halcy/statuses/110447012380248325")
    assert post.media == [
        "https://icosahedron.website/system/media_attachments/files/110/447/009/175/249/"
        "326/original/8e2be16453b30958.mp3"
    ]


def test_reblog_refs_the_original_which_is_a_record_of_its_own(
    folder: Path, statuses: ReadResult
) -> None:
    original = _lines(folder / "statuses.jsonl")[45]
    assert (
        original["uri"]
        == "https://social.wildeboer.net/users/jwildeboer/statuses/116386298468929496"
    )
    booster = next(a for a in _lines(folder / "accounts.jsonl") if a["acct"] == "halcy")
    wrapper: dict[str, Any] = {
        "id": "116386300000000000",
        "created_at": "2026-04-11T19:30:00.000Z",
        "uri": "https://mastodon.social/users/halcy/statuses/116386300000000000/activity",
        "url": None,
        "content": "",
        "spoiler_text": "",
        "account": booster,
        "reblog": original,
        "mentions": [],
        "tags": [],
        "media_attachments": [],
    }
    records = list(MastodonReader().parse(wrapper))
    posts = [r for r in records if isinstance(r, Post)]
    authors = {r.account_id for r in records if isinstance(r, Account)}
    repost, reposted = posts
    assert repost.kind == "repost"
    assert repost.account_id == account_id_of(booster)
    assert repost.ref_post_id == original["uri"]
    assert repost.ref_account_id == "https://social.wildeboer.net/@jwildeboer"
    assert reposted.post_id == repost.ref_post_id
    assert reposted.account_id == repost.ref_account_id
    assert reposted.hashtags == ["hungary"]
    assert authors == {repost.account_id, reposted.account_id}
    # The same original read from the file is the same record id.
    assert statuses.post(original["uri"]).account_id == repost.ref_account_id


def test_accounts_file(accounts: ReadResult) -> None:
    assert accounts.rejects == [] and accounts.posts == []
    assert len(accounts.accounts) == 88
    bot = accounts.account("https://mastodon.social/@quasi_crystals")
    assert bot.bot_declared is True
    assert bot.description is not None and bot.description.startswith("Bot by @halcy")
    mastodon = accounts.account("https://mastodon.social/@Mastodon")
    assert mastodon.bot_declared is False
    assert (mastodon.followers, mastodon.following, mastodon.posts_count) == (876233, 51, 555)
    assert mastodon.created_at == datetime(2016, 11, 23, tzinfo=UTC)
    assert mastodon.handle == "Mastodon@mastodon.social"
    assert mastodon.description is not None and "<p>" not in mastodon.description
    assert mastodon.default_image is False
    assert accounts.account("https://ieji.de/@mrsbeanbag").default_image is True
    assert sum(a.bot_declared is True for a in accounts.accounts) == 3


def test_embedded_account_is_seen_at_the_status_time(statuses: ReadResult) -> None:
    greg = [a for a in statuses.accounts if a.account_id == "https://icosahedron.website/@greg"]
    assert [a.seen_at for a in greg] == [datetime(2026, 4, 11, 21, 16, 53, 634000, tzinfo=UTC)]


def test_keep_raw(folder: Path) -> None:
    first = _lines(folder / "statuses.jsonl")[0]
    post, account = MastodonReader(ReaderOptions(keep_raw=True)).parse(first)
    assert isinstance(post, Post) and post.raw == orjson.dumps(first).decode()
    assert isinstance(account, Account) and account.raw is not None
    assert next(iter(MastodonReader().parse(first))).raw is None  # type: ignore[union-attr]


def test_matches_tells_statuses_from_accounts_and_twitter(data_dir: Path, folder: Path) -> None:
    reader = MastodonReader()
    assert all(reader.matches(s) for s in _lines(folder / "statuses.jsonl"))
    assert all(reader.matches(a) for a in _lines(folder / "accounts.jsonl"))
    v1 = data_dir / "twitter-v1-json"
    tweets = orjson.loads((v1 / "tweepy_testusertimeline_0.json").read_bytes())
    users = orjson.loads((v1 / "tweepy_testsearchusers_0.json").read_bytes())
    assert tweets and users
    assert not any(reader.matches(v) for v in tweets + users)
    assert not any(reader.matches(t["user"]) for t in tweets)
    page = orjson.loads(
        (data_dir / "twarc2-v2-json" / "two_tweets.jsonl").read_bytes().split(b"\n")[0]
    )
    assert not reader.matches(page)

"""Column-wise twarc2 reading gives exactly the store that row-by-row reading gives.

The fast path (Arrow parses the pages, tweets and users are mapped as whole columns) must
be invisible except for its speed: the same posts, accounts, deletions and rejects with the
same reasons and line numbers, and the same counts. Each test ingests a file twice, once
with the column-wise path switched off.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import limelight._parallel as parallel
from tests._columnar_parity import ingest_with_path

TABLES = {
    "posts": "SELECT * FROM posts ORDER BY platform, post_id",
    "accounts": "SELECT * FROM accounts ORDER BY platform, account_id",
    "deletions": "SELECT * FROM deletions ORDER BY platform, post_id",
    "rejects": "SELECT source_file, source_line, format, reason, raw FROM rejects "
    "ORDER BY source_file, source_line",
}


def _both(
    paths: list[Path], tmp: Path, **kw: Any
) -> tuple[dict[str, Any], dict[str, list[Any]], int]:
    for name in ("fast.duckdb", "slow.duckdb"):
        (tmp / name).unlink(missing_ok=True)
    fast = ingest_with_path(paths, tmp / "fast.duckdb", TABLES, columnar=True, workers=1, **kw)
    slow = ingest_with_path(paths, tmp / "slow.duckdb", TABLES, columnar=False, workers=1, **kw)
    assert slow[2] == 0
    assert fast[0] == slow[0]
    for name in TABLES:
        assert fast[1][name] == slow[1][name], name
    return fast


def _write(path: Path, values: list[Any], *, raw: dict[int, bytes] | None = None) -> Path:
    lines = [orjson.dumps(v) for v in values]
    for i, line in (raw or {}).items():
        lines.insert(i, line)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _tweet(tid: str, by: str = "10", **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "author_id": by,
        "created_at": "2021-04-08T15:07:30.000Z",
        "text": f"tweet {tid}",
        "lang": "en",
        "conversation_id": tid,
        "edit_history_tweet_ids": [tid],
        **extra,
    }


def _user(uid: str, **extra: Any) -> dict[str, Any]:
    return {"id": uid, "username": f"user{uid}", "name": f"User {uid}", **extra}


def _page(
    data: list[dict[str, Any]],
    users: list[dict[str, Any]] | None = None,
    tweets: list[dict[str, Any]] | None = None,
    retrieved: str = "2021-04-09T00:00:00+00:00",
) -> dict[str, Any]:
    includes: dict[str, Any] = {}
    if users is not None:
        includes["users"] = users
    if tweets is not None:
        includes["tweets"] = tweets
    return {
        "data": data,
        "includes": includes,
        "meta": {"result_count": len(data)},
        "__twarc": {
            "url": "https://api.twitter.com/2/tweets/search/all",
            "retrieved_at": retrieved,
        },
    }


@pytest.mark.slow
def test_real_twarc2_files_read_the_same(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "twarc2"
    folder.mkdir()
    for src in sorted((data_dir / "twarc2-v2-json").glob("*.jsonl")):
        shutil.copy(src, folder / src.name)
    summary, tables, used = _both([folder], tmp_path, fmt="twarc2")
    # Not vacuous: most files are tweet pages read column-wise, and records were stored.
    assert used >= 15
    assert len(tables["posts"]) > 1000 and len(tables["accounts"]) > 500
    assert summary["rejected"] > 0  # counts, lists and error pages


def test_real_files_in_small_chunks_read_the_same(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One file of all the real pages, cut into many chunks: tweets referenced on one page
    # and repeated on later ones land in other chunks, and transactions hold few chunks.
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 64 * 1024)
    names = ("brexit", "kpop", "2sets", "withheld", "edited", "edited_after", "quoted_edit")
    joined = b"".join(
        (data_dir / "twarc2-v2-json" / f"{name}.jsonl").read_bytes() for name in names
    )
    path = tmp_path / "joined.jsonl"
    path.write_bytes(joined)
    summary, tables, used = _both([path], tmp_path, batch_size=300)
    assert used > 5
    assert summary["duplicates"] > 0 and len(tables["posts"]) > 500


def test_edge_cases_read_the_same(tmp_path: Path) -> None:
    long_text = "a long tweet &amp; more"
    pages = [
        _page(
            [
                _tweet(
                    "1",
                    text="RT @bob: hi &amp; bye &lt;3",
                    referenced_tweets=[{"type": "retweeted", "id": "100"}],
                    entities={
                        "hashtags": [{"tag": "Ünïcode"}, {"tag": "#Vote"}],
                        "mentions": [{"start": 3, "end": 7, "username": "bob", "id": "11"}],
                        "urls": [
                            {
                                "url": "https://t.co/a",
                                "expanded_url": "http://WWW.Example.com/a/?utm_source=x&b=1",
                            },
                            {
                                "url": "https://t.co/b",
                                "expanded_url": "https://twitter.com/x/status/1/photo/1",
                                "display_url": "pic.twitter.com/abc",
                            },
                            {"url": "https://t.co/c", "expanded_url": "https://x.com/y/status/1"},
                            {"url": "https://t.co/d", "unwound_url": "https://landing.org/p"},
                            {"url": "https://t.co/e", "media_key": "3_1"},
                            {"url": "https://t.co/f", "expanded_url": ""},
                            {"url": "", "expanded_url": ""},
                        ],
                    },
                    attachments={"media_keys": ["3_1", "3_2"]},
                    public_metrics={"retweet_count": 1, "reply_count": 2, "like_count": 3},
                ),
                _tweet(
                    "2",
                    by="",
                    author={"id": "12"},
                    referenced_tweets=[
                        {"type": "quoted", "id": "101"},
                        {"type": "replied_to", "id": "1"},
                        {"type": "replied_to", "id": "102"},
                    ],
                    note_tweet={"text": long_text, "entities": {"hashtags": [{"tag": "Long"}]}},
                    entities={"hashtags": [{"tag": "short"}]},
                ),
                _tweet(
                    "3",
                    in_reply_to_user_id="",
                    referenced_tweets=[{"type": "replied_to", "id": "1"}],
                ),
                _tweet("4", note_tweet={"text": ""}, created_at="2021-04-08T15:07:30+02:00"),
                _tweet("2", text="a repeat of tweet 2", entities={"hashtags": [{"tag": "extra"}]}),
            ],
            users=[
                _user(
                    "10",
                    created_at="2010-01-01T00:00:00.000Z",
                    url="https://t.co/u",
                    entities={"url": {"urls": [{"expanded_url": "https://Home.example/"}]}},
                    profile_image_url="https://pbs.twimg.com/default_profile_images/x.png",
                    verified=True,
                    public_metrics={"followers_count": 5, "tweet_count": 9},
                ),
                _user("11", description="", location="Paris", url="http://site.example"),
                _user("12", username=""),
            ],
            tweets=[
                _tweet("100", by="11", entities={"hashtags": [{"tag": "orig"}]}),
                _tweet("101", by="13"),
                _tweet("1", by="99"),
            ],
        ),
        # The same user seen later and earlier: the newest snapshot's values win.
        _page(
            [_tweet("5", by="10")],
            users=[_user("10", name="Newer name", description="new")],
            retrieved="2021-05-01T00:00:00+00:00",
        ),
        _page(
            [_tweet("6")], users=[_user("10", name="Older name")], retrieved="2020-01-01T00:00:00Z"
        ),
        # Left to the row path: a mention without an id, a retweet known only from its text,
        # a hashtag without a tag, an empty reference id, an unreadable time, a null.
        _page(
            [_tweet("7", entities={"mentions": [{"username": "User11"}]})],
            users=[_user("11")],
        ),
        _page(
            [
                _tweet(
                    "8",
                    text="RT @user11: hello",
                    referenced_tweets=[{"type": "retweeted", "id": "200"}],
                    entities={"mentions": [{"start": 3, "end": 10, "id": "11"}]},
                )
            ]
        ),
        _page([_tweet("9", entities={"hashtags": [{"start": 0}]})]),
        _page([_tweet("10", referenced_tweets=[{"type": "quoted", "id": ""}])]),
        _page([_tweet("11", created_at="yesterday")]),
        _page([_tweet("12", created_at="2021-02-30T00:00:00.000Z")]),
        _page([_tweet("13", lang=None)]),
        _page([_tweet("14", note_tweet={"entities": {}})]),
        # Not tweet pages: users, counts, errors, compliance, a stream line, a flat tweet.
        {
            "data": [_user("20")],
            "includes": {},
            "__twarc": {"retrieved_at": "2021-01-01T00:00:00Z"},
        },
        {"data": [{"end": "x", "start": "y", "tweet_count": 3}], "meta": {}},
        {"errors": [{"title": "Not Found Error", "detail": "gone"}]},
        {
            "id": "1380175475545362437",
            "action": "delete",
            "reason": "deleted",
            "created_at": "2021-04-08T15:07:30.000Z",
        },
        {"data": _tweet("31"), "includes": {"users": [_user("10")]}, "matching_rules": []},
        _tweet("32", author={"id": "10", "username": "user10", "name": "U"}, __twarc={}),
        {"data": [], "meta": {"result_count": 0}},
        {"data": [_tweet("")], "includes": {}},
        _page([{"id": "40", "text": 5}]),
        _page([_tweet("41", public_metrics={"like_count": 1.5})]),
        [_page([_tweet("42")])],
    ]
    raw = {
        3: b"{not json",
        5: b"",
        6: b"   ",
        8: orjson.dumps(_page([_tweet("50")])) + b"\r",
        9: b'{"data": [{"id": "51", "text": "x", "id": "52"}]}',
        10: b'{"data": [{"id": "53", "text": "x", "lang": NaN}]}',
        11: orjson.dumps(_page([_tweet("54")]))[:-1] + b" /* c */}",
        12: b'{"data": [{"id": "55", "text": "\xff"}]}',
        13: orjson.dumps(_page([_tweet("56")])) + b" " + orjson.dumps(_page([_tweet("57")])),
    }
    path = _write(tmp_path / "edges.jsonl", pages, raw=raw)
    summary, tables, used = _both([path], tmp_path)
    assert used == 1
    posts = {r[1]: r for r in tables["posts"]}
    # Not vacuous: values a user would check.
    assert posts["1"][4] == "RT @bob: hi & bye <3"
    assert posts["1"][13] == [
        "https://example.com/a?b=1",
        "https://landing.org/p",
        "https://t.co/f",
    ]
    assert posts["1"][14] == ["ünïcode", "vote"]
    assert posts["1"][8] == "11"  # the retweeted tweet's author, from includes
    assert posts["2"][4] == "a long tweet & more" and posts["2"][14] == ["long", "extra"]
    assert posts["2"][2] == "12" and posts["2"][6] == "quote"
    assert posts["3"][10] == "10"  # reply target's author through the page's tweets
    assert posts["7"][15] == ["11"]
    assert posts["8"][8] == "11"
    accounts = {r[1]: r for r in tables["accounts"]}
    assert accounts["10"][3] == "Newer name" and accounts["10"][15] == "https://home.example"
    assert summary["rejected"] >= 8 and summary["duplicates"] >= 1
    assert len(tables["deletions"]) == 1
    reasons = " ".join(r[3] for r in tables["rejects"])
    assert "invalid JSON" in reasons and "counts" in reasons


_ids = st.sampled_from(["1", "2", "3", "4"])
_text = st.sampled_from(["plain", "RT @user1: x", "a &amp; b", "", "é ☃", "null", "x\ty"])
_url = st.fixed_dictionaries(
    {"url": st.sampled_from(["https://t.co/x", ""])},
    optional={
        "expanded_url": st.sampled_from(
            ["https://Example.com/a?utm_x=1", "http://x.com/u/status/1", "", "nope"]
        ),
        "unwound_url": st.sampled_from(["https://l.org/", ""]),
        "display_url": st.sampled_from(["pic.x.com/1", "example.com"]),
        "media_key": st.just("3_1"),
    },
)
_entities = st.fixed_dictionaries(
    {},
    optional={
        "urls": st.lists(_url, max_size=3),
        "hashtags": st.lists(
            st.sampled_from([{"tag": "Tag"}, {"tag": "ÜBER"}, {"tag": "#x"}, {}]), max_size=3
        ),
        "mentions": st.lists(
            st.sampled_from(
                [{"id": "1"}, {"id": "2", "username": "user2"}, {"username": "User3"}, {"id": ""}]
            ),
            max_size=2,
        ),
    },
)
_tweets = st.fixed_dictionaries(
    {"id": _ids},
    optional={
        "author_id": st.sampled_from(["1", "2", ""]),
        "text": _text,
        "created_at": st.sampled_from(
            ["2021-04-08T15:07:30.000Z", "2021-04-08T15:07:30Z", "2021-04-08", "bad", ""]
        ),
        "lang": st.sampled_from(["en", ""]),
        "in_reply_to_user_id": st.sampled_from(["2", ""]),
        "referenced_tweets": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["retweeted", "quoted", "replied_to"]), "id": _ids}
            ),
            max_size=2,
        ),
        "entities": _entities,
        "note_tweet": st.fixed_dictionaries({}, optional={"text": _text, "entities": _entities}),
        "public_metrics": st.fixed_dictionaries({}, optional={"like_count": st.integers(0, 5)}),
        "attachments": st.fixed_dictionaries(
            {}, optional={"media_keys": st.lists(st.sampled_from(["3_1", "7_2"]), max_size=2)}
        ),
    },
)
_users = st.fixed_dictionaries(
    {"id": st.sampled_from(["1", "2", "3"])},
    optional={
        "username": st.sampled_from(["user1", "User2", ""]),
        "name": st.sampled_from(["A", ""]),
        "description": st.sampled_from(["d", ""]),
        "url": st.sampled_from(["https://t.co/z", ""]),
        "verified": st.booleans(),
        "profile_image_url": st.sampled_from(["x/default_profile_images/y", "x/y", ""]),
        "created_at": st.sampled_from(["2010-01-01T00:00:00.000Z", "never"]),
        "public_metrics": st.fixed_dictionaries(
            {}, optional={"followers_count": st.integers(0, 9)}
        ),
    },
)
_pages = st.builds(
    _page,
    st.lists(_tweets, min_size=1, max_size=3),
    st.one_of(st.none(), st.lists(_users, max_size=3)),
    st.one_of(st.none(), st.lists(_tweets, max_size=2)),
    st.sampled_from(["2021-04-09T00:00:00+00:00", "2021-03-01T00:00:00Z", "never"]),
)


@pytest.mark.slow
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pages=st.lists(_pages, min_size=1, max_size=6),
    garbage=st.dictionaries(st.integers(1, 6), st.sampled_from([b"{oops", b"[1, 2]", b"", b"7"])),
)
def test_random_pages_read_the_same(
    tmp_path: Path, pages: list[dict[str, Any]], garbage: dict[int, bytes]
) -> None:
    path = _write(tmp_path / "r.jsonl", pages, raw=dict(sorted(garbage.items())))
    _both([path], tmp_path, force=True)


# -- twarc2 flatten lines --------------------------------------------------------------------


def test_real_flat_file_reads_the_same(tmp_path: Path, data_dir: Path) -> None:
    src = data_dir / "twarc2-v2-json" / "flat.jsonl"
    summary, tables, used = _both([src], tmp_path)
    assert used == 1 and summary["files"][0]["format"] == "twarc2-flat"
    assert summary["read"] == 186 and len(tables["accounts"]) > 100


def _flat_tweet(tid: str, **extra: Any) -> dict[str, Any]:
    return {**_tweet(tid), "__twarc": {"retrieved_at": "2021-04-09T00:00:00+00:00"}, **extra}


def test_flat_edge_cases_read_the_same(tmp_path: Path) -> None:
    alice = _user("10", created_at="2010-01-01T00:00:00.000Z", description="first")
    lines = [
        _flat_tweet(
            "1",
            author=alice,
            in_reply_to_user=_user("11"),
            referenced_tweets=[
                {**_tweet("100", by="12"), "type": "retweeted", "author": _user("12")},
                {"type": "replied_to", "id": "101"},
            ],
            entities={
                "mentions": [
                    {**_user("12"), "start": 3},
                    {"id": "13", "username": "nameless"},
                    {**_user("10", description="later, ignored"), "start": 9},
                ]
            },
        ),
        _flat_tweet(
            "2",
            author=_user("10", description="second line"),
            referenced_tweets=[
                {**_tweet("100", by="12", text="again"), "type": "quoted"},
                {**_tweet("102", by="14"), "type": "replied_to", "in_reply_to_user": _user("15")},
            ],
        ),
        _flat_tweet("3", entities={"mentions": [{"username": "User10"}]}, author=alice),
        {**_user("20"), "__twarc": {"retrieved_at": "2021-04-09T00:00:00Z"}},
        _page([_tweet("4")], users=[_user("10")]),
        {"id_str": "5", "id": 5, "text": "v1", "user": {"id_str": "10"}},
        _flat_tweet("6", created_at="never"),
        {"id": "7", "text": "no author, no metadata"},
    ]
    path = _write(tmp_path / "flat.jsonl", lines, raw={2: b"{broken"})
    summary, tables, used = _both([path], tmp_path)
    assert used == 1 and summary["files"][0]["format"] == "twarc2-flat"
    posts = {r[1]: r for r in tables["posts"]}
    assert posts["1"][6] == "repost" and posts["1"][8] == "12"
    assert posts["100"][4] == "tweet 100"  # the first line's copy wins
    accounts = {r[1]: r for r in tables["accounts"]}
    assert {"10", "11", "12", "15", "20"} <= set(accounts) and "13" not in accounts
    assert summary["rejected"] >= 2


_flat_users = st.one_of(st.none(), _users)


def _flat_line(tweet: dict[str, Any], author: Any, refs: list[dict[str, Any]], at: str) -> Any:
    line = {**tweet, "__twarc": {"retrieved_at": at}}
    if author is not None:
        line["author"] = author
    if refs:
        line["referenced_tweets"] = refs
    return line


_refs = st.lists(
    st.one_of(
        st.builds(
            lambda t, typ, a: {**t, "type": typ, **({"author": a} if a else {})},
            _tweets,
            st.sampled_from(["retweeted", "quoted", "replied_to"]),
            _flat_users,
        ),
        st.fixed_dictionaries({"type": st.just("quoted"), "id": _ids}),
    ),
    max_size=2,
)


@pytest.mark.slow
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.builds(
            _flat_line,
            _tweets,
            _flat_users,
            _refs,
            st.sampled_from(["2021-04-09T00:00:00+00:00", "2021-03-01T00:00:00Z"]),
        ),
        min_size=1,
        max_size=6,
    ),
    garbage=st.dictionaries(st.integers(1, 6), st.sampled_from([b"{oops", b"", b"[1]"])),
)
def test_random_flat_lines_read_the_same(
    tmp_path: Path, lines: list[dict[str, Any]], garbage: dict[int, bytes]
) -> None:
    path = _write(tmp_path / "f.jsonl", lines, raw=dict(sorted(garbage.items())))
    _both([path], tmp_path, force=True, fmt="twarc2-flat")


@settings(max_examples=300, deadline=None)
@given(
    text=st.binary(max_size=64) | st.text(alphabet='nulNaIfity {}:,"', max_size=40).map(str.encode),
    word=st.sampled_from([b"", b"null", b"NaN", b"Infinity", b"nul", b"Na", b"Infinit"]),
    at=st.integers(min_value=0, max_value=64),
)
def test_row_only_words_are_found_wherever_they_stand(text: bytes, word: bytes, at: int) -> None:
    """The byte-position search for null, NaN and Infinity agrees with plain substring
    search, at the start, the end and in between, and for words cut short."""
    from limelight.sources._columnar_json import _ROW_ONLY, _has_row_only_words

    s = text[:at] + word + text[at:]
    assert _has_row_only_words(s) == any(w in s for w in _ROW_ONLY)

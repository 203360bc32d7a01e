"""The cnt-csv reader, checked against coordination-network-toolkit's own preprocess.

No real CNT CSV is published, so the tests write one with Python's csv module (ids,
users, reposts, replies, URLs, Unicode, quoted commas, quotes and line breaks) and run
the toolkit itself on the same file.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from limelight.normalize import normalize_url
from limelight.sources import resolve_format
from limelight.sources.cnt_csv import CntCsvReader
from tests.conftest import read_all

HEADER = list(CntCsvReader.required_columns)
USERNAMES = [
    "alice",
    "Bob_77",
    "jürgen_ß",
    "用户甲",
    "навальный_фан",
    "emoji😀",
    "o'neil",
    "comma,user",
]
URLS = [
    "https://www.Example.com/a?utm_source=tw&id=3",
    "http://example.com/a?id=3",
    "www.google.com",
    "youtu.be/dQw4w9WgXcQ?si=abc",
    "https://t.co/AbC123",
    "https://ru.wikipedia.org/wiki/Навальный,_Алексей_Анатольевич",
    "https://news.example.org/path/",
]
MESSAGES = [
    "plain text",
    'commas, more commas, and "quotes"',
    "two\nlines",
    "windows\r\nline break",
    "Свобода! 自由 🕊️ #free",
    "",
    "trailing space ",
]


def make_rows(n: int = 400, seed: int = 20240617) -> list[list[str]]:
    """Rows in the toolkit's column order; one message_id repeats (the first should win)."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    t0 = 1_600_000_000
    for i in range(n):
        user = rng.randrange(len(USERNAMES))
        earlier = [r[0] for r in rows]
        repost = str(rng.choice(earlier)) if earlier and rng.random() < 0.3 else ""
        reply = str(rng.choice(earlier)) if earlier and not repost and rng.random() < 0.25 else ""
        if earlier and rng.random() < 0.03:
            repost, reply = rng.choice(earlier), rng.choice(earlier)
        urls = rng.sample(URLS, rng.choice([0, 0, 1, 1, 2, 3]))
        if urls and rng.random() < 0.1:
            urls.append(urls[0])  # the same link twice in one message
        ts = t0 + i * 7 + (rng.choice([0, 0.25, 0.5]))
        rows.append(
            [
                str(1_400_000_000_000_000_000 + i),
                str(1000 + user),
                USERNAMES[user],
                repost,
                reply,
                rng.choice(MESSAGES) + f" #{i}",
                f"{ts:.2f}" if ts % 1 else str(int(ts)),
                " ".join(urls),
            ]
        )
    rows.append(list(rows[5]))
    rows[-1][5] = "a later copy with the same message_id"
    return rows


def write_cnt(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture()
def cnt_file(tmp_path: Path) -> Path:
    return write_cnt(tmp_path / "messages.csv", make_rows())


def test_detected_as_cnt_csv(cnt_file: Path) -> None:
    assert resolve_format(cnt_file, None) == "cnt-csv"


def test_agrees_with_the_toolkits_preprocess(cnt_file: Path, tmp_path: Path) -> None:
    preprocess = pytest.importorskip(
        "coordination_network_toolkit.preprocess",
        reason="coordination-network-toolkit is not installed (pip install "
        "coordination-network-toolkit) so there is no reference to compare with",
    )
    db_path = tmp_path / "cnt.db"
    preprocess.preprocess_csv_files(str(db_path), [str(cnt_file)])
    db = sqlite3.connect(db_path)
    try:
        edges = db.execute(
            "select message_id, user_id, username, repost_id, reply_id, message, timestamp "
            "from edge"
        ).fetchall()
        url_rows = db.execute("select message_id, url from message_url").fetchall()
    finally:
        db.close()

    ours = read_all(cnt_file)
    assert ours.rejects == []
    rows = make_rows()
    assert len(ours.posts) == len(rows) == 401
    # The toolkit keeps the first row of a repeated message_id; so does the store.
    assert len(edges) == len({p.post_id for p in ours.posts}) == 400
    toolkit_urls: dict[str, set[str]] = {}
    for message_id, url in url_rows:
        toolkit_urls.setdefault(str(message_id), set()).add(url)
    by_id = {row[0]: row for row in rows[::-1]}  # first occurrence wins
    reposts = replies = with_urls = 0
    for message_id, user_id, username, repost_id, reply_id, message, timestamp in edges:
        post = ours.post(str(message_id))
        assert post.account_id == str(user_id)
        assert post.ref_post_id == (str(repost_id) if repost_id is not None else None)
        assert post.reply_to_post_id == (str(reply_id) if reply_id is not None else None)
        assert post.created_at is not None
        assert post.created_at.timestamp() == pytest.approx(float(timestamp), abs=1e-6)
        # The toolkit reads in universal-newline mode: a quoted CRLF becomes LF there.
        assert (post.text or "").replace("\r\n", "\n") == message
        assert ours.account(post.account_id).handle == username
        assert post.kind == ("repost" if repost_id else "reply" if reply_id else "original")
        reposts += post.kind == "repost"
        replies += post.kind == "reply"
        # The toolkit keeps URLs raw, turns an empty field into one empty URL and leaves
        # reposts' URLs out of its co-link table; we normalize, drop empties, keep them.
        raw_urls = by_id[str(message_id)][7].split(" ")
        expected = {normalize_url(u) for u in raw_urls if u}
        assert set(post.urls) == expected
        assert len(post.urls) == len(expected)
        if repost_id:
            assert str(message_id) not in toolkit_urls
        else:
            assert {normalize_url(u) for u in toolkit_urls[str(message_id)] if u} == expected
        with_urls += bool(expected)
    assert reposts > 80 and replies > 50 and with_urls > 150


def test_values_a_user_would_check(cnt_file: Path) -> None:
    res = read_all(cnt_file)
    rows = make_rows()
    first = res.post(rows[0][0])
    assert first.platform == "twitter"
    assert first.created_at == datetime.fromtimestamp(float(rows[0][6]), tz=UTC)
    assert first.source_line == 2
    multi = next(p for p in res.posts if "windows\r\nline break" in (p.text or ""))
    assert multi.text is not None and multi.text.startswith("windows\r\nline break #")
    url_post = next(p for p in res.posts if "https://example.com/a?id=3" in p.urls)
    assert "https://example.com/a?utm_source=tw&id=3" not in url_post.urls
    assert res.accounts[0].account_id == rows[0][1]
    assert {a.handle for a in res.accounts} == set(USERNAMES)


def test_platform_option_and_raw_rows(cnt_file: Path) -> None:
    res = read_all(cnt_file, platform="mastodon", keep_raw=True)
    assert {p.platform for p in res.posts} == {"mastodon"}
    assert {a.platform for a in res.accounts} == {"mastodon"}
    raw = res.posts[0].raw
    assert raw is not None and orjson.loads(raw)["message_id"] == res.posts[0].post_id


def test_bad_rows_become_rejects_with_reasons(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        "1,10,alice,,,hello,1600000000,https://example.com\n"
        "2,10,alice,,,missing the urls field,1600000001\n"
        '3,11,bob,,,"a bad, time",yesterday,\n'
        "4,12,carol,,,,nan,\n"
        ",12,carol,,,no id,1600000003,\n"
        "5,,carol,,,no user,1600000004,\n"
        "6,13,dave,1,,a repost,1600000005.5,\n",
        encoding="utf-8",
    )
    res = read_all(path)
    assert [p.post_id for p in res.posts] == ["1", "6"]
    assert res.post("6").ref_post_id == "1" and res.post("6").kind == "repost"
    assert [(r.source_line, r.reason, r.format) for r in res.rejects] == [
        (3, "expected 8 fields, found 7", "cnt-csv"),
        (4, "timestamp 'yesterday' is not a POSIX time in seconds", "cnt-csv"),
        (5, "timestamp 'nan' is not a POSIX time in seconds", "cnt-csv"),
        (6, "empty message_id", "cnt-csv"),
        (7, "message 5: empty user_id", "cnt-csv"),
    ]
    assert res.rejects[1].raw == '3,11,bob,,,"a bad, time",yesterday,'

"""Column-wise CSV reading gives exactly the store that row-by-row reading gives.

The fast path (Arrow parses, readers map whole columns) must be invisible except for its
speed: the same posts, accounts, rejects with the same reasons and line numbers, and the
same counts. Each test ingests a file twice, once with the column-wise path switched off.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import limelight._parallel as parallel
from tests._columnar_parity import ingest_with_path

HEADER = [
    "message_id",
    "user_id",
    "username",
    "repost_id",
    "reply_id",
    "message",
    "timestamp",
    "urls",
]

TABLES = {
    "posts": "SELECT * FROM posts ORDER BY platform, post_id",
    "accounts": "SELECT * FROM accounts ORDER BY platform, account_id",
    "rejects": "SELECT source_file, source_line, format, reason, raw FROM rejects "
    "ORDER BY source_line",
}


def _both(path: Path, tmp: Path, **kw: Any) -> tuple[dict[str, Any], dict[str, list[Any]], int]:
    fast = ingest_with_path([path], tmp / "fast.duckdb", TABLES, columnar=True, **kw)
    slow = ingest_with_path([path], tmp / "slow.duckdb", TABLES, columnar=False, **kw)
    assert slow[2] == 0
    assert fast[0] == slow[0]
    for name in TABLES:
        assert fast[1][name] == slow[1][name], name
    return fast


def _write(path: Path, rows: list[list[str]], *, newline: str = "\n", delimiter: str = ",") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline, delimiter=delimiter)
    w.writerow(HEADER)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path


EDGE_ROWS = [
    ["1", "10", "alice", "", "", "plain post", "1700000000", "https://Example.com/a?utm_source=x"],
    ["2", "11", " bob ", "1", "", 'a "quoted", multi\nline\nmessage', "1700000001.5", ""],
    [
        "3",
        "10",
        "alice2",
        "",
        "2",
        "reply, with comma",
        "1700000002.0000005",
        "http://example.com/a https://example.com/a/ ",
    ],
    ["", "12", "nobody", "", "", "empty id", "1700000003", ""],
    ["5", "", "x", "", "", "empty user", "1700000004", ""],
    [
        "6",
        "13",
        "carol",
        "",
        "",
        "time in ms",
        "1700000005123",
        "https://t.co/abc\thttps://t.co/abc",
    ],
    ["7", "13", "", "", "", "", "not-a-time", ""],
    ["8", "14", "dave", "", "", "exponent time", "1.7e9", ""],
    ["9", "14", "dave", "", "", "inf time", "inf", ""],
    ["10", "15", "erin\x1c", "", "", "python-only space in a name", "1700000006", ""],
    ["1", "10", "alice3", "", "", "duplicate id", "1700000007", "https://example.com/b"],
    [" 11 ", "16", "frank", " ", " 3 ", "ids with spaces", " 1700000008 ", ""],
    [
        "12",
        "17",
        "gina",
        "",
        "",
        "unicode\u2003space\u00a0urls",
        "-5",
        "https://a.example\u2003https://b.example",
    ],
    ["13", "18", "hank", "", "", "crlf\r\ninside", "99999999999999999", ""],
    ["14", "19", "ivy", "", "", "micro", "1700000009123456", ""],
]


def test_edge_cases_read_the_same(tmp_path: Path) -> None:
    path = _write(tmp_path / "edges.csv", EDGE_ROWS)
    summary, tables, used = _both(path, tmp_path)
    assert used == 1
    # Not vacuous: rows were stored, rejected and deduplicated.
    assert summary["stored"] >= 9 and summary["rejected"] >= 4 and summary["duplicates"] == 1
    reasons = " ".join(r[3] for r in tables["rejects"])
    assert "empty message_id" in reasons and "not a POSIX time" in reasons


def test_crlf_files_and_tab_delimiters_read_the_same(tmp_path: Path) -> None:
    _, _, used = _both(_write(tmp_path / "crlf.csv", EDGE_ROWS, newline="\r\n"), tmp_path)
    assert used == 1
    tsv = _write(tmp_path / "tabs.tsv", EDGE_ROWS, delimiter="\t")
    (tmp_path / "fast.duckdb").unlink()
    (tmp_path / "slow.duckdb").unlink()
    _, _, used = _both(tsv, tmp_path)
    assert used == 1


def test_irregular_blocks_fall_back_to_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "blank.csv", EDGE_ROWS)
    text = path.read_text(encoding="utf-8")
    # A blank line, a short row and a NUL byte: the row path's business.
    path.write_text(
        text + "\n15,20,j,,,after a blank line,1700000010,\n16,21\n17,22,k,,,nul\x00,1,\n"
    )
    summary, tables, used = _both(path, tmp_path)
    assert used == 0
    assert any("expected 8 fields" in r[3] for r in tables["rejects"])
    assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["rejected"]


def test_many_chunks_with_small_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 2048)
    rows = [
        [
            str(i % 700),
            str(i % 37),
            f"user{i % 37}_{i % 3}",
            str(i - 1) if i % 5 == 0 else "",
            "",
            f"text {i}\nsecond line" if i % 7 == 0 else f"text {i}",
            str(1_700_000_000 + i),
            f"https://example.com/{i % 11}" if i % 2 else "",
        ]
        for i in range(1, 1500)
    ]
    path = _write(tmp_path / "many.csv", rows)
    summary, _, used = _both(path, tmp_path, batch_size=300)
    assert used > 10
    assert summary["duplicates"] == 1499 - 700


_cell = st.lists(
    st.sampled_from([*'ab1 ,"\n\r\t\u2003\x1c.-', "https://x.org/p", "é"]), max_size=8
).map("".join)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["1", "2", "3", " 4", ""]),
            st.sampled_from(["10", "11", ""]),
            _cell,
            st.sampled_from(["", "1", " "]),
            st.sampled_from(["", "2"]),
            _cell,
            st.sampled_from(["1700000000", "1700000000.25", "1e9", "x", "", "17000000001234"]),
            _cell,
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_rows_read_the_same(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    for name in ("fast.duckdb", "slow.duckdb"):
        (tmp_path / name).unlink(missing_ok=True)
    _both(_write(tmp_path / "r.csv", [list(r) for r in rows]), tmp_path, force=True)


def test_real_coortweet_file_reads_the_same(tmp_path: Path, data_dir: Path) -> None:
    src = data_dir / "coortweet-russian-coord" / "russian_coord_tweets.csv"
    summary, tables, used = _both(src, tmp_path)
    assert used >= 1
    assert summary["read"] == 35_125 and len(tables["accounts"]) == 9_509


def test_coortweet_shapes_read_the_same(tmp_path: Path) -> None:
    rows = [
        ["abc123", "u1", "p1", "1623881091.0"],
        ["p2", "u2", "p2", "1623881092"],
        ["https://Example.com/x?utm_medium=y", "u3", "p3", "1623881093"],
        ["#Tag", "u3", "p4", "1623881094"],
        ["some shared text", "u4", "p5", "1623881095"],
        ["rt.com", "u5", "p6", "1623881096"],
        ["abc123", "", "p7", "1623881097"],
        ["abc123", "u6", "p8", "2021-06-16 22:00:00"],
        ["abc123", "u6", "p9", "yesterday"],
        ["ABC123", "u7", "p1", "1623881098"],
        ["", "u8", "p10", "1623881099"],
    ]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["object_id", "account_id", "content_id", "timestamp_share"])
    w.writerows(rows)
    path = tmp_path / "shapes.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    summary, tables, used = _both(path, tmp_path)
    assert used == 1
    kinds = {r[6] for r in tables["posts"]}
    assert {"repost", "original"} <= kinds
    assert summary["rejected"] >= 3 and summary["duplicates"] == 1


def test_several_rows_of_one_post_all_add_their_entities(tmp_path: Path) -> None:
    # Found by the random test: the store merged only one of several duplicate rows.
    rows = [
        ["1", "10", "", "", "", "", "1700000000", ""],
        ["1", "10", "", "", "", "", "1700000000", ""],
        ["1", "10", "", "", "", "", "1700000000", "a"],
        ["1", "10", "", "", "", "", "1700000000", "aa"],
    ]
    _, tables, _ = _both(_write(tmp_path / "dups.csv", rows), tmp_path)
    assert tables["posts"][0][13] == ["a", "aa"]

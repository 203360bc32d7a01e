"""CooRTweet readers on CooRTweet's own example data, and the bundled demo sample cut from it."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import orjson
import pytest

from limelight.demo import sample_path
from limelight.normalize import url_domain
from limelight.sources import resolve_format
from tests.conftest import REPO, ReadResult, read_all

RUSSIAN = "coortweet-russian-coord/russian_coord_tweets.csv"
GERMAN = "coortweet-russian-coord/german_elections.csv.gz"


@pytest.fixture(scope="module")
def russian(data_dir: Path) -> ReadResult:
    return read_all(data_dir / RUSSIAN)


@pytest.fixture(scope="module")
def german(data_dir: Path) -> ReadResult:
    return read_all(data_dir / GERMAN)


def test_both_coortweet_tables_are_detected(data_dir: Path) -> None:
    assert resolve_format(data_dir / RUSSIAN, None) == "coortweet"
    assert resolve_format(data_dir / GERMAN, None) == "coortweet-multi"
    assert resolve_format(sample_path(), None) == "coortweet"


def test_every_russian_retweet_is_read(russian: ReadResult) -> None:
    assert len(russian.posts) == 35_125
    assert russian.rejects == []
    assert len(russian.accounts) == 35_125
    assert {p.kind for p in russian.posts} == {"repost"}
    # The counts CooRTweet's documentation gives for this table.
    assert len({p.account_id for p in russian.posts}) == 9_509
    assert len({p.ref_post_id for p in russian.posts}) == 7_285
    assert {p.platform for p in russian.posts} == {"twitter"}


def test_a_known_russian_retweet(russian: ReadResult) -> None:
    post = russian.post("114e22f1b2b648528277b76f0b0224e7")
    assert post.source_line == 2
    assert post.kind == "repost"
    assert post.ref_post_id == "85d2d12251a735ce05255061f7f231e2"
    assert post.account_id == "0fb4232d1b7b37069c13ee17579bd10e"
    assert post.created_at == datetime(2021, 6, 16, 22, 4, 51, tzinfo=UTC)
    assert post.urls == [] and post.text is None
    account = russian.account("0fb4232d1b7b37069c13ee17579bd10e")
    assert account.platform == "twitter" and account.handle is None
    later = russian.post("18f691f45bdf5761e7b5983a3663b9de")
    assert later.source_line == 1000
    assert later.ref_post_id == "bc46f3cae46cd00726c4c1992145ae20"
    assert later.created_at == datetime(2021, 3, 25, 13, 4, 38, tzinfo=UTC)


@pytest.mark.slow
def test_multi_platform_table_splits_platforms(german: ReadResult) -> None:
    by_platform = Counter(p.platform for p in german.posts)
    # 81,569 fb_ rows and 137,402 tw_ rows; three fb_ rows have no post_id.
    assert by_platform == {"facebook": 81_566, "twitter": 137_402}
    assert all(
        p.account_id and p.account_id.startswith("fb_")
        for p in german.posts
        if p.platform == "facebook"
    )
    assert [(r.source_line, r.reason) for r in german.rejects] == [
        (41_002, "empty post_id"),
        (50_977, "empty post_id"),
        (72_320, "empty post_id"),
    ]
    assert german.rejects[0].raw == "fb_45,,,,,,1632141427.0"
    assert {a.platform for a in german.accounts if a.account_id.startswith("tw_")} == {"twitter"}


@pytest.mark.slow
def test_multi_platform_entities_become_comparable_stand_ins(german: ReadResult) -> None:
    first = german.post("129235")
    assert (first.platform, first.account_id) == ("facebook", "fb_12670")
    assert first.created_at == datetime(2021, 8, 21, 23, 50, 36, tzinfo=UTC)
    assert first.urls == ["urlid://domain-3498/23678"]
    assert url_domain(first.urls[0]) == "domain-3498"
    assert first.hashtags == [] and first.media == [] and first.kind == "original"
    # Only a domain: a stand-in URL of its own that still names the domain.
    assert german.post("84441").urls == ["urlid://domain-6756/unknown-84441"]
    assert german.post("84445").media == ["phashid:9280"]
    row = next(p for p in german.posts if p.source_line == 83_220)
    assert (row.platform, row.account_id, row.post_id) == ("twitter", "tw_34174", "61078")
    assert row.urls == ["urlid://domain-2739/9011"]
    assert row.hashtags == ["hashtagid:36756"]
    assert row.media == ["phashid:39047"]
    # Every entity in the file is carried: counts of non-empty cells in each column.
    assert sum(1 for p in german.posts if p.hashtags) == 51_194
    assert sum(1 for p in german.posts if p.media) == 20_068
    assert sum(1 for p in german.posts if p.urls and "/unknown-" not in p.urls[0]) == 50_785
    assert sum(1 for p in german.posts if p.urls) == 73_214


@pytest.mark.slow
def test_long_rows_of_one_post_each_carry_their_own_entities(german: ReadResult) -> None:
    rows = [p for p in german.posts if p.post_id == "39764"]
    assert len(rows) == 20
    assert {m for p in rows for m in p.media} == {
        "phashid:27601",
        "phashid:19934",
        "phashid:36153",
        "phashid:36811",
    }
    assert {h for p in rows for h in p.hashtags} == {"hashtagid:60259"}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_object_ids_that_are_not_post_ids(tmp_path: Path) -> None:
    """A hand-made table: no real file has CooRTweet's url, hashtag or cotweet objects."""
    path = _write(
        tmp_path / "objects.csv",
        ["object_id", "id_user", "content_id", "timestamp_share"],
        [
            ["https://www.Example.com/story?utm_source=tw", "a1", "c1", "1623881091"],
            ["www.example.com/story/", "a2", "c2", "1623881092.5"],
            ["#Navalny", "a3", "c3", "2021-06-16 22:04:51"],
            ["rt.com", "a4", "c4", "1623881094"],
            ["свободу навальному", "a5", "c5", "1623881095"],
            ["c6", "a6", "c6", "1623881096"],
            ["1402291848361000960", "a7", "c7", "1623881097"],
            ["o8", "a8", "c8", "yesterday"],
            ["", "a9", "c9", "1623881099"],
        ],
    )
    assert resolve_format(path, None) == "coortweet"
    res = read_all(path)
    assert res.post("c1").urls == ["https://example.com/story"]
    assert res.post("c2").urls == ["https://example.com/story"]
    assert res.post("c1").kind == "original" and res.post("c1").ref_post_id is None
    assert res.post("c2").created_at == datetime(2021, 6, 16, 22, 4, 52, 500000, tzinfo=UTC)
    assert res.post("c3").hashtags == ["navalny"]
    assert res.post("c3").created_at == datetime(2021, 6, 16, 22, 4, 51, tzinfo=UTC)
    assert res.post("c4").urls == ["https://rt.com"]
    assert res.post("c5").text == "свободу навальному"
    assert (res.post("c6").kind, res.post("c6").ref_post_id) == ("original", None)
    assert (res.post("c7").kind, res.post("c7").ref_post_id) == ("repost", "1402291848361000960")
    assert res.post("c7").account_id == "a7"
    assert [(r.source_line, r.reason) for r in res.rejects] == [
        (9, "timestamp_share 'yesterday' is not a POSIX time or a date"),
        (10, "content c9: empty object_id"),
    ]


def test_platform_option_and_raw_rows() -> None:
    res = read_all(sample_path(), platform="x", keep_raw=True)
    post = res.posts[0]
    assert post.platform == "x" and res.accounts[0].platform == "x"
    assert post.raw is not None
    assert orjson.loads(post.raw)["content_id"] == post.post_id


def _sample_lines() -> list[str]:
    with gzip.open(sample_path(), "rt", encoding="utf-8", newline="") as f:
        return f.read().splitlines()


def test_demo_sample_reads_cleanly_and_is_a_subset(data_dir: Path) -> None:
    path = sample_path()
    assert path.name == "russian_coord_sample.csv.gz"
    assert path.stat().st_size < 300_000
    res = read_all(path)
    assert res.rejects == []
    assert len(res.posts) == 5_500
    assert len({p.ref_post_id for p in res.posts}) == 356
    assert len({p.account_id for p in res.posts}) == 2_685
    header, *rows = _sample_lines()
    full_header, *full_rows = (data_dir / RUSSIAN).read_text(encoding="utf-8").splitlines()
    assert header == full_header
    assert len(set(rows)) == len(rows)
    assert set(rows) <= set(full_rows)
    # Whole objects: every kept object has all of its retweets.
    kept = {r.split(",", 1)[0] for r in rows}
    assert sum(1 for r in full_rows if r.split(",", 1)[0] in kept) == len(rows)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_demo_sample", REPO / "scripts" / "make_demo_sample.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_sample_holds_repeated_co_retweets() -> None:
    shares: dict[str, list[tuple[float, str]]] = {}
    for row in _sample_lines()[1:]:
        obj, account, _content, ts = row.split(",")
        shares.setdefault(obj, []).append((float(ts), account))
    pairs = _script().co_share_objects(shares, 300.0)
    strong = {pair: objs for pair, objs in pairs.items() if len(objs) >= 4}
    assert len(strong) == 18
    assert max(len(objs) for objs in strong.values()) == 8
    fast = _script().co_share_objects(shares, 60.0)
    assert sum(1 for objs in fast.values() if len(objs) >= 2) == 26


def test_demo_sample_script_reproduces_the_bundled_bytes(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.csv.gz"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "make_demo_sample.py"),
            str(data_dir / RUSSIAN),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == sample_path().read_bytes()

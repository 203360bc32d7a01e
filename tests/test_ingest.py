"""The ingest pipeline end to end on real files: counts add up, nothing is lost, bad input
gets one clear line, reruns are idempotent, crashes leave the store as before the batch."""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import shutil
from pathlib import Path

import pytest
import zstandard

from limelight.errors import InputError
from limelight.ingest import ingest_paths
from limelight.store import Database

RUSSIAN = "coortweet-russian-coord/russian_coord_tweets.csv"
BREXIT = "twarc2-v2-json/brexit.jsonl"
V1 = "twitter-v1-json/tweet_parser_public_api_sample.json"


def _adds_up(summary: dict[str, int] | object) -> None:
    s = summary.to_json() if hasattr(summary, "to_json") else summary
    assert s["read"] == s["stored"] + s["duplicates"] + s["rejected"]
    for f in s["files"]:
        assert f["read"] == f["stored"] + f["duplicates"] + f["rejected"], f


def test_real_coortweet_file_is_stored_whole(tmp_path: Path, data_dir: Path) -> None:
    import csv

    with open(data_dir / RUSSIAN, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    first: dict[str, dict[str, str]] = {}
    for row in rows:
        first.setdefault(row["content_id"], row)  # the first row of an id wins
    with Database(tmp_path / "s.duckdb") as db:
        summary = ingest_paths([data_dir / RUSSIAN], db)
        _adds_up(summary)
        f = summary.files[0]
        assert (f.format, f.status, f.read, f.rejected) == ("coortweet", "ok", 35_125, 0)
        # The file repeats some content ids: those rows are duplicates, not losses.
        assert (f.stored, f.duplicates) == (len(first), len(rows) - len(first))
        assert db.count("posts") == f.stored
        # SOURCE.md: 35,125 retweets by 9,509 accounts.
        assert db.count("accounts") == 9_509
        expected_refs = {r["object_id"] for r in first.values()}
        got = db.query("SELECT DISTINCT ref_post_id FROM posts WHERE kind = 'repost'")
        assert {r[0] for r in got} == expected_refs


def test_rerun_is_idempotent_and_skips_unchanged_files(tmp_path: Path, data_dir: Path) -> None:
    src = data_dir / BREXIT
    with Database(tmp_path / "s.duckdb") as db:
        first = ingest_paths([src], db)
        posts, accounts = db.count("posts"), db.count("accounts")
        assert first.files[0].stored == posts > 0
        again = ingest_paths([src], db)
        assert again.files[0].status == "unchanged" and again.files[0].read == 0
        forced = ingest_paths([src], db, force=True)
        _adds_up(forced)
        assert forced.files[0].stored == 0
        assert forced.files[0].duplicates == first.files[0].read
        assert (db.count("posts"), db.count("accounts")) == (posts, accounts)


@pytest.mark.parametrize("compress", ["gzip", "bz2", "zstd"])
def test_compressed_files_read_like_plain(tmp_path: Path, data_dir: Path, compress: str) -> None:
    raw = (data_dir / BREXIT).read_bytes()
    packed = {
        "gzip": gzip.compress,
        "bz2": bz2.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[compress](raw)
    target = tmp_path / f"brexit.{compress}"  # no telling extension: detection is by content
    target.write_bytes(packed)
    with Database(tmp_path / "plain.duckdb") as db:
        plain = ingest_paths([data_dir / BREXIT], db).files[0]
    with Database(tmp_path / "packed.duckdb") as db:
        got = ingest_paths([target], db).files[0]
    assert (got.format, got.read, got.stored, got.rejected) == (
        plain.format,
        plain.read,
        plain.stored,
        plain.rejected,
    )


def test_truncated_gzip_keeps_what_was_read_and_says_so(tmp_path: Path, data_dir: Path) -> None:
    packed = gzip.compress((data_dir / RUSSIAN).read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) * 2 // 3])
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([cut], db, batch_size=5_000).files[0]
        assert f.status == "error"
        assert "truncated" in (f.message or "") and str(cut) in (f.message or "")
        assert 0 < f.read < 35_125
        assert db.count("posts") == f.stored
        assert f.read == f.stored + f.duplicates + f.rejected


def test_invalid_json_lines_are_rejected_with_line_and_raw(tmp_path: Path, data_dir: Path) -> None:
    lines = (data_dir / "twarc2-v2-json/2sets.jsonl").read_bytes().splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(
        b"\n".join([lines[0], b'{"data": [broken', lines[1], b"\xff\xfe garbage"]) + b"\n"
    )
    with Database(tmp_path / "s.duckdb") as db:
        summary = ingest_paths([mixed], db)
        _adds_up(summary)
        rows = db.query("SELECT source_line, reason, raw FROM rejects ORDER BY source_line")
        assert [r[0] for r in rows] == [2, 4]
        assert rows[0][2] == '{"data": [broken'
        assert "invalid JSON" in rows[0][1]
        assert summary.files[0].rejected == 2 and summary.files[0].stored > 100


def test_mixed_formats_are_routed_per_line_unless_format_is_forced(
    tmp_path: Path, data_dir: Path
) -> None:
    v2 = (data_dir / BREXIT).read_bytes().strip()
    v1 = (
        (data_dir / "twitter-v1-json/tweet_parser_public_api_sample.json").read_bytes().splitlines()
    )
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(b"\n".join([v2, *v1[:3]]) + b"\n")
    with Database(tmp_path / "auto.duckdb") as db:
        auto = ingest_paths([mixed], db).files[0]
        assert auto.rejected == 0
        assert db.query("SELECT count(*) FROM posts WHERE length(post_id) > 0")[0][0] == auto.stored
    with Database(tmp_path / "forced.duckdb") as db:
        forced = ingest_paths([mixed], db, fmt="twarc2").files[0]
        assert forced.rejected == 3
        reasons = [r[0] for r in db.query("SELECT reason FROM rejects")]
        assert all("not a twarc2 record" in r for r in reasons)


def test_empty_file_is_not_an_error(tmp_path: Path, data_dir: Path) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([data_dir / "twarc2-v2-json/empty.json"], db).files[0]
    assert (f.status, f.read) == ("empty", 0)


def test_an_empty_json_array_is_empty_and_a_lone_bracket_is_not(tmp_path: Path) -> None:
    empty, cut = tmp_path / "empty.json", tmp_path / "cut.json"
    empty.write_text("[ \n ]\n")
    cut.write_text("[")
    with Database(tmp_path / "s.duckdb") as db:
        files = ingest_paths([empty, cut], db).files
    assert (files[0].status, files[0].read) == ("empty", 0)
    assert files[1].status == "error" and "truncated" in (files[1].message or "")


def test_a_json_array_on_one_line_is_described_by_its_records(
    tmp_path: Path, data_dir: Path
) -> None:
    # A whole file on one line parses as one list; the error must name the records' keys.
    users = [{"uid": "1", "bio": {}, "posts": ["hi"]}, {"uid": "2", "bio": {}}]
    odd = tmp_path / "users.json"
    odd.write_text(json.dumps(users))
    # ... and a known format written that way is still recognised.
    tweets = [json.loads(line) for line in (data_dir / V1).read_text().splitlines()[:3]]
    known = tmp_path / "tweets.json"
    known.write_text(json.dumps(tweets))
    with Database(tmp_path / "s.duckdb") as db:
        odd_file, known_file = ingest_paths([odd, known], db).files
    assert odd_file.status == "error"
    assert "uid, bio, posts" in (odd_file.message or "")
    assert "keys list" not in (odd_file.message or "")
    assert known_file.format == "twitter-v1"
    assert known_file.read >= 3 and known_file.rejected == 0


def test_unknown_format_names_the_choices(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,c\n1,2,3\n")
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([odd], db).files[0]
    assert f.status == "error"
    assert "--format" in (f.message or "") and "coortweet" in (f.message or "")


def test_csv_missing_columns_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("object_id,account_id,timestamp_share\nx,y,1600000000\n")
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([bad], db, fmt="coortweet").files[0]
    assert f.status == "error" and "content_id" in (f.message or "")


def test_utf16_file_gets_a_conversion_hint(tmp_path: Path, data_dir: Path) -> None:
    text = (data_dir / RUSSIAN).read_text(encoding="utf-8")[:5000]
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(text.encode("utf-16"))
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([utf16], db).files[0]
    assert f.status == "error" and "iconv" in (f.message or "")


def test_latin1_file_is_refused_then_read_with_encoding(tmp_path: Path) -> None:
    rows = ["object_id,account_id,content_id,timestamp_share"]
    rows += [f"obj{i % 7},Jos\u00e9{i % 50},post{i},{1_600_000_000 + i}" for i in range(400)]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("\n".join(rows).encode("latin-1"))
    with Database(tmp_path / "a.duckdb") as db:
        f = ingest_paths([latin], db).files[0]
        assert f.status == "error" and "--encoding" in (f.message or "")
    with Database(tmp_path / "b.duckdb") as db:
        f = ingest_paths([latin], db, encoding="latin-1").files[0]
        assert (f.status, f.stored, f.rejected) == ("ok", 400, 0)
        assert db.query("SELECT account_id FROM posts WHERE post_id = 'post1'") == [("Jos\u00e91",)]


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    from limelight.errors import InputError

    with Database(tmp_path / "s.duckdb") as db, pytest.raises(InputError, match="no such file"):
        ingest_paths([tmp_path / "nope.jsonl"], db)


def test_directories_are_read_file_by_file(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("brexit.jsonl", "kpop.jsonl"):
        shutil.copy(data_dir / "twarc2-v2-json" / name, folder / name)
    with Database(tmp_path / "s.duckdb") as db:
        summary = ingest_paths([folder], db)
        _adds_up(summary)
        assert [Path(f.path).name for f in summary.files] == ["brexit.jsonl", "kpop.jsonl"]
        assert summary.total("stored") == db.count("posts")


def test_a_directory_walk_leaves_out_the_notes_beside_the_data(
    tmp_path: Path, data_dir: Path
) -> None:
    folder = tmp_path / "in"
    (folder / "docs").mkdir(parents=True)
    shutil.copy(data_dir / BREXIT, folder / "brexit.jsonl")
    shutil.copy(data_dir / "ira-538-by-author/authors.csv", folder / "authors.csv")
    for note in ("README.md", "LICENSE-MIT", "docs/CITATION.cff", "DESCRIPTION"):
        (folder / note).write_text("Some words, about the data.\n")
    with Database(tmp_path / "s.duckdb") as db:
        summary = ingest_paths([folder], db)
        _adds_up(summary)
        named = ingest_paths([folder / "README.md"], db).files[0]
    statuses = [(Path(f.path).name, f.status) for f in summary.files]
    assert statuses[:2] == [("authors.csv", "ok"), ("brexit.jsonl", "ok")]
    assert sorted(statuses[2:]) == [
        ("CITATION.cff", "not-data"),
        ("DESCRIPTION", "not-data"),
        ("LICENSE-MIT", "not-data"),
        ("README.md", "not-data"),
    ]
    assert summary.ok and summary.total("stored") > 0
    assert named.status == "error"  # named on its own, a note is read, and is not data
    (folder / "brexit.jsonl").unlink()
    (folder / "authors.csv").unlink()
    with Database(tmp_path / "s.duckdb") as db, pytest.raises(InputError, match="only notes"):
        ingest_paths([folder], db)


@pytest.mark.parametrize("name", [RUSSIAN, "twarc2-v2-json/flat.jsonl"])
def test_parallel_parsing_leaves_the_same_store(
    tmp_path: Path, data_dir: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import limelight._parallel
    import limelight.ingest

    # Small chunks so that even these files are cut into many pieces across workers.
    monkeypatch.setattr(limelight._parallel, "CHUNK_BYTES", 64 * 1024)
    src = data_dir / name
    stores = {}
    # CSV takes worker processes only from CSV_MIN_PROCESSES workers on (below, a parse
    # thread in this process); JSON lines from two.
    for workers in (1, 2, limelight.ingest.CSV_MIN_PROCESSES):
        with Database(tmp_path / f"w{workers}.duckdb") as db:
            f = ingest_paths([src], db, workers=workers, parallel_min_bytes=0).files[0]
            assert f.status == "ok" and f.read == f.stored + f.duplicates + f.rejected
            stores[workers] = (
                f.counts(),
                db.query("SELECT * FROM posts ORDER BY platform, post_id"),
                db.query("SELECT * FROM accounts ORDER BY platform, account_id"),
                db.query("SELECT * EXCLUDE (rejected_at) FROM rejects ORDER BY source_line"),
            )
    assert stores[1][1], "nothing was stored"
    assert stores[1] == stores[2] == stores[limelight.ingest.CSV_MIN_PROCESSES]


def test_workers_reading_their_own_byte_ranges_number_lines_as_the_file_does(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An uncompressed file is read by the workers themselves, a byte range each, and its
    line numbers are shifted into place afterwards: rejects and posts must carry the same
    lines as when one process reads the file, and as when the gzip of it (which the main
    process must decompress and cut) is read in parallel."""
    import limelight._parallel

    monkeypatch.setattr(limelight._parallel, "CHUNK_BYTES", 16 * 1024)
    lines = (data_dir / "twarc2-v2-json" / "flat.jsonl").read_bytes().splitlines()
    # Garbage spread through the file (not first: a file must start with a record to be
    # read in parallel), and a last line without its line break.
    for at in (len(lines) - 1, len(lines) // 2, 3, 1):
        lines.insert(at, b'{"data": [ this is not JSON')
    plain = tmp_path / "mixed.jsonl"
    plain.write_bytes(b"\n".join(lines))
    packed = tmp_path / "mixed.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    spans = list(limelight._parallel.cut_spans(plain, plain.stat().st_size, chunk=16 * 1024))
    assert len(spans) > 3 and spans[0][0] == 0 and spans[-1][1] == plain.stat().st_size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    data = plain.read_bytes()
    assert all(data[end - 1 : end] == b"\n" for _, end in spans[:-1])

    stores = {}
    for name, src, workers in (("one", plain, 1), ("spans", plain, 2), ("gzip", packed, 2)):
        with Database(tmp_path / f"{name}.duckdb") as db:
            f = ingest_paths([src], db, workers=workers, parallel_min_bytes=0).files[0]
            assert f.status == "ok" and f.rejected == 4 and f.stored > 0
            stores[name] = (
                f.counts(),
                db.query("SELECT * EXCLUDE (source_file) FROM posts ORDER BY post_id"),
                db.query("SELECT source_line, reason FROM rejects ORDER BY source_line"),
            )
    rejected_lines = [row[0] for row in stores["one"][2]]
    # The garbage's own line numbers (1-based) in the file written above.
    expected = [i + 1 for i, line in enumerate(lines) if line.startswith(b'{"data": [ this')]
    assert rejected_lines == expected
    assert stores["spans"] == stores["one"]
    assert stores["gzip"] == stores["one"]


def test_workers_that_die_mid_file_leave_the_same_store(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the worker pool breaks after some chunks were stored, the file is read again in
    this process: the chunks already stored count once, as stored, never as duplicates."""
    from collections.abc import Iterator
    from concurrent.futures.process import BrokenProcessPool

    import limelight._parallel
    import limelight.ingest

    monkeypatch.setattr(limelight._parallel, "CHUNK_BYTES", 64 * 1024)
    src = data_dir / "twarc2-v2-json" / "flat.jsonl"
    with Database(tmp_path / "whole.duckdb") as db:
        whole = ingest_paths([src], db, workers=1).files[0]
        expected = db.query("SELECT * FROM posts ORDER BY platform, post_id")
    real = limelight._parallel.parse_in_parallel
    died = []

    def dies_after_two(*args: object, **kwargs: object) -> Iterator[object]:
        for i, result in enumerate(real(*args, **kwargs)):  # type: ignore[arg-type]
            if i == 2:
                died.append(i)
                raise BrokenProcessPool("a worker was killed")
            yield result

    monkeypatch.setattr(limelight.ingest, "parse_in_parallel", dies_after_two)
    with Database(tmp_path / "broken.duckdb") as db:
        f = ingest_paths([src], db, workers=2, parallel_min_bytes=0).files[0]
        assert died, "the pool never broke: the file is too small for the test"
        assert f.status == "ok"
        assert f.counts() == whole.counts()
        assert db.query("SELECT * FROM posts ORDER BY platform, post_id") == expected

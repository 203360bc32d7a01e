"""Profiles as CSV on the real cresci-2017 and Kaggle user files.

The account models are trained from these files through loaders of their own
(``detect/accounts/_datasets.py``); the reader must give the store the same profiles, so
that an analyst who ingests such a file is scored as the model was trained.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.detect.accounts._datasets import load_cresci, load_kaggle
from limelight.ingest import ingest_paths
from limelight.records import Account
from limelight.sources import resolve_format
from limelight.store import Database
from tests.conftest import read_all

CRESCI = "cresci-2017-users"
KAGGLE = "kaggle-twitter-bot-2017"
SAME = ("handle", "created_at", "followers", "following", "posts_count", "likes_count")
SAME += ("listed_count", "verified", "default_profile", "default_image", "lang")


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def _read(folder: Path) -> dict[str, Account]:
    out: dict[str, Account] = {}
    for path in sorted(folder.glob("*.csv")):
        result = read_all(path)
        assert not result.rejects, result.rejects[:3]
        assert len(result.accounts) == _rows(path)
        for account in result.accounts:
            out.setdefault(account.account_id, account)
    return out


def test_cresci_and_kaggle_files_are_detected(data_dir: Path) -> None:
    for path in [*(data_dir / CRESCI).glob("*.csv"), *(data_dir / KAGGLE).glob("*.csv")]:
        assert resolve_format(path, None) == "twitter-users-csv", path


def test_cresci_profiles_are_the_ones_the_model_learned_from(data_dir: Path) -> None:
    mine = _read(data_dir / CRESCI)
    reference = load_cresci(data_dir / CRESCI).accounts
    assert len(reference) > 10_000
    for ref in reference:
        got = mine[ref.account_id]
        for name in SAME:
            assert getattr(got, name) == getattr(ref, name), (ref.account_id, name)
        assert got.seen_at == ref.seen_at
        # Empty text cells are no value here, an empty value there; both score alike.
        assert got.description == (ref.description or None)
        assert (got.url is None) == (not ref.url)


def test_kaggle_profiles_survive_its_spreadsheet(data_dir: Path) -> None:
    mine = _read(data_dir / KAGGLE)
    handles = {a.handle for a in mine.values()}
    matched = 0
    for ref in load_kaggle(data_dir / KAGGLE).accounts:
        got = mine.get(ref.account_id)
        if got is None:
            # The loader named it by a handle it kept quoted; here the row's own id (read
            # through the quotes) names it, and the handle is there without them.
            assert ref.account_id.startswith("@") and ref.handle
            assert ref.handle.strip('"') in handles
            continue
        matched += 1
        for name in ("followers", "following", "posts_count", "listed_count", "verified"):
            assert getattr(got, name) == getattr(ref, name), (ref.account_id, name)
        if ref.created_at is not None:  # the loader gives up on doubly quoted times
            assert got.created_at == ref.created_at
    assert matched > 2_000
    # Ids a spreadsheet rounded (8.41E+17) name nobody: such accounts go by their handle.
    assert any(a.startswith("@") for a in mine) and not any("E+" in a for a in mine)
    assert all(a.created_at is not None for a in mine.values())


def test_labels_are_kept_and_bad_rows_are_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "id,screen_name,followers_count,friends_count,statuses_count,created_at,verified,bot\n"
        "11,alpha,10,20,30,Wed Oct 07 03:19:21 +0000 2009,FALSE,1\n"
        "12,beta,NULL,5,6,1183552203000L,,0\n"
        "13,gamma,1,2,3,yesterday,TRUE,0\n"
        "14.0,delta,1,2,3,13-03-2017 22:21,1,0\n"
        "8.41E+17,Epsilon,1,2,3,3/13/2017 23:48,0,1\n"
    )
    with Database(tmp_path / "s.duckdb") as db:
        f = ingest_paths([path], db).files[0]
        rows = db.query(
            "SELECT account_id, followers, verified, json_extract_string(raw, '$.bot') "
            "FROM accounts ORDER BY account_id"
        )
        times = dict(
            db.query("SELECT account_id, strftime(created_at, '%Y-%m-%d %H:%M') FROM accounts")
        )
        reasons = [r[0] for r in db.query("SELECT reason FROM rejects")]
    assert f.format == "twitter-users-csv"
    assert f.read == f.stored + f.duplicates + f.rejected and f.rejected == 1
    assert sorted(rows) == [
        ("11", 10, False, "1"),
        ("12", None, False, "0"),
        ("14", 1, True, "0"),  # pandas wrote the id as 14.0
        ("@epsilon", 1, False, "1"),  # a spreadsheet rounded the id: the handle names it
    ]
    assert times["12"] == "2007-07-04 12:30"  # Java milliseconds with an L
    assert times["14"] == "2017-03-13 22:21"  # day first, with dashes
    assert times["@epsilon"] == "2017-03-13 23:48"  # month first, with slashes
    assert len(reasons) == 1 and "yesterday" in reasons[0]


@pytest.mark.slow
def test_ingested_profiles_are_scored(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    files = [data_dir / CRESCI / "users_fake_followers.csv"]
    files.append(data_dir / CRESCI / "users_genuine_acconts.csv")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", *map(str, files), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["accounts", "--db", str(db)])
    assert result.exit_code == 0, result.output
    with Database(db) as store:
        fake, genuine = store.query(
            "SELECT avg(s.bot_score) FILTER (WHERE a.source_file LIKE '%fake%'), "
            "avg(s.bot_score) FILTER (WHERE a.source_file LIKE '%genuine%') "
            "FROM account_scores s JOIN accounts a USING (platform, account_id)"
        )[0]
    assert fake > 0.8 and genuine < 0.2


def test_analyze_scores_a_file_of_profiles_alone(tmp_path: Path, data_dir: Path) -> None:
    lines = (data_dir / CRESCI / "users_fake_followers.csv").read_text(encoding="utf-8")
    cut = tmp_path / "profiles.csv"
    cut.write_text("\n".join(lines.splitlines()[:201]) + "\n", encoding="utf-8")
    db, out = tmp_path / "s.duckdb", tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyze", str(cut), "--db", str(db), "--out", str(out), "--no-content"]
    )
    assert result.exit_code == 0, result.output
    assert "200 account profiles" in result.output
    assert (out / "report.html").stat().st_size > 0
    with Database(db) as store:
        assert store.query("SELECT count(*) FROM account_scores")[0][0] == 200

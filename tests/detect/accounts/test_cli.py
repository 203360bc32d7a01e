"""`limelight accounts` and `limelight train accounts` through the CLI runner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.detect.accounts import LabelledAccounts, account_report, label_agreement
from limelight.store import Database

runner = CliRunner()


@pytest.fixture()
def cresci_store(labelled: LabelledAccounts, tmp_path: Path) -> Path:
    """A store file with the cresci-2017 profiles, closed so the command can open it."""
    path = tmp_path / "cresci.duckdb"
    with Database(path) as db:
        db.write_batch(
            [],
            [
                a
                for a, g in zip(labelled.accounts, labelled.group, strict=True)
                if g.startswith("cresci")
            ],
            [],
            [],
        )
    return path


def test_accounts_writes_csv_and_table(cresci_store: Path, tmp_path: Path) -> None:
    path = cresci_store
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["accounts", "--db", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "cohort-1: 88 accounts" in result.output
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:2] == ["account_id", "bot_score"]
    assert all(0.0 <= float(r["bot_score"]) <= 1.0 for r in rows)
    davide = next(r for r in rows if r["account_id"] == "24858289")
    assert davide["handle"] == "davideb66" and "(" in davide["reasons"]
    with Database(path) as db:
        assert db.query("SELECT count(*) FROM account_scores")[0][0] == len(rows)
        # A cohort's evidence is stored once, in account_cohorts, not on every member's
        # row; the CSV and `show account` still give it for each member.
        assert "cohort_evidence" not in [c[0] for c in db.query("DESCRIBE account_scores")]
        stored = {r[0]: r[1:] for r in db.query("SELECT * FROM account_cohorts")}
        members = [r for r in rows if r["cohort_id"]]
        assert members and len(stored) == len({r["cohort_id"] for r in members})
        for r in members:
            assert stored[r["cohort_id"]][0] == int(r["cohort_size"])
            assert stored[r["cohort_id"]][2] == r["cohort_evidence"] != ""
        shown = account_report(db, members[0]["account_id"])["cohort"]
        assert shown["evidence"] == members[0]["cohort_evidence"]
        assert shown["cohort_id"] == members[0]["cohort_id"]
    result = runner.invoke(app, ["accounts", "--db", str(path), "--json"])
    assert result.exit_code == 0 and '"cohorts": ' in result.output


def test_show_account_reads_a_store_written_before_account_cohorts(cresci_store: Path) -> None:
    """Stores scored by earlier versions keep each cohort's evidence on its members' rows
    and have no account_cohorts table: an account's cohort is still shown."""
    assert runner.invoke(app, ["accounts", "--db", str(cresci_store)]).exit_code == 0
    with Database(cresci_store) as db:
        db.query("ALTER TABLE account_scores ADD COLUMN cohort_evidence VARCHAR")
        db.query(
            "UPDATE account_scores s SET cohort_evidence = c.cohort_evidence "
            "FROM account_cohorts c WHERE c.cohort_id = s.cohort_id"
        )
        db.query("DROP TABLE account_cohorts")
        member, evidence = db.query(
            "SELECT account_id, cohort_evidence FROM account_scores "
            "WHERE cohort_id IS NOT NULL ORDER BY account_id LIMIT 1"
        )[0]
        assert evidence and account_report(db, member)["cohort"]["evidence"] == evidence


def test_accounts_on_a_missing_store_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["accounts", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no such database" in result.output


def test_train_accounts_rejects_a_missing_data_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "accounts", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 2


@pytest.mark.slow
def test_train_accounts_without_evaluation_writes_a_loadable_model(
    data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model.json"
    result = runner.invoke(
        app, ["train", "accounts", "--data", str(data_dir), "--out", str(out), "--no-evaluate"]
    )
    assert result.exit_code == 0, result.output
    from limelight.detect.accounts import AccountModel

    m = AccountModel.load(out)
    assert "folds" not in m.report and m.general.names


def test_scores_are_compared_with_the_labels_the_data_brought(
    tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "kaggle.duckdb"
    folder = data_dir / "kaggle-twitter-bot-2017"
    assert runner.invoke(app, ["ingest", str(folder), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["accounts", "--db", str(db), "--label-field", "bot", "--json"])
    assert result.exit_code == 0, result.output
    labels = json.loads(result.stdout)["labels"]
    with Database(db) as store:
        bots, total = store.query(
            "SELECT count(*) FILTER (WHERE json_extract_string(raw, '$.bot') = '1'), count(*) "
            "FROM accounts"
        )[0]
    assert (labels["labelled"], labels["bots"], labels["unlabelled"]) == (total, bots, 0)
    # Kaggle's bots mostly say they are bots; the model learned them (in-sample figure).
    assert labels["auc"] > 0.8 and 0.0 < labels["recall"] <= 1.0
    missing = runner.invoke(app, ["accounts", "--db", str(db), "--label-field", "verdict"])
    assert missing.exit_code == 2 and "raw.verdict" in missing.output


def test_label_agreement_counts_what_it_can_read() -> None:
    scores = np.array([0.9, 0.2, 0.7, 0.4, 0.99])
    found = label_agreement(scores, ["bot", "human", "0", " YES ", "maybe"])
    assert (found["labelled"], found["unlabelled"], found["bots"]) == (4, 1, 2)
    # Bot pairs above human ones: (0.9, 0.2), (0.9, 0.7), (0.4, 0.2) of four.
    assert found["auc"] == pytest.approx(0.75)
    assert (found["precision"], found["recall"], found["f1"], found["accuracy"]) == (
        0.5,
        0.5,
        0.5,
        0.5,
    )

"""Stages are skipped when their inputs did not change, and exports hold the fused tables."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from limelight.campaigns import (
    ACCOUNT_LABELS,
    EDGES,
    FUSED_TABLES,
    POST_LABELS,
    RUNS,
    AnalysisSettings,
    export_results,
    run_stages,
    store_fingerprint,
)
from limelight.demo import sample_path
from limelight.errors import InputError
from limelight.ingest import ingest_paths
from limelight.records import Post
from limelight.store import Database

pytestmark = pytest.mark.slow


def test_rerun_reuses_every_stage_and_a_change_reruns_what_depends_on_it(
    tmp_path: Path,
) -> None:
    with Database(tmp_path / "s.duckdb") as db:
        ingest_paths([sample_path()], db, workers=1)
        first = {r.stage: r.status for r in run_stages(db)}
        assert first == {
            "coordination": "done",
            "accounts": "done",
            "content": "unavailable",
            "fusion": "done",
        }
        again = {r.stage: r.status for r in run_stages(db)}
        assert again["coordination"] == again["accounts"] == again["fusion"] == "skipped"

        # A new setting for coordination reruns it and fusion, not the account scores.
        changed = {r.stage: r.status for r in run_stages(db, AnalysisSettings(min_accounts=4))}
        assert changed["coordination"] == changed["fusion"] == "done"
        assert changed["accounts"] == "skipped"

        # New posts change the store's fingerprint: everything reruns.
        before = store_fingerprint(db)
        existing = db.query("SELECT account_id, created_at FROM posts LIMIT 1")[0]
        db.write_batch(
            [
                Post(
                    platform="twitter",
                    post_id="extra-1",
                    account_id=existing[0],
                    created_at=existing[1],
                    kind="original",
                    text="hello",
                )
            ],
            [],
            [],
            [],
        )
        assert store_fingerprint(db) != before
        fresh = {r.stage: r.status for r in run_stages(db, AnalysisSettings(min_accounts=4))}
        assert fresh["coordination"] == fresh["accounts"] == fresh["fusion"] == "done"
        runs = db.arrow(f"SELECT * FROM {RUNS}").to_pylist()
        assert {r["stage"] for r in runs} == {"coordination", "accounts", "content", "fusion"}
        assert all(json.loads(r["params"]) is not None for r in runs)

        # A table dropped since the last run is rebuilt although the inputs are the same.
        db.cursor().execute(f"DROP TABLE {ACCOUNT_LABELS}")
        rebuilt = {r.stage: r.status for r in run_stages(db, AnalysisSettings(min_accounts=4))}
        assert rebuilt["fusion"] == "done" and rebuilt["coordination"] == "skipped"
        assert db.has_table(ACCOUNT_LABELS)


def test_exports_hold_the_same_rows_as_the_store(tmp_path: Path, russian: Database) -> None:
    out = tmp_path / "exports"
    written = export_results(russian, out)
    assert all(p.exists() for p in written)
    for table, stem in ((ACCOUNT_LABELS, "account_labels"), (POST_LABELS, "post_labels")):
        n = russian.query(f"SELECT count(*) FROM {table}")[0][0]
        assert n > 0
        with (out / f"{stem}.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == n and rows[0]["account_id"]
        lines = (out / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == n and "labels" in json.loads(lines[0])
    for table in FUSED_TABLES:
        assert (
            pq.read_table(out / "parquet" / f"{table}.parquet").num_rows
            == russian.query(f"SELECT count(*) FROM {table}")[0][0]
        )
    n_edges = russian.query(f"SELECT count(*) FROM {EDGES}")[0][0]
    gexf = ET.parse(out / "campaigns.gexf").getroot()
    assert len([e for e in gexf.iter() if e.tag.endswith("}edge")]) == n_edges > 0
    graphml = ET.parse(out / "campaigns.graphml").getroot()
    assert len([e for e in graphml.iter() if e.tag.endswith("}edge")]) == n_edges


def test_export_refuses_an_unknown_format_and_an_unanalysed_store(
    tmp_path: Path, russian: Database
) -> None:
    with pytest.raises(InputError, match="choose from"):
        export_results(russian, tmp_path, ["xlsx"])
    with Database(tmp_path / "empty.duckdb") as db, pytest.raises(InputError, match="analyze"):
        export_results(db, tmp_path / "out")

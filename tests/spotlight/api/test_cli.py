"""`limelight token` and `limelight feedback` through the CLI runner, on a real store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from limelight.cli import app
from limelight.spotlight.api import FEEDBACK_TABLE, TOKENS_TABLE
from limelight.spotlight.api._feedback import FEEDBACK_SCHEMA
from limelight.store import Database

runner = CliRunner()


def test_token_create_stores_only_a_hash(store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, db)
    made = runner.invoke(app, ["token", "create", "--db", str(db), "--name", "carol"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("llt_") and len(token) > 40
    again = runner.invoke(app, ["token", "create", "--db", str(db), "--name", "carol"])
    assert again.exit_code == 2 and "exists" in again.output
    with Database(db, read_only=True) as store:
        rows = store.query(f"SELECT * FROM {TOKENS_TABLE}")
    assert len(rows) == 1
    assert token not in {str(v) for v in rows[0]}
    listed = runner.invoke(app, ["token", "list", "--db", str(db)])
    assert "carol" in listed.stdout and token not in listed.stdout
    revoked = runner.invoke(app, ["token", "revoke", "carol", "--db", str(db)])
    assert revoked.exit_code == 0, revoked.output
    with Database(db, read_only=True) as store:
        assert store.query(f"SELECT revoked_at IS NOT NULL FROM {TOKENS_TABLE}") == [(True,)]


def test_feedback_export_writes_jsonl(store_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, db)
    empty = runner.invoke(app, ["feedback", "--db", str(db), "--out", str(tmp_path / "f.jsonl")])
    assert empty.exit_code == 2 and "no analyst feedback" in empty.output
    from limelight.spotlight.api._feedback import record_feedback
    from limelight.spotlight.api._models import FeedbackIn

    with Database(db) as store:
        record_feedback(
            store,
            FeedbackIn(subject_kind="campaign", subject_id="cmp-x", action="dismiss"),
            "dana",
            "dana",
            1.5,
        )
        stored = store.arrow(f"SELECT * FROM {FEEDBACK_TABLE}")
    assert stored.schema.names == FEEDBACK_SCHEMA.names
    out = tmp_path / "f.jsonl"
    done = runner.invoke(app, ["feedback", "--db", str(db), "--out", str(out)])
    assert done.exit_code == 0, done.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["subject_id"], r["action"], r["author"]) for r in rows] == [
        ("cmp-x", "dismiss", "dana")
    ]
    bad = runner.invoke(app, ["feedback", "--db", str(db), "--out", str(tmp_path / "f.txt")])
    assert bad.exit_code == 2


def test_serve_command_answers_and_stops(store_path: Path, tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    db = tmp_path / "store.duckdb"
    shutil.copyfile(store_path, db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limelight = str(Path(sys.executable).with_name("limelight"))
    proc = subprocess.Popen(
        [limelight, "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/api/stats", timeout=5).json()
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "limelight serve did not answer in 60 s"
                time.sleep(0.2)
        assert stats["score_scale"] == "coordination" and stats["posts"] > 0
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in err


def test_serve_without_a_store_says_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "limelight ingest" in result.output

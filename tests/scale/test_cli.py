"""`--engine ray` on the commands: the same stored tables as the local engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.store import Database

pytestmark = pytest.mark.usefixtures("ray_session")

runner = CliRunner()


def _stored(db: Path, table: str, order: str) -> list[dict[str, object]]:
    with Database(db) as store:
        return store.arrow(f"SELECT * FROM {table} ORDER BY {order}").to_pylist()


@pytest.mark.slow
def test_coordination_and_accounts_with_engine_ray_store_what_local_stores(
    generated_store: Path, tmp_path: Path
) -> None:
    local, dist = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    shutil.copy(generated_store, local)
    shutil.copy(generated_store, dist)
    for args in (["coordination", "-b", "co-repost"], ["accounts"]):
        ok = runner.invoke(app, [*args, "--db", str(local)])
        assert ok.exit_code == 0, ok.output
        ok = runner.invoke(app, [*args, "--db", str(dist), "--engine", "ray"])
        assert ok.exit_code == 0, ok.output
    edges = _stored(local, "edges_co_repost", "source, target")
    assert edges
    assert _stored(dist, "edges_co_repost", "source, target") == edges
    scores = _stored(local, "account_scores", "platform, account_id")
    assert scores
    assert _stored(dist, "account_scores", "platform, account_id") == scores


def test_unknown_engine_is_one_line(generated_store: Path) -> None:
    out = runner.invoke(app, ["campaigns", "--db", str(generated_store), "--engine", "spark"])
    assert out.exit_code == 2
    assert "unknown engine 'spark'; choose one of local, ray" in out.output


@pytest.mark.slow
def test_content_with_engine_ray_stores_what_local_stores(
    twarc_store: Path, tmp_path: Path
) -> None:
    pytest.importorskip("sentence_transformers")
    local, dist = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    shutil.copy(twarc_store, local)
    shutil.copy(twarc_store, dist)
    args = ["content", "--limit", "25", "--json"]
    ok = runner.invoke(app, [*args, "--db", str(local)])
    assert ok.exit_code == 0, ok.output
    ok = runner.invoke(app, [*args, "--db", str(dist), "--engine", "ray"])
    assert ok.exit_code == 0, ok.output
    for table, order in (("post_ai_text", "platform, post_id"), ("post_techniques", "1, 2, 4")):
        expected = _stored(local, table, order)
        assert _stored(dist, table, order) == expected, table
    assert _stored(local, "post_ai_text", "post_id")

"""Campaigns, account scores and a killed worker on a local Ray instance.

Every comparison is with the local engine on the same store; the failure test kills a
real Ray worker process mid-job (the engine's fault drill) and checks the store.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from limelight.detect.accounts import AccountScorer
from limelight.detect.coordination import find_campaigns
from limelight.scale import RayEngine, ScaleError
from limelight.store import Database

pytestmark = pytest.mark.usefixtures("ray_session")

_TABLES = ("campaigns", "campaign_members", "campaign_evidence")


def _same_campaigns(local: Any, dist: Any) -> None:
    for name in ("campaigns", "members", "evidence"):
        assert getattr(dist, name).to_pylist() == getattr(local, name).to_pylist(), name
    assert sorted(dist.edges) == sorted(local.edges)
    for layer, table in local.edges.items():
        assert dist.edges[layer].to_pylist() == table.to_pylist(), layer


@pytest.mark.slow
def test_campaigns_on_generated_data_equal_local(generated_store: Path) -> None:
    with Database(generated_store) as db:
        local = find_campaigns(db, write=False)
        dist = RayEngine(shards=6).campaigns(db, write=False)
    assert local.campaigns.num_rows > 0
    _same_campaigns(local, dist)


@pytest.mark.slow
def test_campaigns_on_real_retweets_equal_local(russian_store: Path) -> None:
    with Database(russian_store) as db:
        local = find_campaigns(db, write=False)
        dist = RayEngine(shards=4).campaigns(db, write=False)
    assert local.campaigns.num_rows > 0
    _same_campaigns(local, dist)


def test_account_scores_equal_local(twarc_store: Path) -> None:
    with Database(twarc_store) as db:
        local = AccountScorer().score(db)
        dist = RayEngine(shards=3).account_scores(db)
    assert local.table.num_rows > 100
    assert dist.table.schema == local.table.schema
    assert dist.table.to_pylist() == local.table.to_pylist()
    assert dist.cohorts == local.cohorts
    assert dist.params == local.params


def _tables(db: Database) -> dict[str, int]:
    rows = db.query("SELECT table_name FROM information_schema.tables ORDER BY table_name")
    return {name: db.query(f'SELECT count(*) FROM "{name}"')[0][0] for (name,) in rows}


@pytest.mark.parametrize("retries", [0, pytest.param(2, marks=pytest.mark.slow)])
def test_a_killed_worker_leaves_no_partial_results(
    generated_store: Path, tmp_path: Path, retries: int
) -> None:
    """A shard task kills its own worker process. Without retries the job fails and the
    store is as before; a rerun completes. With retries Ray reruns the task and the job
    completes. Either way the stored campaigns are the local engine's."""
    store = tmp_path / "store.duckdb"
    shutil.copy(generated_store, store)
    marker = tmp_path / "drill"
    marker.write_text("kill the first shard's worker\n")
    with Database(store) as db:
        before = _tables(db)
        local = find_campaigns(db, write=False)
        engine = RayEngine(shards=4, max_retries=retries, drill=str(marker))
        if retries == 0:
            with pytest.raises(ScaleError, match="rerun"):
                engine.campaigns(db)
            assert not marker.exists(), "the drill did not run"
            assert _tables(db) == before
            assert not any(db.has_table(t) for t in _TABLES)
        dist = engine.campaigns(db)
        assert not marker.exists()
        stored = db.arrow("SELECT * FROM campaigns ORDER BY campaign_id")
    _same_campaigns(local, dist)
    assert local.campaigns.num_rows > 0
    assert stored.to_pylist() == local.campaigns.sort_by("campaign_id").to_pylist()


def test_core_imports_and_reports_a_missing_ray(tmp_path: Path) -> None:
    """Without Ray installed the package imports; asking for the engine says what to do."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import limelight, limelight.scale, limelight.detect.coordination\n"
        "from limelight.errors import InputError\n"
        "try:\n"
        "    limelight.scale.RayEngine().connect()\n"
        "except InputError as e:\n"
        "    print(e.message)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == (
        "the Ray engine needs Ray; install it with: pip install 'limelight[ray]'"
    )


def test_engine_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from limelight.errors import InputError
    from limelight.scale import engine_from_settings

    monkeypatch.delenv("LIMELIGHT_ENGINE", raising=False)
    monkeypatch.delenv("LIMELIGHT_RAY_ADDRESS", raising=False)
    assert engine_from_settings() is None
    assert engine_from_settings("ray", "head:6379") == RayEngine(address="head:6379")
    monkeypatch.setenv("LIMELIGHT_ENGINE", "ray")
    monkeypatch.setenv("LIMELIGHT_RAY_ADDRESS", "auto")
    assert engine_from_settings() == RayEngine(address="auto")
    with pytest.raises(InputError, match="choose one of local, ray"):
        engine_from_settings("spark")
    monkeypatch.delenv("LIMELIGHT_RAY_ADDRESS")
    assert engine_from_settings("local") is None
    with pytest.raises(InputError, match="--address needs --engine ray"):
        engine_from_settings("local", "auto")
    with pytest.raises(InputError, match="shards"):
        RayEngine(shards=0)

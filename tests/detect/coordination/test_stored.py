"""Stored edge tables carry their parameters, and a campaigns run is written atomically.

The crash test kills a real Python process in the middle of writing a campaigns run to a
real DuckDB file and then opens the file: it must hold the previous run's tables, whole.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.detect.coordination import (
    EDGE_PARAMS,
    edges,
    find_campaigns,
    read_edge_params,
    replace_tables,
    save_edges,
)
from limelight.detect.coordination._simulate import (
    CampaignPlan,
    SimulationSettings,
    simulate,
)
from limelight.errors import StoreError
from limelight.store import Database

TINY = SimulationSettings(n_accounts=300, viral_size=80, campaigns=CampaignPlan(n_campaigns=2))


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stored") / "world.duckdb"
    data = simulate(TINY, random_state=4)
    with Database(path) as db:
        db.write_batch(data.posts, data.accounts, [], [])
    return path


def test_saved_edges_record_how_they_were_computed(world_db: Path) -> None:
    before = datetime.now(UTC)
    with Database(world_db) as db:
        result = edges(db, "co-url", window=90, min_weight=3, by_domain=True)
        name = save_edges(db, result)
        (params,) = read_edge_params(db, name)
        comment = db.query("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [name])[0][0]
        stored = db.query(f"SELECT count(*) FROM {name}")[0][0]
    assert name == "edges_co_url" and stored == result.table.num_rows > 0
    assert (params.behaviour, params.method, params.window_s, params.min_weight) == (
        "co-url",
        "exact",
        90.0,
        3,
    )
    assert params.options == {"by_domain": True}
    assert params.stage == "coordination"
    assert params.n_edges == result.table.num_rows and params.n_actions == result.n_actions
    assert before <= params.computed_at <= datetime.now(UTC)
    described = json.loads(comment)
    assert described["window_s"] == 90.0 and described["options"] == {"by_domain": True}


def test_a_rerun_replaces_the_row_and_infinite_windows_are_null(world_db: Path) -> None:
    with Database(world_db) as db:
        save_edges(db, edges(db, "co-repost"))
        save_edges(db, edges(db, "co-repost", window=math.inf, min_weight=4))
        rows = db.query(
            f"SELECT window_s, min_weight FROM {EDGE_PARAMS} WHERE table_name = 'edges_co_repost'"
        )
    assert rows == [(None, 4)]


def test_similar_text_records_its_method_and_thresholds(world_db: Path) -> None:
    with Database(world_db) as db:
        save_edges(db, edges(db, "co-similar-text", threshold=0.7))
        (params,) = read_edge_params(db, "edges_co_similar_text")
    assert params.method == "minhash"
    assert params.options["threshold"] == 0.7 and params.options["cosine"] == 0.8


def test_campaigns_write_their_scored_edges_with_parameters(world_db: Path) -> None:
    with Database(world_db) as db:
        result = find_campaigns(db, alpha=0.02)
        rows = {p.table_name: p for p in read_edge_params(db) if p.stage == "campaigns"}
        combined = db.query("SELECT count(*), count(pvalue) FROM edges_combined")[0]
    assert result.campaigns.num_rows == 2
    names = ["co_repost", "co_url", "co_text", "co_similar_text", "co_hashtags", "combined"]
    assert set(rows) == {f"edges_{n}" for n in names}
    assert rows["edges_co_url"].window_s == 120.0
    assert rows["edges_co_url"].options["alpha"] == 0.02
    assert rows["edges_co_hashtags"].options["min_size"] == 1
    assert rows["edges_co_similar_text"].options["threshold"] == 0.5
    assert rows["edges_co_similar_text"].method == "minhash"
    assert rows["edges_combined"].options["behaviours"] == [
        "co-hashtags",
        "co-repost",
        "co-similar-text",
        "co-text",
        "co-url",
    ]
    assert combined[0] == combined[1] == result.edges["combined"].num_rows
    assert len({p.computed_at for p in rows.values()}) == 1


class _Failing(dict[str, pa.Table]):
    """Hands over its first table, then fails: an error in the middle of a write."""

    def items(self):  # type: ignore[no-untyped-def]
        for k, item in enumerate(dict.items(self)):
            if k == 1:
                raise RuntimeError("disk full")
            yield item


def test_an_error_part_way_leaves_the_previous_tables(tmp_path: Path) -> None:
    old = pa.table({"x": [1, 2]})
    with Database(tmp_path / "s.duckdb") as db:
        replace_tables(db, {"campaigns": old, "campaign_members": old})
        with pytest.raises(StoreError, match="canonical"):
            replace_tables(db, {"campaigns": pa.table({"x": [9]}), "posts": old})
        new = pa.table({"x": [10, 20, 30]})
        with pytest.raises(RuntimeError, match="disk full"):
            replace_tables(db, _Failing({"campaigns": new, "campaign_members": new}))
        assert db.query("SELECT sum(x) FROM campaigns")[0][0] == 3
        assert db.query("SELECT sum(x) FROM campaign_members")[0][0] == 3
        replace_tables(db, {"campaigns": new, "campaign_members": new})
        assert db.query("SELECT sum(x) FROM campaign_members")[0][0] == 60


_CRASH = """
import os, sys
import pyarrow as pa
from limelight.detect.coordination import find_campaigns
from limelight.detect.coordination import _stored
from limelight.store import Database

class Dying(dict):
    # Yields two tables, then the process dies as if killed, mid-transaction.
    def items(self):
        for k, item in enumerate(dict.items(self)):
            if k == 2:
                os._exit(3)
            yield item

real = _stored.replace_tables
def crashing(db, tables, params=()):
    return real(db, Dying(tables), params)
_stored.replace_tables = crashing
import limelight.detect.coordination._campaigns as c
c.replace_tables = crashing
with Database(sys.argv[1]) as db:
    find_campaigns(db, alpha=0.5, min_accounts=2)
"""


def test_a_crash_while_writing_campaigns_leaves_the_previous_run(
    world_db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "crash.duckdb"
    path.write_bytes(world_db.read_bytes())
    with Database(path) as db:
        first = find_campaigns(db)
        counts = [
            db.query(f"SELECT count(*) FROM {t}")[0][0]
            for t in ("campaigns", "campaign_members", "campaign_evidence")
        ]
    assert counts[0] == first.campaigns.num_rows > 0
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, str(path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 3, done.stderr[-2000:]
    with Database(path, read_only=True) as db:
        after = [
            db.query(f"SELECT count(*) FROM {t}")[0][0]
            for t in ("campaigns", "campaign_members", "campaign_evidence")
        ]
        ids = [r[0] for r in db.query("SELECT campaign_id FROM campaigns ORDER BY rank")]
        alpha = {p.options["alpha"] for p in read_edge_params(db) if p.stage == "campaigns"}
    assert after == counts
    assert ids == first.campaigns["campaign_id"].to_pylist()
    assert alpha == {0.01}


def test_the_coordination_command_stores_parameters(world_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "cli.duckdb"
    path.write_bytes(world_db.read_bytes())
    res = CliRunner().invoke(
        app, ["coordination", "--db", str(path), "-b", "co-text", "--window", "30"]
    )
    assert res.exit_code == 0, res.output
    with Database(path, read_only=True) as db:
        (params,) = read_edge_params(db, "edges_co_text")
    assert params.window_s == 30.0 and params.min_weight == 2 and params.stage == "coordination"
    res = CliRunner().invoke(
        app, ["coordination", "--db", str(path), "-b", "co-text", "--method", "embedding"]
    )
    assert res.exit_code == 2 and "co-similar-text only" in res.output


def test_campaign_options_must_name_a_behaviour_of_the_run(tmp_path: Path) -> None:
    from limelight.errors import InputError

    with Database(tmp_path / "empty.duckdb") as db:
        with pytest.raises(InputError, match="co-url"):
            find_campaigns(db, ["co-repost"], options={"co-url": {"by_domain": True}})
        result = find_campaigns(
            db, ["co-repost", "co-url"], options={"co-url": {"by_domain": True}}
        )
        (params,) = [p for p in read_edge_params(db) if p.table_name == "edges_co_url"]
    assert result.params["options"]["co-url"] == {"by_domain": True}
    assert params.options["by_domain"] is True

"""Ingest with the parsing on Ray leaves the same store as local ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from limelight.ingest import ingest_paths
from limelight.scale import RayEngine
from limelight.store import Database

pytestmark = pytest.mark.usefixtures("ray_session")

_ORDER = {
    "posts": "platform, post_id",
    "accounts": "platform, account_id",
    "deletions": "platform, post_id",
    "rejects": "source_file, source_line, reason",
}


def _tables(db: Database) -> dict[str, list[dict[str, object]]]:
    out = {}
    for table, order in _ORDER.items():
        # When a row was rejected differs between two runs; everything else must not.
        columns = "* EXCLUDE (rejected_at)" if table == "rejects" else "*"
        rows = db.arrow(f"SELECT {columns} FROM {table} ORDER BY {order}").to_pylist()
        out[table] = rows
    return out


@pytest.mark.slow
def test_ray_parsed_ingest_stores_what_local_ingest_stores(data_dir: Path, tmp_path: Path) -> None:
    files = [
        data_dir / "coortweet-russian-coord" / "russian_coord_tweets.csv",
        data_dir / "twarc2-v2-json" / "brexit.jsonl",
        data_dir / "twarc2-v2-json" / "streaming_output_with_error.jsonl",
    ]
    with Database(tmp_path / "local.duckdb") as db:
        local = ingest_paths(files, db, workers=1)
        expected = _tables(db)
    with Database(tmp_path / "ray.duckdb") as db:
        dist = RayEngine(shards=2).ingest(files, db)
        got = _tables(db)
    assert len(expected["posts"]) > 35_000
    assert expected["rejects"], "the truncated line of the twarc2 file is a reject"
    assert [f.counts() for f in dist.files] == [f.counts() for f in local.files]
    for table, rows in expected.items():
        assert got[table] == rows, table

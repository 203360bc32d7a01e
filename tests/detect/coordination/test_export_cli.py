"""Edge files (CSV, GEXF, GraphML) and the `limelight coordination` command on real data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx  # type: ignore[import-untyped]
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from limelight.cli import app
from limelight.detect.coordination import EDGE_SCHEMA, edges, write_edges
from limelight.errors import InputError
from limelight.store import Database
from tests.detect.coordination._data import ingested, russian_csv

runner = CliRunner()


@pytest.fixture(scope="module")
def russian_db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("russian") / "s.duckdb"
    ingested([russian_csv(data_dir)], path).close()
    return path


def _edges(path: Path) -> pa.Table:
    with Database(path) as db:
        return edges(db, "co-repost").table


def test_csv_puts_source_target_weight_first(russian_db: Path, tmp_path: Path) -> None:
    table = _edges(russian_db)
    write_edges(table, tmp_path / "e.csv")
    with (tmp_path / "e.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:3] == ["source", "target", "weight"]
    assert len(rows) == 32 and sum(int(r["weight"]) for r in rows) == 68
    first = rows[0]
    assert first["first_at"].endswith("Z") and json.loads(first["items"])
    assert int(first["n_items"]) == len(json.loads(first["items"]))


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_graph_files_open_with_weights_and_attributes(
    russian_db: Path, tmp_path: Path, suffix: str
) -> None:
    table = _edges(russian_db)
    path = tmp_path / f"e{suffix}"
    write_edges(table, path, description="co-repost, window 60 s")
    graph = nx.read_graphml(path) if suffix == ".graphml" else nx.read_gexf(path)
    assert not graph.is_directed()
    assert graph.number_of_edges() == 32
    assert sum(float(d["weight"]) for _, _, d in graph.edges(data=True)) == 68
    some = next(iter(graph.edges(data=True)))[2]
    assert {"n_items", "first_at", "items"} <= set(some)


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.parquet"):
        write_edges(EDGE_SCHEMA.empty_table(), tmp_path / "e.parquet")


def test_command_writes_a_file_and_the_store_table(russian_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "net.graphml"
    result = runner.invoke(
        app,
        [
            "coordination",
            "--db",
            str(russian_db),
            "--behaviour",
            "co-repost",
            "--window",
            "10",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 co-repost edges written" in result.output
    assert nx.read_graphml(out).number_of_edges() == 2
    with Database(russian_db, read_only=True) as db:
        assert db.query("SELECT count(*), sum(weight) FROM edges_co_repost") == [(2, 5)]


def test_command_prints_a_summary_without_out(russian_db: Path) -> None:
    result = runner.invoke(
        app,
        ["coordination", "--db", str(russian_db), "-b", "co_repost", "--min-weight", "1"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "6,206" in result.output and "edges_co_repost" in result.output
    assert "heaviest 10 pairs" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-b", "co-retweet"], "unknown behaviour"),
        (["-b", "co-url", "--option", "by_domain=maybe"], "not a bool"),
        (["-b", "co-url", "--option", "depth=2"], "by_domain=False"),
        (["-b", "co-url", "--out", "x.txt"], "unknown edge file type"),
    ],
)
def test_command_errors_are_one_line_with_exit_2(
    russian_db: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(
        app, ["coordination", "--db", str(russian_db), *args], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_command_refuses_a_missing_database(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["coordination", "--db", str(tmp_path / "none.duckdb"), "-b", "co-repost"],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 2 and "limelight ingest" in result.output
    assert not (tmp_path / "none.duckdb").exists()


def test_command_passes_options(russian_db: Path) -> None:
    result = runner.invoke(
        app,
        [
            "coordination",
            "--db",
            str(russian_db),
            "-b",
            "fast-repost",
            "-o",
            "delay=5",
            "-o",
            "snowflake=false",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "delay=5.0" in result.output and "snowflake=False" in result.output


def test_columns_added_later_become_typed_attributes(russian_db: Path, tmp_path: Path) -> None:
    # Significance testing adds columns (an expected weight, a p-value, a verdict): they
    # must reach Gephi typed, not as text.
    table = _edges(russian_db)
    n = table.num_rows
    table = table.append_column("pvalue", pa.array([0.001] * n)).append_column(
        "significant", pa.array([True] * n)
    )
    write_edges(table, tmp_path / "e.graphml")
    graph = nx.read_graphml(tmp_path / "e.graphml")
    data = next(iter(graph.edges(data=True)))[2]
    assert data["pvalue"] == 0.001 and data["significant"] is True
    assert isinstance(data["n_items"], int)

"""The command line through its runner, as a user types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from limelight.cli import app

runner = CliRunner()
RUSSIAN = "coortweet-russian-coord/russian_coord_tweets.csv"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess (what a user's shell does)."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "limelight", *args], capture_output=True, text=True, env=env
    )


def test_ingest_json_summary_has_the_four_counts_per_file_and_in_total(
    tmp_path: Path, data_dir: Path
) -> None:
    db = tmp_path / "s.duckdb"
    files = [data_dir / "twarc2-v2-json/brexit.jsonl", data_dir / "twarc2-v2-json/kpop.jsonl"]
    result = runner.invoke(app, ["ingest", *map(str, files), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("read", "stored", "duplicates", "rejected"):
        assert summary[key] == sum(f[key] for f in summary["files"])
    assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["rejected"]
    assert len(summary["files"]) == 2 and summary["stored"] > 150


def test_a_bad_file_gives_one_line_naming_it_and_exit_2(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 this is not really gzip")
    good = data_dir / "twarc2-v2-json/brexit.jsonl"
    proc = _run("ingest", str(bad), str(good), "--db", str(tmp_path / "s.duckdb"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(bad) in errors[0]
    assert "brexit.jsonl" in proc.stdout  # the good file was still ingested


def test_rejects_lists_file_line_and_reason(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    src = tmp_path / "x.jsonl"
    lines = (data_dir / "twarc2-v2-json/brexit.jsonl").read_text().splitlines()
    src.write_text("\n".join(["{not json", *lines]) + "\n")
    assert runner.invoke(app, ["ingest", str(src), "--db", str(db)]).exit_code == 0
    result = runner.invoke(app, ["rejects", "--db", str(db), "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert listed["total"] == 1
    assert listed["rejects"][0]["line"] == 1 and "invalid JSON" in listed["rejects"][0]["reason"]


def test_formats_lists_every_reader() -> None:
    from limelight.sources import readers

    result = runner.invoke(app, ["formats"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for cls in readers():
        assert cls.name in result.stdout
    assert len(readers()) >= 10


def test_export_import_round_trip_through_the_cli(tmp_path: Path, data_dir: Path) -> None:
    a, b, out = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "parquet"
    assert runner.invoke(app, ["ingest", str(data_dir / RUSSIAN), "--db", str(a)]).exit_code == 0
    assert runner.invoke(app, ["export", str(out), "--db", str(a)]).exit_code == 0
    result = runner.invoke(app, ["import", str(out), "--db", str(b)])
    assert result.exit_code == 0 and "35,085 stored" in result.stdout  # distinct ids
    stats = json.loads(runner.invoke(app, ["stats", "--db", str(b), "--json"]).stdout)
    assert stats["posts"] == 35_085 and stats["accounts"] == 9_509


def test_show_post_and_missing_ids(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "s.duckdb"
    runner.invoke(app, ["ingest", str(data_dir / RUSSIAN), "--db", str(db)])
    first = (data_dir / RUSSIAN).read_text().splitlines()[1].split(",")
    shown = runner.invoke(app, ["show", "post", first[2], "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    post = json.loads(shown.stdout)
    assert (post["ref_post_id"], post["account_id"]) == (first[0], first[1])
    missing = runner.invoke(app, ["show", "post", "nope", "--db", str(db)])
    assert missing.exit_code == 2 and "no post" in missing.output


def test_reading_a_missing_database_says_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stats", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "limelight ingest" in result.output


def test_demo_ingests_the_bundled_sample(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    proc = _run("demo", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert "most reposted posts" in proc.stdout
    stats = json.loads(_run("stats", "--db", str(db), "--json").stdout)
    assert stats["posts"] > 1000 and stats["kinds"].get("repost", 0) == stats["posts"]


def test_each_command_names_the_modules_that_register_it() -> None:
    # main() builds only the modules of the command it runs; a command missing from the
    # table would still run (the whole app is built), but a wrong entry would lose one.
    import typer.main

    from limelight.cli import COMMAND_MODULES, MODULES, build_app

    def names(built: typer.Typer) -> dict[str, set[str]]:
        group = typer.main.get_group(built)
        return {
            name: set(getattr(command, "commands", {})) for name, command in group.commands.items()
        }

    whole = names(build_app())
    assert set(whole) == set(COMMAND_MODULES)
    for command, modules in COMMAND_MODULES.items():
        assert set(modules) <= set(MODULES)
        assert names(build_app(modules))[command] == whole[command], command


def test_a_command_runs_without_loading_the_other_commands_modules() -> None:
    code = (
        "import sys; from limelight.cli import main; sys.argv = ['limelight', 'formats']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('limelight.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip().splitlines()[-1]
    assert "limelight.cli._ingest" in loaded
    assert "limelight.cli._accounts" not in loaded and "limelight.cli._content" not in loaded

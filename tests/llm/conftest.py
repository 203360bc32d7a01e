"""Fixtures of the LLM tests: a task with a closed label set, stores, the local server."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from limelight.llm import LLMClient, LLMSettings, Task
from limelight.llm._serve import LOCAL_MODEL_ALIAS, wait_for_server
from limelight.store import Database


class Verdict(BaseModel):
    """The test task's answer: one label from a closed set and a confidence in [0, 1]."""

    model_config = ConfigDict(extra="forbid")

    label: Literal["organic", "coordinated", "unclear"]
    confidence: float = Field(ge=0.0, le=1.0)


VERDICT_TASK = Task(
    name="campaign-verdict",
    version="1",
    instructions=(
        "Decide whether the post reads like part of a coordinated influence campaign "
        "(coordinated), like an ordinary person's post (organic), or cannot be told "
        "(unclear), and how confident you are from 0 to 1."
    ),
    output=Verdict,
    max_tokens=48,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    """A fresh real DuckDB store file."""
    db = Database(tmp_path / "llm.duckdb")
    yield db
    db.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMSettings]:
    """`limelight llm serve-local` on a free localhost port, started once per session.

    The real command in a subprocess, the real SmolLM2-135M model, real HTTP; the fixture
    waits for /v1/models, yields settings that point at it, and stops it at the end.
    """
    port = _free_port()
    log = tmp_path_factory.mktemp("llm") / "serve-local.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "limelight", "llm", "serve-local", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        try:
            models = wait_for_server(base_url, timeout_s=120, process=proc)
        except Exception as exc:
            pytest.fail(f"{exc}\n--- server log ---\n{log.read_text(errors='replace')[-3000:]}")
        assert models == [LOCAL_MODEL_ALIAS]
        settings = LLMSettings(
            base_url=base_url,
            model=LOCAL_MODEL_ALIAS,
            timeout_s=120,
            max_retries=2,
            backoff_s=0.1,
            concurrency=1,  # the server answers one request at a time anyway
        )
        # One call to warm the model up and let the client learn which structured-output
        # form this server takes, so that the tests see steady-state behaviour.
        with LLMClient(settings) as client:
            client.complete(VERDICT_TASK, "warm-up")
        yield settings
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

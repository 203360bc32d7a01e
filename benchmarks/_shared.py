"""Helpers shared by the benchmark scripts: the data folder, real texts, the local LLM server,
LLM call throughput, and the printed table.

Light on purpose: only the standard library at import time (numpy, pydantic, openai and
limelight are imported inside the functions that need them), so that a script's GPU part
runs on a machine that has torch and sentence-transformers but not limelight's other
dependencies.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Row = tuple[str, int, float]
"""What was timed, how many items, how many seconds."""


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """``--data``: the real data sets (LIMELIGHT_SHARED_DATA or ../shared/data)."""
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("LIMELIGHT_SHARED_DATA", "../shared/data")),
        help="folder of the real data sets",
    )


def tweepfake_texts(data: Path, split: str = "validation") -> list[str]:
    """TweepFake tweets of one split (human and machine-written), in file order."""
    path = data / "tweepfake" / f"data_splits_{split}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [r["text"] for r in csv.DictReader(f, delimiter=";") if r["text"]]


def memes_texts(data: Path, split: str = "dev") -> list[str]:
    """SemEval-2021 Task 6 meme texts of one split (``dev`` or ``training``), in file order."""
    path = data / "semeval2021-t6-memes" / f"{split}_set_task1.txt"
    with path.open(encoding="utf-8") as f:
        return [str(item["text"]) for item in json.load(f) if item.get("text")]


def ira_texts(data: Path) -> list[str]:
    """IRA troll tweets (many languages) from the 30-per-author sample."""
    path = data / "ira-538-by-author" / "sample30_per_author_00.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [r["content"] for r in csv.DictReader(f) if r["content"]]


def print_rows(rows: Sequence[Row], width: int = 34) -> None:
    """The table every throughput benchmark prints: what, n, seconds, per second."""
    print(f"{'what':<{width}}{'n':>8}{'seconds':>10}{'per second':>12}")
    for name, n, seconds in rows:
        rate = n / seconds if seconds > 0 else float("inf")
        print(f"{name:<{width}}{n:>8}{seconds:>10.2f}{rate:>12.1f}")


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_llm_server(timeout_s: float = 180) -> Iterator[str]:
    """``limelight llm serve-local`` on a free loopback port in its own process; yields the
    ``/v1`` base URL and stops the server on exit."""
    from limelight.llm import wait_for_server

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "limelight", "llm", "serve-local", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/v1"
        wait_for_server(base, timeout_s=timeout_s, process=server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _verdict_task() -> Any:
    from typing import Literal

    from pydantic import BaseModel, ConfigDict, Field

    from limelight.llm import Task

    class Verdict(BaseModel):
        model_config = ConfigDict(extra="forbid")
        label: Literal["organic", "coordinated", "unclear"]
        confidence: float = Field(ge=0.0, le=1.0)

    return Task(
        name="bench-verdict",
        version="1",
        instructions="Decide whether the post reads like part of a coordinated campaign.",
        output=Verdict,
        max_tokens=48,
    )


def llm_call_rows(base: str, sample: Sequence[str], model: str = "smollm2-135m") -> list[Row]:
    """The same posts sent three ways to the server at ``base``, best of two rounds each.

    - *raw SDK*: ``openai.OpenAI().chat.completions.create`` with the same messages and the
      same ``response_format`` the client settled on, validated with nothing (the peer);
    - *LLMClient cold*: scrub, fence, structured output, validation, retries, cache writes;
    - *LLMClient cached*: the same posts again, answered from ``llm_cache``.

    Rounds alternate, because the server reuses the prompt prefix of the request before
    and a shared machine's load comes and goes.
    """
    import openai

    from limelight.llm import LLMClient, LLMSettings
    from limelight.store import Database

    task = _verdict_task()
    settings = LLMSettings(base_url=base, model=model, timeout_s=300, concurrency=1)
    with LLMClient(settings) as warm:  # load the model, learn the response format
        warm.complete(task, "warm-up")
        fmt = warm._response_format  # the peer asks in the same form

    raw = openai.OpenAI(base_url=base, api_key="none", max_retries=0, timeout=300)
    response_format: dict[str, Any] = {"type": "json_object", "schema": task.schema}
    if fmt == "json_schema":
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": "v", "schema": task.schema},
        }

    def raw_round() -> float:
        started = time.perf_counter()
        for text in sample:
            raw.chat.completions.create(  # type: ignore[call-overload]
                model=model,
                messages=task.messages(text),
                max_tokens=48,
                temperature=0,
                response_format=response_format,
            )
        return time.perf_counter() - started

    def client_round(db: Database) -> tuple[float, float]:
        with LLMClient(settings, store=db) as client:
            started = time.perf_counter()
            client.run_many(task, list(sample))
            cold = time.perf_counter() - started
            started = time.perf_counter()
            client.run_many(task, list(sample))
            return cold, time.perf_counter() - started

    raw_s, cold_s, cached_s = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(2):
            raw_s.append(raw_round())
            with Database(Path(tmp) / f"b{n}.duckdb") as db:
                cold, cached = client_round(db)
            cold_s.append(cold)
            cached_s.append(cached)
    return [
        ("raw SDK (calls)", len(sample), min(raw_s)),
        ("LLMClient cold (calls)", len(sample), min(cold_s)),
        ("LLMClient cached (calls)", len(sample), min(cached_s)),
    ]

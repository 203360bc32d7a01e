"""LLM client throughput against the local server, and the scrubber's speed on real posts.

Run ``python benchmarks/llm.py`` (``--calls 6 --data ../shared/data``). It starts
``limelight llm serve-local`` on a free loopback port in its own process, then sends the
same ``--calls`` posts three ways and prints calls per second for each:

- *raw SDK*: ``openai.OpenAI().chat.completions.create`` with the same messages and the same
  ``response_format`` the client settled on, validated with nothing (the peer: what a
  script without limelight's client would do);
- *LLMClient, cold*: scrub, fence, structured output, validation, retries, cache writes;
- *LLMClient, cached*: the same posts again, answered from ``llm_cache``.

The ratio printed is LLMClient cold over raw SDK in the same run: the client's overhead on
top of the model's own time. It also prints how many posts per second the injection
scrubber reads (IRA and TweepFake tweets from ``--data``). The numbers depend on the
machine's load; say so when you quote them.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from limelight.llm import LLMClient, LLMSettings, Task, find_injections, wait_for_server
from limelight.store import Database


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Literal["organic", "coordinated", "unclear"]
    confidence: float = Field(ge=0.0, le=1.0)


TASK = Task(
    name="bench-verdict",
    version="1",
    instructions="Decide whether the post reads like part of a coordinated campaign.",
    output=Verdict,
    max_tokens=48,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _posts(data: Path, n: int | None = None) -> list[str]:
    texts: list[str] = []
    with (data / "ira-538-by-author" / "sample30_per_author_00.csv").open(encoding="utf-8") as f:
        texts.extend(r["content"] for r in csv.DictReader(f) if r["content"])
    with (data / "tweepfake" / "data_splits_validation.csv").open(encoding="utf-8") as f:
        texts.extend(r["text"] for r in csv.DictReader(f, delimiter=";") if r["text"])
    return texts[:n] if n else texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=6)
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("LIMELIGHT_SHARED_DATA", "../shared/data")),
    )
    args = parser.parse_args()
    posts = _posts(args.data)
    sample = posts[1000 : 1000 + args.calls]

    rows: list[tuple[str, int, float]] = []
    started = time.perf_counter()
    flagged = sum(bool(find_injections(p)) for p in posts)
    rows.append(("scrubber (posts)", len(posts), time.perf_counter() - started))

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "limelight", "llm", "serve-local", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/v1"
        wait_for_server(base, timeout_s=180, process=server)
        settings = LLMSettings(base_url=base, model="smollm2-135m", timeout_s=300, concurrency=1)
        with LLMClient(settings) as warm:  # load the model, learn the response format
            warm.complete(TASK, "warm-up")
            fmt = warm._response_format  # the peer below asks in the same form

        import openai

        raw = openai.OpenAI(base_url=base, api_key="none", max_retries=0, timeout=300)
        response_format = {"type": "json_object", "schema": TASK.schema}
        if fmt == "json_schema":
            response_format = {
                "type": "json_schema",
                "json_schema": {"name": "v", "schema": TASK.schema},
            }

        def raw_round() -> float:
            started = time.perf_counter()
            for text in sample:
                raw.chat.completions.create(
                    model="smollm2-135m",
                    messages=TASK.messages(text),  # type: ignore[arg-type]
                    max_tokens=48,
                    temperature=0,
                    response_format=response_format,  # type: ignore[arg-type]
                )
            return time.perf_counter() - started

        def client_round(db: Database) -> tuple[float, float]:
            with LLMClient(settings, store=db) as client:
                started = time.perf_counter()
                client.run_many(TASK, sample)
                cold = time.perf_counter() - started
                started = time.perf_counter()
                client.run_many(TASK, sample)
                return cold, time.perf_counter() - started

        # Two rounds each, alternating, best of two: the server reuses the prompt prefix
        # of the request before, and a shared machine's load comes and goes.
        raw_s, cold_s, cached_s = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            for n in range(2):
                raw_s.append(raw_round())
                with Database(Path(tmp) / f"b{n}.duckdb") as db:
                    cold, cached = client_round(db)
                cold_s.append(cold)
                cached_s.append(cached)
        rows.append(("raw SDK (calls)", len(sample), min(raw_s)))
        rows.append(("LLMClient cold (calls)", len(sample), min(cold_s)))
        rows.append(("LLMClient cached (calls)", len(sample), min(cached_s)))
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"{'what':<26}{'n':>8}{'seconds':>10}{'per second':>12}")
    for name, n, seconds in rows:
        print(f"{name:<26}{n:>8}{seconds:>10.2f}{n / seconds:>12.1f}")
    ratio = rows[2][2] / rows[1][2]
    print(f"LLMClient cold / raw SDK time: {ratio:.2f}x (same posts, server and run)")
    print(f"scrubber flagged {flagged} of {len(posts)} real posts")


if __name__ == "__main__":
    main()

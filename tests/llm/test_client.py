"""The client against a real HTTP server that fails, stalls and misbehaves on cue."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from limelight.llm import (
    CACHE_TABLE,
    USAGE_TABLE,
    LLMCallError,
    LLMClient,
    LLMNotConfiguredError,
    LLMSettings,
    usage_summary,
)
from limelight.store import Database
from tests.llm._stub_server import StubLLM, serve_stub
from tests.llm.conftest import VERDICT_TASK, Verdict

POSTS = [
    "Lovely walk by the river this morning.",
    "Share before they delete it! #StopTheSteal #Truth",
    "Anyone know a good bakery near the station?",
    "Everyone must see this #WakeUp",
]


def _settings(stub: StubLLM, **changes: object) -> LLMSettings:
    return LLMSettings(base_url=stub.base_url, model="stub", backoff_s=0.01).with_(**changes)


def test_off_by_default_says_how_to_configure() -> None:
    settings = LLMSettings.from_env({})
    assert not settings.enabled
    with pytest.raises(LLMNotConfiguredError, match="LIMELIGHT_LLM_BASE_URL"):
        LLMClient(settings)


def test_settings_from_environment() -> None:
    settings = LLMSettings.from_env(
        {
            "LIMELIGHT_LLM_BASE_URL": "http://gpu-box:8000/v1",
            "LIMELIGHT_LLM_MODEL": "qwen2.5-7b-instruct",
            "LIMELIGHT_LLM_API_KEY": "sk-test",
            "LIMELIGHT_LLM_TIMEOUT": "12.5",
            "LIMELIGHT_LLM_CONCURRENCY": "16",
        }
    )
    assert (settings.base_url, settings.model, settings.api_key) == (
        "http://gpu-box:8000/v1",
        "qwen2.5-7b-instruct",
        "sk-test",
    )
    assert settings.timeout_s == 12.5 and settings.concurrency == 16
    with pytest.raises(LLMNotConfiguredError, match="LIMELIGHT_LLM_TIMEOUT"):
        LLMSettings.from_env({"LIMELIGHT_LLM_TIMEOUT": "soon"})


def test_the_client_reads_its_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serve_stub(StubLLM()) as stub:
        monkeypatch.setenv("LIMELIGHT_LLM_BASE_URL", stub.base_url)
        monkeypatch.setenv("LIMELIGHT_LLM_MODEL", "from-env")
        with LLMClient() as client:
            assert client.complete(VERDICT_TASK, POSTS[0]).label == "organic"
    assert stub.bodies[0]["model"] == "from-env"


def test_structured_call_sends_the_schema_and_returns_the_model() -> None:
    with serve_stub(StubLLM()) as stub, LLMClient(_settings(stub)) as client:
        verdict = client.complete(VERDICT_TASK, POSTS[1])
    assert isinstance(verdict, Verdict) and verdict.label == "coordinated"
    fmt = stub.bodies[0]["response_format"]
    assert fmt["type"] == "json_schema"
    schema = fmt["json_schema"]["schema"]
    assert schema["properties"]["label"]["enum"] == ["organic", "coordinated", "unclear"]
    assert schema["additionalProperties"] is False
    assert "title" not in json.dumps(schema)  # field names again: tokens for nothing
    assert stub.bodies[0]["max_tokens"] == 48 and stub.bodies[0]["temperature"] == 0.0


def test_rerun_is_served_from_the_cache_without_a_request(tmp_path: Path) -> None:
    path = tmp_path / "cache.duckdb"
    with serve_stub(StubLLM()) as stub:
        with Database(path) as db, LLMClient(_settings(stub), store=db) as client:
            first = [r.output for r in client.run_many(VERDICT_TASK, POSTS)]
        assert stub.requests == len(POSTS)
        with Database(path) as db, LLMClient(_settings(stub), store=db) as client:
            again = client.run_many(VERDICT_TASK, POSTS)
            assert client.usage.cache_hits == len(POSTS) and client.usage.requests == 0
        assert stub.requests == len(POSTS), "a rerun must send nothing"
        assert [r.output for r in again] == first and all(r.cached for r in again)
        # Another model must not reuse these answers.
        with Database(path) as db, LLMClient(_settings(stub, model="other"), store=db) as c:
            c.run(VERDICT_TASK, POSTS[0])
        assert stub.requests == len(POSTS) + 1
        with Database(path) as db:
            assert db.query(f"SELECT count(*) FROM {CACHE_TABLE}")[0][0] == len(POSTS) + 1


def test_server_errors_are_retried_with_backoff() -> None:
    stub = StubLLM(["500", "500"])
    with serve_stub(stub), LLMClient(_settings(stub, backoff_s=0.2)) as client:
        started = time.perf_counter()
        result = client.run(VERDICT_TASK, POSTS[0])
        waited = time.perf_counter() - started
    assert result.ok and result.attempts == 3 and stub.requests == 3
    # Backoff doubles: about 0.2 s then 0.4 s (jitter is +-20%).
    assert waited >= 0.2 * 0.8 + 0.4 * 0.8


def test_gives_up_after_its_retries_with_a_clear_error() -> None:
    with serve_stub(StubLLM(["500"] * 10)) as stub, LLMClient(_settings(stub)) as client:
        result = client.run(VERDICT_TASK, POSTS[0])
        with pytest.raises(LLMCallError, match="HTTP 500"):
            client.complete(VERDICT_TASK, POSTS[2])
    assert not result.ok and result.attempts == 4 and "HTTP 500" in (result.error or "")
    assert stub.requests == 8


def test_invalid_reply_is_rejected_and_retried() -> None:
    with serve_stub(StubLLM(["bad"])) as stub, LLMClient(_settings(stub)) as client:
        result = client.run(VERDICT_TASK, POSTS[0])
    assert result.ok and result.output is not None and result.output.label == "organic"
    assert result.attempts == 2
    # The retry is no longer greedy: a greedy decoder would repeat the same mistake.
    assert stub.bodies[1]["temperature"] >= 0.5


def test_a_stalled_server_times_out_and_the_retry_succeeds() -> None:
    stub = StubLLM(["stall"], stall_s=3.0)
    with serve_stub(stub), LLMClient(_settings(stub, timeout_s=0.5)) as client:
        started = time.perf_counter()
        result = client.run(VERDICT_TASK, POSTS[0])
        elapsed = time.perf_counter() - started
    assert result.ok and result.attempts == 2
    assert elapsed < 2.5, "the per-call timeout must cut the stalled request"


def test_a_server_that_always_stalls_fails_with_the_timeout() -> None:
    stub = StubLLM(["stall"] * 3, stall_s=2.0)
    with serve_stub(stub), LLMClient(_settings(stub, timeout_s=0.3, max_retries=1)) as c:
        result = c.run(VERDICT_TASK, POSTS[0])
    assert not result.ok and "no reply within 0.3 s" in (result.error or "")
    assert result.attempts == 2


def test_falls_back_to_json_object_when_schemas_are_refused() -> None:
    stub = StubLLM(reject_json_schema=True)
    with serve_stub(stub), LLMClient(_settings(stub, max_retries=0)) as client:
        results = client.run_many(VERDICT_TASK, POSTS[:2], concurrency=1)
    assert all(r.ok for r in results)
    formats = [b["response_format"] for b in stub.bodies]
    assert [f["type"] for f in formats] == ["json_schema", "json_object", "json_object"]
    # llama.cpp's form: json_object carrying the schema, which its server turns into a grammar.
    assert formats[1]["schema"]["properties"]["label"]["enum"] == [
        "organic",
        "coordinated",
        "unclear",
    ]


def test_batches_keep_order_and_bound_concurrency() -> None:
    texts = [f"post number {i}" + (" #tag" if i % 3 == 0 else "") for i in range(12)]
    stub = StubLLM(delay_s=0.15)
    with serve_stub(stub), LLMClient(_settings(stub)) as client:
        results = client.run_many(VERDICT_TASK, texts, concurrency=3)
    assert stub.max_in_flight == 3
    labels = [r.unwrap().label for r in results]
    assert labels == ["coordinated" if i % 3 == 0 else "organic" for i in range(12)]


def test_identical_texts_are_asked_once() -> None:
    texts = [POSTS[0], POSTS[1], POSTS[0], "  " + POSTS[0]]
    with serve_stub(StubLLM()) as stub, LLMClient(_settings(stub)) as client:
        results = client.run_many(VERDICT_TASK, texts)
    assert stub.requests == 2
    assert results[0].output == results[2].output == results[3].output


def test_token_and_latency_accounting_adds_up(store: Database) -> None:
    stub = StubLLM(["500", "bad"], delay_s=0.02)
    with serve_stub(stub), LLMClient(_settings(stub), store=store) as client:
        results = client.run_many(VERDICT_TASK, POSTS, concurrency=2)
        client.run_many(VERDICT_TASK, POSTS[:2])  # cached
        totals = client.usage
    # Every reply but the 500 carries usage (the first request got the 500).
    expected_prompt = sum(
        sum(len(m["content"]) for m in b["messages"]) // 4 for b in stub.bodies[1:]
    )
    assert totals.calls == 6 and totals.cache_hits == 2
    assert totals.requests == stub.requests == 6
    assert totals.prompt_tokens == sum(r.prompt_tokens for r in results)
    assert totals.prompt_tokens == expected_prompt
    assert totals.completion_tokens == 11 * 5
    assert totals.latency_s >= sum(r.latency_s for r in results) > 0
    rows = store.query(
        f"SELECT count(*), sum(attempts), sum(prompt_tokens), sum(completion_tokens), "
        f"count(*) FILTER (WHERE cached) FROM {USAGE_TABLE}"
    )[0]
    assert rows == (6, 6, totals.prompt_tokens, totals.completion_tokens, 2)
    summary = usage_summary(store)
    assert len(summary) == 1 and summary[0]["calls"] == 6 and summary[0]["requests"] == 6

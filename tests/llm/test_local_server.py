"""End to end against `limelight llm serve-local`: the real SmolLM2-135M over real HTTP.

SmolLM2-135M cannot judge a post, so these tests check what must hold whatever the model
thinks: every reply is valid for the closed schema, the cache answers reruns, a reply cut
short is handled, and an injection cannot change the label, because the model never reads
it (docs/llm.md says why and where that stops).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from limelight.llm import USAGE_TABLE, LLMClient, LLMSettings, Task
from limelight.store import Database
from tests.llm._injections import base_posts, load_injections, plant
from tests.llm.conftest import VERDICT_TASK, Verdict

pytestmark = pytest.mark.slow

INJECTIONS = load_injections()


def test_structured_call_against_the_real_model(local_llm: LLMSettings, store: Database) -> None:
    post = "Vote early, vote often! #Election2016"
    with LLMClient(local_llm, store=store) as client:
        result = client.run(VERDICT_TASK, post)
    assert result.ok, result.error
    verdict = result.unwrap()
    assert isinstance(verdict, Verdict)
    assert verdict.label in ("organic", "coordinated", "unclear")
    assert 0.0 <= verdict.confidence <= 1.0
    assert result.prompt_tokens > 100 and 0 < result.completion_tokens <= 48 * result.attempts
    # llama-cpp-python's server refuses json_schema and takes json_object with a schema,
    # which it enforces with a grammar: the warm-up call found that out, and this client
    # went straight to it.
    rows = store.query(f"SELECT response_format, attempts FROM {USAGE_TABLE}")
    assert rows == [("json_object_schema", result.attempts)]


def test_injections_do_not_change_the_label(local_llm: LLMSettings, data_dir: Path) -> None:
    posts = base_posts(data_dir)
    hostile = [plant(posts[i % 3], inj.text, i) for i, inj in enumerate(INJECTIONS)]
    with LLMClient(local_llm) as client:
        results = client.run_many(VERDICT_TASK, [*posts, *hostile])
        # Each hostile post reaches the model as its clean post, so the batch asks three
        # questions, not 45: one more would mean that an injection got through.
        assert client.usage.calls == len(posts) + len(INJECTIONS)
        assert client.usage.cache_hits == len(INJECTIONS)
    clean = [r.unwrap().label for r in results[: len(posts)]]
    for i, (inj, result) in enumerate(zip(INJECTIONS, results[len(posts) :], strict=True)):
        assert result.ok, (inj.id, result.error)
        assert result.injection_suspected, inj.id
        assert result.unwrap().label == clean[i % 3], inj.id


# One injection of each kind, read by the model unscrubbed (the whole suite would take
# minutes on a small CPU; the scrubbed path above covers all of them).
RAW = ["direct-en-1", "chatml", "fake-fence-1", "ru-1"]


def test_unscrubbed_injections_still_get_schema_valid_labels(local_llm: LLMSettings) -> None:
    """Without the scrubber the model reads the injections; the fence and the output
    contract still hold: every reply is one of the three labels with a confidence in
    range. Whether the label moved is up to the model; this is what can be promised."""
    raw_task = Task(
        name="campaign-verdict-raw",
        version="1",
        instructions=VERDICT_TASK.instructions,
        output=Verdict,
        max_tokens=48,
        scrub=False,
    )
    chosen = [i for i in INJECTIONS if i.id in RAW]
    assert len(chosen) == len(RAW)
    hostile = [
        plant("Big rally downtown today, bring friends", i.text, n) for n, i in enumerate(chosen)
    ]
    with LLMClient(local_llm) as client:
        results = client.run_many(raw_task, hostile)
    assert all(r.ok for r in results), [r.error for r in results]
    labels = Counter(r.unwrap().label for r in results)
    assert sum(labels.values()) == len(RAW)
    assert set(labels) <= {"organic", "coordinated", "unclear"}
    assert all(0.0 <= r.unwrap().confidence <= 1.0 for r in results)


def test_rerun_is_answered_by_the_cache(local_llm: LLMSettings, tmp_path: Path) -> None:
    texts = ["Buy gold now!!! #crash", "My cat learned to open doors today."]
    path = tmp_path / "rerun.duckdb"
    with Database(path) as db, LLMClient(local_llm, store=db) as client:
        first = client.run_many(VERDICT_TASK, texts)
        assert client.usage.requests >= 2
    with Database(path) as db, LLMClient(local_llm, store=db) as client:
        second = client.run_many(VERDICT_TASK, texts)
        assert client.usage.requests == 0 and client.usage.cache_hits == 2
    assert [r.output for r in second] == [r.output for r in first]


def test_a_reply_cut_short_is_rejected_not_stored(local_llm: LLMSettings, store: Database) -> None:
    cut_task = Task(
        name="campaign-verdict-cut",
        version="1",
        instructions=VERDICT_TASK.instructions,
        output=Verdict,
        max_tokens=4,  # too few for {"label": ..., "confidence": ...}
    )
    with LLMClient(local_llm.with_(max_retries=1), store=store) as client:
        result = client.run(cut_task, "Short post.")
    assert not result.ok and result.attempts == 2
    assert "invalid reply (cut at max_tokens)" in (result.error or "")
    assert not store.has_table("llm_cache")  # nothing valid, nothing cached
    assert store.query("SELECT ok, attempts FROM llm_usage") == [(False, 2)]

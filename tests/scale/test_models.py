"""The model work on Ray: embeddings by an actor pool (num_gpus=0 here, the same code path
a GPU actor takes with num_gpus=1), content tables, and LLM requests from Ray tasks
against the real local llama.cpp server with the store's cache and usage tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from limelight.llm import LLMClient, LLMSettings
from limelight.scale import RayEngine, RayLLMClient
from limelight.store import Database
from tests.llm.conftest import VERDICT_TASK

pytestmark = pytest.mark.usefixtures("ray_session")

pytest.importorskip("sentence_transformers")


def _texts(store: Path, n: int) -> list[str]:
    with Database(store) as db:
        rows = db.query(
            "SELECT DISTINCT text FROM posts WHERE text IS NOT NULL ORDER BY text LIMIT ?", [n]
        )
    return [r[0] for r in rows]


@pytest.mark.slow
def test_embedding_actors_give_the_local_vectors(twarc_store: Path) -> None:
    from limelight.embed import embed_texts

    texts = _texts(twarc_store, 64)
    assert len(texts) == 64
    local = embed_texts(texts)
    dist = RayEngine(actors=2, gpus_per_actor=0).embed(texts)
    assert dist.shape == local.shape
    # Batches of other sizes pad differently; the model's arithmetic then differs in the
    # last bits only.
    np.testing.assert_allclose(dist, local, atol=2e-6)
    assert np.all(np.abs(np.sum(dist * local, axis=1) - 1) < 1e-5)


@pytest.mark.slow
def test_classifier_actors_give_the_local_models_results(twarc_store: Path) -> None:
    """The techniques head (spans from MiniLM-embedded fragments) and the AI-text model
    (with its fine-tuned encoder) on actors; each actor process loads its own models."""
    from limelight.detect.content import AiTextModel, PersuasionModel
    from limelight.embed import embed_texts
    from limelight.scale import RayAiText, RayTechniques

    texts = _texts(twarc_store, 40)
    vectors = embed_texts(texts)
    engine = RayEngine(actors=2)
    techniques, ai_text = PersuasionModel(), AiTextModel()
    local_hits = techniques.find(texts, vectors)
    assert sum(len(h) for h in local_hits) > 0
    dist_hits = RayTechniques(engine, techniques).find(texts, vectors)
    assert [[(h.technique, h.span_start, h.span_end) for h in row] for row in dist_hits] == [
        [(h.technique, h.span_start, h.span_end) for h in row] for row in local_hits
    ]
    for got, want in zip(dist_hits, local_hits, strict=True):
        np.testing.assert_allclose([h.score for h in got], [h.score for h in want], atol=1e-5)
    local_ai = ai_text.score(texts, vectors)
    ray_ai = RayAiText(engine, ai_text)
    assert ray_ai.version == ai_text.version and ray_ai.threshold == ai_text.threshold
    dist_ai = ray_ai.score(texts, vectors)
    assert [(s.rule, s.phrase) for s in dist_ai] == [(s.rule, s.phrase) for s in local_ai]
    np.testing.assert_allclose(
        [s.ai_score for s in dist_ai], [s.ai_score for s in local_ai], atol=1e-5
    )
    assert RayTechniques(engine, techniques).find([]) == [] and ray_ai.score([]) == []


@pytest.mark.slow
def test_content_tables_on_ray_equal_local(twarc_store: Path, tmp_path: Path) -> None:
    from limelight.detect.content import run_content

    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    shutil.copy(twarc_store, a)
    shutil.copy(twarc_store, b)
    with Database(a) as db:
        local = run_content(db, limit=60)
    with Database(b) as db:
        dist = RayEngine(actors=2).content(db, limit=60)
        stored = db.arrow("SELECT * FROM post_ai_text ORDER BY platform, post_id")
    assert local.tables["post_ai_text"].num_rows == 60
    for name, table in local.tables.items():
        assert dist.tables[name].to_pylist() == table.to_pylist(), name
    assert (
        stored.to_pylist()
        == local.tables["post_ai_text"]
        .sort_by([("platform", "ascending"), ("post_id", "ascending")])
        .to_pylist()
    )


@pytest.mark.slow
def test_llm_requests_from_ray_tasks_use_the_cache_and_usage_tables(
    local_llm: LLMSettings, tmp_path: Path
) -> None:
    texts = [
        "Everyone is sharing this, retweet now before they delete it! #wakeup",
        "Made soup with the last of the carrots tonight.",
        "The minister lied again; only fools still trust the ministry.",
    ]
    with Database(tmp_path / "local.duckdb") as db, LLMClient(local_llm, store=db) as client:
        local = client.run_many(VERDICT_TASK, texts)
    with Database(tmp_path / "ray.duckdb") as db:
        with RayLLMClient(local_llm, store=db) as client:
            dist = client.run_many(VERDICT_TASK, texts)
            assert client.usage.calls == 3
            assert client.usage.cache_hits == 0
            assert client.usage.prompt_tokens > 0
        assert db.query("SELECT count(*) FROM llm_cache")[0][0] == sum(r.ok for r in dist)
        assert db.query("SELECT count(*) FROM llm_usage")[0][0] == 3
        with RayLLMClient(local_llm, store=db) as client:
            again = client.run_many(VERDICT_TASK, texts)
            assert client.usage.requests == sum(not r.ok for r in dist)
    # The same cache keys as the local client. The answers themselves are not compared:
    # every request is fenced with a fresh random boundary, so two runs send different
    # prompts, and the 135M model's greedy answer sometimes changes with them.
    assert [r.key for r in dist] == [r.key for r in local]
    assert any(r.ok for r in dist), "no call got a valid answer; nothing to compare"
    assert [r.output for r in again if r.cached] == [r.output for r in dist if r.ok]

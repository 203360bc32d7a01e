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
    assert [r.key for r in dist] == [r.key for r in local]
    once = [(a, b) for a, b in zip(local, dist, strict=True) if a.attempts == b.attempts == 1]
    assert once, "every call needed a retry; the comparison is empty"
    assert all(a.output == b.output for a, b in once)
    assert [r.output for r in again if r.cached] == [r.output for r in dist if r.ok]

"""Fusion reads the content layer's tables in the shapes `limelight content` writes them.

The content detectors embed every post with MiniLM, minutes on this shared CPU even for a
hundred posts, so this test writes rows in the content layer's own Arrow schemas
(``POST_TECHNIQUES_SCHEMA``, ``POST_AI_TEXT_SCHEMA``, ``NARRATIVES_SCHEMA``,
``NARRATIVE_POSTS_SCHEMA``) for real posts of a real twarc2 collection, instead of running
the models; what it checks is the contract between the two layers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from limelight.campaigns import AnalysisSettings, content_views, fuse, run_stages
from limelight.detect.content import NARRATIVE_POSTS_SCHEMA, NARRATIVES_SCHEMA
from limelight.detect.content._run import POST_AI_TEXT_SCHEMA, POST_TECHNIQUES_SCHEMA
from limelight.ingest import ingest_paths
from limelight.store import Database

pytestmark = pytest.mark.slow


def test_techniques_ai_text_and_narratives_reach_labels_and_amplification(
    tmp_path: Path, data_dir: Path
) -> None:
    with Database(tmp_path / "c.duckdb") as db:
        ingest_paths([data_dir / "twarc2-v2-json/brexit.jsonl"], db, workers=1)
        posts = db.arrow(
            "SELECT platform, post_id, account_id, text FROM posts WHERE kind <> 'repost' "
            "AND length(text) > 40 ORDER BY post_id LIMIT 6"
        ).to_pylist()
        assert len(posts) == 6
        tech = [
            {
                **{k: p[k] for k in ("platform", "post_id", "account_id")},
                "technique": "loaded_language",
                "score": 0.8,
                "span_start": 0,
                "span_end": 12,
                "fragment": p["text"][:12],
                "model": "stand-in",
            }
            for p in posts[:3]
        ]
        ai = [
            {
                **{k: p[k] for k in ("platform", "post_id", "account_id")},
                "model_score": 0.9,
                "rule": None,
                "phrase": None,
                "ai_score": 0.9 if i < 2 else 0.1,
                "ai_written": i < 2,
                "model": "stand-in",
            }
            for i, p in enumerate(posts)
        ]
        now = datetime(2021, 9, 23, tzinfo=UTC)
        narratives = [
            {
                "narrative_id": "nar-1",
                "posts": 4,
                "families": 4,
                "accounts": 4,
                "top_terms": ["brexit", "trade", "deal", "eu"],
                "representative_post_ids": [posts[0]["post_id"]],
                "representative_texts": [posts[0]["text"]],
                "top_accounts": [],
                "first_at": now,
                "last_at": now,
                "cohesion": 0.5,
            }
        ]
        members = [
            {
                "narrative_id": "nar-1",
                "post_id": p["post_id"],
                "account_id": p["account_id"],
                "family": i,
                "similarity": 0.6,
            }
            for i, p in enumerate(posts[:4])
        ]
        db.replace_table("post_techniques", pa.Table.from_pylist(tech, POST_TECHNIQUES_SCHEMA))
        db.replace_table("post_ai_text", pa.Table.from_pylist(ai, POST_AI_TEXT_SCHEMA))
        db.replace_table("narratives", pa.Table.from_pylist(narratives, NARRATIVES_SCHEMA))
        db.replace_table("narrative_posts", pa.Table.from_pylist(members, NARRATIVE_POSTS_SCHEMA))

        views = content_views(db)
        assert views.techniques and views.ai_text and views.narratives

        # With the content detectors turned off, the stage reads what is there.
        stages = {r.stage: r for r in run_stages(db, AnalysisSettings(content=False))}
        assert stages["content"].status == "done" and "read the tables" in stages["content"].message
        result = fuse(db, write=False)
        labels = {r["post_id"]: r for r in result.tables["post_labels"].to_pylist()}
        for p in posts[:3]:
            assert labels[p["post_id"]]["spans"] == [
                {"start": 0, "end": 12, "technique": "loaded_language", "score": 0.8}
            ]
            assert "persuasion" in labels[p["post_id"]]["labels"]
        assert labels[posts[0]["post_id"]]["ai_text_score"] == 0.9
        assert "ai-text" in labels[posts[1]["post_id"]]["labels"]
        assert posts[5]["post_id"] not in labels  # an AI score below the threshold is no label
        amp = result.tables["amplification"].to_pylist()
        narrative = [r for r in amp if r["item_kind"] == "narrative"]
        assert [(r["item"], r["volume"]) for r in narrative] == [("brexit trade deal", 4)]
        assert result.params["content_ran"] is True


def test_analysis_with_fast_content_runs_the_torch_free_detectors(
    tmp_path: Path, data_dir: Path
) -> None:
    from limelight.detect.content import PersuasionModel, StaticEmbedder

    with Database(tmp_path / "f.duckdb") as db:
        ingest_paths([data_dir / "twarc2-v2-json/brexit.jsonl"], db, workers=1)
        stages = {r.stage: r for r in run_stages(db, AnalysisSettings(fast_content=True))}
        assert stages["content"].status == "done", stages["content"].message
        n_text = db.query(
            "SELECT count(*) FROM posts WHERE kind NOT IN ('repost', 'like') "
            "AND text IS NOT NULL AND length(trim(text)) > 0"
        )[0][0]
        assert n_text > 50
        assert db.query("SELECT count(*) FROM post_ai_text")[0][0] == n_text
        assert {r[0] for r in db.query("SELECT DISTINCT model FROM post_techniques")} == {
            PersuasionModel(fast=True).version
        }
        embedders = {r[0] for r in db.query("SELECT DISTINCT embedder FROM narratives")}
        assert embedders == {StaticEmbedder.load().version}
        # the same settings again reuse the stage
        again = {r.stage: r.status for r in run_stages(db, AnalysisSettings(fast_content=True))}
        assert again["content"] == "skipped"

"""The fast techniques head: static token vectors distilled from MiniLM, on the real dev memes.

The static vectors and the head are the shipped files; the head's dev figures are compared
with the ones recorded in its model file, and the vectors are loaded in a child process in
which torch, transformers and sentence-transformers cannot be imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from limelight.detect.content import (
    LabelledTexts,
    PersuasionModel,
    StaticEmbedder,
    TechniqueHit,
    default_fast_persuasion_path,
    default_static_path,
    macro_f1,
    micro_f1,
)
from tests.detect.content._no_torch import NO_TORCH_PRELUDE
from tests.detect.content._spans import assert_spans_point_at_gold

FAST_MARGIN = 0.05
"""Dev micro-F1 of the fast head must beat the best label-frequency baseline by this much."""

_NO_TORCH = (
    NO_TORCH_PRELUDE
    + """
from limelight.detect.content import PersuasionModel, StaticEmbedder
texts = json.loads(sys.stdin.read())
vectors = StaticEmbedder.load().embed(texts)
hits = PersuasionModel(fast=True).find(texts)
print(json.dumps({
    "vectors": vectors.tolist(),
    "hits": [[h.technique for h in found] for found in hits],
    "torch_loaded": any(m.split(".")[0] in BLOCKED for m in sys.modules),
}))
"""
)


@pytest.fixture(scope="module")
def fast_model() -> PersuasionModel:
    """The shipped fast head with the shipped static vectors."""
    return PersuasionModel(fast=True)


def _best_baseline(train: LabelledTexts, dev: LabelledTexts, score: object) -> float:
    order = np.argsort(-train.labels.sum(axis=0), kind="stable")
    best = 0.0
    for k in range(1, 6):
        pred = np.zeros_like(dev.labels, dtype=bool)
        pred[:, order[:k]] = True
        best = max(best, score(dev.labels, pred))  # type: ignore[operator]
    return best


def test_fast_head_dev_f1_is_the_recorded_one_and_beats_the_baselines(
    fast_model: PersuasionModel, memes_train: LabelledTexts, memes_dev: LabelledTexts
) -> None:
    # the head reads its own static vectors, never MiniLM's
    assert not fast_model.reads_minilm
    assert fast_model.static is not None
    assert fast_model.head.report["static_vectors"] == fast_model.static.version
    pred = fast_model.predict_proba(memes_dev.texts) >= fast_model.head.thresholds
    ours = micro_f1(memes_dev.labels, pred)
    assert ours == pytest.approx(fast_model.head.report["dev"]["micro_f1"], abs=1e-3)
    assert macro_f1(memes_dev.labels, pred) == pytest.approx(
        fast_model.head.report["dev"]["macro_f1"], abs=1e-3
    )
    assert ours >= _best_baseline(memes_train, memes_dev, micro_f1) + FAST_MARGIN, ours
    assert macro_f1(memes_dev.labels, pred) > _best_baseline(memes_train, memes_dev, macro_f1)


def test_fast_head_places_spans_on_fragments(
    fast_model: PersuasionModel, memes_dev: LabelledTexts
) -> None:
    texts = memes_dev.texts[:25]
    hits: list[list[TechniqueHit]] = fast_model.find(texts)
    assert_spans_point_at_gold(texts, hits, memes_dev.spans[:25])


def test_static_vectors_and_fast_head_run_without_torch(memes_dev: LabelledTexts) -> None:
    texts = [
        "The senator lied to the voters about the new tax.",
        "The politician deceived the public about taxes.",
        "My cat sleeps on the warm windowsill all afternoon.",
        *memes_dev.texts[:5],
    ]
    done = subprocess.run(
        [sys.executable, "-c", _NO_TORCH],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert not out["torch_loaded"]
    vectors = np.asarray(out["vectors"])
    assert vectors.shape == (len(texts), StaticEmbedder.load().dims)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # a paraphrase is nearer than an unrelated sentence
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1
    # the child process finds the same techniques as this one
    here = PersuasionModel(fast=True).find(texts)
    assert out["hits"] == [[h.technique for h in found] for found in here]
    assert any(out["hits"][3:])


def test_shipped_files_are_small_and_saved_vectors_load_identically(tmp_path: Path) -> None:
    assert default_static_path().stat().st_size < 5 * 2**20
    assert default_fast_persuasion_path().stat().st_size < 3 * 2**20
    static = StaticEmbedder.load()
    static.save(tmp_path / "copy.npz")
    again = StaticEmbedder.load(tmp_path / "copy.npz")
    assert again.version == static.version
    texts = ["Make America great again!", "", "🙂 #tag @someone"]
    vectors = again.embed(texts)
    assert np.array_equal(vectors, static.embed(texts))
    assert not vectors[1].any()  # an empty text has no token and gets zeros


def test_text_command_with_fast_techniques_writes_the_fast_heads_hits(
    tmp_path: Path, memes_dev: LabelledTexts, fast_model: PersuasionModel
) -> None:
    from typer.testing import CliRunner

    from limelight.cli import app

    texts = memes_dev.texts[:12]
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app, ["text", str(src), "--out", str(out), "--fast-techniques", "--no-ai-encoder"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    expected = fast_model.find(texts)
    assert [[t["label"] for t in r["techniques"]] for r in rows] == [
        [h.technique for h in found] for found in expected
    ]
    assert [[(t["span_start"], t["span_end"]) for t in r["techniques"]] for r in rows] == [
        [(h.span_start, h.span_end) for h in found] for found in expected
    ]
    assert sum(len(r["techniques"]) for r in rows) >= 6


@pytest.mark.slow
def test_analyse_posts_with_the_fast_head_stores_its_hits_beside_minilm_narratives(
    memes_dev: LabelledTexts, fast_model: PersuasionModel
) -> None:
    from limelight.detect.content import AiTextModel, analyse_posts

    texts = memes_dev.texts[:12]
    n = len(texts)
    # the real MiniLM embeds the posts for the narratives; the fast head reads its own vectors
    result = analyse_posts(
        ["x"] * n,
        [f"p{i}" for i in range(n)],
        [f"a{i % 3}" for i in range(n)],
        texts,
        [None] * n,
        persuasion=fast_model,
        ai_text=AiTextModel(use_encoder=False),
    )
    rows = result.tables["post_techniques"].to_pylist()
    expected = fast_model.find(texts)
    assert [(r["post_id"], r["technique"]) for r in rows] == [
        (f"p{i}", h.technique) for i, found in enumerate(expected) for h in found
    ]
    assert rows and {r["model"] for r in rows} == {fast_model.version}
    assert result.params["persuasion_model"] == fast_model.version

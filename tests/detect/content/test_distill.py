"""The LLM labeller's schema and span checks, and distillation from a teacher's labels.

The end-to-end path (`limelight distill` against `limelight llm serve-local`) needs the
local SmolLM2 server to answer a 1,300-character prompt per post; that is exercised by the
LLM client's own integration tests, and here the teacher is the SemEval annotators' labels,
so the student's mechanics are tested on real labels without an LLM.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from pydantic import ValidationError

from limelight.detect.content import (
    TECHNIQUES,
    LabelledTexts,
    LinearHead,
    PersuasionModel,
    TechniqueAnswer,
    TechniqueHit,
    TechniqueId,
    distill_persuasion,
    labels_matrix,
    micro_f1,
)
from limelight.detect.content._llm_labeller import _locate


def test_the_reply_schema_admits_only_the_known_techniques_and_ranges() -> None:
    assert get_args(TechniqueId) == TECHNIQUES
    ok = TechniqueAnswer.model_validate(
        {"techniques": [{"technique": "slogans", "confidence": 0.9, "quote": "MAGA"}]}
    )
    assert ok.techniques[0].technique == "slogans"
    for bad in (
        {"techniques": [{"technique": "organic", "confidence": 0.9}]},
        {"techniques": [{"technique": "slogans", "confidence": 1.5}]},
        {"techniques": [{"technique": "doubt", "confidence": 0.5}] * 21},
    ):
        with pytest.raises(ValidationError):
            TechniqueAnswer.model_validate(bad)


def test_a_quote_is_located_in_the_post_and_an_invented_one_falls_back_to_the_post() -> None:
    text = "They LIED to you.\nWake up, sheeple!"
    assert _locate(text, "wake up, sheeple") == (18, 34)
    assert text[slice(*_locate(text, "LIED to you"))] == "LIED to you"
    start, end = _locate(text, "words that are not there")
    assert (start, end) == (0, len(text))


def test_a_student_learns_its_teachers_labels(
    memes_dev: LabelledTexts, memes_dev_vectors: np.ndarray, tmp_path: Path
) -> None:
    teacher: list[list[TechniqueHit] | None] = [
        [TechniqueHit(TECHNIQUES[j], 1.0, 0, len(text)) for j in np.flatnonzero(row)]
        for text, row in zip(memes_dev.texts, memes_dev.labels, strict=True)
    ]
    teacher[0] = None  # a post the teacher could not label is left out
    head = distill_persuasion(
        memes_dev.texts, teacher, teacher_name="annotators", embeddings=memes_dev_vectors
    )
    assert head.labels == list(TECHNIQUES)
    assert head.report["posts"] == len(memes_dev) - 1 and head.report["unlabelled"] == 1
    assert ((head.thresholds >= 0) & (head.thresholds <= 1)).all()
    truth = labels_matrix([t or [] for t in teacher[1:]])
    proba = head.predict_proba(memes_dev.texts[1:], memes_dev_vectors[1:])
    # on its own training posts the student reproduces the teacher well above chance
    assert micro_f1(truth, proba >= head.thresholds) > 0.6
    path = tmp_path / "student.npz"
    head.save(path)
    student = PersuasionModel(model_path=path)
    assert student.version == head.version == LinearHead.load(path).version

"""Distillation: a capable LLM labels a sample of posts, and a fast local head learns them.

The production path for persuasion techniques: the LLM teaches on a few thousand posts of
the collection at hand (its language, its topics, its slang), and the distilled head, a
logistic regression over the same features as the shipped one (``PERSUASION_SPEC``),
scales to every post at CPU speed. Thresholds are chosen on out-of-fold predictions
against the teacher's labels, as in ``train_persuasion``; the report says how closely the
student agrees with its teacher out of fold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from limelight.detect.content._features import build_features
from limelight.detect.content._labels import TECHNIQUES
from limelight.detect.content._linear import LinearHead, sigmoid
from limelight.detect.content._persuasion import TechniqueHit
from limelight.detect.content._train import (
    PERSUASION_SPEC,
    _choose_thresholds,
    _fit_heads,
    macro_f1,
    micro_f1,
)
from limelight.embed import embed_texts
from limelight.errors import InputError

__all__ = ["distill_persuasion", "labels_matrix"]


def labels_matrix(hits: Sequence[Sequence[TechniqueHit]]) -> np.ndarray:
    """0/1 rows (posts x ``TECHNIQUES``) from per-post hit lists."""
    index = {t: j for j, t in enumerate(TECHNIQUES)}
    out = np.zeros((len(hits), len(TECHNIQUES)), dtype=np.int8)
    for i, found in enumerate(hits):
        for h in found:
            out[i, index[h.technique]] = 1
    return out


def distill_persuasion(
    texts: Sequence[str],
    teacher: Sequence[Sequence[TechniqueHit] | None],
    *,
    teacher_name: str,
    embeddings: np.ndarray | None = None,
    folds: int = 3,
    c: float = 1.0,
    random_state: int = 0,
) -> LinearHead:
    """A persuasion head trained on the teacher's labels (posts it could not label skipped)."""
    rows = [i for i, h in enumerate(teacher) if h is not None]
    if len(rows) < 2 * folds:
        raise InputError(
            f"only {len(rows)} posts have teacher labels; label more (raise --sample) "
            "or check the LLM endpoint"
        )
    kept_texts = [texts[i] for i in rows]
    y = labels_matrix([teacher[i] or [] for i in rows])
    vectors = embed_texts(kept_texts) if embeddings is None else embeddings[rows]
    x = build_features(kept_texts, vectors, PERSUASION_SPEC)
    known = np.ones_like(y, dtype=bool)
    weights = np.ones(len(rows))
    fold_of = np.random.default_rng(random_state).permutation(len(rows)) % folds
    out_of_fold = np.zeros(y.shape)
    for fold in range(folds):
        train = np.flatnonzero(fold_of != fold)
        test = np.flatnonzero(fold_of == fold)
        coef, intercept = _fit_heads(x[train], y[train], known[train], weights[train], c)
        out_of_fold[test] = sigmoid(np.asarray(x[test] @ coef.T) + intercept)
    thresholds = _choose_thresholds(y, out_of_fold)
    coef, intercept = _fit_heads(x, y, known, weights, c)
    agreement = out_of_fold >= thresholds
    report: dict[str, Any] = {
        "teacher": teacher_name,
        "posts": len(rows),
        "unlabelled": len(teacher) - len(rows),
        "teacher_labels": {t: int(n) for t, n in zip(TECHNIQUES, y.sum(axis=0), strict=True)},
        "out_of_fold_micro_f1_vs_teacher": round(micro_f1(y, agreement), 4),
        "out_of_fold_macro_f1_vs_teacher": round(macro_f1(y, agreement), 4),
        "folds": folds,
        "c": c,
    }
    return LinearHead(
        kind="persuasion",
        labels=list(TECHNIQUES),
        spec=PERSUASION_SPEC,
        coef=coef,
        intercept=intercept,
        thresholds=thresholds,
        report=report,
    )

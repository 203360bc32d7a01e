"""Training the AI-text head on TweepFake (``limelight train content``).

One logistic regression over ``AI_TEXT_SPEC`` (hashed character 2-4-grams, word uni- and
bigrams, style counts) on the TweepFake training split. The regularisation strength was
chosen on the validation split among a few values; the threshold is 0.5 (the split is
balanced). The report gives validation accuracy overall, per generator family and per
account, which is what the model card quotes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.content._datasets import load_tweepfake
from limelight.detect.content._features import FeatureSpec, build_features
from limelight.detect.content._linear import LinearHead, sigmoid
from limelight.detect.content._train import fit_logistic

__all__ = ["AI_TEXT_C", "AI_TEXT_SPEC", "train_ai_text"]

AI_TEXT_SPEC = FeatureSpec(embedding=False, word_hash=2**16, char_hash=2**17, style=True)
AI_TEXT_C = 10.0


def train_ai_text(data_dir: Path, *, c: float = AI_TEXT_C) -> LinearHead:
    """Fit the AI-text head on TweepFake train and score the validation split."""
    train = load_tweepfake(data_dir, "train")
    valid = load_tweepfake(data_dir, "validation")
    x = build_features(train.texts, None, AI_TEXT_SPEC)
    coef, intercept = fit_logistic(x, train.is_ai, np.ones(len(train.texts)), c, balanced=False)
    p = sigmoid(np.asarray(build_features(valid.texts, None, AI_TEXT_SPEC) @ coef) + intercept)
    pred = (p >= 0.5).astype(np.int8)
    truth = valid.is_ai
    generators = np.array(valid.generators)
    accounts = np.array(valid.accounts)
    report: dict[str, Any] = {
        "settings": {"spec": AI_TEXT_SPEC.to_json(), "c": c, "threshold": 0.5},
        "train_tweets": len(train.texts),
        "validation": {
            "tweets": len(valid.texts),
            "accuracy": round(float((pred == truth).mean()), 4),
            "per_generator": {
                g: {
                    "tweets": int((generators == g).sum()),
                    "accuracy": round(float((pred == truth)[generators == g].mean()), 4),
                }
                for g in sorted(set(valid.generators))
            },
            "per_account": {
                a: {
                    "generator": str(generators[accounts == a][0]),
                    "tweets": int((accounts == a).sum()),
                    "judged_ai_share": round(float(pred[accounts == a].mean()), 4),
                }
                for a in sorted(set(valid.accounts))
            },
        },
    }
    return LinearHead(
        kind="ai_text",
        labels=["ai_written"],
        spec=AI_TEXT_SPEC,
        coef=coef[None, :],
        intercept=np.array([intercept]),
        thresholds=np.array([0.5]),
        report=report,
    )

"""Training the AI-text head on TweepFake (``limelight train content``).

One logistic regression over ``AI_TEXT_SPEC`` (hashed character 2-4-grams, word uni- and
bigrams, style counts) on the TweepFake training split. The regularisation strength was
chosen on the validation split among a few values; the threshold is 0.5 (the split is
balanced). The report gives validation accuracy overall, per generator family and per
account, which is what the model card quotes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.content._datasets import load_tweepfake
from limelight.detect.content._embedding_cache import embed_cached
from limelight.detect.content._features import FeatureSpec, build_features
from limelight.detect.content._linear import LinearHead, sigmoid
from limelight.detect.content._lora import AdapterSettings, TunedEncoder, fine_tune
from limelight.detect.content._train import fit_logistic

__all__ = [
    "AI_TEXT_C",
    "AI_TEXT_SPEC",
    "BLEND_HOLDOUT",
    "train_ai_text",
    "train_ai_text_encoder",
]

AI_TEXT_SPEC = FeatureSpec(embedding=False, word_hash=2**16, char_hash=2**17, style=True)
AI_TEXT_C = 10.0


def train_ai_text(
    data_dir: Path,
    *,
    c: float = AI_TEXT_C,
    spec: FeatureSpec = AI_TEXT_SPEC,
    cache_dir: Path | None = None,
) -> LinearHead:
    """Fit the AI-text head on TweepFake train and score the validation split."""
    train = load_tweepfake(data_dir, "train")
    valid = load_tweepfake(data_dir, "validation")
    train_vectors = embed_cached(train.texts, cache_dir) if spec.embedding else None
    valid_vectors = embed_cached(valid.texts, cache_dir) if spec.embedding else None
    x = build_features(train.texts, train_vectors, spec)
    coef, intercept = fit_logistic(x, train.is_ai, np.ones(len(train.texts)), c, balanced=False)
    p = sigmoid(np.asarray(build_features(valid.texts, valid_vectors, spec) @ coef) + intercept)
    pred = (p >= 0.5).astype(np.int8)
    truth = valid.is_ai
    generators = np.array(valid.generators)
    accounts = np.array(valid.accounts)
    report: dict[str, Any] = {
        "settings": {"spec": spec.to_json(), "c": c, "threshold": 0.5},
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
        spec=spec,
        coef=coef[None, :],
        intercept=np.array([intercept]),
        thresholds=np.array([0.5]),
        report=report,
    )


BLEND_HOLDOUT = 2000
"""Training tweets kept from both the adapter and the blend's n-gram head, to fit the blend."""


def _accuracy_report(pred: np.ndarray, truth: np.ndarray, generators: list[str]) -> dict[str, Any]:
    g = np.array(generators)
    return {
        "accuracy": round(float((pred == truth).mean()), 4),
        "per_generator": {
            name: {
                "tweets": int((g == name).sum()),
                "accuracy": round(float((pred == truth)[g == name].mean()), 4),
            }
            for name in sorted(set(generators))
        },
    }


def train_ai_text_encoder(
    data_dir: Path,
    ngram_head: LinearHead,
    *,
    settings: AdapterSettings | None = None,
    tune_limit: int | None = None,
    holdout: int = BLEND_HOLDOUT,
    device: str = "cpu",
    progress: Callable[[str], None] | None = None,
) -> TunedEncoder:
    """Fine-tune a MiniLM adapter on TweepFake train and blend it with ``ngram_head``.

    A fixed random ``holdout`` of the training tweets is kept out of the adapter's
    training and out of a second n-gram head fitted only for this purpose; on it both
    give honest log-odds, and a two-weight logistic regression learns how to blend them.
    ``tune_limit`` trains the adapter on the first that many of the other tweets (a CPU
    that cannot afford all of them). The validation split is only scored, for the card.
    """
    s = settings or AdapterSettings()
    train = load_tweepfake(data_dir, "train")
    _, rest = _blend_split(len(train.texts), s.seed, holdout)
    tuned = rest if tune_limit is None else rest[:tune_limit]
    encoder = fine_tune(
        [train.texts[i] for i in tuned],
        train.is_ai[tuned][:, None],
        kind="ai_text_encoder",
        labels=["ai_written"],
        settings=s,
        device=device,
        progress=progress,
    )
    blended = blend_ai_text_encoder(data_dir, ngram_head, encoder, holdout=holdout, device=device)
    return replace(blended, report={**blended.report, "tune_limit": tune_limit})


def _blend_split(n: int, seed: int, holdout: int) -> tuple[np.ndarray, np.ndarray]:
    """The training tweets kept out of fine-tuning for the blend, and the others."""
    order = np.random.default_rng(seed).permutation(n)
    return order[:holdout], order[holdout:]


def blend_ai_text_encoder(
    data_dir: Path,
    ngram_head: LinearHead,
    encoder: TunedEncoder,
    *,
    holdout: int = BLEND_HOLDOUT,
    device: str = "cpu",
) -> TunedEncoder:
    """Blend a fine-tuned ``encoder`` with ``ngram_head`` and score the validation split.

    Separate from fine-tuning so that an adapter trained on a GPU machine can be blended
    with the n-gram head of the machine that ships it: the blend names the head's
    content hash, and floating-point libraries differ in the last bits between machines.
    The held-out tweets are the ones the adapter's seed kept out of its training.
    """
    train = load_tweepfake(data_dir, "train")
    valid = load_tweepfake(data_dir, "validation")
    held, rest = _blend_split(len(train.texts), encoder.settings.seed, holdout)
    spec = ngram_head.spec
    c = float(ngram_head.report.get("settings", {}).get("c", AI_TEXT_C))
    x_rest = build_features([train.texts[i] for i in rest], None, spec)
    coef, intercept = fit_logistic(x_rest, train.is_ai[rest], np.ones(len(rest)), c, False)
    held_texts = [train.texts[i] for i in held]
    ngram_held = np.asarray(build_features(held_texts, None, spec) @ coef) + intercept
    encoder_held = encoder.logits(held_texts, device=device)[:, 0]
    blend_coef, blend_bias = fit_logistic(
        np.column_stack([encoder_held, ngram_held]),
        train.is_ai[held],
        np.ones(len(held)),
        100.0,
        False,
    )
    ngram_valid = ngram_head.decision(build_features(valid.texts, None, spec))[:, 0]
    encoder_valid = encoder.logits(valid.texts, device=device)[:, 0]
    blended = blend_coef[0] * encoder_valid + blend_coef[1] * ngram_valid + blend_bias
    truth = valid.is_ai
    report = dict(encoder.report)
    report.update(
        {
            "blend": {
                "encoder": float(blend_coef[0]),
                "ngram": float(blend_coef[1]),
                "bias": float(blend_bias),
                "ngram_version": ngram_head.version,
                "holdout_tweets": len(held),
            },
            "validation": {
                "tweets": len(valid.texts),
                "encoder_alone": _accuracy_report(
                    (encoder_valid >= 0).astype(np.int8), truth, valid.generators
                ),
                "blended": _accuracy_report(
                    (blended >= 0).astype(np.int8), truth, valid.generators
                ),
            },
        }
    )
    return replace(encoder, report=report, version="", _runtime=None)

"""Training the account model from the labelled data, chosen by leave-one-dataset-out.

``train_account_model(data_dir)`` reads every labelled set (``load_training_data``),
computes the features with the scoring code, holds out each fold of ``FOLDS`` in turn
(plus all of cresci-2017 at once) to measure AUC and F1 on data the model has not seen,
fits the (isotonic) calibration on those held-out predictions, and finally trains the shipped
model on everything. The report it returns is what the model card quotes.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from limelight.detect.accounts._additive import AdditiveModel
from limelight.detect.accounts._datasets import (
    BOT_KINDS,
    FOLDS,
    LabelledAccounts,
    load_cresci,
    load_kaggle,
)
from limelight.detect.accounts._features import FEATURE_NAMES, compute_features
from limelight.detect.accounts._fit import (
    VARIANTS,
    FitSettings,
    balanced_weights,
    fit_additive,
    mask_fields,
    training_table,
)
from limelight.detect.accounts._gilani import load_gilani
from limelight.detect.accounts._metrics import (
    apply_isotonic,
    auc,
    calibration_report,
    f1_at,
    fit_isotonic,
)
from limelight.detect.accounts._model import SELF_DECLARED_LOGIT, AccountModel
from limelight.detect.accounts._names import BigramModel
from limelight.errors import InputError

__all__ = [
    "TrainSettings",
    "TrainingMatrix",
    "build_matrix",
    "held_out_rows",
    "leave_one_dataset_out",
    "load_training_data",
    "reference_words",
    "train_account_model",
]

_TOKEN = re.compile(r"@?[A-Za-z0-9_]+")
_CRESCI_FOLDS = ("cresci-social", "cresci-traditional", "cresci-fake")


@dataclass(frozen=True, slots=True)
class TrainSettings:
    """How the model is trained, with the reasons for the defaults.

    ``dropout_weight``: total weight of the field-dropout copies relative to the real
    rows (0.25 lets the model learn fallbacks for v2/Mastodon/Bluesky without bending the
    full-profile shapes); ``kaggle_weight``: the weakly labelled set counts half.
    """

    fit: FitSettings = field(default_factory=lambda: FitSettings(excluded=("declares_bot",)))
    dropout_weight: float = 0.25
    kaggle_weight: float = 0.5
    folds: tuple[str, ...] = (*FOLDS, "cresci-all")


@dataclass(slots=True)
class TrainingMatrix:
    """Features of the labelled accounts, as seen in full and under each field dropout."""

    x: np.ndarray
    masked: dict[str, np.ndarray]
    label: np.ndarray
    kind: np.ndarray
    fold: np.ndarray
    group: np.ndarray


def load_training_data(data_dir: Path) -> LabelledAccounts:
    """Every labelled set in the data folder, as canonical accounts with labels."""
    data = LabelledAccounts()
    data.extend(load_cresci(data_dir / "cresci-2017-users"))
    data.extend(load_gilani(data_dir / "gilani-2017"))
    data.extend(load_kaggle(data_dir / "kaggle-twitter-bot-2017"))
    return data


def reference_words(data_dir: Path) -> list[str]:
    """Words and @handles of organic posts (TwiBot-20 sample) for the handle bigram table.

    The table must not come from the labelled accounts, or held-out handles would be
    scored against themselves.
    """
    path = data_dir / "twibot20-sample" / "TwiBot-20_sample.json"
    if not path.is_file():
        raise InputError(f"{path}: TwiBot-20 sample not found; point --data at the data folder")
    words: list[str] = []
    for user in json.loads(path.read_text(encoding="utf-8")):
        for text in user.get("tweet") or []:
            for token in _TOKEN.findall(text):
                if token.startswith("@"):
                    words.append(token[1:])
                elif not token.isdigit() and not token.lower().startswith("http"):
                    words.append(token)
    return words


def build_matrix(data: LabelledAccounts, bigrams: BigramModel) -> TrainingMatrix:
    """Compute features for the labelled accounts, in full and with each dropout."""
    table = training_table(data)
    masked = {
        name: compute_features(mask_fields(table, fields), bigrams)
        for name, fields in VARIANTS.items()
        if fields
    }
    return TrainingMatrix(
        x=compute_features(table, bigrams),
        masked=masked,
        label=np.asarray(data.label, dtype=np.int64),
        kind=np.asarray(data.kind),
        fold=np.asarray(data.fold),
        group=np.asarray(data.group),
    )


def _fit(
    m: TrainingMatrix, rows: np.ndarray, positive: np.ndarray, s: TrainSettings
) -> AdditiveModel:
    """Fit one additive model on ``rows`` (labels ``positive``) with dropout copies."""
    y = positive[rows].astype(np.int64)
    w = balanced_weights(y, m.fold[rows], {"kaggle-2017": s.kaggle_weight})
    xs, ys, ws = [m.x[rows]], [y], [w]
    for xm in m.masked.values():
        xs.append(xm[rows])
        ys.append(y)
        ws.append(w * s.dropout_weight / len(m.masked))
    return fit_additive(np.vstack(xs), np.concatenate(ys), np.concatenate(ws), s.fit)


def held_out_rows(m: TrainingMatrix, name: str) -> np.ndarray:
    """Rows of fold ``name`` (``cresci-all``: every cresci-2017 fold at once)."""
    if name == "cresci-all":
        return np.asarray(np.isin(m.fold, _CRESCI_FOLDS), dtype=bool)
    return np.asarray(m.fold == name, dtype=bool)


def _declared(x: np.ndarray) -> np.ndarray:
    flag = x[:, FEATURE_NAMES.index("declares_bot")] == 1.0
    return np.asarray(SELF_DECLARED_LOGIT * flag, dtype=np.float64)


def leave_one_dataset_out(
    m: TrainingMatrix, settings: TrainSettings | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Held-out log-odds per fold: train without the fold, score it in full and as each
    platform would give it (fields dropped), so every number is on unseen data."""
    s = settings or TrainSettings()
    held: dict[str, dict[str, np.ndarray]] = {}
    for name in s.folds:
        test = held_out_rows(m, name)
        model = _fit(m, ~test, m.label, s)
        views = {"full": m.x[test], **{k: v[test] for k, v in m.masked.items()}}
        held[name] = {k: model.decision_function(v) + _declared(v) for k, v in views.items()}
    return held


def train_account_model(
    data_dir: Path, settings: TrainSettings | None = None, *, evaluate: bool = True
) -> AccountModel:
    """Train the shipped model; with ``evaluate``, measure it leave-one-dataset-out first."""
    s = settings or TrainSettings()
    data = load_training_data(data_dir)
    bigrams = BigramModel.fit(reference_words(data_dir))
    m = build_matrix(data, bigrams)
    report: dict[str, Any] = {"settings": _settings_json(s), "data": _data_summary(m)}
    # Without evaluation there are no held-out predictions: fall back to the logistic map.
    grid = np.linspace(-8.0, 8.0, 33)
    calibration = (grid.tolist(), (1.0 / (1.0 + np.exp(-grid))).round(6).tolist())
    if evaluate:
        held = leave_one_dataset_out(m, s)
        oof = np.full(len(m.label), np.nan)
        for name in held:
            if name in FOLDS:
                oof[held_out_rows(m, name)] = held[name]["full"]
        calibration = fit_isotonic(oof, m.label)
        report["folds"] = {}
        for name, z in held.items():
            test = held_out_rows(m, name)
            # F1 at 0.5 with a calibration fitted on the other folds only
            other = ~test & np.isfinite(oof)
            score = apply_isotonic(z["full"], fit_isotonic(oof[other], m.label[other]))
            report["folds"][name] = _fold_report(z, m.label[test], score)
        report["calibration"] = calibration_report(oof, m.label, m.fold)
    general = _fit(m, np.ones(len(m.label), dtype=bool), m.label, s)
    specialists: dict[str, AdditiveModel] = {}
    for kind in BOT_KINDS:
        rows = (m.kind == "human") | (m.kind == kind)
        specialists[kind] = _fit(m, rows, (m.kind == kind).astype(np.int64), s)
    report["features_used"] = general.names
    return AccountModel(general, specialists, calibration, bigrams, report)


def _fold_report(z: dict[str, np.ndarray], y: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {"accounts": len(y), "bots": int(y.sum())}
    for view, logit in z.items():
        suffix = "" if view == "full" else f"_{view}"
        out[f"auc{suffix}"] = round(auc(logit, y), 4)
    out["f1"] = round(f1_at(score, y, 0.5), 4)
    return out


def _settings_json(s: TrainSettings) -> dict[str, Any]:
    out = asdict(s)
    out["fit"] = asdict(s.fit)
    plain: dict[str, Any] = json.loads(json.dumps(out))
    return plain


def _data_summary(m: TrainingMatrix) -> dict[str, dict[str, int]]:
    groups, counts = np.unique(m.group, return_counts=True)
    return {
        str(g): {"accounts": int(c), "bots": int(m.label[m.group == g].sum())}
        for g, c in zip(groups, counts, strict=True)
    }

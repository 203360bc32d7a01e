"""Evaluation and calibration numbers, in NumPy (no scikit-learn needed to train or test).

Calibration is measured at an even prior: both classes weigh the same, because the
labelled sets hold far more bots than a real campaign's audience does, and a score that
means "probability at 50/50" can be re-weighted by an analyst who knows the base rate
(odds x prior odds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "BOT_LABELS",
    "HUMAN_LABELS",
    "apply_isotonic",
    "auc",
    "calibration_report",
    "expected_calibration_error",
    "f1_at",
    "fit_isotonic",
    "fit_platt",
    "label_agreement",
]


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    bounds = np.r_[0, np.flatnonzero(np.diff(s)) + 1, len(s)]
    mean_rank = (bounds[:-1] + bounds[1:] - 1) / 2.0 + 1.0
    r = np.empty(len(s))
    r[order] = np.repeat(mean_rank, np.diff(bounds))
    pos = label == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((r[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def f1_at(score: np.ndarray, label: np.ndarray, threshold: float) -> float:
    """F1 of the bot class when scores at or above ``threshold`` are called bots."""
    pred = score >= threshold
    tp = int((pred & (label == 1)).sum())
    fp = int((pred & (label == 0)).sum())
    fn = int((~pred & (label == 1)).sum())
    return 2.0 * tp / (2.0 * tp + fp + fn) if tp else 0.0


def _balanced(label: np.ndarray) -> np.ndarray:
    w = np.where(label == 1, 0.5 / max(int(label.sum()), 1), 0.5 / max(int((label == 0).sum()), 1))
    return w * len(label)


def fit_platt(logit: np.ndarray, label: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Slope and offset of P = sigmoid(a*z + b), by class-balanced maximum likelihood."""
    keep = np.isfinite(logit)
    z, y = logit[keep], label[keep].astype(np.float64)
    w = _balanced(label[keep])
    a, b = 1.0, 0.0
    for _ in range(iterations):  # Newton steps on a 2-parameter logistic regression
        p = 1.0 / (1.0 + np.exp(-np.clip(a * z + b, -40, 40)))
        g = np.array([np.sum(w * (p - y) * z), np.sum(w * (p - y))])
        h = w * p * (1 - p)
        hess = np.array([[np.sum(h * z * z), np.sum(h * z)], [np.sum(h * z), np.sum(h)]])
        hess += 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return round(float(a), 6), round(float(b), 6)


def fit_isotonic(
    logit: np.ndarray, label: np.ndarray, knots: int = 64
) -> tuple[list[float], list[float]]:
    """Monotone map from log-odds to probability (pool-adjacent-violators, balanced).

    Returns knots (x, y) for linear interpolation, at most ``knots`` of them, so the
    model file stays small and the map has no sudden steps.
    """
    keep = np.isfinite(logit)
    order = np.argsort(logit[keep], kind="mergesort")
    z = logit[keep][order]
    y = label[keep][order].astype(np.float64)
    w = _balanced(label[keep])[order]
    # Blocks of (weighted sum of y, weight, sum of w*z); merge while a block's mean is
    # not above its predecessor's.
    sums: list[float] = []
    weights: list[float] = []
    zsum: list[float] = []
    for yi, wi, zi in zip(y.tolist(), w.tolist(), z.tolist(), strict=True):
        sums.append(yi * wi)
        weights.append(wi)
        zsum.append(zi * wi)
        while len(sums) > 1 and sums[-2] / weights[-2] >= sums[-1] / weights[-1]:
            s, ww, zz = sums.pop(), weights.pop(), zsum.pop()
            sums[-1] += s
            weights[-1] += ww
            zsum[-1] += zz
    bx = np.array(zsum) / np.array(weights)
    by = np.array(sums) / np.array(weights)
    if len(bx) > knots:  # keep evenly spaced knots by cumulative weight
        cw = np.cumsum(weights) / np.sum(weights)
        idx = np.unique(
            np.searchsorted(cw, np.linspace(0, 1, knots), side="left").clip(0, len(bx) - 1)
        )
        bx, by = bx[idx], by[idx]
    by = np.clip(by, 0.001, 0.999)
    return [round(float(v), 6) for v in bx], [round(float(v), 6) for v in by]


def apply_isotonic(logit: np.ndarray, knots: tuple[list[float], list[float]]) -> np.ndarray:
    """Probability from log-odds through the fitted knots (flat beyond the ends)."""
    return np.asarray(np.interp(logit, knots[0], knots[1]), dtype=np.float64)


def expected_calibration_error(
    score: np.ndarray, label: np.ndarray, bins: int = 10
) -> tuple[float, list[dict[str, float]]]:
    """Class-balanced ECE over equal-width score bins, with the reliability table."""
    w = _balanced(label)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    ece, table = 0.0, []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        wb = w[m].sum()
        mean_score = float((w[m] * score[m]).sum() / wb)
        bot_share = float((w[m] * label[m]).sum() / wb)
        ece += wb / w.sum() * abs(mean_score - bot_share)
        table.append(
            {
                "low": round(float(edges[b]), 2),
                "high": round(float(edges[b + 1]), 2),
                "accounts": int(m.sum()),
                "mean_score": round(mean_score, 4),
                "bot_share": round(bot_share, 4),
            }
        )
    return float(ece), table


def calibration_report(logit: np.ndarray, label: np.ndarray, fold: np.ndarray) -> dict[str, Any]:
    """Brier score, ECE and reliability of held-out scores, calibrated across folds.

    Each fold's scores go through a calibration fitted on the other folds only, so the
    numbers say how well the probabilities hold on a data set the calibration has not
    seen either.
    """
    keep = np.isfinite(logit)
    z, y, f = logit[keep], label[keep], fold[keep]
    p = np.empty(len(z))
    for name in np.unique(f):
        test = f == name
        p[test] = apply_isotonic(z[test], fit_isotonic(z[~test], y[~test]))
    w = _balanced(y)
    ece, table = expected_calibration_error(p, y)
    return {
        "method": "isotonic, cross-fitted over the folds",
        "brier": round(float((w * (p - y) ** 2).sum() / w.sum()), 4),
        "ece": round(ece, 4),
        "reliability": table,
    }


#: Label values taken as bot (1) or human (0) when an analyst's data carries its own
#: labels (TwiBot-20's "1"/"0", Kaggle's bot column, words); anything else is unlabelled.
BOT_LABELS = frozenset({"1", "1.0", "bot", "bots", "true", "yes", "fake", "spambot"})
HUMAN_LABELS = frozenset({"0", "0.0", "human", "humans", "false", "no", "genuine", "real"})


def label_agreement(
    bot_score: np.ndarray, labels: list[str | None], threshold: float = 0.5
) -> dict[str, Any]:
    """How scores agree with labels the data brought: AUC, and precision, recall, F1 and
    accuracy with bots called at ``threshold``. Labels are read with ``BOT_LABELS`` and
    ``HUMAN_LABELS`` (case and spaces ignored); the rest are counted as unlabelled."""
    words = [(v or "").strip().lower() for v in labels]
    known = np.array([w in BOT_LABELS or w in HUMAN_LABELS for w in words], dtype=bool)
    y = np.array([w in BOT_LABELS for w in words], dtype=np.int64)[known]
    s = np.asarray(bot_score, dtype=np.float64)[known]
    pred = s >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    return {
        "labelled": int(known.sum()),
        "unlabelled": int((~known).sum()),
        "bots": int(y.sum()),
        "auc": auc(s, y) if s.size else float("nan"),
        "threshold": threshold,
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "f1": f1_at(s, y, threshold),
        "accuracy": float((pred == (y == 1)).mean()) if s.size else float("nan"),
    }

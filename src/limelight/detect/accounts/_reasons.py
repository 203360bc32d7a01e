"""Plain-words reasons for a score, each naming the feature value it rests on.

A reason is one term of the additive model: the feature that moved this account's
log-odds most in the direction of its score. It reads as words and ends with the exact
value, e.g. ``handle ends in 8 digits (handle_trailing_digits = 8)``, so an analyst can
check it against the profile. Missing values are never given as reasons: an absent field
is not evidence an analyst can check.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from limelight.detect.accounts._features import FEATURE_NAMES, FEATURES

__all__ = ["DECLARED_REASON", "format_value", "reason_text", "reason_texts", "top_reasons"]

_SPEC = {f.name: f for f in FEATURES}
_SHARES = frozenset(
    {"repost_share", "reply_share", "quote_share", "top_client_share", "text_repetition"}
)
DECLARED_REASON = "says it is a bot in its handle, name, bio or platform flag (declares_bot = 1)"
_MIN_TERM = 0.05  # log-odds; smaller terms do not explain anything


def format_value(value: float) -> str:
    """The value as shown in parentheses: an integer, or 3 significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.3g}"


def _three_digits(v: np.ndarray) -> np.ndarray:
    """Round to 3 significant digits (what a reason shows), vectorized."""
    mag = np.floor(np.log10(np.where((v == 0) | ~np.isfinite(v), 1.0, np.abs(v))))
    scale = 10.0 ** (2 - mag)
    return np.where(np.isfinite(v), np.round(v * scale) / scale, v)


def _words_value(name: str, value: float) -> str:
    spec = _SPEC[name]
    if name in _SHARES:
        return f"{value:.0%}"
    if spec.integer or (value == int(value) and abs(value) >= 10):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def reason_text(name: str, value: float) -> str:
    """One reason: the feature's words with its value, and ``(name = value)``."""
    if name == "declares_bot" and value == 1.0:
        return DECLARED_REASON
    words = _SPEC[name].words.format(v=_words_value(name, value))
    return f"{words} ({name} = {format_value(value)})"


def reason_texts(name: str, values: list[float]) -> list[str]:
    """``[reason_text(name, v) for v in values]``, made with one template lookup for all
    values: scoring words thousands of distinct (feature, value) pairs per run."""
    if name == "declares_bot":
        return [reason_text(name, v) for v in values]
    spec = _SPEC[name]
    head, tail = spec.words.split("{v}", 1)
    tail = f"{tail} ({name} = "
    share = name in _SHARES
    out = []
    for v in values:
        whole = v == int(v)
        shown = str(int(v)) if whole and abs(v) < 1e15 else f"{v:.3g}"
        if share:
            words = f"{v:.0%}"
        elif spec.integer or (whole and abs(v) >= 10) or abs(v) >= 100:
            words = f"{v:,.0f}"
        else:
            words = f"{v:.3g}"
        out.append(f"{head}{words}{tail}{shown})")
    return out


def top_reasons(
    contributions: np.ndarray,
    columns: list[int],
    x: np.ndarray,
    toward_bot: np.ndarray,
    declared: np.ndarray,
    k: int = 3,
) -> pa.ListArray:
    """For each row, the ``k`` terms that pushed hardest toward its side of 0.5.

    ``toward_bot`` says per row whether to explain a high score (terms raising it) or a
    low one (terms lowering it). A self-declared bot's declaration comes first. Each
    distinct (feature, value) is worded once; rows only pick from those texts, so no
    Python runs per account.
    """
    n = contributions.shape[0]
    values = x[:, columns]
    # ``work`` is a fresh array: the rounds below overwrite it in place.
    work = np.where(toward_bot[:, None], contributions, -contributions)
    work[np.isnan(values)] = -np.inf
    names = [FEATURE_NAMES[c] for c in columns] + ["declares_bot"]
    kk = min(k, work.shape[1])
    # k rounds of argmax beat sorting every row: only the first few terms are wanted.
    top = np.empty((n, kk), dtype=np.int64)
    terms = np.empty((n, kk))
    rows = np.arange(n)
    for r in range(kk):
        best = np.argmax(work, axis=1)
        top[:, r] = best
        terms[:, r] = work[rows, best]
        work[rows, best] = -np.inf
    vals = np.take_along_axis(values, top, axis=1)
    # A self-declared bot's declaration (pseudo-feature len(columns)) comes first.
    first = declared & toward_bot
    if first.any() and kk:
        top[first] = np.hstack([np.full((int(first.sum()), 1), len(columns)), top[first][:, :-1]])
        terms[first] = np.hstack([np.full((int(first.sum()), 1), np.inf), terms[first][:, :-1]])
        vals[first] = np.hstack([np.ones((int(first.sum()), 1)), vals[first][:, :-1]])
    keep = terms > _MIN_TERM
    feat = top[keep]
    val = vals[keep]
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int32)
    if not len(feat):
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array([], pa.string()))
    # Values are shown to 3 significant digits, so accounts share wordings. Sort by
    # (feature, exact value), round only the distinct values, and regroup: rounding is
    # monotone, so equal rounded values stay adjacent within a feature.
    order = np.lexsort((val, feat))
    f_sorted, v_sorted = feat[order], val[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = (f_sorted[1:] != f_sorted[:-1]) | (v_sorted[1:] != v_sorted[:-1])
    u_feat, u_val = f_sorted[head], _three_digits(v_sorted[head])
    u_head = np.ones(len(u_feat), dtype=bool)
    u_head[1:] = (u_feat[1:] != u_feat[:-1]) | (u_val[1:] != u_val[:-1])
    group = np.empty(len(order), dtype=np.int32)
    group[order] = (np.cumsum(u_head) - 1)[np.cumsum(head) - 1]
    t_feat, t_val = u_feat[u_head], u_val[u_head]
    # texts come out sorted by feature: word each feature's run of values at once
    cuts = np.flatnonzero(np.diff(t_feat)) + 1
    texts: list[str] = []
    for run_feat, run_val in zip(np.split(t_feat, cuts), np.split(t_val, cuts), strict=True):
        if len(run_feat):
            texts.extend(reason_texts(names[int(run_feat[0])], run_val.tolist()))
    flat = pa.DictionaryArray.from_arrays(pa.array(group), pa.array(texts, pa.string()))
    flat = flat.cast(pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), flat)

"""Scoring every account in the store, and the report behind one account's score.

``AccountScorer(...).score(db)`` reads profiles and behaviour summaries in one query,
computes features, scores, sub-scores, reasons and cohorts with whole-array code, and
returns an ``AccountScores`` holding the ``account_scores`` table and the settings that
made it; ``write`` stores it with ``db.replace_table`` for the later stages.
``account_report(db, account_id)`` explains one account (what ``limelight show account``
prints).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from limelight.detect.accounts._behaviour import BEHAVIOUR_SCHEMA, scoring_table
from limelight.detect.accounts._cohorts import CohortFinder
from limelight.detect.accounts._datasets import BOT_KINDS
from limelight.detect.accounts._features import FEATURE_NAMES, compute_features
from limelight.detect.accounts._model import AccountModel
from limelight.detect.accounts._names import handle_local_part
from limelight.detect.accounts._reasons import reason_text, top_reasons
from limelight.errors import InputError
from limelight.store import Database

__all__ = ["COHORTS_TABLE", "SCORES_TABLE", "AccountScorer", "AccountScores", "account_report"]

SCORES_TABLE = "account_scores"
COHORTS_TABLE = "account_cohorts"


@dataclass(slots=True)
class AccountScores:
    """The ``account_scores`` table (one row per platform and account) and its settings."""

    table: pa.Table
    cohorts: list[dict[str, Any]]
    params: dict[str, Any]

    def write(self, db: Database) -> int:
        """Store the scores as the ``account_scores`` table and each cohort once in the
        ``account_cohorts`` table, replacing earlier ones in one transaction.

        A cohort's evidence is the cohort's, not each member's: repeated on every member's
        row it was a third of the bytes written (100,000 accounts in 15,800 cohorts)."""
        scores = self.table
        if "cohort_evidence" in scores.column_names:
            scores = scores.drop_columns(["cohort_evidence"])
        written = db.replace_tables({SCORES_TABLE: scores, COHORTS_TABLE: self.cohorts_table()})
        return written[SCORES_TABLE]

    def cohorts_table(self) -> pa.Table:
        """One row per cohort: its id, size, span of creation days and evidence."""
        return pa.table(
            {
                "cohort_id": pa.array([c["cohort_id"] for c in self.cohorts], pa.string()),
                "cohort_size": pa.array([c["size"] for c in self.cohorts], pa.int64()),
                "span_days": pa.array([c["span_days"] for c in self.cohorts], pa.float64()),
                "cohort_evidence": pa.array([c["evidence"] for c in self.cohorts], pa.string()),
            }
        )


class AccountScorer:
    """Score accounts for automation and fakery, with reasons and cohorts.

    ``model_path=None`` uses the model shipped with limelight; ``top_reasons=3`` keeps a
    report readable; ``threshold=0.5`` (a probability at an even prior) decides when an
    account's ``kind`` is a bot kind rather than ``human``; ``cohorts`` are the settings
    of ``CohortFinder``.
    """

    def __init__(
        self,
        model_path: str | None = None,
        top_reasons: int = 3,
        threshold: float = 0.5,
        cohorts: CohortFinder | None = None,
    ) -> None:
        self.model_path = model_path
        self.top_reasons = top_reasons
        self.threshold = threshold
        self.cohorts = cohorts or CohortFinder()

    def score(self, db: Database) -> AccountScores:
        """Score every account in ``db``."""
        return self.score_table(scoring_table(db))

    def score_table(self, table: pa.Table, model: AccountModel | None = None) -> AccountScores:
        """Score the accounts of a table with the store's account (and behaviour) columns."""
        model = model or AccountModel.load(self.model_path)
        raw = _strings(table, "handle")
        handles = handle_local_part(
            raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
        )
        # Cohorts need no scores: find them on a second core while the scores are made
        # (Arrow and NumPy release the GIL in their kernels).
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            cohort_job = pool.submit(self.cohorts.find, table, handles)
            x = compute_features(table, model.bigrams, handles)
            pred = model.predict(x)
            bot = pred.bot_score >= self.threshold
            reasons = top_reasons(
                pred.contributions, pred.feature_columns, x, bot, pred.declared, self.top_reasons
            )
            kinds = [k for k in BOT_KINDS if k in pred.sub_scores]
            if kinds:
                stacked = np.vstack([pred.sub_scores[k] for k in kinds])
                top_kind = np.argmax(stacked, axis=0) + 1
            else:
                kinds, top_kind = ["bot"], np.ones(table.num_rows, dtype=np.int64)
            kind = _labels(np.where(bot, top_kind, 0), ["human", *kinds])
            cohorts = cohort_job.result()
        finally:
            pool.shutdown(wait=True)
        n_posts = x[:, FEATURE_NAMES.index("posts_observed")]
        basis = _labels(
            np.where(_has_profile(table), np.where(np.isnan(n_posts), 0, 1), 2),
            ["profile", "profile+behaviour", "behaviour"],
        )
        columns: dict[str, Any] = {
            "platform": table.column("platform"),
            "account_id": table.column("account_id"),
            "handle": _strings(table, "handle"),
            "bot_score": pa.array(np.round(pred.bot_score, 6)),
            "kind": kind,
        }
        for k in BOT_KINDS:
            values = pred.sub_scores.get(k)
            columns[k] = (
                pa.array(np.round(values, 6))
                if values is not None
                else pa.nulls(table.num_rows, pa.float64())
            )
        columns["reasons"] = reasons
        columns["basis"] = basis
        for name in ("cohort_id", "cohort_size", "cohort_evidence"):
            columns[name] = cohorts.table.column(name)
        columns["model"] = _labels(np.zeros(table.num_rows, dtype=np.int64), [model.version])
        params = {
            "model": model.version,
            "top_reasons": self.top_reasons,
            "threshold": self.threshold,
            "cohorts": cohorts.params,
        }
        return AccountScores(pa.table(columns), cohorts.cohorts, params)


def _labels(codes: np.ndarray, words: list[str]) -> pa.Array:
    """A string column from per-row codes into ``words`` (no Python object per row)."""
    index = pa.array(codes.astype(np.int32))
    return pa.DictionaryArray.from_arrays(index, pa.array(words, pa.string())).cast(pa.string())


def _strings(table: pa.Table, name: str) -> pa.ChunkedArray | pa.Array:
    if name in table.column_names:
        return table.column(name)
    return pa.nulls(table.num_rows, pa.string())


def _has_profile(table: pa.Table) -> np.ndarray:
    """Whether each row has a stored profile (tables without the column are profiles)."""
    if "has_profile" not in table.column_names:
        return np.ones(table.num_rows, dtype=bool)
    flags = pc.fill_null(table.column("has_profile"), True)
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


def account_report(
    db: Database, account_id: str, *, model: AccountModel | None = None, terms: int = 10
) -> dict[str, Any]:
    """Everything behind one account's score, as a JSON-ready dict.

    The score is recomputed from the store with the same model (so it matches the
    stored row); the cohort comes from the stored ``account_scores`` table, since a
    cohort is a property of the whole population (run ``limelight accounts`` first).
    """
    table = scoring_table(db, account_id)
    if table.num_rows == 0:
        raise InputError(
            f"account {account_id!r} is not in {db.path}: give an account_id from the "
            f"accounts or posts table"
        )
    model = model or AccountModel.load()
    table = table.slice(0, 1)
    x = compute_features(table, model.bigrams)
    scored = AccountScorer().score_table(table, model)
    row = {k: v[0] for k, v in scored.table.to_pydict().items()}
    pred = model.predict(x)
    contrib = pred.contributions[0]
    order = np.argsort(-np.abs(contrib))[:terms]
    sub_scores: dict[str, Any] = {}
    for kind, spec in model.specialists.items():
        c = spec.contributions(x)[0]
        best = [j for j in np.argsort(-c) if c[j] > 0.05 and not np.isnan(x[0, spec.columns[j]])][
            :2
        ]
        sub_scores[kind] = {
            "score": row[kind],
            "reasons": [reason_text(spec.names[j], float(x[0, spec.columns[j]])) for j in best],
        }
    cohort = _stored_cohort(db, str(row["platform"]), account_id)
    profile = {
        k: table.column(k)[0].as_py() for k in table.column_names if k not in BEHAVIOUR_SCHEMA.names
    }
    behaviour = {
        k: table.column(k)[0].as_py() for k in BEHAVIOUR_SCHEMA.names[2:] if k in table.column_names
    }
    return {
        "platform": row["platform"],
        "account_id": account_id,
        "handle": row["handle"],
        "bot_score": row["bot_score"],
        "kind": row["kind"],
        "reasons": row["reasons"],
        "basis": row["basis"],
        "sub_scores": sub_scores,
        "terms": [
            {
                "feature": pred.feature_names[j],
                "value": _finite(x[0, pred.feature_columns[j]]),
                "log_odds": round(float(contrib[j]), 4),
            }
            for j in order
        ],
        "features": {name: _finite(x[0, j]) for j, name in enumerate(FEATURE_NAMES)},
        "profile": {
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in profile.items()
        },
        "behaviour": {
            k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in behaviour.items()
        },
        "cohort": cohort,
        "model": model.version,
    }


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


def _stored_cohort(db: Database, platform: str, account_id: str) -> dict[str, Any] | None:
    if not db.has_table(SCORES_TABLE):
        return None
    # Stores written before account_cohorts existed keep the evidence on each row.
    evidence = (
        f"(SELECT c.cohort_evidence FROM {COHORTS_TABLE} c WHERE c.cohort_id = s.cohort_id)"
        if db.has_table(COHORTS_TABLE)
        else "s.cohort_evidence"
    )
    rows = db.query(
        f"SELECT s.cohort_id, s.cohort_size, {evidence} FROM {SCORES_TABLE} s "
        "WHERE s.platform = ? AND s.account_id = ?",
        [platform, account_id],
    )
    if not rows or rows[0][0] is None:
        return None
    return {"cohort_id": rows[0][0], "size": rows[0][1], "evidence": rows[0][2]}

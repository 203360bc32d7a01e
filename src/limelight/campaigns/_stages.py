"""The analysis after ingest: every available detector, then fusion, each done once per input.

Each stage has a fingerprint: a hash of what it reads (the posts and accounts tables, or the
tables of the stages before it) and of its settings. ``run_stages`` compares it with the
one stored in ``spotlight_runs`` by the last run and skips the stage when they match and
its tables are still there, so rerunning ``limelight analyze`` on the same data reuses the
work and changing one setting reruns only what depends on it.

Stages: ``coordination`` (campaigns, members, evidence and ``spotlight_edges``),
``accounts`` (``account_scores``), ``content`` (``run_content``: techniques, AI-written
text, narratives; when the ``content`` extra is installed and posts have text, else the
tables ``limelight content`` wrote before, if any), ``fusion`` (``fuse``).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from limelight import __version__
from limelight.campaigns._edges import campaign_edges
from limelight.campaigns._fuse import FusionSettings
from limelight.campaigns._run import fuse
from limelight.campaigns._tables import EDGES, FUSED_TABLES, RUN_SCHEMA, RUNS
from limelight.store import Database

__all__ = ["STAGES", "AnalysisSettings", "StageResult", "run_stages", "store_fingerprint"]

STAGES: tuple[str, ...] = ("coordination", "accounts", "content", "fusion")

_CONTENT_TABLES = (
    "post_techniques",
    "post_ai_text",
    "account_ai_text",
    "narratives",
    "narrative_posts",
)
#: What ``limelight.detect.content`` needs beyond the core (the ``content`` extra).
_CONTENT_MODULES = ("torch", "sentence_transformers", "sklearn")
_FAST_CONTENT_MODULES = ("tokenizers", "sklearn")
_TEXT_POSTS = (
    "SELECT count(*) FROM posts WHERE kind NOT IN ('repost', 'like') AND text IS NOT NULL "
    "AND length(trim(text)) > 0"
)


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    """Settings of the detectors and the fusion, as ``limelight analyze`` passes them.

    ``behaviours`` None means coordination's defaults; ``alpha``, ``min_accounts`` and
    ``random_state`` are ``find_campaigns``'s settings; ``content`` runs the content
    detectors (``limelight.detect.content.run_content``) when their extra is installed;
    ``fast_content`` runs them without torch (``limelight content --fast``: the fast
    techniques head, the n-gram AI-text head, narratives on static vectors), which needs
    only the ``content-fast`` extra; ``fusion`` weighs the signals.
    """

    behaviours: tuple[str, ...] | None = None
    alpha: float = 0.01
    min_accounts: int = 3
    random_state: int = 0
    content: bool = True
    fast_content: bool = False
    fusion: FusionSettings = field(default_factory=FusionSettings)

    def params(self) -> dict[str, Any]:
        """The settings as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class StageResult:
    """What one stage did: ``done``, ``skipped`` (inputs unchanged) or ``unavailable``."""

    stage: str
    status: str
    fingerprint: str
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    finished_at: datetime | None = None


def _digest(*parts: Any) -> str:
    # The package version is part of every fingerprint: a new release recomputes everything.
    text = orjson.dumps((__version__, *parts), option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(text).hexdigest()[:16]


def store_fingerprint(db: Database) -> str:
    """A fingerprint of the posts and accounts tables: changes when anything is added."""
    rows = db.query(
        """
        SELECT (SELECT count(*) FROM posts),
               (SELECT coalesce(sum(hash(platform, post_id, len(urls), len(hashtags),
                                         len(mentions), len(media)) % 1000000007), 0)
                FROM posts),
               (SELECT count(*) FROM accounts),
               (SELECT coalesce(sum(hash(platform, account_id, seen_at, followers,
                                         posts_count, created_at) % 1000000007), 0)
                FROM accounts)
        """
    )
    return _digest(*rows[0])


def _table_fingerprint(db: Database, names: tuple[str, ...]) -> str:
    present = [n for n in names if db.has_table(n)]
    counts = [db.query(f"SELECT count(*) FROM {n}")[0][0] for n in present]
    return _digest(present, counts)


def _previous(db: Database) -> dict[str, dict[str, Any]]:
    if not db.has_table(RUNS):
        return {}
    rows = db.arrow(f"SELECT * FROM {RUNS}").to_pylist()
    for r in rows:
        r["params"] = orjson.loads(r["params"] or "{}")
    return {str(r["stage"]): r for r in rows}


def _reusable(
    prev: dict[str, dict[str, Any]], stage: str, fp: str, tables: tuple[str, ...], db: Database
) -> bool:
    row = prev.get(stage)
    return bool(
        row
        and row["fingerprint"] == fp
        and row["status"] in ("done", "skipped")
        and all(db.has_table(t) for t in tables)
    )


def run_stages(
    db: Database,
    settings: AnalysisSettings | None = None,
    *,
    on_stage: Callable[[str, str], None] | None = None,
    force: bool = False,
    llm: Any = None,
) -> list[StageResult]:
    """Run (or reuse) every stage in order and record each in ``spotlight_runs``.

    ``on_stage(stage, event)`` is called with ``start`` and then the stage's status, for a
    progress display. ``force`` reruns every stage. ``llm`` (``LLMSettings``; default: from
    the environment, off unless ``LIMELIGHT_LLM_BASE_URL`` is set) writes the notes.
    """
    if llm is None:
        from limelight.llm import LLMSettings

        llm = LLMSettings.from_env()
    s = settings or AnalysisSettings()
    prev = {} if force else _previous(db)
    results: list[StageResult] = []
    notify = on_stage or (lambda _stage, _event: None)
    data_fp = store_fingerprint(db)

    def stage(name: str, fp: str, tables: tuple[str, ...], work: Callable[[], StageResult]) -> str:
        notify(name, "start")
        started = datetime.now(UTC)
        if _reusable(prev, name, fp, tables, db):
            before = str(prev[name]["message"] or "").removeprefix("reused: ")
            res = StageResult(name, "skipped", fp, f"reused: {before}", prev[name]["params"])
        else:
            res = work()
        now = datetime.now(UTC)
        seconds = (now - started).total_seconds()
        res = StageResult(
            res.stage, res.status, res.fingerprint, res.message, res.params, seconds, now
        )
        results.append(res)
        _record(db, results, prev)
        notify(name, res.status)
        return fp

    coord_params = {k: v for k, v in s.params().items() if k not in ("fusion", "content")}
    coord_fp = _digest(data_fp, coord_params)

    def coordination() -> StageResult:
        from limelight.detect.coordination import find_campaigns

        result = find_campaigns(
            db,
            list(s.behaviours) if s.behaviours else None,
            alpha=s.alpha,
            min_accounts=s.min_accounts,
            random_state=s.random_state,
        )
        db.replace_table(EDGES, campaign_edges(result))
        n, m = result.campaigns.num_rows, result.members.num_rows
        message = f"{_count(n, 'campaign')}, {_count(m, 'account')} in them"
        return StageResult("coordination", "done", coord_fp, message, result.params)

    stage("coordination", coord_fp, ("campaigns", "campaign_members", EDGES), coordination)

    acc_fp = _digest(data_fp, _model_version())

    def accounts() -> StageResult:
        from limelight.detect.accounts import AccountScorer

        scores = AccountScorer().score(db)
        scores.write(db)
        return StageResult(
            "accounts",
            "done",
            acc_fp,
            f"{_count(scores.table.num_rows, 'account')} scored",
            scores.params,
        )

    stage("accounts", acc_fp, ("account_scores", "account_cohorts"), accounts)

    content_fp = _digest(data_fp, "content", s.content, s.fast_content)

    def content() -> StageResult:
        present = [t for t in _CONTENT_TABLES if db.has_table(t)]
        earlier = "read the tables `limelight content` wrote before"

        def result(status: str, message: str) -> StageResult:
            return StageResult("content", status, content_fp, message)

        if not s.content:
            return result("done", earlier) if present else result("unavailable", "turned off")
        n_text = int(db.query(_TEXT_POSTS)[0][0])
        if n_text == 0:
            return result("unavailable", "no posts with text to read (reposts carry none)")
        modules = _FAST_CONTENT_MODULES if s.fast_content else _CONTENT_MODULES
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            extra = "content-fast" if s.fast_content else "content"
            if present:
                return result("done", earlier)
            return result(
                "unavailable",
                f"the content detectors need `pip install 'limelight[{extra}]'` "
                f"({', '.join(missing)} missing)",
            )
        from limelight.detect.content import run_content

        found = run_content(db, fast=s.fast_content)
        tables = found.tables
        hits = tables["post_techniques"].num_rows
        ai = sum(bool(v) for v in tables["post_ai_text"].column("ai_written").to_pylist())
        message = (
            f"{_count(n_text, 'post')} read: {_count(hits, 'technique span')}, "
            f"{ai:,} judged AI-written, {_count(tables['narratives'].num_rows, 'narrative')}"
        )
        return StageResult("content", "done", content_fp, message, found.params)

    stage("content", content_fp, ("post_techniques", "post_ai_text"), content)
    content_fp = _digest(content_fp, _table_fingerprint(db, _CONTENT_TABLES))

    llm_id = [llm.base_url, llm.model] if llm.enabled else None
    fusion_fp = _digest(coord_fp, acc_fp, content_fp, asdict(s.fusion), llm_id)

    def fusion() -> StageResult:
        result = fuse(db, s.fusion, llm=llm)
        n = result.campaigns.num_rows
        labelled = result.tables["account_labels"].num_rows
        message = f"{_count(n, 'campaign')}, {_count(labelled, 'labelled account')}"
        return StageResult("fusion", "done", fusion_fp, message, result.params)

    fused = tuple(t for t in FUSED_TABLES if t != EDGES)
    stage("fusion", fusion_fp, fused, fusion)
    return results


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _model_version() -> str:
    from limelight.detect.accounts import AccountModel

    return str(AccountModel.load().version)


def _record(db: Database, results: list[StageResult], prev: dict[str, dict[str, Any]]) -> None:
    """Store the stages run so far (and the earlier run's other stages) in ``spotlight_runs``."""
    done = {r.stage for r in results}
    rows: list[dict[str, Any]] = [dict(v) for k, v in prev.items() if k not in done]
    rows += [
        {
            "stage": r.stage,
            "fingerprint": r.fingerprint,
            "status": r.status,
            "params": r.params,
            "message": r.message,
            "seconds": round(r.seconds, 3),
            "finished_at": r.finished_at,
        }
        for r in results
    ]
    for row in rows:
        row["params"] = orjson.dumps(row["params"], default=str).decode()
        row.setdefault("seconds", None)
    db.replace_table(RUNS, pa.Table.from_pylist(rows, schema=RUN_SCHEMA))

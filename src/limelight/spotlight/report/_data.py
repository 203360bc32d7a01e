"""The report's data: one JSON-ready dict read from the fused tables of a store.

The HTML report is a rendering of this dict and nothing else, so what the report shows
can be checked against the store (and against what the API serves) field by field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from limelight.campaigns import (
    ACCOUNT_LABELS,
    AMPLIFICATION,
    EDGES,
    EVIDENCE,
    POST_LABELS,
    RUNS,
    SPOTLIGHT_CAMPAIGNS,
    TIMELINE,
    bucket_seconds_for,
)
from limelight.errors import InputError
from limelight.spotlight.report._svg import (
    histogram_svg,
    network_svg,
    sparkline_svg,
    timeline_svg,
)
from limelight.store import Database

__all__ = ["highlight_segments", "report_data"]

_KINDS = ("hashtag", "url", "domain", "post", "narrative")


def highlight_segments(text: str | None, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cut ``text`` into plain and highlighted pieces from technique spans.

    Spans are character offsets; overlapping spans are merged into the first one's piece
    (its title lists every technique), and offsets outside the text are clipped.
    """
    if not text:
        return []
    cuts = sorted(
        (max(0, int(s["start"])), min(len(text), int(s["end"])), str(s["technique"]))
        for s in spans
        if s.get("start") is not None and s.get("end") is not None
    )
    out: list[dict[str, Any]] = []
    pos = 0
    for start, end, technique in cuts:
        if end <= start:
            continue
        if start < pos:  # overlaps the previous piece: widen it
            if out and out[-1]["technique"]:
                prev = out[-1]
                if end > pos:
                    prev["text"] += text[pos:end]
                    pos = end
                if technique not in prev["technique"]:
                    prev["technique"] += ", " + technique
            continue
        if start > pos:
            out.append({"text": text[pos:start], "technique": None})
        out.append({"text": text[start:end], "technique": technique.replace("_", " ")})
        pos = end
    if pos < len(text):
        out.append({"text": text[pos:], "technique": None})
    return out


def _add_sparklines(db: Database, amp: dict[str, list[dict[str, Any]]]) -> None:
    """Give each shown amplification row its posts over time, on one shared time axis
    (none where its posts have no times)."""
    for rows in amp.values():
        for r in rows:
            r["sparkline_svg"] = ""
    if not db.has_table(TIMELINE):
        return
    keys = [f"{r['item_kind']}\x1f{r['item']}" for rows in amp.values() for r in rows]
    series = _rows(
        db,
        f"SELECT item_kind, item, bucket, bucket_seconds, volume, "
        f"campaign_volume + automated_only_volume AS manufactured FROM {TIMELINE} "
        "WHERE list_contains(?, item_kind || chr(31) || item) ORDER BY bucket",
        [keys],
    )
    if not series:
        return
    # One bar per bucket from the first to the last, empty buckets included.
    step = timedelta(seconds=int(series[0]["bucket_seconds"]))
    first, last = series[0]["bucket"], series[-1]["bucket"]
    axis = [first + k * step for k in range(int((last - first) / step) + 1)]
    position = {b: i for i, b in enumerate(axis)}
    grouped: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for r in series:
        totals, made = grouped.setdefault(
            (r["item_kind"], r["item"]), ([0] * len(axis), [0] * len(axis))
        )
        totals[position[r["bucket"]]] = int(r["volume"])
        made[position[r["bucket"]]] = int(r["manufactured"])
    for rows in amp.values():
        for r in rows:
            found = grouped.get((r["item_kind"], r["item"]))
            if found:
                r["sparkline_svg"] = sparkline_svg(*found)


def _rows(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = db.arrow(sql, params).to_pylist()
    return rows


def report_data(
    db: Database, *, max_rows: int = 200, max_items: int = 15, max_nodes: int = 300
) -> dict[str, Any]:
    """Everything the report shows, from the store's fused tables.

    ``max_rows`` bounds the account and post tables, ``max_items`` the amplification
    ranking per kind, ``max_nodes`` the members drawn in a campaign's network picture.
    Raises ``InputError`` when the store was not analysed.
    """
    if not db.has_table(SPOTLIGHT_CAMPAIGNS):
        raise InputError(
            f"{db.path}: no analysis in this store; run `limelight analyze FILE --db {db.path}`"
        )
    overview = _rows(
        db,
        "SELECT count(*) AS posts, count(DISTINCT account_id) AS accounts, "
        "min(created_at) AS first_at, max(created_at) AS last_at FROM posts",
    )[0]
    campaigns = _rows(db, f"SELECT * FROM {SPOTLIGHT_CAMPAIGNS} ORDER BY rank")
    accounts = _rows(
        db,
        f"SELECT * FROM {ACCOUNT_LABELS} ORDER BY score DESC, account_id LIMIT ?",
        [max_rows],
    )
    automated = {
        r["account_id"]
        for r in _rows(
            db,
            f"SELECT account_id FROM {ACCOUNT_LABELS} "
            "WHERE list_contains(labels, 'likely-automated')",
        )
    }
    edges = (
        _rows(
            db,
            # Colour a tie by its strongest behaviour; the combined layer only when alone.
            "SELECT campaign_id, source, target, coalesce(arg_max(layer, score) "
            "FILTER (WHERE layer <> 'combined'), 'combined') AS layer, "
            "max(score) AS score, "
            f"arg_max(weight, score) AS weight, arg_max(expected, score) AS expected "
            f"FROM {EDGES} GROUP BY ALL ORDER BY ALL",
        )
        if db.has_table(EDGES)
        else []
    )
    members = (
        _rows(db, "SELECT campaign_id, account_id, score FROM campaign_members")
        if (db.has_table("campaign_members"))
        else []
    )
    evidence = _rows(
        db,
        f"SELECT * FROM {EVIDENCE} WHERE subject_kind = 'campaign' AND kind = 'co-action' "
        "ORDER BY subject_id, evidence_id",
    )
    by_campaign: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kind, rows in (("members", members), ("edges", edges), ("evidence", evidence)):
        for r in rows:
            key = r["campaign_id"] if kind != "evidence" else r["subject_id"]
            by_campaign.setdefault(key, {}).setdefault(kind, []).append(r)
    cited_posts: set[str] = set()
    for c in campaigns:
        parts = by_campaign.get(c["campaign_id"], {})
        # The picture shows at most max_nodes members, the most tightly tied first.
        ranked = sorted(parts.get("members", []), key=lambda m: -float(m["score"] or 0.0))
        nodes = [
            {
                "account_id": m["account_id"],
                "score": m["score"],
                "automated": m["account_id"] in automated,
            }
            for m in ranked[:max_nodes]
        ]
        c["network_svg"] = network_svg(nodes, parts.get("edges", []))
        c["network_shown"] = len(nodes)
        c["evidence"] = parts.get("evidence", [])[:12]
        c["note_posts"] = sorted(set(re.findall(r"post ([0-9A-Za-z:/._-]+)", c["note"] or "")))
        cited_posts.update(p.rstrip(".,)") for p in c["note_posts"])
    # Posts cited by a note come first, so that every citation links to its row.
    posts = _rows(
        db,
        f"SELECT * FROM {POST_LABELS} ORDER BY list_contains(?, post_id) DESC, "
        "(label = 'campaign-evidence') DESC, score DESC, post_id LIMIT ?",
        [sorted(cited_posts), max(max_rows, len(cited_posts))],
    )
    for p in posts:
        p["segments"] = highlight_segments(p["text"], p["spans"])
    amp = {
        kind: _rows(
            db,
            # One post makes no trend: the ranking shows items carried by two or more.
            f"SELECT * FROM {AMPLIFICATION} WHERE item_kind = ? AND volume >= 2 "
            "ORDER BY rank LIMIT ?",
            [kind, max_items],
        )
        for kind in _KINDS
    }
    _add_sparklines(db, amp)
    runs = _rows(db, f"SELECT * FROM {RUNS} ORDER BY finished_at") if db.has_table(RUNS) else []
    for r in runs:
        r.setdefault("seconds", None)  # stores analysed before the column existed
        r["params_json"] = orjson.dumps(
            orjson.loads(r["params"] or "{}"), option=orjson.OPT_INDENT_2
        ).decode()
    stages = {r["stage"]: r for r in runs}
    span = (
        (overview["last_at"] - overview["first_at"]).total_seconds()
        if overview["first_at"] and overview["last_at"]
        else 0.0
    )
    size = bucket_seconds_for(span)
    timeline = _rows(
        db,
        f"""
        SELECT to_timestamp(floor(epoch(p.created_at) / {size}) * {size}) AS bucket,
               count(*) FILTER (WHERE l.campaign_id IS NOT NULL) AS campaign,
               count(*) FILTER (WHERE l.campaign_id IS NULL
                                AND list_contains(l.labels, 'likely-automated'))
                   AS automated_only,
               count(*) FILTER (WHERE l.account_id IS NULL OR (l.campaign_id IS NULL AND
                                NOT list_contains(l.labels, 'likely-automated'))) AS organic
        FROM posts p LEFT JOIN {ACCOUNT_LABELS} l
             ON l.platform = p.platform AND l.account_id = p.account_id
        WHERE p.created_at IS NOT NULL
        GROUP BY ALL ORDER BY bucket
        """,
    )
    bot_scores = (
        [float(r[0]) for r in db.query("SELECT bot_score FROM account_scores")]
        if db.has_table("account_scores")
        else []
    )
    label_scores = [float(r[0]) for r in db.query(f"SELECT score FROM {ACCOUNT_LABELS}")]
    counts = _rows(
        db,
        f"SELECT (SELECT count(*) FROM {ACCOUNT_LABELS}) AS labelled_accounts, "
        f"(SELECT count(*) FROM {ACCOUNT_LABELS} WHERE campaign_id IS NOT NULL) AS coordinated, "
        f"(SELECT count(*) FROM {ACCOUNT_LABELS} WHERE list_contains(labels, 'likely-automated'))"
        f" AS automated, (SELECT count(*) FROM {POST_LABELS}) AS labelled_posts",
    )[0]
    content_ran = stages.get("content", {}).get("status") == "done"
    return {
        "generated_at": datetime.now(UTC),
        "store": str(db.path),
        "overview": {**overview, **counts, "campaigns": len(campaigns)},
        "campaigns": campaigns,
        "amplification": amp,
        "timeline_svg": timeline_svg(timeline),
        "bucket_seconds": size,
        "histograms": {
            "bot scores (all scored accounts)": histogram_svg(bot_scores, label="bot scores"),
            "label scores (labelled accounts)": histogram_svg(
                label_scores, label="label scores", colour="#d1495b"
            ),
            "campaign scores": histogram_svg(
                [float(c["score"]) for c in campaigns], label="campaign scores", colour="#00798c"
            ),
        },
        "accounts": accounts,
        "posts": posts,
        "stages": runs,
        "content_ran": content_ran,
        "max_rows": max_rows,
        "cited_posts": sorted(cited_posts),
    }

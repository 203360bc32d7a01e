"""Spotlight notes: a campaign in plain language, from its evidence rows and nothing else.

A note is filled from templates with values read off the campaign's rows in
``spotlight_evidence``: counts of those rows, their times, post ids, items, seconds apart,
observed and expected co-actions. It says what was measured (acting together beyond
chance, bot scores, techniques found) and never why: intent, sponsors and effects are not
in the evidence, so they are not in the note. Every number and id in a note can be found
in, or counted from, the rows it cites; the tests check this for every campaign.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

__all__ = ["campaign_note", "format_number", "format_time"]

_ACTS: dict[str, tuple[str, str]] = {
    "co-repost": ("reposted the same post", "post"),
    "co-url": ("shared the same link", "link"),
    "co-text": ("posted the same text", "text"),
    "co-similar-text": ("posted nearly the same text", "text"),
    "co-hashtags": ("used the same hashtags", "hashtags"),
    "co-reply": ("replied to the same post", "post"),
    "co-mention": ("mentioned the same accounts", "accounts"),
    "fast-repost": ("reposted the same post soon after it appeared", "post"),
    "sync": ("were active in the same minute", "minute"),
}


def format_number(x: float) -> str:
    """A count as an integer, anything else with two significant digits."""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.2g}"


def format_time(t: datetime) -> str:
    """A time stamp as the notes and the report print it (UTC)."""
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


def _item(item: str) -> str:
    text = " ".join(str(item).split())
    return f'"{text}"' if len(text) <= 80 else f'"{text[:77]}..."'


def _posts(ids: Sequence[str], limit: int = 3) -> str:
    shown = list(dict.fromkeys(ids))[:limit]
    return ", ".join(shown)


def campaign_note(
    campaign_id: str, rows: Sequence[dict[str, Any]], *, accounts_scored: bool = True
) -> str:
    """The spotlight note of one campaign from its evidence rows (``spotlight_evidence``)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_kind.setdefault(str(r["kind"]), []).append(r)
    members = by_kind.get("membership", [])
    parts = [f"{len(members)} accounts acted together beyond chance in campaign {campaign_id}."]
    summary = [r for r in by_kind.get("chance", []) if r["account_id"] is None]
    if summary and summary[0]["expected"] is not None:
        s = summary[0]
        parts.append(
            f"Their {format_number(s['value'])} tied pairs made {format_number(s['observed'])} "
            f"co-actions where chance predicts {format_number(s['expected'])}."
        )
    co = by_kind.get("co-action", [])
    if co:
        parts.append(_co_action_sentence(co))
    parts.extend(_account_sentences(by_kind.get("account-score", []), accounts_scored))
    tech = by_kind.get("technique", [])
    if tech:
        counts = Counter(str(r["item"]) for r in tech)
        listed = "; ".join(
            f"{name.replace('_', ' ')} in {n} "
            f"(posts {_posts([str(r['post_id']) for r in tech if r['item'] == name])})"
            for name, n in counts.most_common(3)
        )
        parts.append(f"Persuasion techniques found in members' posts: {listed}.")
    ai = by_kind.get("ai-text", [])
    if ai:
        parts.append(
            f"{len(ai)} of the members' posts are judged AI-written "
            f"(posts {_posts([str(r['post_id']) for r in ai])})."
        )
    return " ".join(parts)


def _co_action_sentence(co: Sequence[dict[str, Any]]) -> str:
    times = [t for r in co for t in (r["at"], r["other_at"]) if t is not None]
    gaps = [float(r["seconds_apart"]) for r in co if r["seconds_apart"] is not None]
    behaviours = sorted({str(r["behaviour"]) for r in co})
    best = max(co, key=lambda r: (float(r["value"] or 0.0), -float(r["seconds_apart"] or 0.0)))
    act, noun = _ACTS.get(str(best["behaviour"]), ("acted on the same item", "item"))
    text = f"The evidence lists {len(co)} co-actions ({', '.join(behaviours)})"
    if times:
        text += f" between {format_time(min(times))} and {format_time(max(times))}"
    if gaps:
        lo, hi = min(gaps), max(gaps)
        span = (
            format_number(lo)
            if math.isclose(lo, hi)
            else f"{format_number(lo)} to {format_number(hi)}"
        )
        text += f", {span} seconds apart"
    text += "."
    gap = best["seconds_apart"]
    example = (
        f" For example, account {best['account_id']} (post {best['post_id']}) and account "
        f"{best['other_account_id']} (post {best['other_post_id']}) {act} "
        f"({noun} {_item(best['item'])})"
    )
    if gap is not None:
        example += f", {format_number(float(gap))} seconds apart"
    return text + example + "."


def _account_sentences(scores: Sequence[dict[str, Any]], accounts_scored: bool) -> list[str]:
    if not scores:
        return [] if accounts_scored else ["Accounts were not scored for automation."]
    status = Counter(str(r["detail"]).split(":", 1)[0] for r in scores)
    auto = status.get("likely automated", 0)
    counted = auto + status.get("not automated", 0)
    out = []
    if counted:
        out.append(f"{auto} of {counted} members with a profile score as likely automated.")
    uncounted = status.get("too little profile, score not counted", 0)
    if uncounted:
        out.append(
            f"{uncounted} members have too little profile stored for their bot scores to count."
        )
    return out

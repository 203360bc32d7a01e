"""Spotlight notes written by an LLM, used only when they say nothing the evidence does not.

When an LLM is configured (``limelight.llm``; off by default), each campaign's evidence
rows go to it as fenced data (the client fences and scrubs them: items can be post texts,
and posts are hostile input) with instructions to summarise them in plain language, citing
post ids and copying numbers and times as written. The reply is validated by the client
and then read back by ``ungrounded``: a note with any time, item, id or number that the
rows do not show, or one that cites no post of the evidence, is dropped and the template
note stays. So an LLM can make a note read better; it cannot make it claim more.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from limelight.campaigns._grounding import ungrounded
from limelight.campaigns._notes import format_number, format_time

__all__ = ["SpotlightNote", "accept_note", "evidence_text", "llm_notes", "note_task"]


class SpotlightNote(BaseModel):
    """The LLM's answer: the note itself."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=20, max_length=1500)


_INSTRUCTIONS = (
    "The data is the evidence about one group of social media accounts that a statistical "
    "test found acting together far more often than chance allows: one line per evidence "
    "row. Write a short note (two to five sentences) for an analyst that says what the "
    "evidence shows: how many accounts, what they did together, when, how far apart in "
    "seconds, and how many co-actions were observed against how many chance predicts. "
    "Cite at least one post id from the data as 'post ID'. Copy every number, id and time "
    "exactly as written in the data; write no number that is not in it. Do not guess "
    "intent, sponsors, nationality or effects: they are not in the evidence."
)


@functools.cache
def note_task() -> Any:
    """The ``limelight.llm`` task that asks for a note (built on first use)."""
    from limelight.llm import Task

    return Task(
        name="spotlight-note",
        version="1",
        instructions=_INSTRUCTIONS,
        output=SpotlightNote,
        max_tokens=400,
    )


def evidence_text(campaign_id: str, rows: Sequence[dict[str, Any]]) -> str:
    """The evidence rows as text lines, numbers and times formatted as notes print them."""
    lines = [f"campaign {campaign_id}"]
    for r in rows:
        parts = [str(r["kind"])]
        for key in ("behaviour", "item", "account_id", "post_id"):
            if r.get(key) is not None:
                parts.append(f"{key.replace('_id', '')} {r[key]}")
        if r.get("at") is not None:
            parts.append(f"at {format_time(r['at'])}")
        for key in ("other_account_id", "other_post_id"):
            if r.get(key) is not None:
                parts.append(f"{key.replace('other_', 'other ').replace('_id', '')} {r[key]}")
        if r.get("other_at") is not None:
            parts.append(f"other at {format_time(r['other_at'])}")
        for key in ("seconds_apart", "observed", "expected", "value"):
            if r.get(key) is not None:
                parts.append(f"{key.replace('_', ' ')} {format_number(float(r[key]))}")
        if r.get("detail"):
            parts.append(f"({r['detail']})")
        lines.append("; ".join(parts))
    return "\n".join(lines)


def accept_note(note: str | None, rows: Sequence[dict[str, Any]]) -> bool:
    """Whether an LLM note may replace the template: grounded, and citing a cited post."""
    if not note:
        return False
    cited = {str(r["post_id"]) for r in rows if r.get("post_id")}
    return not ungrounded(note, list(rows)) and any(f"post {p}" in note for p in cited)


def llm_notes(
    client: Any, evidence: dict[str, list[dict[str, Any]]]
) -> dict[str, tuple[str | None, str]]:
    """Ask ``client`` (an ``LLMClient``) for each campaign's note and check each one.

    Returns campaign id -> (accepted note or None, what happened: ``accepted``,
    ``ungrounded`` or the client's error).
    """
    ids = list(evidence)
    results = client.run_many(note_task(), [evidence_text(c, evidence[c]) for c in ids])
    out: dict[str, tuple[str | None, str]] = {}
    for cid, result in zip(ids, results, strict=True):
        if not result.ok or result.output is None:
            out[cid] = (None, f"error: {result.error}")
            continue
        note = " ".join(str(result.output.note).split())
        out[cid] = (note, "accepted") if accept_note(note, evidence[cid]) else (None, "ungrounded")
    return out

"""Check that a note states only what its evidence rows show.

Independent of how the note was written (templates or an LLM): it reads the note as text,
pulls out every time stamp, quoted item, id-like token and number, and looks each up in
the rows (field values, or counts of rows by kind, by item and by status). Anything it
cannot find is returned. An LLM-written note with anything ungrounded is not used.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

__all__ = ["ungrounded"]

from limelight.campaigns._notes import format_number, format_time

_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")
_QUOTED = re.compile(r'"([^"]*)"')
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:/._-]*[A-Za-z0-9]")
_NUMBER = re.compile(r"(?<![\w.-])\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w-])")


def _counts(rows: list[dict[str, Any]]) -> set[str]:
    """Every count a note may state: rows per kind, per kind and item, per kind and status."""
    out: set[str] = set()
    by_kind = Counter(r["kind"] for r in rows)
    out |= {str(n) for n in by_kind.values()}
    out |= {str(n) for n in Counter((r["kind"], r["item"]) for r in rows).values()}
    status = Counter((r["kind"], str(r["detail"] or "").split(":", 1)[0]) for r in rows)
    out |= {str(n) for n in status.values()}
    out |= {str(by_kind[k] - n) for (k, _), n in status.items()}
    return out


def ungrounded(note: str, rows: list[dict[str, Any]]) -> list[str]:
    """The times, items, ids and numbers in ``note`` that ``rows`` do not show."""
    missing: list[str] = []
    times = {format_time(r[c]) for r in rows for c in ("at", "other_at") if r[c] is not None}
    for t in _TIME.findall(note):
        if t not in times:
            missing.append(t)
    text = _TIME.sub(" ", note)
    items = [str(r["item"]) for r in rows if r["item"] is not None]
    for quoted in _QUOTED.findall(text):
        shown = quoted.removesuffix("...")
        if not any(" ".join(i.split()).startswith(shown) for i in items):
            missing.append(quoted)
    text = _QUOTED.sub(" ", text)
    values = {
        str(r[c])
        for r in rows
        for c in (
            "subject_id",
            "item",
            "account_id",
            "post_id",
            "other_account_id",
            "other_post_id",
            "behaviour",
        )
        if r[c] is not None
    }
    numbers = {
        format_number(float(r[c]))
        for r in rows
        for c in ("seconds_apart", "observed", "expected", "value")
        if r[c] is not None
    } | _counts(rows)
    for token in _ID.findall(text):
        is_id = any(ch.isdigit() for ch in token) and not _NUMBER.fullmatch(token)
        if is_id and token not in values:
            missing.append(token)
    text = " ".join(t for t in text.split() if not any(v in t for v in values if len(v) > 3))
    for number in _NUMBER.findall(text):
        if number not in numbers:
            missing.append(number)
    return missing

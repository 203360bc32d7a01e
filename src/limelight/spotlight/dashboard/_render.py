"""Pure helpers that turn query results into what templates draw: highlighted text, a
timeline's bars, score colours. No I/O, so they are tested on their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup, escape

from limelight.spotlight.api._models import Span, Timeline

__all__ = ["Bar", "TimelineChart", "highlight", "score_colour", "timeline_chart"]


def highlight(text: str | None, spans: Sequence[Span] = ()) -> Markup:
    """The post's text, escaped, with each technique span wrapped in ``<mark>``.

    Overlapping spans are merged into the first one's mark (its technique named in the
    title, the others listed after it); spans outside the text are clipped or dropped.
    """
    if not text:
        return Markup("")
    n = len(text)
    clean = sorted(
        (max(0, s.start), min(n, s.end), s.technique or "technique")
        for s in spans
        if s.end > s.start and s.start < n and s.end > 0
    )
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, name in clean:
        if merged and start < merged[-1][1]:
            first, stop, names = merged[-1]
            if name not in names:
                names.append(name)
            merged[-1] = (first, max(stop, end), names)
        else:
            merged.append((start, end, [name]))
    out: list[str] = []
    at = 0
    for start, end, names in merged:
        out.append(str(escape(text[at:start])))
        title = escape(", ".join(names))
        out.append(f'<mark class="span" title="{title}">{escape(text[start:end])}</mark>')
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))


@dataclass(frozen=True, slots=True)
class Bar:
    """One bucket of the timeline, in SVG user units."""

    x: float
    width: float
    height: float
    evidence_height: float
    label: str


@dataclass(frozen=True, slots=True)
class TimelineChart:
    """Bars on a true time axis (gaps stay gaps), with the axis' end labels."""

    width: int
    height: int
    bars: list[Bar]
    start_label: str
    end_label: str
    peak: int
    bucket: str


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            k = seconds // size
            return f"{k} {unit}{'s' if k != 1 else ''}"
    return f"{seconds} s"


def timeline_chart(timeline: Timeline, width: int = 720, height: int = 120) -> TimelineChart:
    """Place each bucket by its start time; height by posts, evidence posts overlaid."""
    buckets = timeline.buckets
    step = timedelta(seconds=timeline.bucket_seconds)
    if not buckets:
        return TimelineChart(width, height, [], "", "", 0, _duration(timeline.bucket_seconds))
    first, last = buckets[0].start, buckets[-1].start + step
    total = max((last - first).total_seconds(), 1.0)
    peak = max(b.posts for b in buckets)
    scale = (height - 4) / peak if peak else 0.0
    bar_width = max(width * timeline.bucket_seconds / total - 1, 2.0)
    bars = [
        Bar(
            x=round(width * (b.start - first).total_seconds() / total, 2),
            width=round(bar_width, 2),
            height=round(b.posts * scale, 2),
            evidence_height=round(b.evidence_posts * scale, 2),
            label=f"{b.start:%Y-%m-%d %H:%M} UTC: {b.posts} posts, "
            f"{b.evidence_posts} cited as evidence",
        )
        for b in buckets
    ]
    return TimelineChart(
        width,
        height,
        bars,
        f"{first:%Y-%m-%d %H:%M}",
        f"{last:%Y-%m-%d %H:%M} UTC",
        peak,
        _duration(timeline.bucket_seconds),
    )


def score_colour(value: float | None) -> str:
    """A colour from grey (0, unknown) through amber to red (1), for bot scores."""
    if value is None:
        return "#9aa5b1"
    v = min(max(value, 0.0), 1.0)
    # Interpolate grey-blue -> amber -> red in two legs.
    if v < 0.5:
        t = v / 0.5
        a, b = (0x6B, 0x8F, 0xB3), (0xE8, 0xA3, 0x3D)
    else:
        t = (v - 0.5) / 0.5
        a, b = (0xE8, 0xA3, 0x3D), (0xC8, 0x2C, 0x2C)
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"

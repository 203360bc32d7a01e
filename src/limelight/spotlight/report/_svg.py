"""Pictures for the report as inline SVG strings, drawn on the server so the file works offline.

Pure functions: numbers in, markup out. Every piece of text is escaped; no element
refers to anything outside the document.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

__all__ = [
    "LAYER_COLOURS",
    "PART_COLOURS",
    "histogram_svg",
    "network_svg",
    "sparkline_svg",
    "timeline_svg",
]

#: Colours of the three parts of volume (campaign, likely automated only, organic).
PART_COLOURS: dict[str, str] = {
    "campaign": "#d1495b",
    "automated_only": "#edae49",
    "organic": "#8fb8de",
}
#: Colours of co-action layers in the network pictures.
LAYER_COLOURS: dict[str, str] = {
    "co-repost": "#00798c",
    "co-url": "#6a4c93",
    "co-text": "#d1495b",
    "combined": "#7a7a7a",
}


def _layout(n: int, edges: Sequence[tuple[int, int, float]]) -> list[tuple[float, float]]:
    """Node positions in [0, 1]^2: Kamada-Kawai (deterministic) from python-igraph."""
    if n == 0:
        return []
    if n <= 3:
        return [
            (0.5 + 0.4 * math.cos(2 * math.pi * i / n), 0.5 + 0.4 * math.sin(2 * math.pi * i / n))
            for i in range(n)
        ]
    import igraph as ig

    g = ig.Graph(n=n, edges=[(a, b) for a, b, _ in edges])
    coords = g.layout_kamada_kawai().coords
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    wx, wy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    return [(0.05 + 0.9 * (x - x0) / wx, 0.05 + 0.9 * (y - y0) / wy) for x, y in coords]


def network_svg(
    nodes: Sequence[dict[str, Any]],
    edges: Sequence[dict[str, Any]],
    *,
    size: int = 360,
) -> str:
    """A campaign's members (circles, red when likely automated) and their strongest ties.

    ``nodes``: ``account_id``, ``automated`` (bool), ``score`` (member score); ``edges``:
    ``source``, ``target``, ``layer``, ``score`` (-log10 p), ``weight``, ``expected``.
    """
    index = {str(n["account_id"]): i for i, n in enumerate(nodes)}
    edges = [e for e in edges if str(e["source"]) in index and str(e["target"]) in index]
    links = [
        (index[str(e["source"])], index[str(e["target"])], float(e["score"] or 0.0)) for e in edges
    ]
    pos = [(x * size, y * size) for x, y in _layout(len(nodes), links)]
    top = max((w for _, _, w in links), default=1.0) or 1.0
    parts = [
        f'<svg class="network" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
        f'role="img" aria-label="network of {len(nodes)} accounts">'
    ]
    for e, (a, b, w) in zip(edges, links, strict=True):
        colour = LAYER_COLOURS.get(str(e["layer"]), "#555")
        width = 0.8 + 3.2 * min(w / top, 1.0)
        tip = (
            f"{e['source']} - {e['target']}: {e['layer']}, {e['weight']} co-actions, "
            f"chance {float(e['expected'] or 0):.2g}"
        )
        parts.append(
            f'<line x1="{pos[a][0]:.1f}" y1="{pos[a][1]:.1f}" x2="{pos[b][0]:.1f}" '
            f'y2="{pos[b][1]:.1f}" stroke="{colour}" stroke-width="{width:.1f}" '
            f'stroke-opacity="0.7"><title>{escape(tip)}</title></line>'
        )
    for n, (x, y) in zip(nodes, pos, strict=True):
        fill = "#d1495b" if n.get("automated") else "#30638e"
        radius = 4 + min(float(n.get("score") or 0.0), 30.0) / 3
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{fill}" '
            f'stroke="#fff" stroke-width="1"><title>{escape(str(n["account_id"]))}</title>'
            f"</circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def timeline_svg(buckets: Sequence[dict[str, Any]], *, width: int = 900, height: int = 180) -> str:
    """Stacked bars of posts per time bucket: campaign, likely automated only, organic.

    ``buckets``: ``bucket`` (datetime), ``campaign``, ``automated_only``, ``organic``.
    """
    if not buckets:
        return '<p class="empty">no posts</p>'
    pad_l, pad_b = 48, 22
    plot_w, plot_h = width - pad_l - 8, height - pad_b - 8
    totals = [int(b["campaign"]) + int(b["automated_only"]) + int(b["organic"]) for b in buckets]
    top = max(totals) or 1
    bar = plot_w / len(buckets)
    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="posts over time">',
        f'<text x="4" y="14" class="axis">{top:,}</text>',
        f'<text x="4" y="{8 + plot_h}" class="axis">0</text>',
        f'<line x1="{pad_l}" y1="{8 + plot_h}" x2="{width - 8}" y2="{8 + plot_h}" stroke="#999"/>',
    ]
    for i, b in enumerate(buckets):
        x = pad_l + i * bar
        y = 8.0 + plot_h
        when: datetime = b["bucket"]
        for part in ("organic", "automated_only", "campaign"):
            v = int(b[part])
            if not v:
                continue
            h = plot_h * v / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar - 1, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{PART_COLOURS[part]}"><title>'
                f"{when:%Y-%m-%d %H:%M}: {v:,} {part.replace('_', ' ')}</title></rect>"
            )
    first, last = buckets[0]["bucket"], buckets[-1]["bucket"]
    parts.append(f'<text x="{pad_l}" y="{height - 4}" class="axis">{first:%Y-%m-%d}</text>')
    parts.append(
        f'<text x="{width - 8}" y="{height - 4}" class="axis" text-anchor="end">'
        f"{last:%Y-%m-%d}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(
    values: Sequence[float],
    *,
    bins: int = 20,
    lo: float = 0.0,
    hi: float = 1.0,
    label: str = "",
    width: int = 280,
    height: int = 120,
    colour: str = "#30638e",
) -> str:
    """A histogram of ``values`` between ``lo`` and ``hi`` (counts on hover)."""
    if not values:
        return f'<p class="empty">no {escape(label) or "values"}</p>'
    counts = [0] * bins
    span = (hi - lo) or 1.0
    for v in values:
        k = int((min(max(v, lo), hi) - lo) / span * bins)
        counts[min(k, bins - 1)] += 1
    top = max(counts) or 1
    plot_h = height - 20
    bar = width / bins
    parts = [
        f'<svg class="hist" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    for i, c in enumerate(counts):
        h = plot_h * c / top
        a = lo + span * i / bins
        parts.append(
            f'<rect x="{i * bar:.1f}" y="{plot_h - h:.1f}" width="{bar - 1:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{a:.2f}-{a + span / bins:.2f}: {c:,}'
            f"</title></rect>"
        )
    parts.append(f'<text x="0" y="{height - 4}" class="axis">{lo:g}</text>')
    parts.append(f'<text x="{width}" y="{height - 4}" class="axis" text-anchor="end">{hi:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline_svg(
    totals: Sequence[int], manufactured: Sequence[int], *, width: int = 140, height: int = 26
) -> str:
    """One item's posts per time bucket: all of them (light) and the manufactured part (red)."""
    if not totals or max(totals) == 0:
        return ""
    top = max(totals)
    bar = width / len(totals)
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="posts over time">'
    ]
    for i, (t, m) in enumerate(zip(totals, manufactured, strict=True)):
        if not t:
            continue
        h = max(height * t / top, 1.0)
        hm = height * m / top
        parts.append(
            f'<rect x="{i * bar:.1f}" y="{height - h:.1f}" width="{max(bar - 0.5, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{PART_COLOURS["organic"]}"><title>{t:,} posts, '
            f"{m:,} manufactured</title></rect>"
        )
        if m:
            parts.append(
                f'<rect x="{i * bar:.1f}" y="{height - hm:.1f}" '
                f'width="{max(bar - 0.5, 0.5):.1f}" height="{hm:.1f}" '
                f'fill="{PART_COLOURS["campaign"]}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)

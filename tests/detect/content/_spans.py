"""The span check both techniques heads must pass on the real dev memes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from limelight.detect.content import TECHNIQUES


def assert_spans_point_at_gold(
    texts: Sequence[str], hits: Sequence[Sequence[Any]], golds: Sequence[Sequence[Any]]
) -> None:
    """Every span lies inside its post and covers trimmed words, and a located technique
    usually (40%) overlaps an annotator's span of the same technique."""
    assert sum(len(h) for h in hits) >= 10
    located = overlaps = 0
    for text, found, gold in zip(texts, hits, golds, strict=True):
        for hit in found:
            assert hit.technique in TECHNIQUES
            assert 0 <= hit.span_start < hit.span_end <= len(text)
            piece = text[hit.span_start : hit.span_end]
            assert piece == piece.strip() and any(c.isalnum() for c in piece)
            located += 1
            overlaps += any(
                g.technique == hit.technique and g.start < hit.span_end and hit.span_start < g.end
                for g in gold
            )
    assert overlaps / located >= 0.4, (overlaps, located)

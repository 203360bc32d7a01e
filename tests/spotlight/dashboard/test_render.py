"""The pure helpers behind the pages: highlighted spans and the timeline's geometry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from limelight.spotlight.api._models import Span, Timeline, TimelineBucket
from limelight.spotlight.dashboard._render import highlight, score_colour, timeline_chart


def test_highlight_marks_spans_and_escapes_the_rest() -> None:
    text = "Only <b>we</b> can stop them, everyone knows it"
    spans = [
        Span(start=0, end=4, technique="Loaded_Language"),
        Span(start=30, end=48, technique="Bandwagon"),
    ]
    html = str(highlight(text, spans))
    assert html.startswith('<mark class="span" title="Loaded_Language">Only</mark>')
    assert "&lt;b&gt;we&lt;/b&gt;" in html and "<b>" not in html
    assert '<mark class="span" title="Bandwagon">everyone knows it</mark>' in html


def test_highlight_merges_overlaps_and_clips_out_of_range_spans() -> None:
    html = str(
        highlight(
            "abcdefgh",
            [
                Span(start=1, end=4, technique="A"),
                Span(start=3, end=6, technique="B"),
                Span(start=7, end=99, technique="C"),
                Span(start=50, end=60, technique="D"),
            ],
        )
    )
    assert html == (
        'a<mark class="span" title="A, B">bcdef</mark>g<mark class="span" title="C">h</mark>'
    )
    assert str(highlight(None, [])) == ""


def test_timeline_places_buckets_by_time_and_scales_to_the_peak() -> None:
    t0 = datetime(2021, 1, 22, tzinfo=UTC)
    buckets = [
        TimelineBucket(start=t0, posts=10, evidence_posts=5),
        TimelineBucket(start=t0 + timedelta(hours=3), posts=5, evidence_posts=0),
    ]
    chart = timeline_chart(
        Timeline(campaign_id="c", bucket_seconds=3600, buckets=buckets), width=400, height=104
    )
    assert [b.x for b in chart.bars] == [0.0, 300.0]  # the two empty hours stay empty
    assert chart.bars[0].height == 100.0 and chart.bars[1].height == 50.0
    assert chart.bars[0].evidence_height == 50.0 and chart.peak == 10
    assert chart.bucket == "1 hour"


def test_score_colour_runs_from_cool_to_red() -> None:
    assert score_colour(None) == "#9aa5b1"
    assert score_colour(0.0) == "#6b8fb3" and score_colour(1.0) == "#c82c2c"
    assert score_colour(2.0) == score_colour(1.0)

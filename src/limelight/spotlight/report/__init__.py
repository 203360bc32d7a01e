"""The self-contained HTML report of an analysed store.

``write_report(db, "report.html")`` reads the fused tables (``limelight.campaigns``) and
writes one file that works offline: summary, campaigns ranked with their notes and network
pictures, the amplification ranking, an activity timeline, score distributions, the
labelled accounts and posts with highlighted technique spans, and the parameters used.
``report_data(db)`` is the dict the file renders, for other front ends.
"""

from __future__ import annotations

from limelight.spotlight.report._data import highlight_segments, report_data
from limelight.spotlight.report._render import render_report, write_report

__all__ = ["highlight_segments", "render_report", "report_data", "write_report"]

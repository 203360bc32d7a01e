"""Fusion: coordination, account scores and content signals joined into campaigns and labels.

``fuse(db)`` reads what the detectors stored, writes campaigns, account and post labels,
each with a score, a confidence and its evidence rows, a spotlight note per campaign, and
the amplification of every hashtag, URL, domain, reposted post and narrative.

The tables this stage writes, and what each column means, are in ``_tables`` (its module
docstring is the reference the report, the API and the dashboard read from).
"""

from __future__ import annotations

from limelight.campaigns._amplification import amplification, bucket_seconds_for
from limelight.campaigns._content import ContentViews, content_views
from limelight.campaigns._edges import campaign_edges
from limelight.campaigns._export import EXPORT_FORMATS, export_results
from limelight.campaigns._fuse import (
    FusionResult,
    FusionSettings,
    campaign_confidence,
    confidence_level,
    fuse_tables,
)
from limelight.campaigns._grounding import ungrounded
from limelight.campaigns._inputs import DetectorTables, read_detector_tables
from limelight.campaigns._notes import campaign_note, format_number, format_time
from limelight.campaigns._run import fuse
from limelight.campaigns._stages import (
    STAGES,
    AnalysisSettings,
    StageResult,
    run_stages,
    store_fingerprint,
)
from limelight.campaigns._tables import (
    ACCOUNT_LABEL_SCHEMA,
    ACCOUNT_LABELS,
    AMPLIFICATION,
    AMPLIFICATION_SCHEMA,
    EDGE_SCHEMA,
    EDGES,
    EVIDENCE,
    EVIDENCE_SCHEMA,
    FUSED_TABLES,
    POST_LABEL_SCHEMA,
    POST_LABELS,
    RUN_SCHEMA,
    RUNS,
    SPAN_TYPE,
    SPOTLIGHT_CAMPAIGN_SCHEMA,
    SPOTLIGHT_CAMPAIGNS,
    TIMELINE,
    TIMELINE_SCHEMA,
)

__all__ = [
    "ACCOUNT_LABELS",
    "ACCOUNT_LABEL_SCHEMA",
    "AMPLIFICATION",
    "AMPLIFICATION_SCHEMA",
    "EDGES",
    "EDGE_SCHEMA",
    "EVIDENCE",
    "EVIDENCE_SCHEMA",
    "EXPORT_FORMATS",
    "FUSED_TABLES",
    "POST_LABELS",
    "POST_LABEL_SCHEMA",
    "RUNS",
    "RUN_SCHEMA",
    "SPAN_TYPE",
    "SPOTLIGHT_CAMPAIGNS",
    "SPOTLIGHT_CAMPAIGN_SCHEMA",
    "STAGES",
    "TIMELINE",
    "TIMELINE_SCHEMA",
    "AnalysisSettings",
    "ContentViews",
    "DetectorTables",
    "FusionResult",
    "FusionSettings",
    "StageResult",
    "amplification",
    "bucket_seconds_for",
    "campaign_confidence",
    "campaign_edges",
    "campaign_note",
    "confidence_level",
    "content_views",
    "export_results",
    "format_number",
    "format_time",
    "fuse",
    "fuse_tables",
    "read_detector_tables",
    "run_stages",
    "store_fingerprint",
    "ungrounded",
]

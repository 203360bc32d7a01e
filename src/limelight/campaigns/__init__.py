"""Fusion: coordination, account scores and content signals joined into campaigns and labels.

The tables this stage writes, and what each column means, are in ``_tables`` (its module
docstring is the reference the report, the API and the dashboard read from).
"""

from __future__ import annotations

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
    "FUSED_TABLES",
    "POST_LABELS",
    "POST_LABEL_SCHEMA",
    "RUNS",
    "RUN_SCHEMA",
    "SPAN_TYPE",
    "SPOTLIGHT_CAMPAIGNS",
    "SPOTLIGHT_CAMPAIGN_SCHEMA",
    "TIMELINE",
    "TIMELINE_SCHEMA",
]

"""The campaign tables' schemas and the result that carries them, with the campaign id.

Three tables describe a campaigns run (docs/campaigns.md, "Tables"): ``campaigns`` (one
row per campaign), ``campaign_members`` (one row per flagged account) and
``campaign_evidence`` (pairs of posts a person can open side by side). Their names and
columns are what the report, the API and the fusion stage read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

__all__ = [
    "CAMPAIGN_SCHEMA",
    "CAMPAIGN_TABLES",
    "EVIDENCE_SCHEMA",
    "MEMBER_SCHEMA",
    "CampaignResult",
    "campaign_id",
]

_TS = pa.timestamp("us", tz="UTC")
_STRS = pa.list_(pa.string())

CAMPAIGN_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("rank", pa.int64()),
        ("score", pa.float64()),
        ("n_accounts", pa.int64()),
        ("n_pairs", pa.int64()),
        ("behaviours", _STRS),
        ("first_at", _TS),
        ("last_at", _TS),
        ("top_items", _STRS),
        ("accounts", _STRS),
    ]
)
MEMBER_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("account_id", pa.string()),
        ("score", pa.float64()),
        ("n_partners", pa.int64()),
        ("behaviours", _STRS),
    ]
)
EVIDENCE_SCHEMA = pa.schema(
    [
        ("campaign_id", pa.string()),
        ("behaviour", pa.string()),
        ("item", pa.string()),
        ("account_a", pa.string()),
        ("post_a", pa.string()),
        ("at_a", _TS),
        ("account_b", pa.string()),
        ("post_b", pa.string()),
        ("at_b", _TS),
        ("seconds_apart", pa.float64()),
        ("pair_score", pa.float64()),
    ]
)

#: The store tables a campaigns run writes, in one transaction, and their schemas.
CAMPAIGN_TABLES: dict[str, pa.Schema] = {
    "campaigns": CAMPAIGN_SCHEMA,
    "campaign_members": MEMBER_SCHEMA,
    "campaign_evidence": EVIDENCE_SCHEMA,
}


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """Campaigns, members and evidence, with the scored edges and the settings behind them."""

    campaigns: pa.Table
    members: pa.Table
    evidence: pa.Table
    edges: dict[str, pa.Table]
    params: dict[str, Any] = field(default_factory=dict)

    def labels(self) -> dict[str, str]:
        """Account id -> campaign id for every flagged account."""
        return dict(
            zip(
                self.members.column("account_id").to_pylist(),
                self.members.column("campaign_id").to_pylist(),
                strict=True,
            )
        )


def campaign_id(accounts: Sequence[str]) -> str:
    """A stable id for a set of accounts: the same members always give the same id."""
    digest = hashlib.sha1("\n".join(sorted(accounts)).encode(), usedforsecurity=False)
    return "cmp-" + digest.hexdigest()[:12]

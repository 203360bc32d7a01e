"""Simulated worlds shared by the campaign tests: the settings, a store, an evidence check."""

from __future__ import annotations

from pathlib import Path

from limelight.detect.coordination._simulate import SimulatedData, SimulationSettings
from limelight.store import Database

#: Small enough for two cores, large enough for viral bursts to dwarf a campaign.
WORLD = SimulationSettings(n_accounts=1200, viral_size=400)


def stored(data: SimulatedData, path: Path) -> Database:
    """A store at ``path`` holding the world's posts and accounts."""
    db = Database(path)
    db.write_batch(data.posts, data.accounts, [], [])
    return db


def bad_evidence(db: Database) -> int:
    """Evidence rows that do not name two real posts by two members of their campaign,
    with the times the posts carry."""
    return int(
        db.query(
            """
            SELECT count(*) FROM campaign_evidence e
            LEFT JOIN posts pa ON pa.post_id = e.post_a AND pa.account_id = e.account_a
            LEFT JOIN posts pb ON pb.post_id = e.post_b AND pb.account_id = e.account_b
            LEFT JOIN campaign_members ma
                ON ma.campaign_id = e.campaign_id AND ma.account_id = e.account_a
            LEFT JOIN campaign_members mb
                ON mb.campaign_id = e.campaign_id AND mb.account_id = e.account_b
            WHERE pa.post_id IS NULL OR pb.post_id IS NULL OR ma.account_id IS NULL
               OR mb.account_id IS NULL OR pa.created_at <> e.at_a OR pb.created_at <> e.at_b
            """
        )[0][0]
    )

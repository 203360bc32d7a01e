"""Stores for the fusion tests: the coordination simulator and real CooRTweet retweets.

Both go through the real pipeline: records written by the store's own write path (the
simulator) or read by the real readers (CooRTweet), then ``run_stages``: coordination,
account scores and fusion, exactly what ``limelight analyze`` runs.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from limelight.campaigns import AnalysisSettings, run_stages
from limelight.detect.coordination import SimulationSettings, simulate
from limelight.detect.coordination._simulate import CampaignPlan, SimulatedData
from limelight.ingest import ingest_paths
from limelight.store import Database

#: A small simulated world (as in the coordination tests): 1,200 accounts, 3 campaigns.
WORLD = replace(
    SimulationSettings(n_accounts=1200, viral_size=400), campaigns=CampaignPlan(n_campaigns=3)
)
RUSSIAN = "coortweet-russian-coord/russian_coord_tweets.csv"


def simulated_store(path: Path, seed: int = 3) -> tuple[Database, SimulatedData]:
    """A store holding a simulated world, analysed (coordination, accounts, fusion)."""
    world = simulate(WORLD, random_state=seed)
    db = Database(path)
    db.write_batch(world.posts, world.accounts, [], [])
    # The simulator's texts are word salad: the content detectors would only cost time here
    # (they run on real texts in test_content_stage.py).
    run_stages(db, AnalysisSettings(content=False))
    return db, world


def russian_store(path: Path, data_dir: Path) -> Database:
    """A store of CooRTweet's Russian retweets (35,125 rows), analysed."""
    db = Database(path)
    summary = ingest_paths([data_dir / RUSSIAN], db, workers=1)
    assert summary.ok, summary
    run_stages(db)
    return db

"""Analysed stores shared by the fusion tests (built once per session: analysis takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from limelight.detect.coordination._simulate import SimulatedData
from limelight.store import Database
from tests.campaigns._stores import russian_store, simulated_store


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, SimulatedData]]:
    """The simulated world's store, analysed, and the world with its truth."""
    db, world = simulated_store(tmp_path_factory.mktemp("sim") / "sim.duckdb")
    yield db, world
    db.close()


@pytest.fixture(scope="session")
def russian(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[Database]:
    """CooRTweet's real Russian retweets, analysed."""
    db = russian_store(tmp_path_factory.mktemp("ru") / "ru.duckdb", data_dir)
    yield db
    db.close()

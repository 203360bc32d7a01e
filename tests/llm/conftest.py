"""Fixtures of the LLM tests: a task with a closed label set, stores, the local server."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from limelight.llm import Task
from limelight.store import Database


class Verdict(BaseModel):
    """The test task's answer: one label from a closed set and a confidence in [0, 1]."""

    model_config = ConfigDict(extra="forbid")

    label: Literal["organic", "coordinated", "unclear"]
    confidence: float = Field(ge=0.0, le=1.0)


VERDICT_TASK = Task(
    name="campaign-verdict",
    version="1",
    instructions=(
        "Decide whether the post reads like part of a coordinated influence campaign "
        "(coordinated), like an ordinary person's post (organic), or cannot be told "
        "(unclear), and how confident you are from 0 to 1."
    ),
    output=Verdict,
    max_tokens=48,
)


@pytest.fixture
def store(tmp_path: Path) -> Database:
    """A fresh real DuckDB store file."""
    db = Database(tmp_path / "llm.duckdb")
    yield db
    db.close()

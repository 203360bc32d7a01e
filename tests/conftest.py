"""Shared fixtures: where the real third-party data lives, and small helpers over it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from limelight.records import Account, Deletion, Post, Reject
from limelight.sources import ReaderOptions, read_records

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _shared_data() -> Path:
    env = os.environ.get("LIMELIGHT_SHARED_DATA")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "data"


DATA = _shared_data()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of real data sets (../shared/data beside the repository)."""
    if not DATA.is_dir():
        pytest.fail(
            f"real test data not found at {DATA}; set LIMELIGHT_SHARED_DATA to the data folder"
        )
    return DATA


class ReadResult:
    """Everything read from one file, split by record type."""

    def __init__(self, items: list[Post | Account | Deletion | Reject]) -> None:
        self.items = items
        self.posts = [r for r in items if isinstance(r, Post)]
        self.accounts = [r for r in items if isinstance(r, Account)]
        self.deletions = [r for r in items if isinstance(r, Deletion)]
        self.rejects = [r for r in items if isinstance(r, Reject)]

    def post(self, post_id: str) -> Post:
        """The first post with this id (fails the test if there is none)."""
        for p in self.posts:
            if p.post_id == post_id:
                return p
        raise AssertionError(f"no post {post_id} among {len(self.posts)} posts")

    def account(self, account_id: str) -> Account:
        """The first account snapshot with this id."""
        for a in self.accounts:
            if a.account_id == account_id:
                return a
        raise AssertionError(f"no account {account_id} among {len(self.accounts)} accounts")


def read_all(path: Path, fmt: str | None = None, **options: object) -> ReadResult:
    """Read a whole file through the real detection and reader path."""
    return ReadResult(list(read_records(path, fmt, options=ReaderOptions(**options))))  # type: ignore[arg-type]

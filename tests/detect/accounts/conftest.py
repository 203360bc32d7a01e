"""Fixtures for the account-scoring tests: the labelled data, the shipped model, and a
store holding real cresci-2017 profiles and real IRA posts (with profiles from the
posts' author columns)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from limelight.detect.accounts import AccountModel, LabelledAccounts, load_training_data
from limelight.records import Account, Post
from limelight.store import Database

_URL = re.compile(r"https?://\S+")
_TAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@(\w+)")


def ira_records(data_dir: Path) -> tuple[list[Post], list[Account]]:
    """Posts of sample30_per_author_00.csv and one profile per author (its latest counts).

    The IRA reader is not part of this area, so the rows are mapped here: R is a repost,
    Q a quote; an author's followers, following and statuses come from its latest row.
    """
    posts: list[Post] = []
    latest: dict[str, dict[str, str]] = {}
    path = data_dir / "ira-538-by-author" / "sample30_per_author_00.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            author = row["author_id"]
            created = datetime.strptime(row["publish_date"], "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=UTC
            )
            kind = {"R": "repost", "Q": "quote"}.get(row["post_type"], "original")
            text = row["content"]
            posts.append(
                Post(
                    platform="twitter",
                    post_id=f"ira-{i}",
                    account_id=author,
                    created_at=created,
                    text=text,
                    kind=kind,
                    urls=_URL.findall(text),
                    hashtags=_TAG.findall(text),
                    mentions=["@" + m.lower() for m in _MENTION.findall(text)],
                )
            )
            if author not in latest or row["publish_date"] >= latest[author]["publish_date"]:
                latest[author] = row
    accounts = [
        Account(
            platform="twitter",
            account_id=a,
            handle=a,
            followers=int(r["followers"]),
            following=int(r["following"]),
            posts_count=int(r["updates"]),
            seen_at=datetime.strptime(r["harvested_date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC),
        )
        for a, r in latest.items()
    ]
    return posts, accounts


@pytest.fixture(scope="session")
def labelled(data_dir: Path) -> LabelledAccounts:
    """Every labelled account (cresci-2017, gilani-2017, kaggle 2017)."""
    return load_training_data(data_dir)


@pytest.fixture(scope="session")
def model() -> AccountModel:
    """The model shipped inside the package."""
    return AccountModel.load()


@pytest.fixture(scope="session")
def store(
    data_dir: Path, labelled: LabelledAccounts, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A store with the cresci-2017 profiles, IRA posts and IRA profiles."""
    posts, ira_accounts = ira_records(data_dir)
    cresci = [
        a for a, g in zip(labelled.accounts, labelled.group, strict=True) if g.startswith("cresci")
    ]
    db = Database(tmp_path_factory.mktemp("accounts") / "store.duckdb")
    db.write_batch(posts, cresci + ira_accounts, [], [])
    yield db
    db.close()

"""Labelled account data sets, mapped into canonical Account records.

The model is trained on the same ``Account`` records that ingest stores, so the features
are computed by the same code at training and at scoring time. Each loader reads one
published data set and says what its labels mean:

- **cresci-2017** (Cresci et al., WWW'17): v1.1 profiles of genuine accounts, social and
  traditional spambots and fake followers. Empty cells of a column the file has are empty
  values (``''``, False); the literal ``NULL`` of traditional_spambots_1 is missing (None).
- **kaggle-twitter-bot-2017**: v1.1 profiles with weak labels (bots are mostly self-declared
  novelty bots, non-bots skew to verified celebrities); ids mangled by a spreadsheet are
  replaced by the handle.
- **gilani-2017** (``_gilani.py``): engineered features only, partly mapped back.

Each labelled account carries a *kind* (``human``, ``spammer``, ``fake_follower``,
``amplifier``, ``self_declared``) that names the specialised model it trains, and a *fold*
for leave-one-dataset-out evaluation (see ``FOLDS``).
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from limelight.errors import InputError
from limelight.normalize import parse_export_time
from limelight.records import Account

__all__ = [
    "BOT_KINDS",
    "FOLDS",
    "LabelledAccounts",
    "load_cresci",
    "load_kaggle",
]

BOT_KINDS: tuple[str, ...] = ("spammer", "fake_follower", "amplifier", "self_declared")

# Leave-one-dataset-out folds. cresci-2017 has one pool of genuine accounts for all its bot
# families, so its genuine accounts are split in three by a hash of the id and each family
# is held out with its third: a held-out fold always has both classes.
FOLDS: tuple[str, ...] = (
    "cresci-social",
    "cresci-traditional",
    "cresci-fake",
    "gilani-2017",
    "kaggle-2017",
)

_CRESCI_GROUPS: dict[str, tuple[str, str]] = {
    # file stem -> (kind, fold). social_spambots_1 retweeted a political candidate in bulk.
    "genuine_acconts": ("human", ""),
    "social_spambots_1": ("amplifier", "cresci-social"),
    "social_spambots_2": ("spammer", "cresci-social"),
    "social_spambots_3": ("spammer", "cresci-social"),
    "traditional_spambots_1": ("spammer", "cresci-traditional"),
    "traditional_spambots_2": ("spammer", "cresci-traditional"),
    "traditional_spambots_3": ("spammer", "cresci-traditional"),
    "traditional_spambots_4": ("spammer", "cresci-traditional"),
    "fake_followers": ("fake_follower", "cresci-fake"),
}
_GENUINE_FOLDS = ("cresci-social", "cresci-traditional", "cresci-fake")

# The kaggle files were collected in March 2017 (the latest embedded status dates).
_KAGGLE_SEEN = datetime(2017, 3, 31, tzinfo=UTC)


@dataclass(slots=True)
class LabelledAccounts:
    """Accounts with labels, kinds, folds and (where a set has it) behaviour summaries."""

    accounts: list[Account] = field(default_factory=list)
    label: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    fold: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    behaviour: pa.Table | None = None

    def add(self, account: Account, kind: str, fold: str, group: str) -> None:
        """Append one labelled account."""
        self.accounts.append(account)
        self.label.append(0 if kind == "human" else 1)
        self.kind.append(kind)
        self.fold.append(fold)
        self.group.append(group)

    def extend(self, other: LabelledAccounts) -> None:
        """Append another set (behaviour tables are concatenated)."""
        self.accounts += other.accounts
        self.label += other.label
        self.kind += other.kind
        self.fold += other.fold
        self.group += other.group
        if other.behaviour is not None:
            self.behaviour = (
                other.behaviour
                if self.behaviour is None
                else pa.concat_tables([self.behaviour, other.behaviour])
            )

    def __len__(self) -> int:
        return len(self.accounts)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path}: labelled file not found; point --data at the data folder")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        yield from csv.DictReader(fh)


def _text(value: str | None) -> str | None:
    """A text cell: the file's 'NULL' is unknown, an empty cell is an empty value."""
    if value is None or value == "NULL":
        return None
    return value.strip()


def _count(value: str | None) -> int | None:
    if value is None or value.strip() in ("", "NULL"):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _flag(value: str | None) -> bool | None:
    if value is None or value == "NULL":
        return None
    return value.strip().upper() in ("1", "TRUE")


def _time(value: str | None) -> datetime | None:
    if value is None or value in ("", "NULL"):
        return None
    return parse_export_time(value)


def load_cresci(folder: Path) -> LabelledAccounts:
    """Read the nine cresci-2017 users_*.csv files as labelled v1.1 Account records.

    ``seen_at`` is the crawl time (``crawled_at``, else ``updated``), so account age and
    growth rates are measured when the counts were taken.
    """
    out = LabelledAccounts()
    for stem, (kind, fold) in _CRESCI_GROUPS.items():
        for row in _rows(folder / f"users_{stem}.csv"):
            account_id = row["id"].strip()
            account = Account(
                platform="twitter",
                account_id=account_id,
                handle=_text(row.get("screen_name")),
                display_name=_text(row.get("name")),
                created_at=_time(row.get("created_at")),
                description=_text(row.get("description")),
                followers=_count(row.get("followers_count")),
                following=_count(row.get("friends_count")),
                posts_count=_count(row.get("statuses_count")),
                likes_count=_count(row.get("favourites_count")),
                listed_count=_count(row.get("listed_count")),
                verified=_flag(row.get("verified")),
                default_profile=_flag(row.get("default_profile")),
                default_image=_flag(row.get("default_profile_image")),
                location=_text(row.get("location")),
                url=_text(row.get("url")),
                lang=_text(row.get("lang")),
                seen_at=_time(row.get("crawled_at")) or _time(row.get("updated")),
            )
            row_fold = fold or _GENUINE_FOLDS[zlib.crc32(account_id.encode()) % 3]
            out.add(account, kind, row_fold, f"cresci-2017/{stem}")
    return out


def load_kaggle(folder: Path) -> LabelledAccounts:
    """Read bots_data.csv and nonbots_data.csv (weak labels) as labelled Account records.

    Handles listed in both files are dropped: their label is contradictory. Bots are
    labelled ``self_declared`` because most of them say they are bots.
    """
    raw: dict[str, list[tuple[dict[str, str], int]]] = {}
    for name, label in (("bots_data.csv", 1), ("nonbots_data.csv", 0)):
        for row in _rows(folder / name):
            key = row["screen_name"].strip().lower()
            raw.setdefault(key, []).append((row, label))
    out = LabelledAccounts()
    for key, entries in raw.items():
        if len({label for _, label in entries}) > 1:
            continue
        row, label = entries[0]
        account_id = row["id_str"].strip()
        if not account_id.isdigit():  # a spreadsheet turned it into 8.41E+17
            account_id = f"@{key}"
        account = Account(
            platform="twitter",
            account_id=account_id,
            handle=_text(row.get("screen_name")),
            display_name=_text(row.get("name")),
            created_at=_time(row.get("created_at")),
            description=_text(row.get("description")),
            followers=_count(row.get("followers_count")),
            following=_count(row.get("friends_count")),
            posts_count=_count(row.get("statuses_count")),
            likes_count=_count(row.get("favourites_count")),
            listed_count=_count(row.get("listedcount")),
            verified=_flag(row.get("verified")),
            default_profile=_flag(row.get("default_profile")),
            default_image=_flag(row.get("default_profile_image")),
            location=_text(row.get("location")),
            url=_text(row.get("url")),
            lang=_text(row.get("lang")),
            seen_at=_KAGGLE_SEEN,
        )
        kind = "self_declared" if label else "human"
        out.add(account, kind, "kaggle-2017", "kaggle-2017/" + ("bots" if label else "nonbots"))
    return out

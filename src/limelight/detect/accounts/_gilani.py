"""gilani-2017 (Stweeler): bot and human accounts given as engineered features.

The files hold no raw profile, so each row is mapped back to what it implies, and the rest
stays unknown (None):

- ``created_at`` = collection time - ``age_of_account_in_days`` (exact age; the collection
  time itself, April 2016, only anchors the dates);
- ``posts_count`` = ``tweet_frequency`` x age (tweet_frequency is lifetime statuses per
  day: 4.48 x 3,344 days gives BarackObama's 14,976 statuses of 2016);
- ``likes_count`` = ``user_favourited``;
- ``followers`` = the file's popularity band (1k, 100k, 1M: the paper's +-10% brackets)
  and ``following`` = followers / ``follower_friend_ratio``; the 10M band (9M and up, up
  to 77M) is too wide, so both stay unknown there;
- behaviour in the collection window: ``user_tweeted`` + ``user_retweeted`` +
  ``user_replied`` posts, of which retweets and replies; ``urls_count`` links;
  ``sources_count`` clients.

Labels are manual (Gilani et al., ASONAM 2017); bots count as ``amplifier`` (automated
posting), the kind they mostly are.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from limelight.detect.accounts._behaviour import BEHAVIOUR_SCHEMA
from limelight.detect.accounts._datasets import LabelledAccounts
from limelight.errors import InputError
from limelight.records import Account

__all__ = ["load_gilani"]

_SEEN = datetime(2016, 4, 1, tzinfo=UTC)
_BANDS = {"1k": 1_000, "100k": 100_000, "1M": 1_000_000, "10M": None}


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def load_gilani(folder: Path) -> LabelledAccounts:
    """Read the eight gilani-2017 CSVs (bots_bots.*, humans_humans.*) as labelled accounts."""
    out = LabelledAccounts()
    behaviour: dict[str, list[object]] = {name: [] for name in BEHAVIOUR_SCHEMA.names}
    for cls, kind in (("bots_bots", "amplifier"), ("humans_humans", "human")):
        for band, followers in _BANDS.items():
            path = folder / f"{cls}.{band}.csv"
            if not path.is_file():
                raise InputError(
                    f"{path}: gilani-2017 file not found; point --data at the data folder"
                )
            with path.open(newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                next(reader, None)
                for cells in reader:
                    if len(cells) < 15:
                        continue
                    row = [c.strip() for c in cells]
                    _add(out, behaviour, row, kind, followers, f"gilani-2017/{cls}.{band}")
    out.behaviour = pa.table(behaviour, schema=BEHAVIOUR_SCHEMA)
    return out


def _add(
    out: LabelledAccounts,
    behaviour: dict[str, list[object]],
    row: list[str],
    kind: str,
    followers: int | None,
    group: str,
) -> None:
    handle = row[0]
    tweeted, retweeted, favourited, replied = (_float(x) for x in row[1:5])
    ratio, frequency, age = _float(row[8]), _float(row[9]), _float(row[11])
    sources, urls = _float(row[12]), _float(row[13])
    following = None
    if followers is not None and ratio > 0:
        following = round(followers / ratio)
    account = Account(
        platform="twitter",
        account_id=f"@{handle.lower()}",
        handle=handle,
        created_at=_SEEN - timedelta(days=age) if age == age else None,
        followers=followers,
        following=following,
        posts_count=round(frequency * age) if frequency == frequency and age == age else None,
        likes_count=round(favourited) if favourited == favourited else None,
        seen_at=_SEEN,
    )
    out.add(account, kind, "gilani-2017", group)
    n_posts = int(tweeted + retweeted + replied)
    values: dict[str, object] = {
        "platform": "twitter",
        "account_id": account.account_id,
        "n_posts": n_posts,
        "n_reposts": int(retweeted),
        "n_replies": int(replied),
        "n_urls": int(urls),
        "n_clients": int(sources),
    }
    for name in BEHAVIOUR_SCHEMA.names:
        behaviour[name].append(values.get(name))

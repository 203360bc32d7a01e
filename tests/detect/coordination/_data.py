"""Test inputs for the coordination behaviours: real data sets ingested through the real
readers, a generated coordination-network-toolkit (CNT) CSV, and a runner for the toolkit.

The real files are read where they lie (the data_dir fixture); nothing is copied.
"""

from __future__ import annotations

import csv
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from limelight.ingest import ingest_paths
from limelight.records import Post
from limelight.sources.cnt_csv import CntCsvReader
from limelight.store import ARROW_SCHEMAS, Database

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CNT_COLUMNS = list(CntCsvReader.required_columns)


def at(seconds: float) -> datetime:
    """A time ``seconds`` after the tests' reference instant."""
    return T0 + timedelta(seconds=seconds)


def posts_table(posts: list[Post]) -> pa.Table:
    """Posts as an Arrow table with the store's columns (what actions() also accepts)."""
    schema = ARROW_SCHEMAS["posts"]
    return pa.table(
        {
            name: pa.array([getattr(p, name) for p in posts], schema.field(name).type)
            for name in schema.names
        },
        schema=schema,
    )


def store_with(path: Path, posts: list[Post]) -> Database:
    """A new store at ``path`` holding ``posts`` (first copy of a post id wins)."""
    db = Database(path)
    db.write_batch(posts, [], [], [])
    return db


def ingested(paths: list[Path], db_path: Path) -> Database:
    """A store filled from real files through the real readers and ingest pipeline."""
    db = Database(db_path)
    summary = ingest_paths(paths, db, workers=1)
    assert all(f.status == "ok" for f in summary.files), summary
    return db


def russian_csv(data_dir: Path) -> Path:
    """CooRTweet's russian_coord_tweets: 35,125 retweets (object_id = the retweeted tweet)."""
    return data_dir / "coortweet-russian-coord" / "russian_coord_tweets.csv"


def ira_csvs(data_dir: Path) -> list[Path]:
    """The IRA troll tweets sample (538 data, 30 tweets per author), minute-resolution times."""
    return sorted((data_dir / "ira-538-by-author").glob("sample30_per_author_0*.csv"))


def coortweet_cnt_csv(data_dir: Path, out: Path) -> Path:
    """The Russian retweets in CNT's CSV columns (repost_id = the retweeted object)."""
    table = pacsv.read_csv(
        russian_csv(data_dir),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(
                ["object_id", "account_id", "content_id", "timestamp_share"], pa.string()
            )
        ),
    )
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CNT_COLUMNS)
        for r in table.to_pylist():
            writer.writerow(
                [
                    r["content_id"],
                    r["account_id"],
                    "",
                    r["object_id"],
                    "",
                    "",
                    r["timestamp_share"],
                    "",
                ]
            )
    return out


# --- generated CNT input -------------------------------------------------------------

_GAPS = (0, 1, 5, 9, 10, 11, 30, 59, 60, 61, 90, 120, 600, 3600)
_TEXTS = (
    "Vote NO on proposition {n}!",
    "Das ist ein Skandal, Nummer {n}",
    "Это правда {n}",
    "breaking: sources confirm {n} 🔥",
    "read this https://news.example/{n} now",
)


def _variant(text: str, r: random.Random) -> str:
    """The same message as a different account might type it; CNT normalizes all of
    these to one text (case, mentions, white space), so co-text must too."""
    choice = r.randrange(6)
    if choice == 1:
        return text.upper()
    if choice == 2:
        return f"@user{r.randrange(50)} {text}"
    if choice == 3:
        return text.replace(" ", "  \t", 1) + "\n"
    if choice == 4:
        return f"{text} @someone mail@host.example"
    if choice == 5:
        return text.replace(" ", "\u00a0", 1)
    return text


def generate_cnt_rows(seed: int = 7, n_rows: int = 4000) -> list[list[str]]:
    """A few thousand CNT CSV rows: reposts, copied texts and shared links at many gaps.

    Gaps straddle the tested windows (10 s, 60 s) on both sides and at exactly the window,
    a planted group of 12 accounts acts within seconds, and some accounts repeat the same
    action (so the two directed weights of a pair differ). Every non-repost row carries
    at least one URL where CNT's co_link is compared (see the parity test).
    """
    r = random.Random(seed)
    users = [f"u{i:03d}" for i in range(150)]
    group = users[:12]
    rows: list[list[str]] = []
    base = 1_700_000_000

    def add(user: str, repost: str, reply: str, text: str, t: int, urls: list[str]) -> None:
        rows.append(
            [f"m{len(rows):06d}", user, user.upper(), repost, reply, text, str(t), " ".join(urls)]
        )

    while len(rows) < n_rows:
        kind = r.random()
        start = base + r.randrange(5 * 86400)
        actors = (
            r.sample(group, r.randrange(3, 8))
            if r.random() < 0.25
            else r.sample(users, r.randrange(2, 6))
        )
        gaps = [0] + [r.choice(_GAPS) for _ in actors[1:]]
        times = [start + sum(gaps[: i + 1]) for i in range(len(actors))]
        if r.random() < 0.15:  # one account repeats itself within the window
            actors.append(actors[0])
            times.append(times[0] + r.choice((2, 7, 40)))
        if kind < 0.4:
            original = f"orig{r.randrange(400)}"
            for user, t in zip(actors, times, strict=True):
                add(user, original, "", "", t, [])
        else:
            n = r.randrange(300)
            text = r.choice(_TEXTS).format(n=n)
            url = [f"https://site{n % 40}.example/a/{n}"]
            if r.random() < 0.3:
                url.append(f"https://site{n % 40}.example/b/{n % 7}")
            reply = f"orig{r.randrange(400)}" if r.random() < 0.2 else ""
            for user, t in zip(actors, times, strict=True):
                add(user, "", reply, _variant(text, r), t, url)
    return rows


def write_cnt_csv(rows: list[list[str]], out: Path) -> Path:
    """Write rows under CNT's header with Python's csv module (as its reader expects)."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CNT_COLUMNS)
        writer.writerows(rows)
    return out


# --- running the toolkit ---------------------------------------------------------------


def _cnt(*args: str) -> None:
    script = Path(sys.executable).with_name("compute_networks")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-m", "coordination_network_toolkit"]
    )
    subprocess.run([*command, *args], check=True, capture_output=True, text=True, timeout=600)


def cnt_preprocess(csv_path: Path, db_path: Path) -> Path:
    """Load a CNT CSV into a toolkit database with its own CLI."""
    _cnt(str(db_path), "preprocess", "--format", "csv", str(csv_path))
    return db_path


def cnt_network(
    db_path: Path, network: str, window: int, min_weight: int
) -> dict[tuple[str, str], int]:
    """Run ``compute_networks DB compute NETWORK`` and read its directed edges."""
    _cnt(
        str(db_path),
        "compute",
        network,
        "--time_window",
        str(window),
        "--min_edge_weight",
        str(min_weight),
        "--n_cpus",
        "2",
    )
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(f"SELECT user_1, user_2, weight FROM {network}_network").fetchall()
    return {(str(a), str(b)): int(w) for a, b, w in rows}


def undirected(directed: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """CNT's directed edges as limelight's: loops dropped, a pair kept when both its
    directions passed the toolkit's minimum, weighted by the smaller direction."""
    out = {}
    for (a, b), w in directed.items():
        if a < b and (b, a) in directed:
            out[(a, b)] = min(w, directed[(b, a)])
    return out


def as_dict(table: pa.Table) -> dict[tuple[str, str], int]:
    """An edge table as {(source, target): weight}."""
    return {
        (s, t): w
        for s, t, w in zip(
            table.column("source").to_pylist(),
            table.column("target").to_pylist(),
            table.column("weight").to_pylist(),
            strict=True,
        )
    }

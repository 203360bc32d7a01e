"""A local Ray instance (2 CPUs) shared by the session, and the stores the tests compare on.

The Ray instance is real (``ray.init``), as are the stores: real CooRTweet retweets and
real twarc2 tweets through the real ingest pipeline, and generated posts whose items fall
into different shards.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from limelight.ingest import ingest_paths
from limelight.records import Post
from limelight.store import Database
from tests.llm.conftest import local_llm  # noqa: F401  (the real llama.cpp server fixture)

ray = pytest.importorskip("ray")

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def ray_session() -> Iterator[None]:
    """One local Ray instance with 2 CPUs for the whole session."""
    from limelight.scale import connect

    connect(num_cpus=2)
    yield
    ray.shutdown()


def _ingested(paths: list[Path], db_path: Path) -> Database:
    db = Database(db_path)
    summary = ingest_paths(paths, db, workers=1)
    assert all(f.status == "ok" for f in summary.files), summary
    return db


@pytest.fixture(scope="session")
def russian_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store of CooRTweet's Russian coordinated retweets (35,125 rows)."""
    path = tmp_path_factory.mktemp("russian") / "store.duckdb"
    csv = data_dir / "coortweet-russian-coord" / "russian_coord_tweets.csv"
    _ingested([csv], path).close()
    return path


@pytest.fixture(scope="session")
def twarc_store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A store of the twarc2 test files: profiles, texts, links, tags, mentions, replies."""
    path = tmp_path_factory.mktemp("twarc") / "store.duckdb"
    files = sorted(p for p in (data_dir / "twarc2-v2-json").glob("*.jsonl") if p.stat().st_size)
    _ingested(files, path).close()
    return path


def at(seconds: float) -> datetime:
    """A time ``seconds`` after the generated data's start."""
    return T0 + timedelta(seconds=seconds)


def generated_posts(seed: int = 0) -> list[Post]:
    """Crowds of 40 accounts reposting, replying, linking, tagging and mentioning, with
    posts that carry several links, tags and mentions (so a post ties items together), and
    one planted campaign."""
    rng = random.Random(seed)
    accounts = [f"acc{i:02d}" for i in range(40)]
    # A post's links come from one site (a story and its related pages), so the links tied
    # together by posts form one group per site, not one group of all links.
    sites = [[f"https://site{g}.example/story/{j}" for j in range(6)] for g in range(10)]
    tags = [f"tag{i}" for i in range(4)]
    texts = [f"the same words number {i} again" for i in range(25)]
    posts: list[Post] = []

    def add(acc: str, t: float, **fields: object) -> None:
        posts.append(
            Post(
                platform="twitter",
                post_id=f"g{len(posts)}",
                account_id=acc,
                created_at=at(t),
                **fields,  # type: ignore[arg-type]
            )
        )

    for item in range(240):
        start = item * 300.0
        for acc in rng.sample(accounts, rng.randint(2, 7)):
            for _ in range(rng.choice((1, 1, 2))):
                add(acc, start + rng.uniform(0, 150), kind="repost", ref_post_id=f"o{item}")
    for k in range(900):
        start = (k // 6) * 400.0
        add(
            rng.choice(accounts[:16]),
            start + rng.uniform(0, 90),
            kind=rng.choice(("original", "original", "reply")),
            text=rng.choice(texts),
            urls=rng.sample(rng.choice(sites), rng.randint(0, 3)),
            hashtags=rng.sample(tags, rng.randint(0, 3)),
            mentions=rng.sample(["@a", "@b", "@c", "@d"], rng.randint(0, 2)),
            reply_to_post_id=f"o{rng.randint(0, 30)}" if rng.random() < 0.3 else None,
        )
    # A planted campaign: six accounts that repost the same 30 posts within seconds.
    for item in range(30):
        start = 100_000.0 + item * 900.0
        for c in range(6):
            add(f"camp{c}", start + rng.uniform(0, 8), kind="repost", ref_post_id=f"c{item}")
    return posts


@pytest.fixture(scope="session")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of ``generated_posts()``."""
    path = tmp_path_factory.mktemp("generated") / "store.duckdb"
    db = Database(path)
    db.write_batch(generated_posts(), [], [], [])
    db.close()
    return path

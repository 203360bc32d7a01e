"""A real store and a real HTTP server for the API and dashboard tests.

The store is built the way a user builds one: the bundled CooRTweet sample (retweets of
Russian Twitter, with coordinated pairs in it) and twarc2's Brexit page (tweets with
text, for search) are ingested, then the coordination and account stages run through
their Python functions. Campaigns are found with ``min_accounts=2, alpha=0.1`` so that the
sample yields a dozen or so of them to page through and filter; the defaults find one.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import uvicorn
from fastapi import FastAPI

from limelight.campaigns import EDGES, campaign_edges, fuse
from limelight.demo import sample_path
from limelight.detect.accounts import AccountScorer
from limelight.detect.coordination import edges, find_campaigns, save_edges
from limelight.ingest import ingest_paths
from limelight.spotlight.api import create_token
from limelight.store import Database

__all__ = ["add_token", "build_store", "facts", "fused_copy", "serve", "shared_stores"]


def build_store(path: Path, data_dir: Path) -> Path:
    """Ingest the real slices and run the detector stages; return the store's path."""
    with Database(path) as db:
        db.cursor().execute("SET threads = 2")
        ingest_paths([sample_path(), data_dir / "twarc2-v2-json" / "brexit.jsonl"], db)
        result = find_campaigns(db, min_accounts=2, alpha=0.1)
        AccountScorer().score(db).write(db)
        save_edges(db, edges(db, "co-repost"))
    # The analysis pipeline writes the campaigns' significant edges next to the detectors'
    # tables; kept aside here so that only the fused copy holds them.
    pq.write_table(campaign_edges(result), _edges_path(path))
    return path


def _edges_path(store: Path) -> Path:
    return store.with_name(store.stem + ".spotlight_edges.parquet")


def shared_stores(base: Path, data_dir: Path) -> tuple[Path, Path]:
    """The detector store and its fused copy, built once per test session under ``base``
    (pytest's session temp folder), whichever test folder asks first; callers copy them
    before serving or writing."""
    folder = base / "spotlight-stores"
    detectors, fused = folder / "detectors.duckdb", folder / "fused.duckdb"
    if not fused.exists():
        folder.mkdir(parents=True, exist_ok=True)
        build_store(detectors, data_dir)
        fused_copy(detectors, fused)
    return detectors, fused


def fused_copy(source: Path, target: Path) -> Path:
    """A copy of the store with the fusion stage run on it (the tables `analyze` writes)."""
    shutil.copyfile(source, target)
    with Database(target) as db:
        db.replace_table(EDGES, pq.read_table(_edges_path(source)))
        fuse(db)
    return target


def add_token(path: Path, name: str) -> str:
    """Create an API token in the store (before a server holds it)."""
    with Database(path) as db:
        return create_token(db, name)


def facts(path: Path) -> dict[str, Any]:
    """What the tests compare the API with, read straight from the store's tables."""
    with Database(path, read_only=True) as db:
        campaigns = db.query("SELECT campaign_id, score, accounts FROM campaigns ORDER BY rank")
        texts = db.query("SELECT text FROM posts WHERE text IS NOT NULL")
        scores = db.query("SELECT account_id, bot_score FROM account_scores")
        return {
            "campaigns": [(c, float(s), list(a)) for c, s, a in campaigns],
            "texts": [t for (t,) in texts],
            "bot_scores": dict(scores),
            "posts": db.count("posts"),
            "accounts": db.count("accounts"),
        }


@contextmanager
def serve(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``app`` under uvicorn on a free port of ``host`` in a thread; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 20 s")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

"""Fixtures: one real store per session (detector tables, and a fused copy), served by a
real uvicorn server on a loopback port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from limelight.spotlight.api import ServeSettings, create_app
from tests.spotlight.api._server import add_token, facts, serve, shared_stores


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """The detector-stage store (campaigns, account_scores, edges_co_repost); read only."""
    return shared_stores(tmp_path_factory.getbasetemp(), data_dir)[0]


@pytest.fixture(scope="session")
def store_facts(store_path: Path) -> dict[str, Any]:
    return facts(store_path)


@pytest.fixture(scope="session")
def served(
    store_path: Path, store_facts: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A server over a copy of the store with one token, and that token."""
    path = tmp_path_factory.mktemp("served") / "store.duckdb"
    path.write_bytes(store_path.read_bytes())
    token = add_token(path, "alice")
    with serve(create_app(ServeSettings(db=path))) as url:
        yield {"url": url, "token": token, "path": path}


@pytest.fixture()
def client(served: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served["url"], timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def fused_url(
    store_path: Path, tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Iterator[str]:
    """A server over a copy of the store on which the fusion stage ran."""
    fused = shared_stores(tmp_path_factory.getbasetemp(), data_dir)[1]
    path = tmp_path_factory.mktemp("fused") / "fused.duckdb"
    shutil.copyfile(fused, path)
    with serve(create_app(ServeSettings(db=path))) as url:
        yield url

"""Reads are answered only on this machine unless configured; the check is on the client
address uvicorn reports, driven here through the ASGI scope (no traffic leaves loopback)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from limelight.errors import InputError
from limelight.spotlight.api import ServeSettings, StoreAccess, create_app
from limelight.store import Database

pytestmark = pytest.mark.anyio


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def copy(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("access") / "store.duckdb"
    shutil.copyfile(store_path, target)
    return target


def _client(app: FastAPI, client_ip: str, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{host}:8000")


@pytest.fixture()
def app(copy: Path) -> Iterator[FastAPI]:
    application = create_app(ServeSettings(db=copy))
    yield application
    application.state.store.close()


async def test_remote_client_is_refused_by_default(app: FastAPI) -> None:
    async with _client(app, "203.0.113.7") as c:
        response = await c.get("/api/campaigns")
        page = await c.get("/")
    assert response.status_code == 403
    assert "--allow-remote-reads" in response.json()["error"]["message"]
    assert page.status_code == 403


async def test_loopback_clients_are_answered(app: FastAPI) -> None:
    for ip in ("127.0.0.1", "127.0.0.2", "::1"):
        async with _client(app, ip) as c:
            assert (await c.get("/api/stats")).status_code == 200, ip


async def test_a_foreign_host_name_is_refused(app: FastAPI) -> None:
    # A page elsewhere that rebinds its own name to 127.0.0.1 still sends its Host.
    async with _client(app, "127.0.0.1", host="attacker.example") as c:
        response = await c.get("/api/stats")
    assert response.status_code == 403
    assert "attacker.example" in response.json()["error"]["message"]


async def test_remote_reads_when_allowed(copy: Path) -> None:
    application = create_app(ServeSettings(db=copy, allow_remote_reads=True))
    try:
        async with _client(application, "203.0.113.7", host="limelight.example") as c:
            assert (await c.get("/api/campaigns")).status_code == 200
            # Writes still need a token, wherever they come from.
            write = await c.post(
                "/api/feedback",
                json={"subject_kind": "campaign", "subject_id": "x", "action": "confirm"},
            )
            assert write.status_code == 401
    finally:
        application.state.store.close()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
def test_serving_a_missing_store_says_how_to_make_one(tmp_path: Path, anyio_backend: str) -> None:
    with pytest.raises(InputError, match="limelight ingest"):
        StoreAccess(tmp_path / "missing.duckdb")


async def test_reads_are_cached_until_a_write(copy: Path) -> None:
    from limelight.spotlight.api._feedback import create_token

    with Database(copy) as db:
        token = create_token(db, "cache-test")
    application = create_app(ServeSettings(db=copy))
    cache = application.state.cache
    try:
        async with _client(application, "127.0.0.1") as c:
            campaign = (await c.get("/api/campaigns")).json()["items"][0]["campaign_id"]
            first = (await c.get(f"/api/campaigns/{campaign}")).json()
            hits = cache.hits
            again = (await c.get(f"/api/campaigns/{campaign}")).json()
            assert cache.hits == hits + 1 and again == first
            made = await c.post(
                "/api/feedback",
                json={"subject_kind": "campaign", "subject_id": campaign, "action": "dismiss"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert made.status_code == 201
            after = (await c.get(f"/api/campaigns/{campaign}")).json()
            assert (
                after["campaign"]["feedback"]["dismiss"]
                == first["campaign"]["feedback"]["dismiss"] + 1
            )
    finally:
        application.state.store.close()


async def test_a_cached_page_is_not_served_as_its_htmx_fragment(app: FastAPI) -> None:
    async with _client(app, "127.0.0.1") as c:
        page = await c.get("/accounts", params={"min_bot_score": 0.5})
        fragment = await c.get(
            "/accounts", params={"min_bot_score": 0.5}, headers={"HX-Request": "true"}
        )
        again = await c.get("/accounts", params={"min_bot_score": 0.5})
    assert "<html" in page.text and "<html" in again.text
    assert "<html" not in fragment.text and 'id="accounts"' in fragment.text

"""Fixtures: a fused store (as `limelight analyze` leaves it) served by uvicorn, and
Debian's chromium driven by Playwright. Screenshots go to test-artifacts/dashboard/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from limelight.spotlight.api import ServeSettings, create_app
from tests.conftest import REPO
from tests.spotlight.api._server import add_token, serve, shared_stores

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts" / "dashboard"


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[dict[str, Any]]:
    """A server over a fused store holding one API token; yields its URL and the token."""
    fused = shared_stores(tmp_path_factory.getbasetemp(), data_dir)[1]
    path = tmp_path_factory.mktemp("dashboard") / "store.duckdb"
    shutil.copyfile(fused, path)
    token = add_token(path, "erin")
    with serve(create_app(ServeSettings(db=path))) as url:
        yield {"url": url, "token": token}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium from Debian's package; a missing browser fails the test, it never skips."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium; install it with "
            f"`apt-get install -y chromium` (.ci/run does this)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    yield pg
    context.close()
    assert errors == [], errors  # no script error, no request to anywhere unreachable


def screenshot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""The dashboard in a real browser: the list loads, the threshold filters it, the network
draws, feedback needs the token and is stored with it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.spotlight.dashboard.conftest import screenshot

pytestmark = pytest.mark.slow


def _api(dashboard: dict[str, Any], path: str, **params: Any) -> Any:
    return httpx.get(dashboard["url"] + path, params=params, timeout=30).json()


def test_campaign_list_loads_and_the_threshold_filters_it(
    page: Any, dashboard: dict[str, Any]
) -> None:
    everything = _api(dashboard, "/api/campaigns", limit=500)
    page.goto(dashboard["url"] + "/")
    rows = page.locator("#campaigns tbody tr[data-campaign]")
    assert rows.count() == min(everything["total"], 25) > 1
    assert page.locator("#campaign-count").get_attribute("data-total") == str(everything["total"])
    screenshot(page, "campaigns")
    scores = sorted(c["score"] for c in everything["items"])
    slider = page.locator("#min-score")
    slider.evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
        str(scores[len(scores) // 2]),
    )
    cut = float(slider.input_value())  # the range input snaps to its step
    expected = sum(s >= cut for s in scores)
    assert 0 < expected < everything["total"]
    page.wait_for_function(
        f"document.getElementById('campaign-count').dataset.total === '{expected}'",
        timeout=10_000,
    )
    shown = [float(s) for s in rows.evaluate_all("rs => rs.map(r => r.dataset.score)")]
    assert len(shown) == expected and all(s >= float(slider.input_value()) for s in shown)
    screenshot(page, "campaigns-filtered")


def test_campaign_page_draws_the_network_and_timeline(page: Any, dashboard: dict[str, Any]) -> None:
    first = _api(dashboard, "/api/campaigns", limit=1)["items"][0]
    network = _api(dashboard, f"/api/campaigns/{first['campaign_id']}/network")
    page.goto(dashboard["url"] + "/")
    page.locator(f"a[href='/campaigns/{first['campaign_id']}']").click()
    page.wait_for_function(
        "window.limelightNetwork && window.limelightNetwork.renderer !== null", timeout=15_000
    )
    order, size, canvases = page.evaluate(
        "[window.limelightNetwork.graph.order, window.limelightNetwork.graph.size,"
        " document.querySelectorAll('#network canvas').length]"
    )
    assert order == len(network["nodes"]) == first["n_accounts"]
    assert size == len(network["edges"]) > 0
    assert canvases > 0
    # Sigma placed every node inside the drawing area.
    box = page.locator("#network").bounding_box()
    for node in network["nodes"]:
        x, y = page.evaluate(
            "id => { const d = window.limelightNetwork.renderer.getNodeDisplayData(id);"
            " const p = window.limelightNetwork.renderer.framedGraphToViewport(d);"
            " return [p.x, p.y]; }",
            node["id"],
        )
        assert 0 <= x <= box["width"] and 0 <= y <= box["height"]
    assert page.locator("#timeline rect.posts").count() > 0
    assert page.locator(".cards .card.account").count() == first["n_accounts"]
    assert page.locator("blockquote.note").inner_text().startswith(str(first["n_accounts"]))
    screenshot(page, "campaign")


def test_feedback_needs_the_token_and_is_stored_with_it(
    page: Any, dashboard: dict[str, Any]
) -> None:
    campaign = _api(dashboard, "/api/campaigns", limit=1, offset=1)["items"][0]
    cid = campaign["campaign_id"]
    before = _api(dashboard, "/api/feedback", subject_id=cid)["total"]
    page.goto(f"{dashboard['url']}/campaigns/{cid}")
    status = page.locator(".feedback-status")
    page.locator("button[value=confirm]").click()
    page.wait_for_function(
        "document.querySelector('.feedback-status').classList.contains('error')", timeout=10_000
    )
    assert "token" in status.inner_text()
    assert _api(dashboard, "/api/feedback", subject_id=cid)["total"] == before
    page.fill("#api-token", dashboard["token"])
    page.dispatch_event("#api-token", "change")
    page.fill("textarea[name=comment]", "checked the two reposts: identical timing")
    page.locator("button[value=confirm]").click()
    page.wait_for_function(
        "document.querySelector('.feedback-status').classList.contains('done')", timeout=10_000
    )
    page.wait_for_function(
        "document.querySelector('#feedback-list ul').dataset.count === '1'", timeout=10_000
    )
    stored = _api(dashboard, "/api/feedback", subject_id=cid)
    assert stored["total"] == before + 1
    row = stored["items"][0]
    assert (row["action"], row["author"], row["comment"]) == (
        "confirm",
        "erin",
        "checked the two reposts: identical timing",
    )
    assert "erin" in page.locator("#feedback-list").inner_text()
    screenshot(page, "campaign-feedback")
    # The token stays in this browser: a reload still has it.
    page.reload()
    assert page.input_value("#api-token") == dashboard["token"]


def test_accounts_and_search_pages(page: Any, dashboard: dict[str, Any]) -> None:
    page.goto(dashboard["url"] + "/accounts")
    total = _api(dashboard, "/api/accounts", limit=1)["total"]
    assert page.locator("#account-table .count").get_attribute("data-total") == str(total)
    screenshot(page, "accounts")
    texts = _api(dashboard, "/api/posts", q="brexit", limit=1)
    page.goto(dashboard["url"] + "/search")
    page.fill("#q", "brexit")
    page.wait_for_selector("#search-count", timeout=10_000)
    assert page.locator("#search-count").get_attribute("data-total") == str(texts["total"])
    assert texts["total"] > 0
    screenshot(page, "search")
    page.goto(dashboard["url"] + "/amplification")
    pushed = _api(dashboard, "/api/amplification", min_volume=2, limit=1)
    assert page.locator("#amplification-table .count").get_attribute("data-total") == str(
        pushed["total"]
    )
    assert page.locator("#amplification .stack").count() == min(pushed["total"], 50) > 0
    screenshot(page, "amplification")

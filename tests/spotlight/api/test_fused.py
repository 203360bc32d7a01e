"""After the fusion stage, the API serves the fused tables: scores in [0, 1], notes,
confidences, labels and evidence of every kind."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.fixture(scope="module")
def fused(fused_url: str) -> Any:
    with httpx.Client(base_url=fused_url, timeout=30) as c:
        yield c


def test_campaigns_come_from_spotlight_campaigns(
    fused: httpx.Client, store_facts: dict[str, Any]
) -> None:
    page = fused.get("/api/campaigns", params={"limit": 500}).json()
    assert page["score_scale"] == "fused"
    assert page["total"] == len(store_facts["campaigns"])
    coordination = {c: s for c, s, _ in store_facts["campaigns"]}
    for c in page["items"]:
        assert 0.0 <= c["score"] <= 1.0
        assert c["coordination_score"] == pytest.approx(coordination[c["campaign_id"]])
        assert c["confidence_level"] in ("low", "medium", "high")
        assert c["note"] and c["campaign_id"] in c["note"]
    cut = sorted(c["score"] for c in page["items"])[len(page["items"]) // 2]
    above = fused.get("/api/campaigns", params={"min_score": cut}).json()
    assert above["total"] == sum(c["score"] >= cut for c in page["items"])


def test_labels_and_evidence_are_the_fused_ones(fused: httpx.Client) -> None:
    campaign = fused.get("/api/campaigns").json()["items"][0]
    detail = fused.get(f"/api/campaigns/{campaign['campaign_id']}").json()
    assert detail["score_scale"] == "fused"
    assert {e["kind"] for e in detail["evidence"]} >= {"co-action"}
    for m in detail["members"]:
        assert m["label"] == "coordinated" and m["campaign_id"] == campaign["campaign_id"]
    flagged = fused.get("/api/accounts", params={"flagged": "true", "limit": 500}).json()
    labels = fused.get("/api/labels", params={"subject": "account", "limit": 500}).json()
    assert flagged["total"] == labels["total"]
    posts = fused.get(
        "/api/posts", params={"campaign_id": campaign["campaign_id"], "label": "coordinated"}
    ).json()
    assert posts["total"] > 0
    assert all(p["campaign_id"] == campaign["campaign_id"] for p in posts["items"])


def test_network_and_edges_come_from_spotlight_edges(fused: httpx.Client) -> None:
    campaign = fused.get("/api/campaigns").json()["items"][0]
    cid = campaign["campaign_id"]
    network = fused.get(f"/api/campaigns/{cid}/network").json()
    assert network["edge_source"] == "spotlight_edges"
    assert {n["id"] for n in network["nodes"]} == set(campaign["accounts"])
    edges = fused.get("/api/edges", params={"campaign_id": cid, "limit": 500}).json()
    assert edges["total"] > 0
    assert all(e["source_table"] == "spotlight_edges" for e in edges["items"])
    pairs = {(e["source"], e["target"]) for e in edges["items"]}
    assert {(e["source"], e["target"]) for e in network["edges"]} == pairs
    assert all(e["score"] is not None and e["score"] > 0 for e in edges["items"])


def test_amplification_ranks_manufactured_volume(fused: httpx.Client) -> None:
    everything = fused.get("/api/amplification", params={"limit": 500}).json()
    assert everything["total"] > 0
    items = everything["items"]
    shares = [i["manufactured_share"] for i in items]
    assert shares == sorted(shares, reverse=True)
    for i in items:
        parts = i["campaign_share"] + i["automated_only_share"] + i["organic_share"]
        assert parts == pytest.approx(1.0)
    pushed = fused.get("/api/amplification", params={"min_manufactured_share": 0.01}).json()
    assert pushed["total"] == sum(s >= 0.01 for s in shares) > 0
    campaign = next(c for i in items for c in i["campaigns"])
    by_campaign = fused.get(
        "/api/amplification", params={"campaign_id": campaign, "limit": 500}
    ).json()
    assert by_campaign["total"] > 0
    assert all(campaign in i["campaigns"] for i in by_campaign["items"])
    kind = items[0]["item_kind"]
    only = fused.get("/api/amplification", params={"item_kind": kind, "limit": 1}).json()
    assert only["total"] == sum(i["item_kind"] == kind for i in items) or everything["total"] > 500

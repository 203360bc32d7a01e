"""Reads over HTTP: pages add up, filters keep exactly what they say, search finds text."""

from __future__ import annotations

import re
from typing import Any

import httpx


def _all_pages(client: httpx.Client, path: str, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    totals = set()
    while offset is not None:
        page = client.get(path, params={**params, "limit": limit, "offset": offset}).json()
        totals.add(page["total"])
        assert len(page["items"]) <= limit
        items += page["items"]
        offset = page["next_offset"]
    assert totals == {len(items)}  # every page agrees on the total, and it is the count
    return items


def test_openapi_schema_lists_every_endpoint(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/campaigns",
        "/api/campaigns/{campaign_id}",
        "/api/campaigns/{campaign_id}/network",
        "/api/accounts",
        "/api/posts",
        "/api/edges",
        "/api/search",
        "/api/labels",
        "/api/feedback",
    ):
        assert path in schema["paths"], path
    assert "post" in schema["paths"]["/api/feedback"]
    assert "Campaign" in schema["components"]["schemas"]


def test_campaign_pages_cover_the_store_in_rank_order(
    client: httpx.Client, store_facts: dict[str, Any]
) -> None:
    expected = [c for c, _, _ in store_facts["campaigns"]]
    assert len(expected) >= 5, "the fixture should hold several campaigns to page through"
    items = _all_pages(client, "/api/campaigns", limit=3)
    assert [c["campaign_id"] for c in items] == expected
    assert [c["rank"] for c in items] == sorted(c["rank"] for c in items)
    first = client.get("/api/campaigns", params={"limit": 3}).json()
    assert first["score_scale"] == "coordination"
    assert first["next_offset"] == 3


def test_score_threshold_keeps_exactly_the_campaigns_above_it(
    client: httpx.Client, store_facts: dict[str, Any]
) -> None:
    scores = sorted(s for _, s, _ in store_facts["campaigns"])
    cut = scores[len(scores) // 2]
    above = client.get("/api/campaigns", params={"min_score": cut, "limit": 500}).json()
    assert above["total"] == sum(s >= cut for s in scores)
    assert all(c["score"] >= cut for c in above["items"])
    below = client.get("/api/campaigns", params={"max_score": cut, "limit": 500}).json()
    assert below["total"] == sum(s <= cut for s in scores)
    none = client.get("/api/campaigns", params={"min_score": scores[-1] + 1}).json()
    assert none["total"] == 0 and none["items"] == [] and none["next_offset"] is None
    # The range over the whole store comes with every page, for threshold controls.
    assert above["score_min"] == scores[0] and above["score_max"] == scores[-1]


def test_campaign_filters_by_size_behaviour_account_and_time(
    client: httpx.Client, store_facts: dict[str, Any]
) -> None:
    everything = _all_pages(client, "/api/campaigns", limit=100)
    big = client.get("/api/campaigns", params={"min_accounts": 3}).json()
    assert big["total"] == sum(c["n_accounts"] >= 3 for c in everything)
    behaviour = everything[0]["behaviours"][0]
    with_it = client.get("/api/campaigns", params={"behaviour": behaviour}).json()
    assert with_it["total"] == sum(behaviour in c["behaviours"] for c in everything)
    member = store_facts["campaigns"][-1][2][0]
    mine = client.get("/api/campaigns", params={"account_id": member}).json()
    assert [c["campaign_id"] for c in mine["items"]] == [store_facts["campaigns"][-1][0]]
    seen = sorted(c["last_seen"] for c in everything if c["last_seen"])
    cut = seen[len(seen) // 2]
    recent = client.get("/api/campaigns", params={"since": cut}).json()
    # Campaigns without a recorded time are outside every time range.
    assert recent["total"] == sum(s >= cut for s in seen) >= 1
    assert recent["total"] < len(everything)


def test_campaign_detail_network_and_timeline_agree(
    client: httpx.Client, store_facts: dict[str, Any]
) -> None:
    campaign_id, score, accounts = store_facts["campaigns"][0]
    detail = client.get(f"/api/campaigns/{campaign_id}").json()
    assert detail["campaign"]["score"] == score
    assert {m["account_id"] for m in detail["members"]} == set(accounts)
    for m in detail["members"]:
        assert m["bot_score"] == store_facts["bot_scores"][m["account_id"]]
        assert m["campaign_id"] == campaign_id
    assert detail["evidence"], "a campaign comes with its co-actions"
    for e in detail["evidence"]:
        assert {e["account_id"], e["other_account_id"]} <= set(accounts)
    network = client.get(f"/api/campaigns/{campaign_id}/network").json()
    assert {n["id"] for n in network["nodes"]} == set(accounts)
    assert network["edges"] and all(
        {e["source"], e["target"]} <= set(accounts) for e in network["edges"]
    )
    timeline = client.get(f"/api/campaigns/{campaign_id}/timeline").json()
    posts = client.get("/api/posts", params={"campaign_id": campaign_id, "limit": 1}).json()
    assert sum(b["posts"] for b in timeline["buckets"]) == posts["total"] > 0
    cited = {e["post_id"] for e in detail["evidence"]} | {
        e["other_post_id"] for e in detail["evidence"]
    }
    assert sum(b["evidence_posts"] for b in timeline["buckets"]) >= min(len(cited), 1)


def test_accounts_filter_by_bot_score_and_campaign(
    client: httpx.Client, store_facts: dict[str, Any]
) -> None:
    scores = store_facts["bot_scores"]
    page = client.get("/api/accounts", params={"min_bot_score": 0.5, "limit": 200}).json()
    assert page["total"] == sum(s >= 0.5 for s in scores.values())
    got = [a["bot_score"] for a in page["items"]]
    assert got == sorted(got, reverse=True) and all(s >= 0.5 for s in got)
    campaign_id, _, accounts = store_facts["campaigns"][1]
    members = client.get("/api/accounts", params={"campaign_id": campaign_id}).json()
    assert {a["account_id"] for a in members["items"]} == set(accounts)
    everyone = client.get("/api/accounts", params={"limit": 1}).json()
    assert everyone["total"] == store_facts["accounts"]


def test_posts_filter_by_author_and_time(client: httpx.Client) -> None:
    first = client.get("/api/posts", params={"limit": 1, "sort": "newest"}).json()["items"][0]
    by_author = _all_pages(client, "/api/posts", limit=50, account_id=first["account_id"])
    assert by_author and all(p["account_id"] == first["account_id"] for p in by_author)
    times = [p["created_at"] for p in by_author]
    assert times == sorted(times)
    cut = times[len(times) // 2]
    later = client.get(
        "/api/posts", params={"account_id": first["account_id"], "since": cut}
    ).json()
    assert later["total"] == sum(t >= cut for t in times)


def test_search_finds_every_post_containing_the_text(
    client: httpx.Client, store_facts: dict[str, Any]
) -> None:
    words = re.findall(r"[A-Za-z]{7,}", " ".join(store_facts["texts"]))
    word = sorted(set(words), key=words.count)[-1]  # the commonest long word
    expected = sum(word.lower() in t.lower() for t in store_facts["texts"])
    result = client.get("/api/search", params={"q": word.upper(), "limit": 100}).json()
    assert result["posts"]["total"] == expected > 0
    assert all(word.lower() in p["text"].lower() for p in result["posts"]["items"])
    # LIKE wildcards in the query are literal text, not patterns.
    assert client.get("/api/search", params={"q": "%_%"}).json()["posts"]["total"] == sum(
        "%_%" in t for t in store_facts["texts"]
    )


def test_edges_and_labels_filter(client: httpx.Client) -> None:
    edges = _all_pages(client, "/api/edges", limit=20, layer="co-repost")
    assert edges and all(e["layer"] == "co-repost" for e in edges)
    weights = [e["weight"] for e in edges]
    assert weights == sorted(weights, reverse=True)
    one = edges[0]["source"]
    touching = client.get(
        "/api/edges", params={"account_id": one, "layer": "co-repost", "limit": 500}
    ).json()
    assert touching["total"] == sum(one in (e["source"], e["target"]) for e in edges)
    labels = client.get("/api/labels", params={"subject": "campaign", "limit": 500}).json()
    campaigns = client.get("/api/campaigns", params={"limit": 1}).json()
    assert labels["total"] == campaigns["total"]
    posts = client.get("/api/labels", params={"subject": "post", "limit": 5}).json()
    assert posts["total"] > 0 and all(i["label"] == "campaign-evidence" for i in posts["items"])

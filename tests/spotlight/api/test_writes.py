"""Analyst feedback: only with a valid token, stored with author and time, exportable."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest


def _campaign(client: httpx.Client, n: int = 0) -> str:
    return str(client.get("/api/campaigns").json()["items"][n]["campaign_id"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_writing_without_a_token_is_refused(client: httpx.Client) -> None:
    body = {"subject_kind": "campaign", "subject_id": _campaign(client), "action": "confirm"}
    before = client.get("/api/feedback").json()["total"]
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["error"]["message"]
    wrong = client.post("/api/feedback", json=body, headers=_auth("llt_not-a-real-token"))
    assert wrong.status_code == 401
    assert "unknown" in wrong.json()["error"]["message"]
    basic = client.post("/api/feedback", json=body, headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    assert client.get("/api/feedback").json()["total"] == before


def test_feedback_is_stored_with_author_time_and_score(
    client: httpx.Client, served: dict[str, Any]
) -> None:
    campaign_id = _campaign(client, 1)
    score = client.get(f"/api/campaigns/{campaign_id}").json()["campaign"]["score"]
    start = datetime.now(UTC) - timedelta(seconds=1)
    made = client.post(
        "/api/feedback",
        json={"subject_kind": "campaign", "subject_id": campaign_id, "action": "confirm"},
        headers=_auth(served["token"]),
    )
    assert made.status_code == 201, made.text
    row = made.json()
    assert row["author"] == "alice" and row["token_name"] == "alice"
    assert start <= datetime.fromisoformat(row["created_at"]) <= datetime.now(UTC)
    assert row["score_at_feedback"] == score
    comment = client.post(
        "/api/feedback",
        json={
            "subject_kind": "campaign",
            "subject_id": campaign_id,
            "action": "comment",
            "comment": "same three tweets, seconds apart",
            "author": "bob",
        },
        headers=_auth(served["token"]),
    ).json()
    assert comment["author"] == "bob" and comment["token_name"] == "alice"
    # Read back (the page was read, and cached, before the write): newest first.
    detail = client.get(f"/api/campaigns/{campaign_id}").json()
    assert [f["feedback_id"] for f in detail["feedback"][:2]] == [
        comment["feedback_id"],
        row["feedback_id"],
    ]
    assert detail["campaign"]["feedback"]["confirm"] >= 1
    assert detail["campaign"]["feedback"]["comment"] >= 1
    listed = client.get("/api/feedback", params={"subject_id": campaign_id}).json()
    assert {f["feedback_id"] for f in listed["items"]} >= {
        row["feedback_id"],
        comment["feedback_id"],
    }
    # Exported for evaluation, as JSON lines and CSV.
    lines = client.get("/api/feedback/export", params={"format": "jsonl"}).text.splitlines()
    exported = {json.loads(line)["feedback_id"]: json.loads(line) for line in lines}
    assert exported[comment["feedback_id"]]["comment"] == "same three tweets, seconds apart"
    table = list(csv.DictReader(io.StringIO(client.get("/api/feedback/export?format=csv").text)))
    assert {r["feedback_id"] for r in table} == set(exported)


def test_account_feedback_records_the_platform(
    client: httpx.Client, served: dict[str, Any]
) -> None:
    account = client.get("/api/accounts", params={"limit": 1}).json()["items"][0]
    made = client.post(
        "/api/feedback",
        json={"subject_kind": "account", "subject_id": account["account_id"], "action": "dismiss"},
        headers=_auth(served["token"]),
    )
    assert made.status_code == 201, made.text
    assert made.json()["platform"] == account["platform"]
    detail = client.get(f"/api/accounts/{account['account_id']}").json()
    assert detail["account"]["feedback"]["dismiss"] >= 1
    assert detail["feedback"][0]["action"] == "dismiss"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"subject_kind": "campaign", "subject_id": "cmp-000000000000", "action": "confirm"}, 404),
        ({"subject_kind": "account", "subject_id": "nobody", "action": "confirm"}, 404),
        ({"subject_kind": "campaign", "subject_id": "x", "action": "approve"}, 422),
        ({"subject_kind": "post", "subject_id": "x", "action": "confirm"}, 422),
        ({"subject_kind": "campaign", "subject_id": "x", "action": "comment"}, 422),
        ({"subject_kind": "campaign", "subject_id": "x", "action": "confirm", "x": 1}, 422),
    ],
)
def test_bad_feedback_is_refused_with_a_reason(
    client: httpx.Client, served: dict[str, Any], body: dict[str, Any], status: int
) -> None:
    response = client.post("/api/feedback", json=body, headers=_auth(served["token"]))
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_reads_keep_working_while_feedback_is_written(
    client: httpx.Client, served: dict[str, Any]
) -> None:
    campaign_id = _campaign(client)
    failures: list[str] = []

    def read() -> None:
        with httpx.Client(base_url=served["url"], timeout=30) as c:
            for _ in range(5):
                r = c.get(f"/api/campaigns/{campaign_id}")
                if r.status_code != 200:
                    failures.append(r.text)

    def write() -> None:
        with httpx.Client(base_url=served["url"], timeout=30) as c:
            for _ in range(3):
                r = c.post(
                    "/api/feedback",
                    json={
                        "subject_kind": "campaign",
                        "subject_id": campaign_id,
                        "action": "confirm",
                    },
                    headers=_auth(served["token"]),
                )
                if r.status_code != 201:
                    failures.append(r.text)

    threads = [threading.Thread(target=read) for _ in range(6)] + [
        threading.Thread(target=write) for _ in range(2)
    ]
    before = client.get("/api/feedback", params={"subject_id": campaign_id}).json()["total"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    after = client.get("/api/feedback", params={"subject_id": campaign_id}).json()["total"]
    assert after == before + 6

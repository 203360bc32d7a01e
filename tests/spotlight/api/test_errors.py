"""Every error is JSON of one shape, with a message that says what to do."""

from __future__ import annotations

import httpx
import pytest


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "path",
    [
        "/api/campaigns/cmp-000000000000",
        "/api/campaigns/cmp-000000000000/network",
        "/api/campaigns/cmp-000000000000/timeline",
        "/api/accounts/no-such-account",
        "/api/posts/no-such-post",
        "/api/nothing-here",
    ],
)
def test_unknown_things_are_404_json(client: httpx.Client, path: str) -> None:
    error = _error(client.get(path), 404)
    assert error["type"] == "NotFoundError"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"min_score": "high"}, "min_score"),
        ({"min_score": "nan"}, "min_score"),
        ({"since": "yesterday"}, "since"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_parameters_are_422_json_naming_the_field(
    client: httpx.Client, params: dict[str, object], field: str
) -> None:
    error = _error(client.get("/api/campaigns", params=params), 422)
    assert error["type"] == "ValidationError"
    assert field in error["message"]


def test_search_needs_a_query(client: httpx.Client) -> None:
    assert "q" in _error(client.get("/api/search"), 422)["message"]


def test_wrong_method_is_json(client: httpx.Client) -> None:
    assert _error(client.delete("/api/campaigns"), 405)["type"] == "MethodNotAllowed"

"""schemathesis against the served OpenAPI schema: for every operation, cases generated
from the schema never get a 5xx from the server, and every error has the one JSON shape.

schemathesis' pytest plugin does not run under this pytest, so its strategies are driven
here with hypothesis directly, one operation after another, against the real server."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is optional")

pytestmark = pytest.mark.slow


def test_no_operation_answers_with_a_server_error(served: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_url(served["url"] + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    seen: list[tuple[str, int]] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(timeout=30)
            seen.append((f"{case.method} {case.path}", response.status_code))
            assert response.status_code < 500, (case.path, case.query, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and body["error"]["message"], body

        check()
    # Both valid requests and refused ones were tried.
    assert {s for _, s in seen} & {200, 201} and {s for _, s in seen} & {401, 404, 422}

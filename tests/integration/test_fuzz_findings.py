"""Server errors the schema fuzzer (tests/e2e/test_schema_fuzz.py) found, each kept as a test:
the same request now answers 4xx in the contract's shape, and nothing changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import task_in_progress


@pytest.fixture
def task(client: Any) -> dict[str, str]:
    return task_in_progress(client)


def post(client: Any, path: str, body: Any) -> Any:
    return client.http.post(
        path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("url", -706), ("url", ["https://x.example"]), ("file_key", ["k"]), ("summary", 12345678901)],
)
def test_a_delivery_field_that_is_not_text_is_a_422_on_that_field(
    client: Any, task: dict[str, str], field: str, value: Any
) -> None:
    """Found: `{"url": -706, "file_key": [...]}` on /deliver answered 500 (`.strip()` of a
    number or a list)."""
    from chalicelib.adapters.store import get_store

    body = {"summary": "The spreadsheet and the slide deck.", "url": "https://x.example/d"}
    response = post(client, f"/api/tasks/{task['token']}/deliver", {**body, field: value})

    assert response.status_code == 422, response.body
    assert {"field": field, "message": f"{field} must be text."} in response.json_body["errors"]
    assert get_store().get_brief(task["brief_id"])["status"] == "IN_PROGRESS"
    assert not get_store().query(f"BRIEF#{task['brief_id']}", "DELIVERY#")

"""Hostile JSON never reaches a 5xx: bodies nested too deep or too large answer 400 before
they are parsed (issue 12, finding 5), and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.services.errors import BadRequest
from chalicelib.web.http import MAX_JSON_BYTES, MAX_JSON_DEPTH, check_json_limits

DEEP = "[" * 100_000 + "]" * 100_000
ROUTES = [
    "/api/briefs",
    "/api/interns",
    "/api/tasks/not-a-real-token-but-long-enough-to-look-like-one-000000/accept",
    "/webhooks/stripe",
    "/webhooks/finance",
]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize(
    "body",
    [DEEP, '{"a":' * 5000 + "1" + "}" * 5000, '{"title": "' + "x" * (MAX_JSON_BYTES + 1) + '"}'],
    ids=["deep-list", "deep-object", "too-large"],
)
def test_deep_or_huge_bodies_are_a_bad_request(client: Any, path: str, body: str) -> None:
    response = client.http.post(
        path,
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer x",
            "Stripe-Signature": "t=1,v1=00",
        },
        body=body,
    )
    assert response.status_code == 400, (response.status_code, response.body[:200])
    assert response.json_body["errors"][0]["message"]


def test_brackets_inside_strings_do_not_count() -> None:
    check_json_limits('{"text": "' + "[{" * 1000 + '", "escaped": "\\"[[["}')


def test_the_depth_limit_is_exact() -> None:
    check_json_limits("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    with pytest.raises(BadRequest):
        check_json_limits("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))


def test_a_lone_surrogate_in_a_title_is_a_clear_422(client: Any) -> None:
    import json

    from tests.helpers import load_event

    body = json.dumps(load_event("brief", title="Market study \ud800 of apps"))
    response = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=body
    )
    assert response.status_code == 422, response.body
    assert response.json_body["errors"][0]["field"] == "title"


def test_throttled_writes_answer_503_with_retry_after(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from chalicelib.adapters.store import Busy, Store
    from tests.helpers import load_event

    def throttled(self: Any, operations: Any) -> None:
        raise Busy("ThrottlingError")

    monkeypatch.setattr(Store, "transact", throttled)
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief")),
    )
    assert response.status_code == 503, response.body
    assert response.headers["Retry-After"] == "2"

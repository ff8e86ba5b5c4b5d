"""Unknown brief id → 404, wrong link → 403, no credentials → 401 (PRODUCT.md's contract), on
every route of a brief: the JSON API and the HTML pages and forms alike.

A 404 for an id that does not exist says only that: brief ids are 80 random bits, so telling
"no such brief" from "not your brief" gives a caller nothing to enumerate, and neither answer
shows anything of a brief.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import load_event
from tests.integration.conftest import post_form

UNKNOWN = "b_00000000000000000000"
API_POSTS = ["fund", "review", "cancel", "extend", "rate", "revoke-links", "resend-confirmation"]


@pytest.fixture
def brief(client: Any) -> dict[str, str]:
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief", employer_email="owner@company.example")),
    )
    assert response.status_code == 201
    return dict(response.json_body)


def api(client: Any, method: str, path: str, token: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    call = client.http.get if method == "GET" else client.http.post
    return call(path, headers=headers, **({} if method == "GET" else {"body": "{}"}))


@pytest.mark.parametrize("route", ["", *(f"/{a}" for a in API_POSTS)])
def test_the_api_tells_unknown_ids_from_wrong_and_missing_tokens(
    client: Any, brief: dict[str, str], route: str
) -> None:
    method = "GET" if route == "" else "POST"
    own, token = f"/api/briefs/{brief['brief_id']}{route}", brief["manage_token"]

    unknown = api(client, method, f"/api/briefs/{UNKNOWN}{route}", token)
    wrong = api(client, method, own, "x" * 43)
    missing = api(client, method, own, None)

    assert (unknown.status_code, wrong.status_code, missing.status_code) == (404, 403, 401)
    assert unknown.json_body["errors"][0]["message"] == "No brief with this id."
    for answer in (unknown, wrong, missing):
        assert "Competitive analysis" not in answer.body.decode()


@pytest.mark.parametrize("path", ["", "/fund", "/deliveries/1/file"])
def test_the_pages_tell_unknown_ids_from_wrong_and_missing_keys(
    client: Any, brief: dict[str, str], path: str
) -> None:
    own = f"/briefs/{brief['brief_id']}{path}"

    unknown = client.http.get(f"/briefs/{UNKNOWN}{path}?key={brief['manage_token']}")
    wrong = client.http.get(f"{own}?key={'x' * 43}")
    missing = client.http.get(own)

    assert (unknown.status_code, wrong.status_code, missing.status_code) == (404, 403, 401)
    for answer in (unknown, wrong, missing):
        assert "Competitive analysis" not in answer.body.decode()


@pytest.mark.parametrize("action", ["cancel", "revoke-links", "resend-confirmation"])
def test_the_forms_tell_unknown_ids_from_wrong_keys_and_change_nothing(
    client: Any, brief: dict[str, str], action: str
) -> None:
    page = client.http.get("/briefs/new")
    cookie = page.headers["Set-Cookie"].split(";")[0]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert found
    csrf = found.group(1)

    unknown = post_form(
        client,
        f"/briefs/{UNKNOWN}/{action}",
        cookie,
        {"csrf_token": csrf, "key": brief["manage_token"]},
    )
    wrong = post_form(
        client, f"/briefs/{brief['brief_id']}/{action}", cookie, {"csrf_token": csrf, "key": "x"}
    )

    assert (unknown.status_code, wrong.status_code) == (404, 403)
    view = api(client, "GET", f"/api/briefs/{brief['brief_id']}", brief["manage_token"])
    assert view.json_body["status"] == "SUBMITTED"
    assert view.json_body["awaiting_confirmation"] is True

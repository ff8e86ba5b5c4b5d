"""Every address the app hands out starts at BASE_URL: behind API Gateway's stage prefix
(`https://…execute-api…/api`) and on a custom domain (no prefix).

API Gateway strips the stage before Chalice routes, so the test client calls routes without
it; what the app writes into pages, redirects, emails and API answers must carry it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.helpers import load_event
from tests.integration.conftest import open_form, post_form, reset_app_caches
from tests.integration.test_intake_form import form_fields


@pytest.fixture(
    params=["https://abc123.execute-api.us-east-1.amazonaws.com/api", "https://app.example.com"],
    ids=["stage-prefix", "custom-domain"],
)
def base(request: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("BASE_URL", request.param)
    reset_app_caches()
    yield request.param
    reset_app_caches()


def prefix(base: str) -> str:
    return urlsplit(base).path


def addresses(html: str) -> list[str]:
    return re.findall(r'(?:href|action|data-upload)="([^"]*)"', html)


def test_api_answers_and_form_redirects_point_under_the_base(client: Any, base: str) -> None:
    created = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief")),
    ).json_body
    assert created["manage_url"].startswith(f"{base}/briefs/{created['brief_id']}?key=")

    cookie, token, nonce = open_form(client, "/briefs/new")
    response = post_form(client, "/briefs", cookie, form_fields(csrf_token=token, nonce=nonce))
    assert response.status_code == 303
    assert re.fullmatch(
        rf"{re.escape(base)}/briefs/b_[0-9a-f]+\?key=\S+", response.headers["Location"]
    )


def test_page_links_and_action_redirects_stay_under_the_prefix(client: Any, base: str) -> None:
    created = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief")),
    ).json_body
    page_path = urlsplit(created["manage_url"])
    brief_page = client.http.get(f"{page_path.path.removeprefix(prefix(base))}?{page_path.query}")
    found = addresses(brief_page.body.decode()) + addresses(client.http.get("/").body.decode())
    assert found
    assert [a for a in found if not a.startswith(f"{prefix(base)}/")] == []

    # A refused action comes back through the brief page's form; a done one redirects to it.
    set_cookie = brief_page.headers["Set-Cookie"]
    assert f"; Path={prefix(base)}/;" in set_cookie  # the CSRF cookie stays on this site
    cookie = set_cookie.split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', brief_page.body.decode())
    assert token
    key = created["manage_token"]
    fields = {"csrf_token": token.group(1), "key": key}
    asked = post_form(client, f"/briefs/{created['brief_id']}/cancel", cookie, fields)
    assert asked.status_code == 200  # "Cancel the project?": its form stays under the prefix
    assert [a for a in addresses(asked.body.decode()) if not a.startswith(f"{prefix(base)}/")] == []
    response = post_form(
        client,
        f"/briefs/{created['brief_id']}/cancel",
        cookie,
        {**fields, "confirmed": "yes"},
    )
    assert response.status_code == 303, response.body
    assert response.headers["Location"] == f"{prefix(base)}/briefs/{created['brief_id']}?key={key}"


def test_stripe_onboarding_returns_the_intern_under_the_base(client: Any, base: str) -> None:
    body = {
        "name": "Ida Intern",
        "email": "ida@uni.example",
        "skills": ["Excel"],
        "bio": "Spreadsheets and market research for small companies.",
        "hours_per_week": 10,
        "timezone": "UTC",
    }
    signed_up = client.http.post(
        "/api/interns", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    ).json_body

    back = requests.get(signed_up["onboarding_url"], allow_redirects=False, timeout=10)
    assert back.headers["Location"].startswith(
        f"{base}/interns/new?registered=1&intern={signed_up['intern_id']}&account=acct_"
    )

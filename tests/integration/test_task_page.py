"""The intern's task page: escaping, one not-found page for every bad link, GET reads only,
tokened headers, CSRF on its forms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import load_event, without_nonce

HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def offer(client: Any) -> dict[str, str]:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    body = load_event(
        "brief",
        title=f"Audit {HOSTILE}",
        description=f"{HOSTILE} " * 10,
        company=f"{HOSTILE} Inc",
    )
    brief = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    ).json_body
    intern = register_intern(
        {
            "name": "Ida",
            "email": "ida@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )
    store = get_store()
    store.update_brief(brief["brief_id"], {"status": "OFFERED"})
    store.put(
        {
            "pk": f"BRIEF#{brief['brief_id']}",
            "sk": "CANDIDATE#00",
            "intern_id": intern["intern_id"],
            "offer_status": "offered",
        }
    )
    link = access.issue_task_link(brief["brief_id"], intern["intern_id"])
    return {
        "path": link.removeprefix("http://testserver"),
        "brief_id": brief["brief_id"],
        "manage": brief["manage_token"],
    }


def test_hostile_text_is_escaped_on_the_task_page(client: Any, offer: dict[str, str]) -> None:
    page = client.http.get(offer["path"])

    html = page.body.decode()
    assert page.status_code == 200
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_every_bad_link_gets_the_same_not_found_page(
    client: Any, offer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from chalicelib.adapters import clock

    wrong = client.http.get("/tasks/" + "A" * 43)
    tampered = client.http.get(offer["path"][:-1] + ("B" if offer["path"][-1] != "B" else "C"))
    later = clock.now() + timedelta(days=121)
    monkeypatch.setattr(clock, "now", lambda: later)
    expired = client.http.get(offer["path"])

    bodies = {without_nonce(r.body) for r in (wrong, tampered, expired)}
    assert {r.status_code for r in (wrong, tampered, expired)} == {404}
    assert len(bodies) == 1
    assert b"Audit" not in next(iter(bodies))


def test_get_never_changes_state(client: Any, offer: dict[str, str]) -> None:
    def brief() -> dict[str, Any]:
        return client.http.get(
            f"/api/briefs/{offer['brief_id']}",
            headers={"Authorization": f"Bearer {offer['manage']}"},
        ).json_body

    before = brief()
    for _ in range(3):
        client.http.get(offer["path"])
    after = brief()

    assert after["status"] == before["status"] == "OFFERED"
    assert after["timeline"] == before["timeline"]


def test_the_pages_forms_need_their_csrf_token(client: Any, offer: dict[str, str]) -> None:
    response = client.http.post(
        f"{offer['path']}/accept",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body="csrf_token=forged",
    )

    assert response.status_code == 403
    assert b"Please try again" in response.body

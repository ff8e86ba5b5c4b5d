"""Open briefs and applications (issue 17) on moto: the index, the JSON API, the page, the
applicant bonus in matching, and the employer's shortlist."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.helpers import load_event
from tests.integration import matching_fixtures as mf
from tests.integration.conftest import post_form

HOSTILE = '<img src=x onerror="alert(1)">'


def _api(client: Any, method: str, path: str, token: str | None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = getattr(client.http, method)
    if method in ("get", "delete"):
        return call(path, headers=headers)
    return call(path, headers=headers, body=json.dumps(body or {}))


def _form(client: Any, path: str) -> tuple[str, str]:
    """GET the page like a browser: (its CSRF cookie, the forms' CSRF token)."""
    import re

    page = client.http.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert page.status_code == 200 and token
    return page.headers["Set-Cookie"].split(";")[0], token.group(1)


@pytest.fixture
def world(client: Any, returning_employer: str) -> dict[str, Any]:
    """Two interns, an earlier brief whose task link identifies the first, and an open brief."""
    ada = mf.intern(
        "Ada",
        "Market research for a food delivery company: competitor pricing in Excel spreadsheets.",
    )
    bo = mf.intern("Bo", "Market research interviews and Excel dashboards for a retail start-up.")
    earlier = mf.brief(client)
    token = mf.task_token(ada, earlier["brief_id"])
    brief = mf.brief(client, title=f"Meal-kit pricing study {HOSTILE}", company="Secret Co")
    mf.match(brief)
    return {"ada": ada, "bo": bo, "token": token, "brief": brief, "earlier": earlier}


def test_an_intern_sees_the_public_summary_of_open_briefs_that_fit(
    client: Any, world: dict[str, Any]
) -> None:
    response = _api(client, "get", "/api/open-briefs", world["token"])
    assert response.status_code == 200
    rows = {r["brief_id"]: r for r in response.json_body}
    row = rows[world["brief"]["brief_id"]]
    assert row == {
        "brief_id": world["brief"]["brief_id"],
        "title": f"Meal-kit pricing study {HOSTILE}",
        "skills": ["market research", "Excel"],
        "estimated_hours": 20,
        "pay_cents": 54_000,  # 60,000 less the 10 % fee
        "currency": "usd",
        "deadline": load_event("brief")["deadline"],
        "applied": False,
        "note": None,
    }
    assert "Secret Co" not in response.body.decode()
    assert "dana" not in response.body.decode().lower()
    assert world["earlier"]["brief_id"] not in rows  # never matched: not open yet


def test_no_credentials_is_401_and_a_wrong_token_403(client: Any, world: dict[str, Any]) -> None:
    assert _api(client, "get", "/api/open-briefs", None).status_code == 401
    assert _api(client, "get", "/api/open-briefs", "x" * 43).status_code == 403
    assert (
        _api(client, "get", "/api/open-briefs", world["brief"]["manage_token"]).status_code == 403
    )


def test_applying_is_idempotent_checked_and_withdrawable(
    client: Any, world: dict[str, Any]
) -> None:
    path = f"/api/open-briefs/{world['brief']['brief_id']}/interest"
    first = _api(client, "post", path, world["token"], {"note": "Keen on <b>meal kits</b>"})
    again = _api(client, "post", path, world["token"], {"note": "a different note"})
    assert first.status_code == again.status_code == 201
    assert first.json_body == again.json_body  # one application per intern and brief
    assert first.json_body["note"] == "Keen on <b>meal kits</b>"
    for bad in ("two\nlines", "x" * 201, 42):
        other = f"/api/open-briefs/{world['earlier']['brief_id']}/interest"
        refused = _api(client, "post", other, world["token"], {"note": bad})
        assert refused.status_code == 422 and refused.json_body["errors"][0]["field"] == "note"
    not_open = _api(
        client, "post", f"/api/open-briefs/{world['earlier']['brief_id']}/interest", world["token"]
    )
    assert not_open.status_code == 409
    unknown = _api(client, "post", "/api/open-briefs/nope/interest", world["token"])
    assert unknown.status_code == 404

    listed = _api(client, "get", "/api/open-briefs", world["token"]).json_body
    mine = next(r for r in listed if r["brief_id"] == world["brief"]["brief_id"])
    assert mine["applied"] is True and mine["note"] == "Keen on <b>meal kits</b>"

    gone = _api(client, "delete", path, world["token"])
    assert gone.status_code == 200 and gone.json_body["applied"] is False
    assert (
        _api(client, "post", path.replace("interest", "withdraw"), world["token"]).status_code
        == 200
    )
    listed = _api(client, "get", "/api/open-briefs", world["token"]).json_body
    assert (
        next(r for r in listed if r["brief_id"] == world["brief"]["brief_id"])["applied"] is False
    )


def test_applicants_get_a_bounded_bonus_and_the_shortlist_says_they_applied(
    client: Any, world: dict[str, Any]
) -> None:
    brief = world["brief"]
    before = {c["intern_id"]: c for c in mf.view(client, brief)["shortlist"]}
    note = f"I did this for a food start-up {HOSTILE}"
    path = f"/api/open-briefs/{brief['brief_id']}/interest"
    assert _api(client, "post", path, world["token"], {"note": note}).status_code == 201

    mf.match(brief)  # matching runs again (still MATCHING)
    after = {c["intern_id"]: c for c in mf.view(client, brief)["shortlist"]}
    ada, bo = after[world["ada"]], after[world["bo"]]
    assert ada["applied"] is True and ada["note"] == note
    assert ada["score"] == pytest.approx(before[world["ada"]]["score"] + 0.05, abs=1e-3)
    assert ada["factors"]["applied"] == 0.05 and ada["reason"].startswith("applied (+0.05)")
    assert bo["applied"] is False and bo["note"] is None
    assert bo["score"] == before[world["bo"]]["score"]
    page = client.http.get(f"/briefs/{brief['brief_id']}?key={brief['manage_token']}")
    html = page.body.decode()
    assert "Applied" in html and HOSTILE not in html and "&lt;img src=x" in html


def test_the_index_follows_the_brief(client: Any, world: dict[str, Any], monkeypatch: Any) -> None:
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    brief_id = world["brief"]["brief_id"]

    def listed() -> bool:
        rows = _api(client, "get", "/api/open-briefs", world["token"]).json_body
        return any(r["brief_id"] == brief_id for r in rows)

    assert listed()
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(days=14))
    assert not listed()  # the deadline passed
    monkeypatch.setattr(clock, "now", real_now)
    get_store().update_brief(brief_id, {"intern_id": world["bo"]})
    assert not listed()  # an intern accepted
    get_store().remove_brief_fields(brief_id, "intern_id")
    assert listed()
    steps.settle(steps.StepEvent(brief_id=brief_id, status="CANCELLED"))
    assert not listed()
    assert get_store().query("OPEN#market research") == []  # removed from the index


def test_an_unmatched_brief_stays_open_to_applicants(client: Any, world: dict[str, Any]) -> None:
    from chalicelib.services import steps

    brief_id = world["brief"]["brief_id"]
    steps.settle(steps.StepEvent(brief_id=brief_id, status="UNMATCHED"))
    rows = _api(client, "get", "/api/open-briefs", world["token"]).json_body
    assert brief_id in {r["brief_id"] for r in rows}


def test_the_page_lists_open_briefs_and_applies_with_csrf(
    client: Any, world: dict[str, Any]
) -> None:
    path = f"/tasks/{world['token']}/open-briefs"
    page = client.http.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.body.decode()
    assert "Meal-kit pricing study &lt;img" in html and "Secret Co" not in html
    assert "USD 540.00" in html

    action = f"{path}/{world['brief']['brief_id']}/interest"
    cookie, csrf = _form(client, path)
    refused = post_form(client, action, cookie, {"note": "no token"})
    assert refused.status_code == 403
    done = post_form(client, action, cookie, {"csrf_token": csrf, "note": f"Keen {HOSTILE}"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/open-briefs")
    html = client.http.get(path).body.decode()
    assert "You applied" in html and "Keen &lt;img" in html and HOSTILE not in html
    bad = post_form(client, action.replace("interest", "nope"), cookie, {"csrf_token": csrf})
    assert bad.status_code == 404
    wrong = client.http.get(f"/tasks/{'y' * 43}/open-briefs")
    assert wrong.status_code == 403


def test_a_signed_in_intern_lists_and_applies_with_the_session_alone(
    client: Any, world: dict[str, Any]
) -> None:
    """The contract's other credential: the intern's session cookie, no task token; a JSON
    write on the cookie alone from another site is refused and changes nothing."""
    from tests.integration.test_accounts import sign_in

    cookie = sign_in(client, "ada@uni.example")
    listed = client.http.get("/api/open-briefs", headers={"Cookie": cookie})
    assert listed.status_code == 200
    assert world["brief"]["brief_id"] in {r["brief_id"] for r in listed.json_body}
    path = f"/api/open-briefs/{world['brief']['brief_id']}/interest"
    headers = {"Cookie": cookie, "Content-Type": "application/json"}
    cross = client.http.post(
        path, headers={**headers, "Origin": "https://elsewhere.example"}, body='{"note": "hi"}'
    )
    assert cross.status_code == 403
    assert mf.view(client, world["brief"]).get("applicants", []) == []
    applied = client.http.post(path, headers=headers, body='{"note": "Keen"}')
    assert applied.status_code == 201, applied.body
    assert [a["intern_id"] for a in mf.view(client, world["brief"])["applicants"]] == [world["ada"]]
    # A signed-in person who is not an intern is refused.
    employer = sign_in(client, "dana@freshbox.example")
    assert client.http.get("/api/open-briefs", headers={"Cookie": employer}).status_code == 403


def test_a_signed_in_intern_without_a_task_link_browses_and_applies_from_the_dashboard(
    client: Any, world: dict[str, Any]
) -> None:
    """The dashboard links to /dashboard/open-briefs: the same page and use case, the session
    alone (no task link), CSRF-checked Apply and Withdraw, then back to the list."""
    import re

    from tests.integration.test_accounts import sign_in

    assert client.http.get("/dashboard/open-briefs").status_code == 303  # signed out: sign in
    session = sign_in(client, "bo@uni.example")  # Bo was never offered anything
    dashboard = client.http.get("/dashboard", headers={"Cookie": session}).body.decode()
    assert re.search(r'<a href="[^"]*/dashboard/open-briefs">See open briefs', dashboard)

    page = client.http.get("/dashboard/open-briefs", headers={"Cookie": session})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.body.decode()
    assert "Meal-kit pricing study &lt;img" in html and "Secret Co" not in html
    assert "Back to your dashboard" in html and "/tasks/" not in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    cookies = f"{session}; {page.headers['Set-Cookie'].split(';')[0]}"

    action = f"/dashboard/open-briefs/{world['brief']['brief_id']}/interest"
    refused = post_form(client, action, cookies, {"note": "no token"})
    assert refused.status_code == 403
    assert mf.view(client, world["brief"])["applicants"] == []
    long = post_form(client, action, cookies, {"csrf_token": csrf.group(1), "note": "x" * 201})
    assert long.status_code == 422 and "200 characters" in long.body.decode()
    done = post_form(client, action, cookies, {"csrf_token": csrf.group(1), "note": "Keen"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/dashboard/open-briefs")
    assert [a["intern_id"] for a in mf.view(client, world["brief"])["applicants"]] == [world["bo"]]
    html = client.http.get("/dashboard/open-briefs", headers={"Cookie": session}).body.decode()
    assert "You applied" in html and "Keen" in html

    withdraw = action.replace("interest", "withdraw")
    gone = post_form(client, withdraw, cookies, {"csrf_token": csrf.group(1)})
    assert gone.status_code == 303
    assert mf.view(client, world["brief"])["applicants"] == []
    bad = post_form(client, action.replace("interest", "nope"), cookies, {"csrf_token": "x"})
    assert bad.status_code == 404

    employer = sign_in(client, "dana@freshbox.example")
    assert (
        client.http.get("/dashboard/open-briefs", headers={"Cookie": employer}).status_code == 403
    )

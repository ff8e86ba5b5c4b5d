"""The brief form and the brief page: CSRF, messages beside fields, input kept, escaping."""

from __future__ import annotations

from typing import Any

from tests.helpers import load_event
from tests.integration.conftest import open_form as shared_open_form
from tests.integration.conftest import post_form, sent_emails

HOSTILE = '<script>alert("x")</script>'


def executions() -> list[Any]:
    import os

    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return list(sfn.list_executions(stateMachineArn=os.environ["STATE_MACHINE_ARN"])["executions"])


def form_fields(**overrides: str) -> dict[str, str]:
    brief = load_event("brief")
    fields = {
        "title": brief["title"],
        "description": brief["description"],
        "deliverables": "\n".join(brief["deliverables"]),
        "skills": ", ".join(brief["skills"]),
        "nice_to_have_skills": "PowerPoint",
        "estimated_hours": "20",
        "budget": "600",
        "deadline": brief["deadline"],
        "nda_required": "yes",
        "employer_name": brief["employer_name"],
        "employer_email": brief["employer_email"],
        "company": brief["company"],
        "currency": "usd",
    }
    fields.update(overrides)
    return fields


def open_form(client: Any) -> tuple[str, str, str]:
    return shared_open_form(client, "/briefs/new")


def submit(client: Any, cookie: str, fields: dict[str, str]) -> Any:
    return post_form(client, "/briefs", cookie, fields)


def test_form_page_has_labels_help_and_csrf(client: Any) -> None:
    page = client.http.get("/briefs/new")
    html = page.body.decode()
    assert 'label for="title"' in html and 'label for="budget"' in html
    assert "At least USD 20 per estimated hour" in html
    assert (
        "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Strict" in page.headers["Set-Cookie"]
    )


def test_post_without_csrf_is_refused_and_changes_nothing(client: Any) -> None:
    cookie, _token, nonce = open_form(client)

    response = submit(client, cookie, form_fields(csrf_token="forged", nonce=nonce))

    assert response.status_code == 403
    assert sent_emails() == []


def test_csrf_token_from_another_browser_is_refused(client: Any) -> None:
    _cookie, token, nonce = open_form(client)
    other_cookie, _, _ = open_form(client)

    response = submit(client, other_cookie, form_fields(csrf_token=token, nonce=nonce))

    assert response.status_code == 403


def test_mistakes_come_back_beside_the_fields_with_the_input_kept(client: Any) -> None:
    cookie, token, nonce = open_form(client)

    response = submit(
        client,
        cookie,
        form_fields(
            csrf_token=token,
            nonce=nonce,
            title=HOSTILE[:4],
            estimated_hours="3",
            budget="ten dollars",
            description=HOSTILE * 3,
        ),
    )

    assert response.status_code == 422
    html = response.body.decode()
    assert 'id="title-error"' in html and 'id="estimated_hours-error"' in html
    assert 'id="budget_cents-error"' in html and "Enter the budget in US dollars" in html
    assert "<script>" not in html and "&lt;script&gt;" in html  # kept, escaped
    assert 'value="ten dollars"' in html
    assert sent_emails() == []


def test_valid_post_redirects_to_the_brief_page(client: Any) -> None:
    cookie, token, nonce = open_form(client)

    response = submit(
        client, cookie, form_fields(csrf_token=token, nonce=nonce, title=HOSTILE + " audit")
    )

    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/briefs/b_" in location and "?key=" in location
    page = client.http.get(location.removeprefix("http://testserver"))
    assert page.status_code == 200
    html = page.body.decode()
    assert "Submitted" in html or "SUBMITTED" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_double_click_submits_once(client: Any, returning_employer: str) -> None:
    cookie, token, nonce = open_form(client)
    fields = form_fields(csrf_token=token, nonce=nonce)

    first = submit(client, cookie, fields)
    second = submit(client, cookie, fields)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(executions()) == 1


def test_brief_page_with_a_wrong_key_shows_no_brief(client: Any) -> None:
    cookie, token, nonce = open_form(client)
    location = submit(client, cookie, form_fields(csrf_token=token, nonce=nonce)).headers[
        "Location"
    ]
    path = location.removeprefix("http://testserver").split("?")[0]

    page = client.http.get(f"{path}?key=wrong")

    assert page.status_code == 403
    assert "FreshBox" not in page.body.decode()


def test_the_csrf_cookie_is_secure_and_pages_ask_for_https_only(client: Any) -> None:
    """Issue 12, finding 9: the CSRF cookie lacked `Secure`; no HSTS."""
    page = client.http.get("/briefs/new")
    cookie = page.headers["Set-Cookie"]
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Strict"))
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    api = client.http.post("/api/briefs", headers={"Content-Type": "application/json"}, body="{}")
    assert api.headers["Strict-Transport-Security"].startswith("max-age=31536000")

"""The intern registration form: labels and help, CSRF, messages beside fields, input kept."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.helpers import without_nonce
from tests.integration.conftest import open_form as shared_open_form
from tests.integration.conftest import post_form, sent_emails
from tests.integration.test_interns_api import HOSTILE, profile_and_postings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "name": "Bo Lindqvist",
        "email": "bo@example.com",
        "skills": "JS, Figma, copywriting",
        "bio": "Design student who redesigned the sign-up flow of a campus app.",
        "hours_per_week": "12",
        "timezone": "Europe/Stockholm",
        "portfolio_url": "",
    }
    fields.update(overrides)
    return fields


def open_form(client: Any) -> tuple[str, str, str]:
    return shared_open_form(client, "/interns/new")


def submit(client: Any, cookie: str, fields: dict[str, str]) -> Any:
    return post_form(client, "/interns", cookie, fields)


def test_form_has_a_label_and_help_for_every_rule(client: Any) -> None:
    page = client.http.get("/interns/new")

    html = page.body.decode()
    for field in ("name", "email", "skills", "bio", "hours_per_week", "timezone", "portfolio_url"):
        assert f'<label for="{field}"' in html
    assert "separated by commas" in html
    assert "20–2,000 characters" in html
    assert "from 1 to 40" in html
    assert "https://" in html and "(optional)" in html
    assert '<select id="timezone"' in html and '<option value="Asia/Tokyo"' in html
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
    client: Any, aws_env: dict[str, str]
) -> None:
    cookie, _token, nonce = open_form(client)

    forged = submit(client, cookie, form_fields(csrf_token="forged", nonce=nonce))
    missing = submit(client, cookie, form_fields(nonce=nonce))
    no_cookie = client.http.post("/interns", headers=FORM, body=urlencode(form_fields()))

    assert forged.status_code == missing.status_code == no_cookie.status_code == 403
    assert profile_and_postings(aws_env) == []
    assert sent_emails() == []


def test_a_token_from_another_browser_is_refused(client: Any) -> None:
    _cookie, token, nonce = open_form(client)
    other_cookie, _, _ = open_form(client)

    response = submit(client, other_cookie, form_fields(csrf_token=token, nonce=nonce))

    assert response.status_code == 403


def test_mistakes_come_back_beside_the_fields_with_the_input_kept_and_escaped(
    client: Any, aws_env: dict[str, str]
) -> None:
    cookie, token, nonce = open_form(client)

    response = submit(
        client,
        cookie,
        form_fields(
            csrf_token=token,
            nonce=nonce,
            name=HOSTILE,
            bio=HOSTILE[:10],
            hours_per_week="41",
            timezone="Mars/Olympus_Mons",
            skills="JS, " + HOSTILE,
            portfolio_url="javascript:alert(1)",
        ),
    )

    assert response.status_code == 422
    html = response.body.decode()
    for field in ("bio", "hours_per_week", "timezone", "portfolio_url"):
        assert f'id="{field}-error"' in html
    assert 'id="name-error"' not in html  # the name itself was fine
    assert "20–2,000 characters (you wrote 10)" in html
    assert "<script>" not in html.split("<script>\n(function")[0]  # only the page's own script
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # kept, escaped
    assert 'value="41"' in html and 'value="javascript:alert(1)"' in html
    assert '<option value="Mars/Olympus_Mons" selected>' in html  # the choice is kept
    assert nonce in html  # the same submission, so a double click still registers once
    assert profile_and_postings(aws_env) == []
    assert sent_emails() == []


def test_a_kept_time_zone_from_the_list_is_selected_again(client: Any) -> None:
    cookie, token, nonce = open_form(client)

    response = submit(
        client, cookie, form_fields(csrf_token=token, nonce=nonce, timezone="Asia/Tokyo", bio="")
    )

    html = response.body.decode()
    assert '<option value="Asia/Tokyo" selected>' in html
    assert html.count(" selected>") == 1


def test_valid_post_shows_what_happens_next_and_sends_the_welcome_once(
    client: Any, aws_env: dict[str, str]
) -> None:
    cookie, token, nonce = open_form(client)

    response = submit(client, cookie, form_fields(csrf_token=token, nonce=nonce, name=HOSTILE))

    assert response.status_code == 200
    html = response.body.decode()
    assert "what happens next" in html and "Connect Stripe" in html
    assert "Connect your Stripe account</a>" in html  # the onboarding link, right away
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    profiles = [i for i in profile_and_postings(aws_env) if i["sk"] == "PROFILE"]
    assert [p["skills"] for p in profiles] == [["javascript", "figma", "copywriting"]]
    assert profiles[0]["name"] == HOSTILE  # stored as typed; escaped wherever shown
    assert profiles[0].get("portfolio_url") is None
    assert len(sent_emails()) == 1


def test_double_click_registers_once(client: Any, aws_env: dict[str, str]) -> None:
    cookie, token, nonce = open_form(client)
    fields = form_fields(csrf_token=token, nonce=nonce)

    first = submit(client, cookie, fields)
    second = submit(client, cookie, fields)

    assert first.status_code == second.status_code == 200
    assert without_nonce(first.body) == without_nonce(second.body)
    assert len([i for i in profile_and_postings(aws_env) if i["sk"] == "PROFILE"]) == 1
    assert len(sent_emails()) == 1


@pytest.mark.parametrize("email", ["bo@example.com", "BO@Example.com "])
def test_an_email_already_registered_is_shown_beside_the_email_field(
    client: Any, aws_env: dict[str, str], email: str
) -> None:
    cookie, token, nonce = open_form(client)
    submit(client, cookie, form_fields(csrf_token=token, nonce=nonce))
    before = profile_and_postings(aws_env)
    cookie2, token2, nonce2 = open_form(client)  # a later visit

    response = submit(
        client, cookie2, form_fields(csrf_token=token2, nonce=nonce2, email=email, skills="SQL")
    )

    assert response.status_code == 409
    html = response.body.decode()
    assert 'id="email-error"' in html and "already registered" in html
    assert 'value="SQL"' in html
    assert sorted(profile_and_postings(aws_env), key=str) == sorted(before, key=str)
    assert len(sent_emails()) == 1

"""Signing in by emailed link (issue 14): the link works once, for 15 minutes, for its own
address; the GET changes nothing; the session cookie is HttpOnly, Secure, SameSite=Lax and
backed by a DynamoDB item that signing out deletes; a burst for one address sends at most the
hourly limit of emails and never answers 5xx. Against moto and chalice's client."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.integration.conftest import post_form
from tests.integration.test_api_fuzz import JSON_VALUES
from tests.integration.test_interns_api import mails

DANA = "dana@freshbox.example"
SIGNIN_LINK = re.compile(r"http://testserver(/signin/[A-Za-z0-9_\-]{43,})")


def ask(client: Any, email: str = DANA) -> Any:
    return client.http.post(
        "/api/signin",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"email": email}),
    )


def links_to(address: str) -> list[str]:
    found = []
    for mail in mails():
        if mail["to"] == address:
            match = SIGNIN_LINK.search(mail["text"])
            if match:
                found.append(match.group(1))
    return found


def cookies_of(response: Any) -> list[str]:
    value = response.headers.get("Set-Cookie")
    return value if isinstance(value, list) else [value] if value else []


def open_link(client: Any, path: str) -> tuple[str, str]:
    """GET the emailed link like a browser: (the CSRF cookie, the form's token)."""
    page = client.http.get(path)
    assert page.status_code == 200, page.body
    assert "Sign in</button>" in page.body.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    return page.headers["Set-Cookie"].split(";")[0], token.group(1)


def press(client: Any, path: str) -> Any:
    cookie, token = open_link(client, path)
    return post_form(client, path, cookie, {"csrf_token": token})


def sign_in(client: Any, email: str = DANA) -> str:
    """Ask for a link, open it, press Sign in: the Cookie header the browser then sends."""
    assert ask(client, email).status_code == 202
    done = press(client, links_to(email)[-1])
    assert done.status_code == 303, done.body
    session = next(c for c in cookies_of(done) if c.startswith("session="))
    return session.split(";")[0]


def items(prefix: str) -> list[dict[str, Any]]:
    import os

    import boto3

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["TABLE_NAME"])
    return [i for i in table.scan()["Items"] if str(i["pk"]).startswith(prefix)]


def later(monkeypatch: pytest.MonkeyPatch, minutes: float) -> None:
    from chalicelib.adapters import clock

    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_the_emailed_link_signs_in_once_and_sets_a_safe_cookie(client: Any) -> None:
    answer = ask(client, " Dana@FreshBox.example ")
    assert answer.status_code == 202
    [path] = links_to(DANA)
    assert len(path.rsplit("/", 1)[-1]) >= 43  # 256 bits, URL-safe
    # Only the hash of the token is stored.
    assert path.rsplit("/", 1)[-1] not in json.dumps(items("SIGNIN#"), default=str)

    # GET twice (a mail scanner, then the person): nothing changes, the link still works.
    open_link(client, path)
    cookie, token = open_link(client, path)
    assert not items("SESSION#")
    done = post_form(client, path, cookie, {"csrf_token": token})

    assert done.status_code == 303
    assert done.headers["Location"] == "/dashboard"
    [session] = [c for c in cookies_of(done) if c.startswith("session=")]
    flags = [part.strip() for part in session.split(";")]
    assert {"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} <= set(flags)
    value = flags[0].removeprefix("session=")
    assert len(value) >= 43
    [stored] = items("SESSION#")
    assert value not in json.dumps(stored, default=str)  # the hash, not the cookie
    assert int(stored["expires_at"]) > datetime.now(UTC).timestamp()

    me = client.http.get("/api/me", headers={"Cookie": flags[0]})
    assert me.status_code == 200
    assert me.json_body == {"email": DANA, "roles": [], "organisation": None}

    # The second press is refused and changes nothing: no second session.
    again = post_form(client, path, cookie, {"csrf_token": token})
    assert again.status_code == 409
    assert "already used" in again.body.decode()
    assert len(items("SESSION#")) == 1
    assert client.http.get(path).status_code == 409


def test_an_expired_link_signs_nobody_in(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ask(client)
    [path] = links_to(DANA)
    cookie, token = open_link(client, path)
    later(monkeypatch, 16)

    assert client.http.get(path).status_code == 410
    refused = post_form(client, path, cookie, {"csrf_token": token})
    assert refused.status_code == 410
    assert "expired" in refused.body.decode()
    assert not items("SESSION#") and not items("PERSON#")


def test_a_made_up_link_and_a_post_without_csrf_change_nothing(client: Any) -> None:
    assert client.http.get("/signin/" + "A" * 43).status_code == 404
    ask(client)
    [path] = links_to(DANA)
    refused = post_form(client, path, "csrf=forged", {"csrf_token": "nope"})
    assert refused.status_code == 403
    assert not items("SESSION#")
    assert press(client, path).status_code == 303  # the link still works afterwards


def test_the_answer_is_the_same_for_any_address(client: Any) -> None:
    sign_in(client)  # dana has an account now
    known, unknown = ask(client, DANA), ask(client, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 202
    assert known.json_body == unknown.json_body
    assert ask(client, "not an address").status_code == 422
    assert (
        client.http.post(
            "/api/signin", headers={"Content-Type": "application/json"}, body="[]"
        ).status_code
        == 400
    )


def test_the_form_asks_for_a_link_and_says_to_check_the_mail(client: Any) -> None:
    from tests.integration.conftest import open_form

    page = client.http.get("/signin")
    assert page.status_code == 200
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token and callable(open_form)
    sent = post_form(client, "/signin", cookie, {"csrf_token": token.group(1), "email": DANA})
    assert sent.status_code == 200
    assert "Check your email" in sent.body.decode()
    assert len(links_to(DANA)) == 1
    wrong = post_form(client, "/signin", cookie, {"csrf_token": token.group(1), "email": "x"})
    assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.body.decode()


def test_sign_out_ends_the_session_and_everywhere_ends_them_all(client: Any) -> None:
    first, second = sign_in(client), sign_in(client)
    other = sign_in(client, "someone@else.example")
    for cookie in (first, second, other):
        assert client.http.get("/api/me", headers={"Cookie": cookie}).status_code == 200

    page = client.http.get("/dashboard", headers={"Cookie": first})
    assert page.status_code == 200
    csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    out = post_form(client, "/signout", f"{csrf_cookie}; {first}", {"csrf_token": token.group(1)})
    assert out.status_code == 200 and "signed out on this browser" in out.body.decode()
    assert any(c.startswith("session=;") and "Max-Age=0" in c for c in cookies_of(out))
    assert client.http.get("/api/me", headers={"Cookie": first}).status_code == 401
    assert client.http.get("/api/me", headers={"Cookie": second}).status_code == 200

    third = sign_in(client)
    everywhere = post_form(
        client,
        "/signout",
        f"{csrf_cookie}; {third}",
        {"csrf_token": token.group(1), "everywhere": "yes"},
    )
    assert "every browser" in everywhere.body.decode()
    for cookie in (second, third):
        assert client.http.get("/api/me", headers={"Cookie": cookie}).status_code == 401
    assert client.http.get("/api/me", headers={"Cookie": other}).status_code == 200  # not theirs
    assert client.http.get("/dashboard", headers={"Cookie": third}).status_code == 303


def test_a_session_expires(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cookie = sign_in(client)
    later(monkeypatch, 15 * 24 * 60)
    assert client.http.get("/api/me", headers={"Cookie": cookie}).status_code == 401


def test_a_burst_of_50_for_one_address_sends_at_most_the_hourly_limit(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import clock
    from chalicelib.settings import get_settings

    half_past = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: half_past)
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS_PER_HOUR", "5")
    monkeypatch.setenv("RATE_LIMIT_PER_IP_PER_HOUR", "1000")
    get_settings.cache_clear()

    answers = [
        ask(client, DANA if n % 2 else " DANA@freshbox.example").status_code for n in range(50)
    ]

    assert answers[:5] == [202] * 5
    assert set(answers[5:]) == {429}
    assert len(links_to(DANA)) == 5
    assert len(items("SIGNIN#")) == 5
    # Another address is not held back by the burst.
    assert ask(client, "someone@else.example").status_code == 202


def test_the_ip_limit_holds_whatever_the_addresses(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import clock
    from chalicelib.settings import get_settings

    half_past = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: half_past)
    monkeypatch.setenv("RATE_LIMIT_PER_IP_PER_HOUR", "3")
    get_settings.cache_clear()

    answers = [ask(client, f"p{n}@example.com").status_code for n in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    assert len(mails()) == 3


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=JSON_VALUES)
def test_the_sign_in_api_never_fails_on_any_json(client: Any, body: Any) -> None:
    """Whatever JSON arrives: 202 (a link sent), 400 or 422 (nothing sent), never 5xx."""
    before = len(mails())
    response = client.http.post(
        "/api/signin", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )

    assert response.status_code in (202, 400, 422), response.body
    assert len(mails()) == before + (1 if response.status_code == 202 else 0)
    if response.status_code != 202:
        assert response.json_body["errors"][0]["message"]

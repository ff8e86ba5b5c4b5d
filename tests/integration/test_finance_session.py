"""The finance key never travels in a URL: the page signs in with a form (a session cookie),
API clients send `Authorization: Bearer`, and `?key=` is refused everywhere."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import post_form

KEY = "fk_test_finance_session_key"
BOOKS = ("/api/finance/payouts", "/api/finance/ledger.csv")


@pytest.fixture
def books(client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FINANCE_API_KEY_SHA256", hashlib.sha256(KEY.encode()).hexdigest())
    get_settings.cache_clear()
    yield client
    get_settings.cache_clear()


def sign_in_form(client: Any) -> tuple[str, str]:
    """GET /finance signed out: (its CSRF cookie, the sign-in form's CSRF token)."""
    page = client.http.get("/finance")
    assert page.status_code == 401
    html = page.body.decode()
    assert 'action="/finance/signin"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    return page.headers["Set-Cookie"].split(";")[0], token.group(1)


def set_cookies(response: Any) -> list[str]:
    value = response.headers.get("Set-Cookie")
    return value if isinstance(value, list) else [value] if value else []


def sign_in(client: Any, key: str = KEY) -> str:
    """Sign in through the form: the Cookie header a browser then sends to the finance pages."""
    csrf_cookie, csrf_token = sign_in_form(client)
    done = post_form(client, "/finance/signin", csrf_cookie, {"csrf_token": csrf_token, "key": key})
    assert done.status_code == 303, done.body
    session = set_cookies(done)[0].split(";")[0]
    return f"{csrf_cookie}; {session}"


def later(monkeypatch: pytest.MonkeyPatch, hours: float) -> None:
    from chalicelib.adapters import clock

    moment = datetime.now(UTC) + timedelta(hours=hours)
    monkeypatch.setattr(clock, "now", lambda: moment)


# -- no key in a URL ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", BOOKS)
def test_a_key_in_the_query_string_is_refused_with_the_header_named(books: Any, path: str) -> None:
    bearer = {"Authorization": f"Bearer {KEY}"}
    for headers in ({}, bearer):
        response = books.http.get(f"{path}?key={KEY}", headers=headers)

        assert response.status_code == 401
        (error,) = response.json_body["errors"]
        assert "Authorization: Bearer" in error["message"]
    assert books.http.get(path, headers=bearer).status_code == 200


def test_the_page_refuses_a_key_in_its_address(books: Any) -> None:
    response = books.http.get(f"/finance?key={KEY}")

    assert response.status_code == 401
    html = response.body.decode()
    assert "Authorization: Bearer" in html and "Waiting for your approval" not in html
    assert "Set-Cookie" not in response.headers


def test_no_page_or_form_puts_the_key_in_a_url(books: Any) -> None:
    signed_out = books.http.get("/finance").body.decode()
    signed_in = books.http.get("/finance", headers={"Cookie": sign_in(books)}).body.decode()

    forms = [
        f
        for html in (signed_out, signed_in)
        for f in re.findall(r"<form.*?</form>", html, flags=re.S)
    ]
    keyed = [f for f in forms if 'name="key"' in f]
    assert len(keyed) == 1 and 'method="post"' in keyed[0].split(">", 1)[0]
    assert KEY not in signed_in
    assert 'action="/api/finance/ledger.csv"' in signed_in


# -- the sign-in form and its session -----------------------------------------------------------


def test_signed_out_the_page_is_the_sign_in_form(books: Any) -> None:
    page = books.http.get("/finance")

    assert page.status_code == 401
    assert "Waiting for your approval" not in page.body.decode()
    assert 'type="password"' in page.body.decode()
    assert page.headers["Cache-Control"] == "no-store"


def test_signing_in_needs_the_csrf_token_and_the_right_key(books: Any) -> None:
    csrf_cookie, csrf_token = sign_in_form(books)

    forged = post_form(books, "/finance/signin", csrf_cookie, {"csrf_token": "x", "key": KEY})
    assert forged.status_code == 403 and not set_cookies(forged)

    wrong = post_form(
        books, "/finance/signin", csrf_cookie, {"csrf_token": csrf_token, "key": "wrong"}
    )
    assert wrong.status_code == 403 and not set_cookies(wrong)
    assert "does not open the finance books" in wrong.body.decode()

    empty = post_form(books, "/finance/signin", csrf_cookie, {"csrf_token": csrf_token})
    assert empty.status_code == 401 and not set_cookies(empty)


def test_the_session_cookie_is_strict_short_lived_and_scoped_to_finance(books: Any) -> None:
    csrf_cookie, csrf_token = sign_in_form(books)

    done = post_form(books, "/finance/signin", csrf_cookie, {"csrf_token": csrf_token, "key": KEY})

    assert done.status_code == 303
    assert done.headers["Location"] == "/finance"
    cookies = set_cookies(done)
    paths = set()
    for cookie in cookies:
        attributes = [a.strip() for a in cookie.split(";")]
        assert attributes[0].startswith("finance_session=")
        assert {"Secure", "HttpOnly", "SameSite=Strict"} <= set(attributes)
        max_age = next(int(a.split("=")[1]) for a in attributes if a.startswith("Max-Age="))
        assert 0 < max_age <= 12 * 3600
        paths.add(next(a.split("=", 1)[1] for a in attributes if a.startswith("Path=")))
    assert paths == {"/finance", "/api/finance"}
    assert len({c.split(";")[0] for c in cookies}) == 1  # one session


def test_a_signed_in_session_opens_the_page_and_the_books(books: Any) -> None:
    cookie = {"Cookie": sign_in(books)}

    page = books.http.get("/finance", headers=cookie)
    assert page.status_code == 200
    assert "Waiting for your approval" in page.body.decode()
    assert page.headers["Cache-Control"] == "no-store"
    csv = books.http.get("/api/finance/ledger.csv", headers=cookie)
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert books.http.get("/api/finance/payouts", headers=cookie).status_code == 200


def test_the_session_is_stored_hashed(books: Any, aws_env: dict[str, str]) -> None:
    import boto3

    session = sign_in(books).split("finance_session=")[1]

    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName=aws_env["TABLE_NAME"])[
        "Items"
    ]
    assert session not in json.dumps(items)
    assert any(i["pk"]["S"].startswith("FINSESSION#") for i in items)


def test_a_session_ends_after_eight_hours(books: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cookie = {"Cookie": sign_in(books)}

    later(monkeypatch, 7.9)
    assert books.http.get("/api/finance/payouts", headers=cookie).status_code == 200
    later(monkeypatch, 8.1)
    assert books.http.get("/api/finance/payouts", headers=cookie).status_code == 401
    assert books.http.get("/finance", headers=cookie).status_code == 401


def test_signing_out_ends_the_session_even_for_a_copied_cookie(books: Any) -> None:
    cookie = sign_in(books)
    page = books.http.get("/finance", headers={"Cookie": cookie})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token and 'action="/finance/signout"' in page.body.decode()

    forged = post_form(books, "/finance/signout", cookie, {"csrf_token": "forged"})
    assert forged.status_code == 403
    assert books.http.get("/finance", headers={"Cookie": cookie}).status_code == 200

    done = post_form(books, "/finance/signout", cookie, {"csrf_token": token.group(1)})
    assert done.status_code == 303
    assert all("Max-Age=0" in c and "finance_session=;" in c for c in set_cookies(done))
    assert books.http.get("/finance", headers={"Cookie": cookie}).status_code == 401
    assert books.http.get("/api/finance/ledger.csv", headers={"Cookie": cookie}).status_code == 401


def test_a_new_finance_key_ends_the_sessions_of_the_old_one(
    books: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings

    cookie = {"Cookie": sign_in(books)}
    monkeypatch.setenv("FINANCE_API_KEY_SHA256", hashlib.sha256(b"rotated").hexdigest())
    get_settings.cache_clear()

    assert books.http.get("/api/finance/payouts", headers=cookie).status_code == 401


def test_a_forged_session_cookie_opens_nothing(books: Any) -> None:
    cookie = {"Cookie": "finance_session=" + "A" * 43}

    assert books.http.get("/finance", headers=cookie).status_code == 401
    assert books.http.get("/api/finance/payouts", headers=cookie).status_code == 401

"""The signed-in person of a request: the one function every page and route uses.

    current_person(headers)  -> Person | None     the session cookie's person (None: signed out)
    require_person(headers)  -> Person            401 (Unauthorized) when signed out
    session_cookies(value, max_age) / cleared_cookies()    the Set-Cookie headers

The cookie (`session`) holds a 256-bit id; the table stores its SHA-256 (adapters/sessions.py).
It is HttpOnly, Secure, SameSite=Lax (sent when a link in an email opens a page, never on
another site's POST) and scoped to the site's path (`/`, or the stage prefix). A `Person` is
{email, roles, organisation_id} (domain/accounts.py); `person.session_id_hash` names the
session for sign-out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.services import accounts
from chalicelib.services.errors import Unauthorized

COOKIE: Final = "session"
SIGNED_OUT: Final = "Sign in first: ask for a sign-in link on the sign-in page."


def session_id(headers: Mapping[str, str]) -> str | None:
    raw = headers.get("cookie") or headers.get("Cookie") or ""
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def current_person(headers: Mapping[str, str]) -> Person | None:
    """The person signed in on this request (a live session cookie), else None."""
    found = session_id(headers)
    return accounts.current(found) if found else None


def require_person(headers: Mapping[str, str]) -> Person:
    person = current_person(headers)
    if person is None:
        raise Unauthorized(SIGNED_OUT)
    return person


def session_cookies(value: str, max_age: int) -> list[str]:
    return [
        f"{COOKIE}={value}; Path={links.href('/')}; Max-Age={max_age}; Secure; HttpOnly; "
        "SameSite=Lax"
    ]


def cleared_cookies() -> list[str]:
    return session_cookies("", 0)

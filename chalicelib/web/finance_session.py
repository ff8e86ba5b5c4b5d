"""Finance's browser session: the finance key is typed once into a form, never put in a URL.

    start(headers)     after the key checked out: a new session, its Set-Cookie headers
    active(headers)    whether the request carries a live session
    end(headers)       sign-out: the session deleted, Set-Cookie headers that clear the cookie

Sessions live in DynamoDB (`FINSESSION#<sha256 of the id>`, the table's TTL on `expires_at`), not
in a self-contained signed cookie, so signing out ends a session for real (a copied cookie dies
with it) and rotating the finance key ends every session opened with the old one (each session
records a fingerprint of the key's hash). The id is 256 random bits, stored hashed; a session
lasts `LIFETIME` from sign-in, not renewed by use.

The cookie is HttpOnly, Secure, SameSite=Strict, and sent only to the finance page and the
finance API (one cookie per path: `/finance` and `/api/finance`, under the stage prefix).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from chalicelib.adapters import clock, links, tokens
from chalicelib.adapters.store import get_store
from chalicelib.settings import get_settings

COOKIE: Final = "finance_session"
LIFETIME: Final = timedelta(hours=8)  # a working day; at most 12 h by design


def cookie_paths() -> tuple[str, ...]:
    return links.href("/finance"), links.href("/api/finance")


def _key(session_id: str) -> tuple[str, str]:
    return f"FINSESSION#{tokens.hash_token(session_id)}", "SESSION"


def _key_fingerprint() -> str:
    configured = get_settings().finance_api_key_sha256.strip().lower()
    return hashlib.sha256(configured.encode()).hexdigest()[:32]


def _cookies(value: str, max_age: int) -> list[str]:
    return [
        f"{COOKIE}={value}; Path={path}; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict"
        for path in cookie_paths()
    ]


def session_id(headers: Mapping[str, str]) -> str | None:
    raw = headers.get("cookie") or headers.get("Cookie") or ""
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def start() -> list[str]:
    """A new session (call only once the finance key checked out): its Set-Cookie headers."""
    session, _ = tokens.new_token()
    pk, sk = _key(session)
    expires = clock.now() + LIFETIME
    get_store().put_new(
        {
            "pk": pk,
            "sk": sk,
            "type": "finance_session",
            "created_at": clock.iso(),
            "expires_at": int(expires.timestamp()),
            "key_fingerprint": _key_fingerprint(),
        }
    )
    return _cookies(session, int(LIFETIME.total_seconds()))


def active(headers: Mapping[str, str]) -> bool:
    """The request carries a session that has not expired, ended or outlived its key."""
    session = session_id(headers)
    if not session:
        return False
    found = get_store().get(*_key(session))
    return bool(
        found
        and int(found["expires_at"]) > clock.now().timestamp()
        and found.get("key_fingerprint") == _key_fingerprint()
    )


def end(headers: Mapping[str, str]) -> list[str]:
    """Sign-out: the session is deleted; the Set-Cookie headers clear the browser's copy."""
    session = session_id(headers)
    if session:
        get_store().delete(*_key(session))
    return _cookies("", 0)

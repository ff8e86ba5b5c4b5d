"""CSRF protection for HTML forms: the signed double-submit cookie pattern.

GET of a form sets a random `csrf` cookie (Secure, HttpOnly, SameSite=Strict) and puts
HMAC(secret, cookie) in a hidden field; a POST is accepted only when the field matches the
cookie it came with. Another site can neither read the cookie nor forge the field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from chalicelib.adapters import links

COOKIE = "csrf"
FIELD = "csrf_token"


class CsrfError(Exception):
    pass


def _secret() -> bytes:
    from chalicelib.settings import get_settings

    return get_settings().csrf_secret.get_secret_value().encode()


def _sign(value: str) -> str:
    return hmac.new(_secret(), value.encode(), hashlib.sha256).hexdigest()


def cookie_value(headers: Mapping[str, str]) -> str | None:
    raw = headers.get("cookie") or headers.get("Cookie") or ""
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


def issue(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """(field value, Set-Cookie header or None when the browser already has a cookie)."""
    existing = cookie_value(headers)
    if existing:
        return _sign(existing), None
    fresh = secrets.token_urlsafe(24)
    # Scoped to the site's own path (the stage prefix on an execute-api URL, else "/");
    # Secure always: browsers keep Secure cookies on http://127.0.0.1 too (a secure context).
    cookie = f"{COOKIE}={fresh}; Path={links.href('/')}; Secure; HttpOnly; SameSite=Strict"
    return _sign(fresh), cookie


def verify(headers: Mapping[str, str], field: str | None) -> None:
    cookie = cookie_value(headers)
    if not cookie or not field or not hmac.compare_digest(_sign(cookie), field):
        raise CsrfError("The form expired or came from another site. Please try again.")

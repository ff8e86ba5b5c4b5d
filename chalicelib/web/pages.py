"""HTML responses: every page goes through here so headers are set in one place."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

from chalicelib.web.render import render

SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
}
TOKENED_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def page(template: str, *, status: int = 200, tokened: bool = False, **context: Any) -> Response:
    headers: dict[str, str | list[str]] = dict(SECURITY_HEADERS)
    if tokened:
        headers.update(TOKENED_HEADERS)
    return Response(body=render(template, **context), status_code=status, headers=headers)


def home() -> Response:
    return page("home.html")

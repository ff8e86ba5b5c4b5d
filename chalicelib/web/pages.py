"""HTML responses: every page goes through here so headers are set in one place."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from chalice.app import Response

from chalicelib.web.render import render

SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # HTTPS only, for a year (API Gateway and custom domains serve HTTPS only; browsers
    # ignore this header on plain-HTTP local pages).
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
TOKENED_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@cache
def content_security_policy() -> str:
    """Pages talk only to us, to Stripe (card confirmation) and to S3 (file uploads)."""
    from chalicelib.settings import get_settings

    settings = get_settings()
    stripe = settings.stripe_api_base or "https://api.stripe.com"
    s3 = settings.aws_endpoint_url or "https://*.amazonaws.com"
    return (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src 'self' {stripe} {s3}; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def page(template: str, *, status: int = 200, tokened: bool = False, **context: Any) -> Response:
    headers: dict[str, str | list[str]] = dict(SECURITY_HEADERS)
    headers["Content-Security-Policy"] = content_security_policy()
    if tokened:
        headers.update(TOKENED_HEADERS)
    return Response(body=render(template, **context), status_code=status, headers=headers)


def form_page(
    template: str,
    headers: Mapping[str, str],
    *,
    status: int = 200,
    tokened: bool = False,
    **context: Any,
) -> Response:
    """A page with forms: it carries a CSRF token (and sets the cookie it is checked against)."""
    from chalicelib.web import csrf

    csrf_token, cookie = csrf.issue(headers)
    response = page(template, status=status, tokened=tokened, csrf_token=csrf_token, **context)
    if cookie:
        response.headers["Set-Cookie"] = cookie
    return response


def home() -> Response:
    return page("home.html")

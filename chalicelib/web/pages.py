"""HTML responses: every page goes through here so headers are set in one place."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from chalice.app import Response

from chalicelib.services.errors import AppError
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
def _site_sources() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Pages talk only to us, to Stripe (card confirmation) and to S3 (file uploads)."""
    from chalicelib.settings import get_settings

    settings = get_settings()
    stripe = settings.stripe_api_base or "https://api.stripe.com"
    s3 = settings.aws_endpoint_url or "https://*.amazonaws.com"
    return (
        ("default-src", ("'self'",)),
        ("style-src", ("'self'",)),
        ("script-src", ("'self'",)),
        ("img-src", ("'self'", "data:")),
        ("connect-src", ("'self'", stripe, s3)),
        ("form-action", ("'self'",)),
        ("frame-ancestors", ("'none'",)),
        ("base-uri", ("'none'",)),
        ("object-src", ("'none'",)),
    )


def content_security_policy(nonce: str, extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """The page's policy: no inline script or style runs but the page's own, which carry this
    response's nonce (no ``'unsafe-inline'``); ``extra`` adds sources per directive."""
    directives = {name: list(sources) for name, sources in _site_sources()}
    for name in ("script-src", "style-src"):
        directives[name].append(f"'nonce-{nonce}'")
    for name, sources in (extra or {}).items():
        known = directives.setdefault(name, [])
        known += [source for source in sources if source not in known]
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def page(
    template: str,
    *,
    status: int = 200,
    tokened: bool = False,
    csp_extra: Mapping[str, Sequence[str]] | None = None,
    **context: Any,
) -> Response:
    nonce = secrets.token_urlsafe(16)  # 128 bits, new for every response
    headers: dict[str, str | list[str]] = dict(SECURITY_HEADERS)
    headers["Content-Security-Policy"] = content_security_policy(nonce, csp_extra)
    if tokened:
        headers.update(TOKENED_HEADERS)
    body = render(template, csp_nonce=nonce, **context)
    return Response(body=body, status_code=status, headers=headers)


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


def error_page(exc: AppError) -> Response:
    """The page for an error a service raised: its status, a heading, what to do next."""
    headings = {
        401: "Sign-in link needed",
        403: "This link does not open this page",
        404: "Not found",
        409: "Already done",
        410: "This link has expired",
        429: "Please slow down",
        400: "Something is off",
    }
    return page(
        "error.html",
        status=exc.status,
        tokened=True,
        heading=headings.get(exc.status, "Something went wrong"),
        message=str(exc),
        hint="Use the most recent link we emailed you." if exc.status in (401, 403) else "",
    )

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
    s3 = files_source()
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


def files_source() -> str:
    """Where files are (presigned S3 URLs): the twin's endpoint, else S3's hosts."""
    from chalicelib.settings import get_settings

    return get_settings().aws_endpoint_url or "https://*.amazonaws.com"


def content_security_policy(nonce: str, extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """The page's policy: no inline script or style runs but the page's own, which carry this
    response's nonce (no ``'unsafe-inline'``); ``extra`` adds sources per directive."""
    directives: dict[str, list[str]] = {}
    nonces = {"script-src": [f"'nonce-{nonce}'"], "style-src": [f"'nonce-{nonce}'"]}
    # One directive per name (a browser obeys only a directive's first occurrence), each
    # source once: the site's, the nonce, then what the page adds (folded in, never repeated).
    for name, sources in [*_site_sources(), *nonces.items(), *(extra or {}).items()]:
        known = directives.setdefault(name, [])
        for source in sources:
            if source.rstrip("/") not in (k.rstrip("/") for k in known):
                known.append(source.rstrip("/") if "://" in source else source)
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


# The brand's "m" on its blue, as the header writes it (an SVG: every current browser takes it).
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#3a5bd9"/>'
    '<path d="M8 23V12h3v1.6c.8-1.2 2-1.9 3.4-1.9 1.5 0 2.6.7 3.1 1.9.8-1.2 2.1-1.9 3.6-1.9 '
    "2.4 0 3.9 1.6 3.9 4.3V23h-3v-6.4c0-1.4-.7-2.2-1.8-2.2-1.2 0-2 .9-2 2.3V23h-3v-6.4"
    'c0-1.4-.7-2.2-1.8-2.2-1.2 0-2 .9-2 2.3V23z" fill="#fff"/></svg>'
)


def favicon() -> Response:
    return Response(
        body=FAVICON_SVG,
        status_code=200,
        headers={
            "Content-Type": "image/svg+xml",
            "Cache-Control": "public, max-age=604800",
            "X-Content-Type-Options": "nosniff",
        },
    )


def home() -> Response:
    from chalicelib.settings import get_settings
    from chalicelib.web.home_facts import how_it_works

    return page("home.html", how=how_it_works(get_settings()))


def csrf_refused(exc: Exception, hint: str = "", back: tuple[str, str] | None = None) -> Response:
    """The 403 page of a form whose CSRF token did not match (csrf.CsrfError): try again, how
    (`hint`), and `back` (url, label) to the page the form came from."""
    url, label = back or ("", "")
    return page(
        "error.html",
        status=403,
        tokened=True,
        heading="Please try again",
        message=str(exc),
        hint=hint,
        back_url=url,
        back_label=label,
    )


def error_page(exc: AppError, *, back: tuple[str, str] | None = None) -> Response:
    """The page for an error a service raised: its status, a heading, what to do next, and
    `back` (url, label): the way back to the page the action came from."""
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
        back_url=back[0] if back else "",
        back_label=back[1] if back else "",
    )

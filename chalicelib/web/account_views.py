"""Accounts' pages and JSON routes: sign-in by emailed link, sign-out, the dashboard, /api/me.

    signin_page / signin_form_post     GET /signin, POST /signin (the email form, CSRF)
    signin_api                         POST /api/signin -> 202 whatever the address
    signin_link_page / signin_link_post  GET /signin/{token} (a button; changes nothing: mail
                                       scanners open links), POST (CSRF): session cookie, 303
                                       to /dashboard
    signout                            POST /signout (everywhere=yes: every session of theirs)
    (GET /dashboard: web/dashboards.py, by role)
    me_json                            GET /api/me

The signed-in person comes from web/account_session.current_person, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.services import accounts, organisations
from chalicelib.services.errors import AppError, Invalid
from chalicelib.web import csrf, forms
from chalicelib.web.account_session import (
    cleared_cookies,
    current_person,
    require_person,
    session_cookies,
)
from chalicelib.web.http import json_object, json_response
from chalicelib.web.pages import csrf_refused, error_page, form_page

ACCEPTED = (
    "If this address can receive email, a sign-in link is on its way. It works once, "
    "for 15 minutes."
)


def _redirect(path: str, cookies: list[str] | None = None) -> Response:
    headers: dict[str, Any] = {
        "Location": links.href(path),
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=303, headers=headers)


# -- asking for a link --------------------------------------------------------------------


def signin_page(
    headers: Mapping[str, str],
    *,
    sent: str = "",
    error: str = "",
    email: str = "",
    signed_out: str = "",
    status: int = 200,
) -> Response:
    return form_page(
        "signin.html",
        headers,
        status=status,
        sent=sent,
        error=error,
        email=email,
        signed_out=signed_out,
    )


def signin_form_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return csrf_refused(exc)
    typed = form.get("email", "")
    try:
        accounts.request_sign_in(typed)
    except Invalid as exc:
        return signin_page(headers, error=str(exc), email=typed, status=422)
    return signin_page(headers, sent=typed.strip().lower())


def signin_api(body: bytes | str | None) -> Response:
    data = json_object(body)
    accounts.request_sign_in(data.get("email"))
    return json_response({"message": ACCEPTED}, 202)


# -- the emailed link ---------------------------------------------------------------------


def signin_link_page(token: str, headers: Mapping[str, str]) -> Response:
    try:
        found = accounts.check_link(token)
    except AppError as exc:
        return _link_refused(exc)
    return form_page("signin_link.html", headers, tokened=True, token=token, email=found.email)


def signin_link_post(token: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    try:
        csrf.verify(headers, forms.parse_form(body).get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return csrf_refused(exc, "Open the link from the email again and press the button.")
    try:
        from chalicelib.web import account_roles  # noqa: F401  (links the roles at sign-in)

        session, lifetime, person = accounts.sign_in(token)
    except AppError as exc:
        return _link_refused(exc)
    organisations.adopt_briefs(person)  # briefs this address posted before accounts existed
    return _redirect("/dashboard", session_cookies(session, lifetime))


def _link_refused(exc: AppError) -> Response:
    response = error_page(exc, back=(links.href("/signin"), "Ask for a new sign-in link"))
    return response


# -- signing out --------------------------------------------------------------------------


def signout(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return csrf_refused(exc)
    person = current_person(headers)
    everywhere = form.get("everywhere") == "yes"
    if person is not None:
        if everywhere:
            accounts.sign_out_everywhere(person)
        else:
            accounts.sign_out(person)
    response = signin_page(
        headers,
        signed_out="You are signed out on every browser."
        if everywhere
        else "You are signed out on this browser.",
    )
    response.headers["Set-Cookie"] = [*cleared_cookies(), *_csrf_cookie(response)]
    response.headers.update({"Cache-Control": "no-store"})
    return response


def _csrf_cookie(response: Response) -> list[str]:
    existing = response.headers.get("Set-Cookie")
    if not existing:
        return []
    return existing if isinstance(existing, list) else [existing]


def me_json(headers: Mapping[str, str]) -> Response:
    return json_response(accounts.me(require_person(headers)))

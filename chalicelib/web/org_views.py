"""The employer's side of accounts: the organisation's dashboard and its forms.

employer_dashboard       GET /dashboard for an owner or member (registered in
                         dashboards.DASHBOARDS)
my_briefs_json           GET /api/me/briefs
new_brief                GET /dashboard/new-brief: the brief form prefilled
invite_form_post         POST /dashboard/invite (owner; CSRF)
invite_page / invite_post  GET/POST /invites/{token}: join the organisation, signed in
receipts_page            GET /dashboard/briefs/{brief_id}/receipts: Stripe's receipts
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.domain.money import format_money
from chalicelib.services import organisations
from chalicelib.services.errors import AppError, Invalid
from chalicelib.web import csrf, forms
from chalicelib.web.account_session import current_person, require_person, session_cookies
from chalicelib.web.http import json_response
from chalicelib.web.pages import error_page, form_page, page

NOTICES = {
    "invited": "Invitation sent: your colleague has 7 days to use the emailed link.",
    "joined": "Welcome: you now share this organisation's briefs.",
    "key_revoked": "API key revoked: it no longer opens anything.",
}


# Engagements of a signed-in person as the intern side lists them (GET /api/me/engagements):
# each provider returns the person's engagements; an employer has none.
def _money(currency: str) -> Callable[[Any], str]:
    return lambda cents: format_money(int(cents or 0), currency)


def employer_dashboard(
    person: Person,
    headers: Mapping[str, str],
    *,
    notice: str = "",
    errors: Mapping[str, str] | None = None,
    invite_values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    from chalicelib.services import api_keys

    view = organisations.dashboard(person)
    return form_page(
        "dashboard_employer.html",
        headers,
        status=status,
        tokened=True,
        person=person,
        organisation_name=view["organisation"]["name"],
        view=view,
        api_keys=api_keys.listed(person)["keys"],
        money=lambda cents, currency: format_money(int(cents or 0), str(currency)),
        notice=NOTICES.get(notice, ""),
        errors=dict(errors or {}),
        invite_values=dict(invite_values or {}),
    )


def my_briefs_json(headers: Mapping[str, str]) -> Response:
    return json_response(organisations.my_briefs(require_person(headers)))


def new_brief(headers: Mapping[str, str]) -> Response:
    from chalicelib.web import views

    person = current_person(headers)
    if person is None:
        return _see("/signin")
    return views.brief_form(headers, values=organisations.prefill(person))


def invite_form_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return page("error.html", status=403, heading="Please try again", message=str(exc), hint="")
    person = current_person(headers)
    if person is None:
        return _see("/signin")
    try:
        organisations.invite(person, form.get("email", ""), form.get("role", "member"))
    except Invalid as exc:
        by_field = {str(e["field"]): str(e["message"]) for e in exc.errors}
        return employer_dashboard(person, headers, errors=by_field, invite_values=form, status=422)
    except AppError as exc:
        return error_page(exc, back=(links.href("/dashboard"), "Back to your dashboard"))
    return _see("/dashboard", notice="invited")


def invite_page(token: str, headers: Mapping[str, str]) -> Response:
    try:
        found = organisations.check_invite(token)
    except AppError as exc:
        return error_page(exc, back=(links.href("/signin"), "Sign in"))
    return form_page("invite.html", headers, tokened=True, token=token, invite=found)


def invite_post(token: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    try:
        csrf.verify(headers, forms.parse_form(body).get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return page("error.html", status=403, heading="Please try again", message=str(exc), hint="")
    try:
        session, lifetime = organisations.accept_invite(token)
    except AppError as exc:
        return error_page(exc, back=(links.href("/signin"), "Sign in"))
    return _see("/dashboard", cookies=session_cookies(session, lifetime), notice="joined")


def receipts_page(brief_id: str, headers: Mapping[str, str]) -> Response:
    person = current_person(headers)
    if person is None:
        return _see("/signin")
    try:
        brief = organisations.brief_of(person, brief_id)
        found = organisations.receipts(person, brief_id)
    except AppError as exc:
        return error_page(exc, back=(links.href("/dashboard"), "Back to your dashboard"))
    return page(
        "receipts.html",
        tokened=True,
        brief=brief,
        receipts=found,
        money=lambda cents, currency: format_money(int(cents or 0), str(currency)),
    )


def _see(path: str, *, cookies: list[str] | None = None, notice: str = "") -> Response:
    headers: dict[str, Any] = {
        "Location": links.href(path, notice=notice or None),
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=303, headers=headers)

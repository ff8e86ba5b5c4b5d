"""Forms a signed-in person posts (the finance desk, the intern's dashboard): one shape.

    person_post(headers, body, *, require, act, hint, back)
        CSRF first (a 403 page that says `hint`), then the session's person (signed out: 303 to
        /signin), then `require(person)` (an AppError, e.g. the wrong role: the error page, back
        to /dashboard), then `act(person, form)`, whose Response is the answer; an AppError it
        raises is the error page, back to `back` (url, label).
    see_other(url)   303 to `url` (Post/Redirect/Get): no-store, no-referrer
    checked_form(headers, body, hint=...)   (form, None), or (form, the CSRF refusal's 403 page)

Field errors (`Invalid`) that the page shows beside its fields are `act`'s to catch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.services.errors import AppError
from chalicelib.web import csrf, forms
from chalicelib.web.account_session import current_person
from chalicelib.web.pages import csrf_refused, error_page


def see_other(url: str) -> Response:
    return Response(
        body="",
        status_code=303,
        headers={"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def checked_form(
    headers: Mapping[str, str], body: bytes | str | None, *, hint: str
) -> tuple[dict[str, str], Response | None]:
    """The posted form, and the 403 page that refuses it when its CSRF token does not match
    (None: it does)."""
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return form, csrf_refused(exc, hint)
    return form, None


def person_post(
    headers: Mapping[str, str],
    body: bytes | str | None,
    *,
    require: Callable[[Person], object],
    act: Callable[[Person, dict[str, str]], Response],
    hint: str,
    back: tuple[str, str],
) -> Response:
    form, refused = checked_form(headers, body, hint=hint)
    if refused is not None:
        return refused
    person = current_person(headers)
    if person is None:
        return see_other(links.href("/signin"))
    try:
        require(person)
    except AppError as exc:
        return error_page(exc, back=(links.href("/dashboard"), "Your dashboard"))
    try:
        return act(person, form)
    except AppError as exc:
        return error_page(exc, back=back)

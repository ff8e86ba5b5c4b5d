"""API keys, from a signed-in employer's session: JSON routes and the dashboard's forms.

    create / listed / revoke       POST /api/keys, GET /api/keys, DELETE /api/keys/{key_id}
    create_form / revoke_form      POST /dashboard/keys, POST /dashboard/keys/{key_id}/revoke

A key is shown once: in the 201 answer, or on the page the form's POST answers (never in a
URL, never again). JSON writes authorised by the session cookie must not come from another
site (brief_access's origin check).
"""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.services import api_keys
from chalicelib.services.errors import AppError
from chalicelib.web import brief_access, csrf, forms
from chalicelib.web.account_session import current_person, require_person
from chalicelib.web.http import json_object, json_response
from chalicelib.web.pages import error_page, page


def create(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    person = require_person(headers)
    brief_access.same_origin(headers)
    data = json_object(body or b"{}")
    return json_response(api_keys.create(person, data.get("name", "")), 201)


def listed(headers: Mapping[str, str]) -> Response:
    return json_response(api_keys.listed(require_person(headers)))


def revoke(key_id: str, headers: Mapping[str, str]) -> Response:
    person = require_person(headers)
    brief_access.same_origin(headers)
    return json_response(api_keys.revoke(person, key_id))


def _form_person(
    headers: Mapping[str, str], body: bytes | str | None
) -> tuple[dict[str, str], Response | None]:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return form, page(
            "error.html", status=403, heading="Please try again", message=str(exc), hint=""
        )
    return form, None


def create_form(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form, refused = _form_person(headers, body)
    if refused:
        return refused
    person = current_person(headers)
    back = (links.href("/dashboard"), "Back to your dashboard")
    if person is None:
        return _see("/signin")
    try:
        made = api_keys.create(person, form.get("name", ""))
    except AppError as exc:
        return error_page(exc, back=back)
    return page("api_key_created.html", tokened=True, made=made)


def revoke_form(key_id: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    _form, refused = _form_person(headers, body)
    if refused:
        return refused
    person = current_person(headers)
    if person is None:
        return _see("/signin")
    try:
        api_keys.revoke(person, key_id)
    except AppError as exc:
        return error_page(exc, back=(links.href("/dashboard"), "Back to your dashboard"))
    return _see("/dashboard", notice="key_revoked")


def _see(path: str, *, notice: str = "") -> Response:
    return Response(
        body="",
        status_code=303,
        headers={"Location": links.href(path, notice=notice or None), "Cache-Control": "no-store"},
    )

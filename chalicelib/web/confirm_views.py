"""The confirmation link's page: GET shows a button and changes nothing (mail scanners open
links); the button POSTs (with CSRF) and confirms (services/confirmations.py)."""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Response

from chalicelib.services import confirmations
from chalicelib.services.errors import AppError
from chalicelib.web import csrf, forms
from chalicelib.web.pages import csrf_refused, error_page, form_page, page


def confirm_page(token: str, headers: Mapping[str, str]) -> Response:
    try:
        found = confirmations.check(token)
    except AppError as exc:
        return error_page(exc)
    return form_page(
        "confirm_address.html", headers, tokened=True, purpose=found.purpose, token=token
    )


def confirm(token: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return csrf_refused(exc, "Open the link from the email again and press the button.")
    try:
        result = confirmations.confirm(token)
    except AppError as exc:
        return error_page(exc)
    return page("confirmed.html", tokened=True, purpose=result["purpose"])

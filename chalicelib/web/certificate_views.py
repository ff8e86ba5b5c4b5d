"""Certificates and the talent pool on the web: the public certificate page and JSON, the
published keys, the intern's portfolio, and the forms of the task and brief pages' panels.

Public pages (certificate, portfolio) show only what a certificate says; an unknown id gets
the same not-found page as any other. The panels' forms are POST + CSRF, then back to the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.engagement import Status
from chalicelib.services import access, certificates, talent
from chalicelib.services.errors import AppError, Invalid
from chalicelib.web import brief_access
from chalicelib.web.http import json_response
from chalicelib.web.pages import error_page, page
from chalicelib.web.views import form_post

PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}
# The task page's certificate choices (POST /tasks/{token}/certificate/{choice}).
INTERN_CHOICES = ("show-rating", "hide-rating", "list", "unlist", "share-contact")


def certificate_json(certificate_id: str) -> Response:
    response = json_response(certificates.public_view(certificate_id))
    response.headers.update(PUBLIC_CACHE)
    return response


def keys_json() -> Response:
    response = json_response(certificates.key_set())
    response.headers.update(PUBLIC_CACHE)
    return response


def certificate_page(certificate_id: str) -> Response:
    try:
        view = certificates.public_view(certificate_id)
    except AppError as exc:
        return error_page(exc)
    return page(
        "certificate.html",
        view=view,
        c=view["certificate"],
        verified=certificates.signature_checks(view),
        json_url=links.href(f"/api/certificates/{certificate_id}"),
    )


def portfolio_page(slug: str) -> Response:
    try:
        view = certificates.portfolio(slug)
    except AppError as exc:
        return error_page(exc)
    return page("portfolio.html", view=view)


def _refused(errors: Mapping[str, str], back: str) -> Response:
    """A form these panels never draw (an unknown choice): say so, with the way back."""
    return page(
        "error.html",
        status=422,
        tokened=True,
        heading="Something is off",
        message=" ".join(errors.values()),
        hint="",
        back_url=back,
        back_label="Back",
    )


def run_intern_choice(token: str, choice: str) -> dict[str, Any]:
    """One code path for the task page's certificate forms and the JSON API."""
    if choice not in INTERN_CHOICES:
        raise Invalid([{"field": "choice", "message": f"Unknown choice {choice!r}."}])
    if choice == "share-contact":
        return talent.share_contact(token)
    brief, intern_id = access.open_task(token)
    brief_id = str(brief["brief_id"])
    if choice in ("show-rating", "hide-rating"):
        return certificates.show_rating(brief_id, intern_id, choice == "show-rating")
    return certificates.set_listed(brief_id, intern_id, choice == "list")


def intern_choice(
    token: str, choice: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    return form_post(
        headers,
        body,
        act=lambda form: run_intern_choice(token, choice),
        show_errors=lambda form, errors: _refused(errors, links.href(f"/tasks/{token}")),
        location=links.href(f"/tasks/{token}"),
        back_label="Back to your task page",
    )


def run_employer_talent(brief: Mapping[str, Any], action: str) -> dict[str, Any]:
    if action != "interested":
        raise Invalid([{"field": "action", "message": f"Unknown action {action!r}."}])
    return talent.flag_interest(brief)


def employer_talent(
    brief_id: str, action: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    from chalicelib.web import forms

    key = forms.parse_form(body).get("key")
    back = links.href(f"/briefs/{brief_id}", key=key)
    return form_post(
        headers,
        body,
        act=lambda form: run_employer_talent(
            brief_access.open_brief(brief_id, headers, key, writes=True), action
        ),
        show_errors=lambda form, errors: _refused(errors, back),
        location=links.href(f"/briefs/{brief_id}", key=key),
        back_label="Back to your brief",
    )


def intern_panel(token: str) -> dict[str, Any] | None:
    """The task page's certificate and hiring panel (None when there is nothing to show)."""
    try:
        brief, intern_id = access.open_task(token)
    except AppError:
        return None
    if brief.get("status") != Status.COMPLETED:  # nothing before completion: no reads
        return None
    choices = certificates.intern_choices(str(brief["brief_id"]), intern_id)
    hiring = talent.intern_view(brief, intern_id)
    if choices is None and hiring is None:
        return None
    return {"certificate": choices, "hiring": hiring}

"""The intern's dashboard and account routes (issue 14).

    dashboard(person, headers)          GET /dashboard for a person with the `intern` role
                                        (listed in web/dashboards.DASHBOARDS)
    profile_post / pause_post / prefs_post   POST /dashboard/profile, /dashboard/pause,
                                        /dashboard/email-preferences (CSRF; the page again with
                                        the outcome, or 422 with the messages beside the fields)
    stripe_post                         POST /dashboard/stripe: 303 to a fresh Stripe Express
                                        dashboard login link (single use: made on a POST)
    open_post                           POST /dashboard/engagements/{brief_id}/open: 303 to a
                                        fresh task link of that engagement
    engagements_json                    GET /api/me/engagements

Signed out: pages send the person to /signin, JSON answers 401; a signed-in person without the
intern role: 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.domain.intern import BIO_MAX, BIO_MIN, HOURS_MAX, HOURS_MIN, SKILLS_MAX
from chalicelib.domain.money import format_money
from chalicelib.services import intern_accounts
from chalicelib.services.errors import AppError, Forbidden, Invalid
from chalicelib.web.account_session import require_person
from chalicelib.web.http import json_response
from chalicelib.web.pages import error_page, form_page
from chalicelib.web.person_forms import person_post, see_other


def wants(person: Person) -> bool:
    return intern_accounts.INTERN in person.roles


def _money(cents: int, currency: str) -> str:
    return format_money(int(cents), currency)


def express_sources() -> dict[str, list[str]]:
    """The "Open your Stripe Express dashboard" form is answered by a redirect to Stripe's login
    link: the page's form-action must allow Stripe's Connect host (the sandbox's on the twin)."""
    from urllib.parse import urlsplit

    from chalicelib.settings import get_settings

    base = get_settings().stripe_api_base
    if base:
        parts = urlsplit(base)
        return {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
    return {"form-action": ["https://connect.stripe.com"]}


def dashboard(
    person: Person,
    headers: Mapping[str, str],
    *,
    notice: str = "",
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    from chalicelib.web.intern_views import TIME_ZONES

    try:
        view = intern_accounts.dashboard(intern_accounts.intern_id_of(person))
    except AppError as exc:  # e.g. the profile is gone: say so, never a 500
        return error_page(exc, back=(links.href("/signin"), "Sign in again"))
    shown = {**{k: str(v) for k, v in view["profile"].items()}, **(values or {})}
    listed = {zone for _, zones in TIME_ZONES for zone in zones}
    return form_page(
        "intern_dashboard.html",
        headers,
        status=status,
        tokened=True,
        csp_extra=express_sources(),
        person=person,
        view=view,
        values=shown,
        errors=dict(errors or {}),
        notice=notice,
        money=_money,
        time_zones=TIME_ZONES,
        other_zone=shown["timezone"] if shown["timezone"] not in listed else "",
        rules={
            "skills_max": SKILLS_MAX,
            "bio_min": BIO_MIN,
            "bio_max": BIO_MAX,
            "hours_min": HOURS_MIN,
            "hours_max": HOURS_MAX,
        },
    )


def _intern_post(
    headers: Mapping[str, str],
    body: bytes | str | None,
    act: Callable[[Person, dict[str, str]], Response],
) -> Response:
    """An intern's dashboard form (web/person_forms): CSRF, their session, the `intern` role;
    a refusal is the error page back to the dashboard."""
    return person_post(
        headers,
        body,
        require=_require_intern,
        act=act,
        hint="Reload your dashboard and send the form again.",
        back=(links.href("/dashboard"), "Your dashboard"),
    )


def _require_intern(person: Person) -> None:
    if not wants(person):
        raise Forbidden(intern_accounts.NOT_AN_INTERN)


def _field_errors(exc: Invalid) -> dict[str, str]:
    return {str(e.get("field") or "form"): str(e.get("message")) for e in exc.errors}


def profile_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    def act(person: Person, form: dict[str, str]) -> Response:
        values = {k: form.get(k, "") for k in intern_accounts.EDITABLE}
        try:
            intern_accounts.edit_profile(intern_accounts.intern_id_of(person), values)
        except Invalid as exc:
            return dashboard(person, headers, errors=_field_errors(exc), values=values, status=422)
        return dashboard(person, headers, notice="Profile saved: matching reads it from now on.")

    return _intern_post(headers, body, act)


def pause_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    def act(person: Person, form: dict[str, str]) -> Response:
        until = "" if form.get("available_now") == "yes" else form.get("until", "")
        try:
            day = intern_accounts.pause(intern_accounts.intern_id_of(person), until)
        except Invalid as exc:
            return dashboard(person, headers, errors=_field_errors(exc), status=422)
        notice = (
            f"Paused: no new offers until {day.isoformat()}."
            if day
            else "You are available: new offers can come."
        )
        return dashboard(person, headers, notice=notice)

    return _intern_post(headers, body, act)


def prefs_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    def act(person: Person, form: dict[str, str]) -> Response:
        on = form.get("reminders") == "on"
        intern_accounts.set_email_prefs(intern_accounts.intern_id_of(person), reminders=on)
        notice = "Reminders on." if on else "Reminders off. Offers and payout emails still come."
        return dashboard(person, headers, notice=notice)

    return _intern_post(headers, body, act)


def stripe_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    return _intern_post(
        headers,
        body,
        lambda person, _form: see_other(
            intern_accounts.express_dashboard_url(intern_accounts.intern_id_of(person))
        ),
    )


def open_post(brief_id: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    return _intern_post(
        headers,
        body,
        lambda person, _form: see_other(
            intern_accounts.open_engagement(intern_accounts.intern_id_of(person), brief_id)
        ),
    )


def engagements_json(headers: Mapping[str, str]) -> Response:
    person = require_person(headers)
    items: list[dict[str, Any]] = []
    if wants(person):
        items = intern_accounts.engagements(intern_accounts.intern_id_of(person))
    return json_response(items)

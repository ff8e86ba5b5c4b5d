"""The intern's HTML pages: the registration form and the "what happens next" page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from chalicelib.domain.intern import BIO_MAX, BIO_MIN, HOURS_MAX, HOURS_MIN, SKILLS_MAX
from chalicelib.services import intern_signup
from chalicelib.services.errors import AppError
from chalicelib.web import csrf, forms
from chalicelib.web.pages import form_page, page

FIELDS = ("name", "email", "skills", "bio", "hours_per_week", "timezone", "portfolio_url")
FORM_DEFAULTS: dict[str, str] = dict.fromkeys(FIELDS, "")

# The time zone picker: common IANA zones, grouped the way people look for them.
TIME_ZONES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Americas",
        (
            "America/Anchorage",
            "America/Los_Angeles",
            "America/Vancouver",
            "America/Phoenix",
            "America/Denver",
            "America/Chicago",
            "America/Mexico_City",
            "America/New_York",
            "America/Toronto",
            "America/Bogota",
            "America/Lima",
            "America/Halifax",
            "America/Santiago",
            "America/Sao_Paulo",
            "America/Argentina/Buenos_Aires",
            "Pacific/Honolulu",
        ),
    ),
    (
        "Europe and Africa",
        (
            "Atlantic/Reykjavik",
            "Europe/London",
            "Europe/Dublin",
            "Europe/Lisbon",
            "Africa/Lagos",
            "Africa/Casablanca",
            "Europe/Paris",
            "Europe/Berlin",
            "Europe/Madrid",
            "Europe/Rome",
            "Europe/Amsterdam",
            "Europe/Stockholm",
            "Europe/Warsaw",
            "Africa/Johannesburg",
            "Africa/Cairo",
            "Europe/Athens",
            "Europe/Helsinki",
            "Europe/Kyiv",
            "Europe/Istanbul",
            "Africa/Nairobi",
            "Europe/Moscow",
        ),
    ),
    (
        "Asia and Pacific",
        (
            "Asia/Dubai",
            "Asia/Karachi",
            "Asia/Kolkata",
            "Asia/Dhaka",
            "Asia/Bangkok",
            "Asia/Jakarta",
            "Asia/Singapore",
            "Asia/Manila",
            "Asia/Hong_Kong",
            "Asia/Shanghai",
            "Asia/Seoul",
            "Asia/Tokyo",
            "Australia/Perth",
            "Australia/Brisbane",
            "Australia/Sydney",
            "Pacific/Auckland",
        ),
    ),
    ("Other", ("UTC",)),
)


def intern_form(
    headers: Mapping[str, str],
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    nonce: str | None = None,
    status: int = 200,
) -> Response:
    import secrets

    kept = {**FORM_DEFAULTS, **(values or {})}
    listed = {zone for _, zones in TIME_ZONES for zone in zones}
    return form_page(
        "intern_form.html",
        headers,
        status=status,
        values=kept,
        errors=dict(errors or {}),
        # Problems that belong to no field of the form (shown above it).
        general=[m for f, m in (errors or {}).items() if f not in FIELDS],
        nonce=nonce or secrets.token_urlsafe(16),
        time_zones=TIME_ZONES,
        # A zone typed elsewhere (or kept from a rejected post) stays selectable.
        other_zone=kept["timezone"] if kept["timezone"] not in listed else "",
        rules={
            "skills_max": SKILLS_MAX,
            "bio_min": BIO_MIN,
            "bio_max": BIO_MAX,
            "hours_min": HOURS_MIN,
            "hours_max": HOURS_MAX,
        },
    )


def registered_page(
    onboarding_url: str | None = None, account_state: str = "", *, confirm: bool = False
) -> Response:
    """What happens next; with the Stripe onboarding link right after a sign-up (and, when the
    address is not confirmed yet, the request to use the link we emailed to it), and, back
    from Stripe's onboarding, whether payouts are ready."""
    return page(
        "intern_registered.html",
        tokened=True,
        onboarding_url=onboarding_url or "",
        account_state=account_state,
        confirm=confirm,
    )


def new_intern(headers: Mapping[str, str], params: Mapping[str, str]) -> Response:
    """GET /interns/new: the form, or (after registering, or back from Stripe's onboarding
    with `intern` and `account`) the "what happens next" page."""
    if params.get("registered"):
        from chalicelib.services import queries

        state = queries.payout_account_state(
            str(params.get("intern") or ""), str(params.get("account") or "")
        )
        return registered_page(account_state=state)
    return intern_form(headers)


def intern_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The API's fields from the form's (skills stay the comma-separated text typed)."""
    data: dict[str, Any] = {name: form.get(name, "") for name in FIELDS}
    data["portfolio_url"] = data["portfolio_url"].strip() or None
    return data


def submit_intern_form(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        return page(
            "error.html",
            status=403,
            heading="Please submit the form again",
            message=str(exc),
            hint="",
        )
    data = intern_from_form(form)
    nonce = form.get("nonce")
    try:
        result = intern_signup.sign_up_once(data, nonce) if nonce else intern_signup.sign_up(data)
    except AppError as exc:
        by_field = {str(e["field"]): str(e["message"]) for e in exc.errors}
        return intern_form(
            headers,
            values={name: form.get(name, "") for name in FIELDS},
            errors=by_field,
            nonce=nonce,
            status=exc.status,
        )
    return registered_page(
        result.get("onboarding_url"), confirm=bool(result.get("confirmation_required"))
    )

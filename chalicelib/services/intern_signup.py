"""Intern sign-up: register the profile, then welcome the intern by email (once).

    sign_up(data)               # the JSON API: POST /api/interns
    sign_up_once(data, nonce)   # the HTML form: a double click registers (and emails) once

Registration itself (validation, the email claim, the profile and its skill postings, the
Stripe Connect account) is `interns.register_intern`; this module adds what the intern is
told. The welcome email links to the Connect onboarding page when registration made one,
else to the page that says what happens next.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import links
from chalicelib.domain.intern import parse_intern
from chalicelib.domain.skills import normalise_skills
from chalicelib.observability import logger
from chalicelib.services import interns
from chalicelib.services.errors import NotAllowed

REGISTERED_PATH = "/interns/new"


def registered_url() -> str:
    """The page that tells a newly registered intern what happens next."""
    return links.url(REGISTERED_PATH, registered=1)


def sign_up(data: Mapping[str, Any]) -> dict[str, Any]:
    """Register the intern and send the welcome email; `{"intern_id", "onboarding_url"}`.

    Raises `Invalid` (422) naming each bad field and `NotAllowed` (409) when the email is
    already registered; in both cases nothing is stored and nothing is sent.
    """
    result = dict(interns.register_intern(data))
    _welcome(data, str(result["intern_id"]), result.get("onboarding_url"))
    return result


def sign_up_once(data: Mapping[str, Any], nonce: str) -> dict[str, Any]:
    """`sign_up`, run once per (email, form nonce): a repeated post replays the first result."""
    from chalicelib.adapters.idempotency import CallInProgress

    email = str(data.get("email") or "").strip().lower()
    try:
        return _sign_up_once(dict(data), idempotency_key=f"{email}:{nonce}")
    except CallInProgress:
        raise NotAllowed("This registration is already being processed.", "email") from None


def _sign_up_once(data: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
    from chalicelib.adapters.idempotency import idempotent

    @idempotent("intern_signup")
    def once(data: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return sign_up(data)

    return once(data, idempotency_key=idempotency_key)


def _welcome(data: Mapping[str, Any], intern_id: str, onboarding_url: str | None) -> None:
    """Send `intern_welcome` once for this intern; a mail failure never undoes registration."""
    from chalicelib.adapters.mailer import MailError, TransientError
    from chalicelib.services import notify

    intern = parse_intern(data)  # already accepted by register_intern: the cleaned fields
    context: dict[str, Any] = {
        "name": intern.name,
        "skills": normalise_skills(intern.skills),
        "hours_per_week": intern.hours_per_week,
    }
    if onboarding_url:
        context["action_url"] = onboarding_url
    else:
        context["action_url"] = registered_url()
        context["action_label"] = "See what happens next"
    try:
        notify.send(
            "intern_welcome",
            to=intern.email,
            key=f"{intern_id}:intern_welcome",
            brief_id=None,
            **context,
        )
    except (MailError, TransientError):
        # The intern is registered and the API answer carries the onboarding link; the
        # email is the courtesy copy. Logged for follow-up rather than failing the sign-up.
        logger.exception("welcome email not sent", extra={"intern_id": intern_id})

"""Intern sign-up: register the profile, then welcome the intern by email (once).

    sign_up(data)               # the JSON API: POST /api/interns
    sign_up_once(data, nonce)   # the HTML form: a double click registers (and emails) once

Registration (`register_intern`: validation, the email claim, the profile and its skill
postings in `adapters/intern_profiles.py`, the Stripe Connect account), then what the intern
is told: the welcome email links to the Connect onboarding page when registration made one,
else to the page that says what happens next.

An address nobody has confirmed yet gets the confirmation email instead of the welcome (no text
the registrant typed), and its profile is not matchable (no skill postings) until the address
is confirmed: then `activate` (called by `services/confirmations.py`) makes it matchable and
sends the welcome with a fresh Connect onboarding link. The API answer carries the onboarding
link either way: the registrant gets it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import address_confirmations, links, tokens
from chalicelib.adapters.intern_profiles import profile_items
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.intern import InternInput, InternInvalid, parse_intern
from chalicelib.domain.skills import normalise_skills
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import Invalid, NotAllowed

REGISTERED_PATH = "/interns/new"


def registered_url() -> str:
    """The page that tells a newly registered intern what happens next."""
    return links.url(REGISTERED_PATH, registered=1)


def sign_up(data: Mapping[str, Any]) -> dict[str, Any]:
    """Register the intern and send the welcome email; `{"intern_id", "onboarding_url"}`.

    Raises `Invalid` (422) naming each bad field and `NotAllowed` (409) when the email is
    already registered; in both cases nothing is stored and nothing is sent.
    """
    result = dict(register_intern(data))
    intern_id = str(result["intern_id"])
    if result["confirmation_required"]:
        from chalicelib.services.confirmation_mail import ask_to_confirm

        email = str(data["email"]).strip()
        ask_to_confirm(email, "intern", intern_id, brief_id=None)
        if address_confirmations.is_confirmed(email):  # confirmed meanwhile: do its part
            activate(intern_id)
    else:
        _welcome(data, intern_id, result.get("onboarding_url"))
    return result


def register_intern(data: Mapping[str, Any]) -> dict[str, Any]:
    """Store the profile (its email claimed once) and open its Stripe Connect account; the
    profile is matchable only when its address is already confirmed (`confirmation_required`
    in the answer says it is not)."""
    try:
        intern: InternInput = parse_intern(data)
    except InternInvalid as exc:
        raise Invalid(exc.errors) from None
    store = get_store()
    intern_id = tokens.new_id("i")
    email_claim = {"pk": f"INTERNEMAIL#{intern.email}", "sk": "INTERNEMAIL", "intern_id": intern_id}
    waiting = not address_confirmations.is_confirmed(intern.email)
    items = profile_items(intern_id, intern.model_dump(), matchable=not waiting)
    if waiting:
        items.append(address_confirmations.awaiting_item(intern.email, "intern", intern_id))
    try:
        store.transact([store.put_op(i) for i in (email_claim, *items)])
    except Conflict:
        raise NotAllowed("An intern with this email is already registered.", "email") from None
    metrics.add_metric(name="InternsRegistered", unit="Count", value=1)
    logger.info("intern registered", extra={"intern_id": intern_id})
    return {
        "intern_id": intern_id,
        "onboarding_url": _connect(intern_id, intern.email),
        "confirmation_required": waiting,
    }


def activate(intern_id: str) -> bool:
    """The intern's address is confirmed: make the profile matchable and send the welcome with
    a fresh Connect onboarding link (once: a repeat finds it matchable and does nothing)."""
    from chalicelib.adapters.connect import onboarding_link
    from chalicelib.adapters.intern_profiles import activate as make_matchable
    from chalicelib.adapters.store import get_store as store

    if not make_matchable(intern_id):
        return False
    profile = store().get(f"INTERN#{intern_id}", "PROFILE") or {}
    url: str | None = None
    account = str(profile.get("stripe_account_id") or "")
    if account and not profile.get("payout_ready"):
        url = _safely(lambda: onboarding_link(intern_id, account), intern_id)
    _send_welcome(
        intern_id,
        to=str(profile["email"]),
        name=str(profile.get("name", "")),
        skills=list(profile.get("skills") or []),
        hours_per_week=profile.get("hours_per_week"),
        onboarding_url=url,
    )
    logger.info("intern confirmed and matchable", extra={"intern_id": intern_id})
    return True


def _safely(make: Any, intern_id: str) -> str | None:
    from chalicelib.adapters.stripe_gateway import StripeRejected, TransientError

    try:
        return str(make())
    except (TransientError, StripeRejected):
        logger.exception("Stripe Connect onboarding unavailable", extra={"intern_id": intern_id})
        return None


def _connect(intern_id: str, email: str) -> str | None:
    """The intern's Stripe Connect express account and its onboarding link.

    Stripe being unavailable does not undo the registration: the link comes later, with the
    reminder a waiting payout sends (see `payout_accounts.remind_onboarding`).
    """
    from chalicelib.adapters.connect import connect_account, onboarding_link
    from chalicelib.adapters.stripe_gateway import StripeRejected, TransientError

    try:
        account = connect_account(intern_id, email)
        return onboarding_link(intern_id, account)
    except (TransientError, StripeRejected):
        logger.exception("Stripe Connect onboarding unavailable", extra={"intern_id": intern_id})
        return None


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
    intern = parse_intern(data)  # already accepted by register_intern: the cleaned fields
    _send_welcome(
        intern_id,
        to=intern.email,
        name=intern.name,
        skills=normalise_skills(intern.skills),
        hours_per_week=intern.hours_per_week,
        onboarding_url=onboarding_url,
    )


def _send_welcome(
    intern_id: str,
    *,
    to: str,
    name: str,
    skills: list[str],
    hours_per_week: Any,
    onboarding_url: str | None,
) -> None:
    from chalicelib.adapters.mailer import MailError, TransientError
    from chalicelib.services import notify

    context: dict[str, Any] = {"name": name, "skills": skills, "hours_per_week": hours_per_week}
    if onboarding_url:
        context["action_url"] = onboarding_url
    else:
        context["action_url"] = registered_url()
        context["action_label"] = "See what happens next"
    try:
        notify.send(
            "intern_welcome",
            to=to,
            key=f"{intern_id}:intern_welcome",
            brief_id=None,
            **context,
        )
    except (MailError, TransientError):
        # The intern is registered and the API answer carries the onboarding link; the
        # email is the courtesy copy. Logged for follow-up rather than failing the sign-up.
        logger.exception("welcome email not sent", extra={"intern_id": intern_id})

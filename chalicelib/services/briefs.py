"""Employer intake: validate and submit a brief, and start its engagement's execution.

A brief from an address nobody has confirmed yet is stored but waits (`awaiting_confirmation`
on the brief, a marker under the address): no execution starts and the only email is the
confirmation (`confirmation_mail`); `start_confirmed` starts it once the address is confirmed
(`services/confirmations.py`), and `resend_confirmation` sends the link again.

Opening a brief by its manage token is `access.open_brief`; its page and JSON are
`queries.brief_view`. Money never moves here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from chalicelib.adapters import (
    address_confirmations,
    clock,
    links,
    organisations,
    talent_pool,
    tokens,
    workflow,
)
from chalicelib.adapters.collaboration_store import sealed_item
from chalicelib.adapters.store import Conflict, Store, brief_key, get_store
from chalicelib.domain.brief import BriefInput, BriefInvalid, parse_brief
from chalicelib.domain.engagement import Status
from chalicelib.domain.skills import normalise_skills
from chalicelib.observability import logger, metrics
from chalicelib.services.access import new_manage_token, note, run_input
from chalicelib.services.errors import Invalid, NotAllowed, NotFound
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class Submitted:
    brief_id: str
    status: str
    manage_url: str
    manage_token: str
    confirmation_required: bool = False  # the address must be confirmed before matching

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


WAITING_DETAIL = (
    "Waiting for the employer's email address to be confirmed: we emailed it a link. "
    "Matching starts once the link is used."
)
CONFIRMED_DETAIL = "Email address confirmed; matching starts"


def manage_url(brief_id: str, token: str) -> str:
    return links.url(f"/briefs/{brief_id}", key=token)


# One message for an unknown intern and for one who never completed a project for this
# employer: the answer says nothing about who is registered.
INVITE_REFUSED = (
    "You can invite only an intern who completed a project for you (briefs posted from the "
    "same email address)."
)


def validate(data: Mapping[str, Any]) -> BriefInput:
    try:
        brief = parse_brief(data, today=clock.today())
    except BriefInvalid as exc:
        raise Invalid(exc.errors) from None
    if brief.invite_intern_id and not talent_pool.alumnus(
        brief.employer_email, brief.invite_intern_id
    ):
        raise Invalid([{"field": "invite_intern_id", "message": INVITE_REFUSED}])
    return brief


def submit_brief(data: Mapping[str, Any], *, idempotency_key: str | None = None) -> Submitted:
    """Validate, store and start the brief's execution (which emails the employer).

    With an idempotency key the brief id derives from it, so a retry after a failure part-way
    finds the stored brief and finishes the job (see `submit_brief_once` for replays).
    """
    brief = validate(data)
    settings = get_settings()
    store = get_store()
    brief_id = (
        tokens.derived_id("b", brief.employer_email, idempotency_key)
        if idempotency_key
        else tokens.new_id("b")
    )
    token, token_item = new_manage_token(brief_id)
    waiting = not address_confirmations.is_confirmed(brief.employer_email)
    # The organisation of the address (a new one on its first brief): the brief is filed under
    # it in its own creation transaction (docs/accounts.md).
    organisation_id = organisations.ensure_for(
        brief.employer_email,
        name=brief.company,
        details={"company": brief.company, "employer_name": brief.employer_name},
    )
    now = clock.iso()
    item = {
        **brief_key(brief_id),
        "type": "brief",
        "brief_id": brief_id,
        **_brief_fields(brief),
        "status": Status.SUBMITTED.value,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "fee_bps": settings.platform_fee_bps,
        "revision_rounds": 0,
        "gsi1pk": f"EMPLOYER#{brief.employer_email}",
        "gsi1sk": f"BRIEF#{now}#{brief_id}",
        "organisation_id": organisation_id,
    }
    event = Store.event_item(
        brief_id,
        status_from=None,
        status_to=Status.SUBMITTED,
        actor="employer",
        detail="Brief submitted",
    )
    if waiting:
        item["awaiting_confirmation"] = True
    filed = organisations.brief_item(organisation_id, brief_id, brief.title)
    operations = [
        store.put_op(item),
        store.put_op(event),
        store.put_op(token_item),
        store.put_op(filed, must_be_new=False),
    ]
    if brief.confidential_details:  # its own item, never on the brief (collaboration_store)
        operations.append(store.put_op(sealed_item(brief_id, brief.confidential_details)))
    if waiting:
        awaiting = address_confirmations.awaiting_item(brief.employer_email, "brief", brief_id)
        wait_event = Store.event_item(
            brief_id,
            status_from=Status.SUBMITTED,
            status_to=Status.SUBMITTED,
            actor="platform",
            detail=WAITING_DETAIL,
        )
        operations += [store.put_op(wait_event), store.put_op(awaiting, must_be_new=False)]
    try:
        store.transact(operations)
        metrics.add_metric(name="BriefsSubmitted", unit="Count", value=1)
    except Conflict:
        # A retry of a submission that failed after storing: the brief is there, its first
        # token never reached anyone; this one will.
        waiting = bool(_existing(store, brief_id).get("awaiting_confirmation"))
        store.put(token_item)
    if waiting:
        _ask_to_confirm(brief.employer_email, brief_id)
    else:
        workflow.start_engagement(
            settings.state_machine_arn, brief_id, execution_input(brief_id, brief)
        )
    logger.info("brief submitted", extra={"brief_id": brief_id, "waiting": waiting})
    return Submitted(brief_id, Status.SUBMITTED.value, manage_url(brief_id, token), token, waiting)


def _ask_to_confirm(address: str, brief_id: str) -> None:
    """Email the confirmation link; if the address was confirmed meanwhile (its confirmation
    may have looked for waiting briefs just before this one was stored), start the brief."""
    from chalicelib.services.confirmation_mail import ask_to_confirm

    ask_to_confirm(address, "brief", brief_id, brief_id=brief_id)
    if address_confirmations.is_confirmed(address):
        start_confirmed(brief_id)


def start_confirmed(brief_id: str) -> bool:
    """Start the execution of a brief whose address is now confirmed (a brief cancelled while
    it waited starts nothing). Safe to repeat and to race: the flag is cleared by a conditional
    write and the execution is named by the brief id, so it starts once. True when it runs."""
    store = get_store()
    brief = store.get_brief(brief_id)
    if brief is None:
        return False
    if brief.get("awaiting_confirmation"):
        cleared = store.update_op(
            brief_key(brief_id),
            condition="#awaiting_confirmation = :yes AND #status = :submitted",
            remove_fields=["awaiting_confirmation"],
            add_fields={"version": 1},
            values={":yes": True, ":submitted": Status.SUBMITTED.value},
        )
        event = Store.event_item(
            brief_id,
            status_from=Status.SUBMITTED,
            status_to=Status.SUBMITTED,
            actor="employer",
            detail=CONFIRMED_DETAIL,
        )
        # Conflict: cancelled, or another confirmation cleared it first; read what is now true.
        with contextlib.suppress(Conflict):
            store.transact([cleared, store.put_op(event)])
        brief = _existing(store, brief_id)
    if brief.get("awaiting_confirmation") or brief["status"] == Status.CANCELLED:
        return False
    workflow.start_engagement(
        get_settings().state_machine_arn,
        brief_id,
        _run_input(brief_id, nda_required=bool(brief["nda_required"]), deadline=brief["deadline"]),
    )
    logger.info("brief started after confirmation", extra={"brief_id": brief_id})
    return True


def resend_confirmation(brief: Mapping[str, Any]) -> dict[str, Any]:
    """Email a waiting brief's address a fresh confirmation link (409 once it is confirmed).

    Counted against the address's hourly limit, like a submission from it."""
    from chalicelib.adapters.rate_limits import hit

    if not brief.get("awaiting_confirmation"):
        raise NotAllowed("This brief's email address is already confirmed.")
    address = str(brief["employer_email"])
    limit = get_settings().rate_limit_per_address
    hit("briefs:address", address.strip().lower(), limit=limit, window_seconds=3600)
    _ask_to_confirm(address, str(brief["brief_id"]))
    note(brief, "employer", "Confirmation link sent again")
    return {"status": "confirmation_sent"}


def submit_brief_once(data: Mapping[str, Any], idempotency_key: str) -> dict[str, Any]:
    """A repeated submission with the same key returns the first result (one brief, one run).

    The same key with a different brief is refused; invalid input is answered before any
    record is written.
    """
    from chalicelib.adapters.idempotency import CallInProgress

    brief = validate(data)
    fingerprint = hashlib.sha256(
        json.dumps(brief.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()
    try:
        result = dict(
            _submit_once(
                dict(data),
                fingerprint,
                idempotency_key=f"{brief.employer_email}:{idempotency_key}",
            )
        )
    except CallInProgress:
        raise NotAllowed("This submission is already being processed.", "idempotency_key") from None
    if result.pop("fingerprint") != fingerprint:
        raise Invalid(
            [
                {
                    "field": "idempotency_key",
                    "message": "This idempotency key was already used for a different brief.",
                }
            ]
        )
    return {str(k): v if isinstance(v, bool) else str(v) for k, v in result.items()}


def _submit_once(data: dict[str, Any], fingerprint: str, *, idempotency_key: str) -> dict[str, Any]:
    from chalicelib.adapters.idempotency import idempotent

    # The stored first response holds the manage token: keep it only as long as a client
    # may reasonably retry (like Stripe's 24 h), not for the life of the engagement.
    @idempotent("submit_brief", expires_after_seconds=24 * 3600)
    def once(data: dict[str, Any], fingerprint: str, *, idempotency_key: str) -> dict[str, Any]:
        key = idempotency_key.split(":", 1)[1]
        return {**submit_brief(data, idempotency_key=key).as_dict(), "fingerprint": fingerprint}

    return once(data, fingerprint, idempotency_key=idempotency_key)


def execution_input(brief_id: str, brief: BriefInput) -> dict[str, Any]:
    return _run_input(brief_id, nda_required=brief.nda_required, deadline=brief.deadline)


def _run_input(brief_id: str, *, nda_required: bool, deadline: Any) -> dict[str, Any]:
    return run_input(brief_id, nda_required=nda_required, deadline=deadline)


def _brief_fields(brief: BriefInput) -> dict[str, Any]:
    fields = brief.model_dump(mode="json", exclude={"confidential_details"})
    fields["skills"] = normalise_skills(brief.skills)
    fields["nice_to_have_skills"] = normalise_skills(brief.nice_to_have_skills)
    fields["skills_as_written"] = list(brief.skills)
    return fields


def _existing(store: Store, brief_id: str) -> dict[str, Any]:
    found = store.get_brief(brief_id)
    if found is None:
        raise NotFound("No brief with this id.", "brief_id")
    return found


def deadline_bounds() -> tuple[str, str]:
    """The dates the form's deadline picker allows (7–30 days from today)."""
    today = clock.today()
    return (today + timedelta(days=7)).isoformat(), (today + timedelta(days=30)).isoformat()

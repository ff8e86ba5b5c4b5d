"""Employer intake: validate and submit a brief, and start its engagement's execution.

Opening a brief by its manage token is `access.open_brief`; its page and JSON are
`queries.brief_view`. Money never moves here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock, links, tokens, workflow
from chalicelib.adapters.store import Conflict, Store, brief_key, get_store
from chalicelib.domain.brief import BriefInput, BriefInvalid, parse_brief
from chalicelib.domain.engagement import Status
from chalicelib.domain.skills import normalise_skills
from chalicelib.observability import logger, metrics
from chalicelib.services.access import new_manage_token, work_seconds
from chalicelib.services.errors import Invalid, NotAllowed, NotFound
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class Submitted:
    brief_id: str
    status: str
    manage_url: str
    manage_token: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def manage_url(brief_id: str, token: str) -> str:
    return links.url(f"/briefs/{brief_id}", key=token)


def validate(data: Mapping[str, Any]) -> BriefInput:
    try:
        return parse_brief(data, today=clock.today())
    except BriefInvalid as exc:
        raise Invalid(exc.errors) from None


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
    }
    event = Store.event_item(
        brief_id,
        status_from=None,
        status_to=Status.SUBMITTED,
        actor="employer",
        detail="Brief submitted",
    )
    try:
        store.transact([store.put_op(item), store.put_op(event), store.put_op(token_item)])
        metrics.add_metric(name="BriefsSubmitted", unit="Count", value=1)
    except Conflict:
        # A retry of a submission that failed after storing: the brief is there, its first
        # token never reached anyone; this one will.
        _existing(store, brief_id)
        store.put(token_item)
    workflow.start_engagement(
        settings.state_machine_arn, brief_id, execution_input(brief_id, brief)
    )
    logger.info("brief submitted", extra={"brief_id": brief_id})
    return Submitted(brief_id, Status.SUBMITTED.value, manage_url(brief_id, token), token)


def submit_brief_once(data: Mapping[str, Any], idempotency_key: str) -> dict[str, str]:
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
    return {str(k): str(v) for k, v in result.items()}


def _submit_once(data: dict[str, Any], fingerprint: str, *, idempotency_key: str) -> dict[str, str]:
    from chalicelib.adapters.idempotency import idempotent

    # The stored first response holds the manage token: keep it only as long as a client
    # may reasonably retry (like Stripe's 24 h), not for the life of the engagement.
    @idempotent("submit_brief", expires_after_seconds=24 * 3600)
    def once(data: dict[str, Any], fingerprint: str, *, idempotency_key: str) -> dict[str, str]:
        key = idempotency_key.split(":", 1)[1]
        return {**submit_brief(data, idempotency_key=key).as_dict(), "fingerprint": fingerprint}

    return once(data, fingerprint, idempotency_key=idempotency_key)


def execution_input(brief_id: str, brief: BriefInput) -> dict[str, Any]:
    settings = get_settings()
    windows = settings.windows.model_dump()
    windows["work_seconds"] = work_seconds(brief.deadline)
    return {
        "brief_id": brief_id,
        "nda_required": brief.nda_required,
        "max_revision_rounds": settings.max_revision_rounds,
        "windows": windows,
    }


def _brief_fields(brief: BriefInput) -> dict[str, Any]:
    fields = brief.model_dump(mode="json")
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

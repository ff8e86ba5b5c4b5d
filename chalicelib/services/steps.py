"""The workflow's Lambda steps, one service function each (app.py hands events straight here).

The orchestrator of the engagement: the one service that calls several use cases — `announce`
(what each step tells whom), `reminders`, `escrow`, `payout_failures`, finance's payouts — so
none of them needs to call another.

Each step is safe to run twice: Step Functions retries a failed invocation, so every state change
is conditional and a repeated call finds its work already done.

Imports: every step's Lambda imports this module; each use case loads in the steps that call
it (`announce` ~25 ms, the scorer ~10 ms, money 15–45 ms each: `python -X importtime`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.adapters import clock, collector
from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain.engagement import TERMINAL, TRANSITIONS, Status
from chalicelib.observability import logger, metrics

WaitKind = Literal[
    "offer",
    "nda",
    "funding",
    "work",
    "deadline",
    "review",
    "payout",
    "dispute",
    "account",
    "payout_failed",
    "refund_failed",
]
TerminalStatus = Literal["COMPLETED", "UNMATCHED", "CANCELLED", "REFUNDED"]

# kind of wait -> the engagement's status while it waits
WAITS: dict[str, Status] = {
    "offer": Status.OFFERED,
    "nda": Status.NDA,
    "funding": Status.AWAITING_FUNDING,
    "work": Status.IN_PROGRESS,
    "deadline": Status.DEADLINE_MISSED,
    "review": Status.IN_REVIEW,
    "payout": Status.PAYOUT_APPROVAL,
    "dispute": Status.DISPUTED,
    "account": Status.RELEASING,  # the intern's Stripe account is not ready to be paid yet
}
# Waits after a failed money step (payout_failures.py): a payout in RELEASING, a refund as it was
FAILURE_WAITS = frozenset({"payout_failed", "refund_failed"})


WAIT_DETAILS: dict[str, str] = {
    "offer": "Offered to the best-matched intern",
    "nda": "Offer accepted; waiting for the intern to sign the NDA",
    "funding": "Waiting for the employer to fund escrow",
    "work": "Work in progress",
    "deadline": "The deadline passed without a delivery; waiting for the employer",
    "review": "Delivery received; waiting for the employer's review",
    "payout": "Approved; waiting for finance to approve the payout",
    "dispute": "In dispute; waiting for finance to resolve it",
    "account": "Waiting for the intern to finish Stripe onboarding before paying out",
}
CLOSED_DETAILS: dict[str, str] = {
    "offer": "The offer expired without an answer",
    "nda": "The NDA was not signed in time",
    "funding": "Escrow was not funded in time",
    "deadline": "No decision after the missed deadline",
    "review": "No review in time: the delivery was approved automatically",
    "payout": "Finance reminded of the pending payout",
    "dispute": "Finance reminded of the open dispute",
    "account": "The intern was reminded to finish Stripe onboarding",
}


class StepEvent(BaseModel):
    """What the state machine passes to every step (see statemachines/engagement.asl.json)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    brief_id: str
    execution: str = ""
    kind: WaitKind | None = None
    task_token: str | None = None
    intern_id: str | None = None
    status: TerminalStatus | None = None
    entered: str = ""
    timeout_seconds: int | None = None  # the wait's TimeoutSecondsPath value (Funding)
    failure: dict[str, Any] | None = None  # the failed step's {"Error", "Cause"} (its Catch)


class StepError(Exception):
    """A step could not do its work (not transient: the execution fails and is investigated)."""


class Cancelled(Exception):
    """The employer cancelled while matching ran: the flow goes to Refund and ends CANCELLED."""


def _stop_if_cancelled(brief: dict[str, Any]) -> None:
    if brief.get("cancel_requested"):
        raise Cancelled(f"brief {brief['brief_id']} was cancelled by the employer")


def _brief(store: Store, brief_id: str) -> dict[str, Any]:
    brief = store.get_brief(brief_id)
    if brief is None:
        raise StepError(f"brief {brief_id} not found")
    return brief


def _advance(store: Store, brief_id: str, *, to: Status, detail: str) -> bool:
    """Conditional transition from any state the domain allows to reach `to`.

    A retried step that finds the brief already moved is a no-op.
    """
    expected = sorted(s for s, targets in TRANSITIONS.items() if to in targets)
    try:
        store.transition(brief_id, expected=expected, to=to, actor="workflow", detail=detail)
        return True
    except Conflict:
        current = _brief(store, brief_id).get("status")
        if current == to:
            return False
        raise StepError(f"brief {brief_id} is {current}, cannot move to {to}") from None


def _mark_candidate(store: Store, brief_id: str, intern_id: str, offer_status: str) -> None:
    for candidate in store.query(f"BRIEF#{brief_id}", "CANDIDATE#"):
        if candidate["intern_id"] == intern_id:
            store.put({**candidate, "offer_status": offer_status})


@collector.paused_during  # no cyclic GC inside the latency-bound step (adapters/collector)
def match(event: StepEvent) -> dict[str, Any]:
    """Rank the interns who share a required skill; store a shortlist of up to 5 with reasons."""
    from chalicelib.adapters import concurrent, talent_pool
    from chalicelib.domain.matching import brief_profile_of, rank, unmatched_reason_for
    from chalicelib.services import announce, exposure, late_applicants, open_briefs
    from chalicelib.services.interns import bios, match_reads, store_shortlist

    store = get_store()
    brief = _brief(store, event.brief_id)
    if late_applicants.reopened_run(brief, event.execution):  # an applicant reopened it
        return late_applicants.resume_matching(event.brief_id)

    def open_to_applicants() -> None:  # published only once it is MATCHING
        _advance(store, event.brief_id, to=Status.MATCHING, detail="Looking for the best interns")
        open_briefs.publish(brief)  # open to applicants from now (and still when unmatched)

    # The employer's confirmation runs beside the reads (a lane of its own, docs/matching.md).
    with concurrent.background(partial(announce.on_submitted, brief)) as email:
        profile, today = brief_profile_of(brief), clock.today()
        read, paused, bonus = match_reads(  # the transition, paused, applicants: one wave
            profile, today, partial(open_briefs.applicant_bonus, event.brief_id), open_to_applicants
        )
        read.index.extend(
            open_briefs.applicant_profiles(
                i for i in bonus if i not in read.postings and i not in paused
            )
        )
        pool = list(read.postings)
        known: dict[str, Any] = {}  # the candidates' exposure records, read with their bios
        ranked = rank(
            profile,
            read.index,
            today=today,
            limit=5 + exposure.LOOKAHEAD,
            reference=read.ref(),
            bonus=bonus,
            exclude=paused,
            bios=exposure.with_exposures(bios, known),  # quoted in reasons
        )
        shortlist = exposure.shortlist(ranked, limit=5, known=known)  # weekly cap, least recent
        # An intern the employer invited back (the talent pool) is offered the brief first; the
        # ranked candidates follow, so a decline or a lapse falls back to matching.
        invited = str(brief.get("invite_intern_id") or "")
        first = [talent_pool.first_candidate(event.brief_id, invited)] if invited else []
        shortlist = [c for c in shortlist if c.intern_id != invited][: 5 - len(first)]
        email.result()  # its failure stops the step before the shortlist exists (retried)
        store_shortlist(event.brief_id, first, shortlist)
    if not shortlist and not first:
        store.update_brief(event.brief_id, {"unmatched_reason": unmatched_reason_for(brief, pool)})
    logger.info(
        "matched",
        extra={
            "brief_id": event.brief_id,
            "pool": len(pool),
            "postings_read": read.items_read,
            "stopped_by": read.stopped_by,
            "shortlist": len(shortlist),
            "invited": bool(first),
        },
    )
    metrics.add_metric(name="Matches", unit="Count", value=len(shortlist) + len(first))
    return {"count": len(shortlist) + len(first)}


def next_candidate(event: StepEvent) -> dict[str, Any]:
    """The best shortlisted intern not yet offered who holds no other offer or engagement
    and has not had the week's offers (fair exposure)."""
    from chalicelib.services import exposure, late_applicants

    store = get_store()
    _stop_if_cancelled(_brief(store, event.brief_id))
    late_applicants.place_waiting(event.brief_id)  # applied after the shortlist was made
    for candidate in sorted(
        store.query(f"BRIEF#{event.brief_id}", "CANDIDATE#"), key=lambda c: str(c["sk"])
    ):
        if candidate.get("offer_status", "pending") != "pending":
            continue
        intern_id = str(candidate["intern_id"])
        if store.hold_intern(intern_id, event.brief_id):
            skipped = exposure.take_offer_slot(intern_id, event.brief_id)
            if skipped is None:
                from chalicelib.adapters.intern_accounts import note_offer

                note_offer(intern_id, event.brief_id)  # the intern's engagements (issue 14)
                return {"intern_id": intern_id}
            store.release_intern(intern_id, event.brief_id)  # at the weekly cap: next one
            reason = f"{skipped}; {candidate.get('reason', '')}"
            store.put({**candidate, "offer_status": "capped", "reason": reason})
            continue
        store.put({**candidate, "offer_status": "busy"})
    return {"intern_id": None}


def await_party(event: StepEvent) -> dict[str, Any]:
    """Register a wait: keep the task token beside the engagement and move to its status."""
    if event.kind is None or event.task_token is None:
        raise StepError("await_party needs kind and task_token")
    from chalicelib.services.reminders import remind_at

    store = get_store()
    if event.kind in FAILURE_WAITS:
        return _await_retry(store, event)
    status = WAITS[event.kind]
    bound = event.intern_id if event.kind in ("offer", "nda") else None
    brief = _brief(store, event.brief_id)
    if event.kind == "offer":
        _stop_if_cancelled(brief)  # cancelled while the first offer was being made
    store.save_task_token(
        event.brief_id,
        event.kind,
        event.task_token,
        event.execution,
        bound,
        remind_at=remind_at(event.kind, brief, clock.now()),
        closes_at=_closes_at(event),
    )
    if event.kind == "offer" and event.intern_id:
        _mark_candidate(store, event.brief_id, event.intern_id, "offered")
    if event.kind in ("offer", "nda", "funding"):
        from chalicelib.services import open_briefs

        # Open to applicants until an intern accepts (an NDA lapse reopens it).
        (open_briefs.publish if event.kind == "offer" else open_briefs.close)(brief)
    if not _advance(store, event.brief_id, to=status, detail=WAIT_DETAILS[event.kind]) and (
        event.kind == "account"
    ):
        store.put(
            store.event_item(
                event.brief_id,
                status_from=status,
                status_to=status,
                actor="workflow",
                detail=WAIT_DETAILS[event.kind],
            )
        )
    _tell_wait(_brief(store, event.brief_id), event.kind, event.task_token, event.intern_id)
    if event.kind == "account":  # a "ready" applied before this token was stored: look again
        from chalicelib.services.payout_accounts import resume_if_ready

        resume_if_ready(event.brief_id)
    logger.info("waiting", extra={"brief_id": event.brief_id, "kind": event.kind})
    return {"waiting": event.kind}


# A payment this close to the funding wait's timeout no longer starts the work: it is refunded,
# and the timeout cancels (a wait Step Functions has closed cannot be resumed). A tenth of the
# window when that is shorter (windows of seconds on test twins).
FUNDING_CLOSING_MARGIN = timedelta(seconds=10)


def _closes_at(event: StepEvent) -> str | None:
    """When the Funding wait stops accepting a payment: its timeout, less the margin."""
    if event.kind != "funding" or not event.timeout_seconds or not event.entered:
        return None
    entered = datetime.fromisoformat(event.entered.replace("Z", "+00:00"))
    window = timedelta(seconds=event.timeout_seconds)
    return clock.iso(entered + window - min(FUNDING_CLOSING_MARGIN, window / 10))


def _tell_wait(brief: dict[str, Any], kind: str, task_token: str, intern_id: str | None) -> None:
    """Tell whoever the wait waits for (once per wait)."""
    if kind in ("payout", "dispute"):
        from chalicelib.services import payouts

        if kind == "payout":
            # Finance is asked (signed webhook + email), the intern told; auto-approval resumes.
            payouts.request_payout_approval(brief, task_token)
        else:
            # Finance, the employer and the intern are told; a resolution already sent resumes.
            payouts.on_dispute(brief)
        return
    from chalicelib.services import announce

    announce.on_wait(brief, kind, task_token=task_token, intern_id=intern_id)


def _await_retry(store: Store, event: StepEvent) -> dict[str, Any]:
    """A payout or refund failed: wait visibly for finance's retry or the retry window."""
    from chalicelib.services import payout_failures

    assert event.kind is not None and event.task_token is not None
    store.save_task_token(event.brief_id, event.kind, event.task_token, event.execution)
    payout_failures.on_wait(_brief(store, event.brief_id), event.kind, event.failure)
    logger.info("waiting", extra={"brief_id": event.brief_id, "kind": event.kind})
    return {"waiting": event.kind}


def window_closed(event: StepEvent) -> dict[str, Any]:
    """A wait's window ran out: record it on the timeline (status unchanged)."""
    if event.kind is None:
        raise StepError("window_closed needs kind")
    store = get_store()
    brief = _brief(store, event.brief_id)
    if event.kind in ("offer", "nda"):
        from chalicelib.services import announce

        for candidate in store.query(f"BRIEF#{event.brief_id}", "CANDIDATE#"):
            if candidate.get("offer_status") in ("offered", "accepted"):
                intern_id = str(candidate["intern_id"])
                announce.on_offer_lapsed(brief, intern_id, event.kind)  # once: keyed, told first
                _mark_candidate(store, event.brief_id, intern_id, "expired")
                store.release_intern(intern_id, event.brief_id)
        if brief.get("intern_id"):
            store.remove_brief_fields(event.brief_id, "intern_id")
    if event.kind == "account":
        from chalicelib.services import payout_accounts

        payout_accounts.remind_onboarding(event.brief_id)
    if event.kind in ("payout", "dispute"):
        from chalicelib.services import payouts

        payouts.reminder(brief, event.kind, key=event.entered or event.execution)
    store.put(
        store.event_item(
            event.brief_id,
            status_from=brief["status"],
            status_to=brief["status"],
            actor="workflow",
            detail=CLOSED_DETAILS.get(event.kind, f"The {event.kind} window closed"),
        )
    )
    return {"closed": event.kind}


def release(event: StepEvent) -> dict[str, Any]:
    """RELEASING: transfer what escrow holds, less the fee, to the intern (or finance's split).

    Raises PayoutAccountNotReady (the AwaitPayoutAccount wait, the intern reminded) while the
    intern's Stripe account cannot receive transfers; any other failure (TransientError when
    Stripe is down, StripeRejected when it refuses) is recorded and waits in PayoutFailed.
    """
    from chalicelib.services import escrow, payout_accounts, payout_failures
    from chalicelib.services.errors import PayoutAccountNotReady

    store = get_store()
    with payout_failures.watch(event.brief_id, "release"):  # a failure waits (PayoutFailed)
        _advance(store, event.brief_id, to=Status.RELEASING, detail="Releasing the payment")
        try:
            result = escrow.settle_release(event.brief_id)
        except PayoutAccountNotReady as exc:
            if exc.remind:  # the intern's profile has no ready account: send a fresh link
                payout_accounts.remind_onboarding(event.brief_id)
            raise
    logger.info("release", extra={"brief_id": event.brief_id, **result})
    return result


def refund(event: StepEvent) -> dict[str, Any]:
    """Refund whatever escrow holds to the employer (nothing when it was never funded)."""
    from chalicelib.services import escrow, payout_failures

    with payout_failures.watch(event.brief_id, "refund"):  # a failure waits (RefundFailed)
        result = escrow.refund_escrow(event.brief_id)
    logger.info("refund", extra={"brief_id": event.brief_id, **result})
    return result


def settle(event: StepEvent) -> dict[str, Any]:
    if event.status is None:
        raise StepError("settle needs status")
    store = get_store()
    brief = _brief(store, event.brief_id)
    current = str(brief["status"])
    if current == event.status:
        if current == Status.COMPLETED:  # a retry after the certificate step failed
            _certify(store, event.brief_id)
        return {"status": current}
    if current in TERMINAL:
        raise StepError(f"brief {event.brief_id} already ended as {current}")
    _advance(
        store, event.brief_id, to=Status(event.status), detail=f"Ended: {event.status.lower()}"
    )
    for candidate in store.query(f"BRIEF#{event.brief_id}", "CANDIDATE#"):
        store.release_intern(str(candidate["intern_id"]), event.brief_id)
    if Status(event.status) != Status.UNMATCHED:  # an unmatched brief stays open to applicants
        from chalicelib.services import open_briefs

        open_briefs.close(brief)
    if Status(event.status) == Status.COMPLETED:
        from chalicelib.adapters.intern_profiles import add_track_record

        # Ratings open from now (queries.ratings_view); the scorer counts the completion.
        store.update_brief(event.brief_id, {"completed_at": clock.iso()})
        if brief.get("intern_id"):
            add_track_record(str(brief["intern_id"]), completed=1)
        _certify(store, event.brief_id)
    from chalicelib.services import announce

    announce.on_settled(_brief(store, event.brief_id), Status(event.status))
    metrics.add_metric(name=f"Engagements{event.status.title()}", unit="Count", value=1)
    return {"status": event.status}


def _certify(store: Store, brief_id: str) -> None:
    """Issue the completion certificate (once), revoked at once when a dispute took money back
    (services/certificates.py). A KMS failure fails the step, which retries it."""
    from chalicelib.services import certificates

    brief = _brief(store, brief_id)
    if brief.get("intern_id"):
        certificates.issue_for(brief)
        certificates.revoke_if_reversed(brief)

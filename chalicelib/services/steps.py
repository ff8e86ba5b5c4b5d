"""The workflow's Lambda steps, one service function each (app.py hands events straight here).

Each step is safe to run twice: Step Functions retries a failed invocation, so every state change
is conditional and a repeated call finds its work already done.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain.engagement import TERMINAL, TRANSITIONS, Status
from chalicelib.observability import logger, metrics

WaitKind = Literal["offer", "nda", "funding", "work", "deadline", "review", "payout", "dispute"]
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


class StepError(Exception):
    """A step could not do its work (not transient: the execution fails and is investigated)."""


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


def match(event: StepEvent) -> dict[str, Any]:
    store = get_store()
    brief = _brief(store, event.brief_id)
    _advance(
        store,
        event.brief_id,
        to=Status.MATCHING,
        detail="Looking for the best interns for this brief",
    )
    shortlist = store.query(f"BRIEF#{event.brief_id}", "CANDIDATE#")
    logger.info(
        "matched",
        extra={
            "brief_id": event.brief_id,
            "count": len(shortlist),
            "skills": brief.get("skills", []),
        },
    )
    metrics.add_metric(name="Matches", unit="Count", value=len(shortlist))
    return {"count": len(shortlist)}


def next_candidate(event: StepEvent) -> dict[str, Any]:
    store = get_store()
    for candidate in sorted(
        store.query(f"BRIEF#{event.brief_id}", "CANDIDATE#"), key=lambda c: str(c["sk"])
    ):
        if candidate.get("offer_status", "pending") == "pending":
            return {"intern_id": candidate["intern_id"]}
    return {"intern_id": None}


def await_party(event: StepEvent) -> dict[str, Any]:
    """Register a wait: keep the task token beside the engagement and move to its status."""
    if event.kind is None or event.task_token is None:
        raise StepError("await_party needs kind and task_token")
    store = get_store()
    status = WAITS[event.kind]
    store.save_task_token(event.brief_id, event.kind, event.task_token, event.execution)
    if event.kind == "offer" and event.intern_id:
        _mark_candidate(store, event.brief_id, event.intern_id, "offered")
    _advance(store, event.brief_id, to=status, detail=f"Waiting: {event.kind}")
    logger.info("waiting", extra={"brief_id": event.brief_id, "kind": event.kind})
    return {"waiting": event.kind}


def window_closed(event: StepEvent) -> dict[str, Any]:
    """A wait's window ran out: record it on the timeline (status unchanged)."""
    if event.kind is None:
        raise StepError("window_closed needs kind")
    store = get_store()
    brief = _brief(store, event.brief_id)
    if event.kind in ("offer", "nda"):
        for candidate in store.query(f"BRIEF#{event.brief_id}", "CANDIDATE#"):
            if candidate.get("offer_status") in ("offered", "accepted"):
                _mark_candidate(store, event.brief_id, str(candidate["intern_id"]), "expired")
    store.put(
        store.event_item(
            event.brief_id,
            status_from=brief["status"],
            status_to=brief["status"],
            actor="workflow",
            detail=f"The {event.kind} window closed",
        )
    )
    return {"closed": event.kind}


def release(event: StepEvent) -> dict[str, Any]:
    store = get_store()
    _advance(store, event.brief_id, to=Status.RELEASING, detail="Releasing the payment")
    # The Stripe transfer arrives with the escrow issue; until then nothing is held to move.
    logger.info("release", extra={"brief_id": event.brief_id})
    return {"moved_cents": 0}


def refund(event: StepEvent) -> dict[str, Any]:
    # The Stripe refund arrives with the escrow issue; until then nothing is held to return.
    logger.info("refund", extra={"brief_id": event.brief_id})
    return {"moved_cents": 0}


def settle(event: StepEvent) -> dict[str, Any]:
    if event.status is None:
        raise StepError("settle needs status")
    store = get_store()
    brief = _brief(store, event.brief_id)
    current = str(brief["status"])
    if current == event.status:
        return {"status": current}
    if current in TERMINAL:
        raise StepError(f"brief {event.brief_id} already ended as {current}")
    _advance(
        store, event.brief_id, to=Status(event.status), detail=f"Ended: {event.status.lower()}"
    )
    metrics.add_metric(name=f"Engagements{event.status.title()}", unit="Count", value=1)
    return {"status": event.status}

"""Engagement states, the transitions between them and what each party may do in each.

The states are the step names of PRODUCT.md's flow table. Transition decisions:

- **Cancellation by the employer** is allowed before work starts (SUBMITTED, MATCHING,
  OFFERED, NDA, AWAITING_FUNDING) and in DEADLINE_MISSED (the extend-or-cancel decision).
  Once the intern has started (IN_PROGRESS) the employer cannot walk away unilaterally: a
  late intern leads to DEADLINE_MISSED, and a poor delivery is handled in review
  (request changes or dispute). CANCELLED includes the full refund when escrow was funded
  (PRODUCT.md: "CANCELLED (refunded in full when funded)"), so there is no
  CANCELLED → REFUNDED step. The funding window lapsing also leads to CANCELLED.
- OFFERED → OFFERED is the next candidate (decline or offer window lapsed); NDA → OFFERED
  likewise when the NDA window lapses or the intern declines; both go to UNMATCHED when no
  candidate is left. After acceptance the flow goes to NDA when the brief requires one,
  else straight to AWAITING_FUNDING.
- IN_REVIEW → IN_PROGRESS is "changes requested"; → PAYOUT_APPROVAL on approval (by the
  employer, or automatically after the review window); → RELEASING directly when the
  amount is within the finance auto-approve threshold; → DISPUTED on dispute.
- PAYOUT_APPROVAL → DISPUTED when finance rejects the payout: the money stays in escrow
  until finance resolves it with ``dispute.resolved``.
- DISPUTED waits for finance: release → RELEASING, refund → REFUNDED, split → RELEASING
  (transfer of the intern's share, rest refunded) or straight to COMPLETED when the split
  was settled in one step. It is not terminal here because it has these exits.
- RELEASING → COMPLETED only. Stripe's blips are retried in place; a transfer Stripe refuses
  or cannot make through a longer outage keeps the engagement in RELEASING, visibly waiting
  (the brief's `attention`, services/payout_failures.py), retried hourly or by finance. A
  failed refund likewise keeps the status it had. No extra public status is needed.
- TERMINAL = COMPLETED, UNMATCHED, CANCELLED, REFUNDED: no outgoing transitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Final, Literal


class Status(StrEnum):
    SUBMITTED = "SUBMITTED"
    MATCHING = "MATCHING"
    OFFERED = "OFFERED"
    NDA = "NDA"
    AWAITING_FUNDING = "AWAITING_FUNDING"
    IN_PROGRESS = "IN_PROGRESS"
    DEADLINE_MISSED = "DEADLINE_MISSED"
    IN_REVIEW = "IN_REVIEW"
    PAYOUT_APPROVAL = "PAYOUT_APPROVAL"
    RELEASING = "RELEASING"
    COMPLETED = "COMPLETED"
    UNMATCHED = "UNMATCHED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    DISPUTED = "DISPUTED"


TERMINAL: Final[frozenset[Status]] = frozenset(
    {Status.COMPLETED, Status.UNMATCHED, Status.CANCELLED, Status.REFUNDED}
)

# States in which the employer may cancel (see the module docstring).
EMPLOYER_CANCELLABLE: Final[frozenset[Status]] = frozenset(
    {
        Status.SUBMITTED,
        Status.MATCHING,
        Status.OFFERED,
        Status.NDA,
        Status.AWAITING_FUNDING,
        Status.DEADLINE_MISSED,
    }
)

S = Status
TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = {
    S.SUBMITTED: frozenset({S.MATCHING, S.CANCELLED}),
    S.MATCHING: frozenset({S.OFFERED, S.UNMATCHED, S.CANCELLED}),
    S.OFFERED: frozenset({S.OFFERED, S.NDA, S.AWAITING_FUNDING, S.UNMATCHED, S.CANCELLED}),
    S.NDA: frozenset({S.AWAITING_FUNDING, S.OFFERED, S.UNMATCHED, S.CANCELLED}),
    S.AWAITING_FUNDING: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.IN_REVIEW, S.DEADLINE_MISSED}),
    S.DEADLINE_MISSED: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.IN_PROGRESS, S.PAYOUT_APPROVAL, S.RELEASING, S.DISPUTED}),
    S.PAYOUT_APPROVAL: frozenset({S.RELEASING, S.DISPUTED}),
    S.RELEASING: frozenset({S.COMPLETED}),
    S.DISPUTED: frozenset({S.RELEASING, S.REFUNDED, S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.UNMATCHED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}
del S


# The workflow's waits, by the `kind` statemachines/engagement.asl.json passes to its steps:
# the status the engagement is in while it waits. A wait after a failed money step keeps the
# status the engagement had (None): the timeline and the brief's `attention` say why.
WAIT_STATUS: Final[Mapping[str, Status | None]] = {
    "offer": Status.OFFERED,
    "nda": Status.NDA,
    "funding": Status.AWAITING_FUNDING,
    "work": Status.IN_PROGRESS,
    "deadline": Status.DEADLINE_MISSED,
    "review": Status.IN_REVIEW,
    "payout": Status.PAYOUT_APPROVAL,
    "dispute": Status.DISPUTED,
    "account": Status.RELEASING,  # the intern's Stripe account cannot be paid yet
    "payout_failed": None,
    "refund_failed": None,
}
WAIT_KINDS: Final[frozenset[str]] = frozenset(WAIT_STATUS)


def can_transition(current: Status | str, target: Status | str) -> bool:
    """Whether the flow may move from ``current`` to ``target`` (unknown names: False)."""
    try:
        return Status(target) in TRANSITIONS[Status(current)]
    except ValueError:
        return False


def is_terminal(status: Status | str) -> bool:
    return Status(status) in TERMINAL


class Action(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    SIGN_NDA = "sign_nda"
    FUND = "fund"
    DELIVER = "deliver"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    DISPUTE = "dispute"
    CANCEL = "cancel"
    EXTEND = "extend"


Party = Literal["employer", "intern"]

_NONE: Final[frozenset[Action]] = frozenset()

# What each party may do in each state; anything else answers 409 and changes nothing.
EMPLOYER_ACTIONS: Final[Mapping[Status, frozenset[Action]]] = {
    Status.SUBMITTED: frozenset({Action.CANCEL}),
    Status.MATCHING: frozenset({Action.CANCEL}),
    Status.OFFERED: frozenset({Action.CANCEL}),
    Status.NDA: frozenset({Action.CANCEL}),
    Status.AWAITING_FUNDING: frozenset({Action.FUND, Action.CANCEL}),
    Status.DEADLINE_MISSED: frozenset({Action.EXTEND, Action.CANCEL}),
    Status.IN_REVIEW: frozenset({Action.APPROVE, Action.REQUEST_CHANGES, Action.DISPUTE}),
}
INTERN_ACTIONS: Final[Mapping[Status, frozenset[Action]]] = {
    Status.OFFERED: frozenset({Action.ACCEPT, Action.DECLINE}),
    Status.NDA: frozenset({Action.SIGN_NDA, Action.DECLINE}),
    Status.IN_PROGRESS: frozenset({Action.DELIVER}),
}


def allowed_actions(
    status: Status | str, *, party: Party, revisions_left: int | None = None
) -> frozenset[Action]:
    """The actions ``party`` may take now: the buttons to show, and the ones not to 409.

    ``revisions_left`` (when given) removes ``request_changes`` once the employer has used
    every revision round (PRODUCT.md: at most 2 rounds by default).
    """
    current = Status(status)
    if party == "employer":
        actions = EMPLOYER_ACTIONS.get(current, _NONE)
        if revisions_left is not None and revisions_left <= 0:
            actions = actions - {Action.REQUEST_CHANGES}
        return actions
    if party == "intern":
        return INTERN_ACTIONS.get(current, _NONE)
    raise ValueError(f"unknown party {party!r}")


LABELS: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "Submitted",
    Status.MATCHING: "Finding interns",
    Status.OFFERED: "Offered to an intern",
    Status.NDA: "NDA to sign",
    Status.AWAITING_FUNDING: "Awaiting funding",
    Status.IN_PROGRESS: "In progress",
    Status.DEADLINE_MISSED: "Deadline missed",
    Status.IN_REVIEW: "In review",
    Status.PAYOUT_APPROVAL: "Payout approval",
    Status.RELEASING: "Releasing payment",
    Status.COMPLETED: "Completed",
    Status.UNMATCHED: "No match found",
    Status.CANCELLED: "Cancelled",
    Status.REFUNDED: "Refunded",
    Status.DISPUTED: "Disputed",
}

EXPLAIN: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "The brief was received and checked; matching starts shortly",
    Status.MATCHING: "Ranking intern profiles against the brief to build a shortlist",
    Status.OFFERED: "Waiting for the intern to accept the offer",
    Status.NDA: "Waiting for the intern to sign the NDA",
    Status.AWAITING_FUNDING: "Waiting for the employer to pay the budget into escrow",
    Status.IN_PROGRESS: "The intern is working on the deliverables until the deadline",
    Status.DEADLINE_MISSED: (
        "The deadline passed without a delivery; the employer can extend it or cancel"
    ),
    Status.IN_REVIEW: (
        "Waiting for the employer to approve the delivery, request changes or dispute"
    ),
    Status.PAYOUT_APPROVAL: "Waiting for finance to approve the payout to the intern",
    Status.RELEASING: "Transferring the payment, minus the platform fee, to the intern",
    Status.COMPLETED: "The work was delivered and the intern was paid",
    Status.UNMATCHED: "No suitable intern accepted the brief; nothing was charged",
    Status.CANCELLED: "The engagement was cancelled; any payment was refunded in full",
    Status.REFUNDED: "The escrowed budget was refunded to the employer",
    Status.DISPUTED: "The delivery is disputed; finance will release, refund or split the budget",
}


def work_window_seconds(
    deadline: date | str, now: datetime, *, cap: int = 0, floor: int = 1
) -> int:
    """Seconds the intern has to deliver: until the end of the deadline day (UTC).

    The window always derives from the deadline (a date, or the ISO string DynamoDB gives
    back); `floor` keeps a passed deadline from closing the wait at once, and a configured
    `cap` (tests and demos shrink windows to seconds) may only shorten the window.
    """
    day = deadline if isinstance(deadline, date) else date.fromisoformat(deadline)
    end = datetime.combine(day, time.max, tzinfo=UTC)
    seconds = max(floor, int((end - now).total_seconds()))
    return min(seconds, cap) if cap else seconds

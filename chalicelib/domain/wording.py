"""The engagement's states and actions in words, for people (one place; no page or message
shows a raw state name such as AWAITING_FUNDING).

    in_words(status)                 # "waiting for the employer to fund escrow"
    INTERN_LABELS / INTERN_EXPLAIN   # the intern's task page speaks to "you"
    DONE                             # an action just taken, while the flow moves on from it

`domain/engagement.py` keeps the employer's labels (LABELS, EXPLAIN); these are the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

from chalicelib.domain.engagement import Status

# "You cannot sign the NDA now: <the project is ...>."
STATE_IN_WORDS: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "the brief has just been received and matching has not started yet",
    Status.MATCHING: "we are still looking for the right intern",
    Status.OFFERED: "the project is offered to an intern, who has not answered yet",
    Status.NDA: "the intern has accepted and has not signed the NDA yet",
    Status.AWAITING_FUNDING: (
        "the NDA step is done and the employer is being asked to fund escrow"
    ),
    Status.IN_PROGRESS: "escrow is funded and the work is in progress",
    Status.DEADLINE_MISSED: (
        "the deadline passed without a delivery and the employer decides whether to extend it"
    ),
    Status.IN_REVIEW: "the work was delivered and the employer is reviewing it",
    Status.PAYOUT_APPROVAL: "the work was approved and finance is approving the payout",
    Status.RELEASING: "the payout is being transferred to the intern",
    Status.COMPLETED: "the project is completed and the intern has been paid",
    Status.UNMATCHED: "no intern could take the project",
    Status.CANCELLED: "the project was cancelled",
    Status.REFUNDED: "the project ended with a refund to the employer",
    Status.DISPUTED: "the delivery is disputed and finance is resolving it",
}


def in_words(status: str) -> str:
    """A state as a phrase ("the project was cancelled"); an unknown name stays readable."""
    try:
        return STATE_IN_WORDS[Status(status)]
    except ValueError:
        return "the project has moved on"


INTERN_LABELS: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "Submitted",
    Status.MATCHING: "Finding interns",
    Status.OFFERED: "Offered to you",
    Status.NDA: "NDA to sign",
    Status.AWAITING_FUNDING: "Waiting for funding",
    Status.IN_PROGRESS: "Your turn: work",
    Status.DEADLINE_MISSED: "Deadline missed",
    Status.IN_REVIEW: "In review",
    Status.PAYOUT_APPROVAL: "Approved",
    Status.RELEASING: "Paying you",
    Status.COMPLETED: "Completed",
    Status.UNMATCHED: "Closed",
    Status.CANCELLED: "Cancelled",
    Status.REFUNDED: "Refunded",
    Status.DISPUTED: "Disputed",
}

INTERN_EXPLAIN: Final[Mapping[Status, str]] = {
    Status.SUBMITTED: "The project is being set up.",
    Status.MATCHING: "The project is being matched.",
    Status.OFFERED: "This project is offered to you: accept it or decline it below.",
    Status.NDA: "You accepted the offer. Sign the NDA below so you can start.",
    Status.AWAITING_FUNDING: (
        "You are all set. The employer is now paying the budget into escrow; we email you "
        "as soon as you can start."
    ),
    Status.IN_PROGRESS: "Escrow is funded: work on the deliverables and deliver them below.",
    Status.DEADLINE_MISSED: (
        "The deadline passed without a delivery from you; the employer decides whether to "
        "extend it or cancel."
    ),
    Status.IN_REVIEW: "You delivered. The employer is reviewing your work.",
    Status.PAYOUT_APPROVAL: ("The employer approved your work. Finance is approving your payout."),
    Status.RELEASING: "Your pay is being transferred to your Stripe account.",
    Status.COMPLETED: "Done: you have been paid. Thank you!",
    Status.UNMATCHED: "This project was closed.",
    Status.CANCELLED: "The employer cancelled this project.",
    Status.REFUNDED: "This project ended with a refund to the employer.",
    Status.DISPUTED: "The employer disputed the delivery; finance will decide how it is paid.",
}


class Done(NamedTuple):
    """An action just taken: the label and sentence each party reads until the flow moves on."""

    intern_label: str
    intern_says: str
    employer_label: str
    employer_says: str


# Actions recorded on the timeline (`action` of the event) that close the state's wait.
DONE: Final[Mapping[str, Done]] = {
    "accepted": Done(
        "Accepted",
        "You accepted the offer. The next step appears here in a moment.",
        "Offer accepted",
        "The intern accepted the offer.",
    ),
    "declined": Done(
        "Declined",
        "You declined this project. Thank you for letting us know.",
        "Offer declined",
        "The intern declined; we offer the project to the next candidate.",
    ),
    "nda_signed": Done(
        "NDA signed",
        "You signed the NDA. The employer is now asked to fund escrow; we email you as soon "
        "as you can start.",
        "NDA signed",
        "The intern signed the NDA; you are asked to fund escrow next.",
    ),
    "delivered": Done(
        "Delivered",
        "Your delivery was sent to the employer, who reviews it next.",
        "Delivered",
        "The intern delivered; the delivery is shown below.",
    ),
    "approved": Done(
        "Approved",
        "The employer approved your work. Finance approves the payout next.",
        "Approved",
        "You approved the delivery. Finance approves the payout next; the money stays in "
        "escrow until then.",
    ),
    "changes_requested": Done(
        "Changes requested",
        "The employer asked for changes; see their comment below.",
        "Changes requested",
        "You asked for changes. The intern has been told and works on them next.",
    ),
    "disputed": Done(
        "Disputed",
        "The employer opened a dispute; finance will decide how it is paid.",
        "Dispute opened",
        "You opened a dispute. Finance will contact you; the money stays in escrow.",
    ),
    "cancelled": Done(
        "Cancelled",
        "The employer cancelled this project.",
        "Cancelling",
        "You cancelled the project. Any payment is refunded in full.",
    ),
    "extended": Done(
        "Deadline extended",
        "The employer extended the deadline.",
        "Deadline extended",
        "You extended the deadline; the intern has more time to deliver.",
    ),
}

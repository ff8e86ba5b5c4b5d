"""What each step of the flow tells whom: the emails the workflow's steps send.

    on_submitted(brief)                  # the employer's confirmation with a manage link
    on_wait(brief, kind, task_token=...) # the party a wait is waiting for
    on_settled(brief, status)            # both parties: how the engagement ended
    on_offer_lapsed(brief, intern_id, stage)  # an intern whose offer / NDA window ran out

The step orchestrator (`steps.py`) calls these; finance's waits (payout, dispute) are told by
`finance` (payouts), which steps calls instead. Every email is sent once per key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock, links
from chalicelib.adapters.escrow_store import brief_journal
from chalicelib.adapters.store import get_store
from chalicelib.domain import money
from chalicelib.domain.engagement import Status
from chalicelib.domain.ledger import balances
from chalicelib.services import notify
from chalicelib.services.access import issue_manage_link, issue_task_link
from chalicelib.settings import get_settings


def on_submitted(brief: Mapping[str, Any]) -> None:
    """The employer's confirmation with a manage link, sent by the workflow's first step so the
    API answers without rendering or sending email."""
    brief_id = str(brief["brief_id"])
    notify.send(
        "brief_received",
        to=str(brief["employer_email"]),
        key=f"{brief_id}:brief_received",
        brief_id=brief_id,
        name=str(brief["employer_name"]),
        title=str(brief["title"]),
        company=str(brief["company"]),
        action_url=issue_manage_link(brief_id),
    )


def on_wait(brief: Mapping[str, Any], kind: str, *, task_token: str, intern_id: str | None) -> None:
    """Email the party a wait is waiting for (once per wait: keyed by its task token).

    The engagement's own waits only: finance's (payout, dispute) and the failure waits are
    told by their own use cases, which `steps.await_party` calls."""
    windows = get_settings().windows
    brief_id = str(brief["brief_id"])
    key = f"{brief_id}:{kind}:{hashlib.sha256(task_token.encode()).hexdigest()[:16]}"
    now = clock.now()
    currency = {"currency": str(brief["currency"])}
    if kind == "offer" and intern_id:
        notify.to_intern(
            intern_id,
            "offer",
            key=key,
            brief_id=brief_id,
            title=str(brief["title"]),
            company=str(brief["company"]),
            hours=int(brief["estimated_hours"]),
            pay_cents=money.release(
                int(brief["budget_cents"]), money.fee_bps_of(brief)
            ).payout_cents,
            deadline=str(brief["deadline"]),
            window_end=now + timedelta(seconds=windows.offer_seconds),
            action_url=issue_task_link(brief_id, intern_id),
            **currency,
        )
    elif kind == "funding":
        notify.to_employer(
            brief,
            "offer_accepted",
            key=key,
            amount_cents=int(brief["budget_cents"]),
            nda_signed=bool(brief.get("nda_required")),
            window_end=now + timedelta(seconds=windows.funding_seconds),
            action_url=issue_manage_link(brief_id, "/fund"),
            **currency,
        )
    elif kind == "work" and brief.get("intern_id"):
        if int(brief.get("revision_rounds", 0)) == 0 and not brief.get("deadline_extended"):
            notify.to_intern(
                str(brief["intern_id"]),
                "work_started",
                key=key,
                brief_id=brief_id,
                title=str(brief["title"]),
                company=str(brief["company"]),
                deadline=str(brief["deadline"]),
                action_url=issue_task_link(brief_id, str(brief["intern_id"])),
            )
    elif kind == "deadline":
        notify.to_employer(
            brief,
            "reminder",
            key=key,
            waiting_for="your decision on the missed deadline (extend or cancel)",
            window_end=now + timedelta(seconds=windows.deadline_decision_seconds),
            action_url=issue_manage_link(brief_id),
            action_label="Extend or cancel",
        )
    elif kind == "review":
        notify.to_employer(
            brief,
            "delivery_received",
            key=key,
            window_end=now + timedelta(seconds=windows.review_seconds),
            action_url=issue_manage_link(brief_id),
        )


def on_settled(brief: Mapping[str, Any], status: Status) -> None:
    """Tell both parties how the engagement ended, every figure from the ledger's entries; an
    intern whose offer was still open when the project was cancelled hears it is withdrawn."""
    brief_id = str(brief["brief_id"])
    key = f"{brief_id}:settled:{status.value}"
    engaged = bool(brief.get("intern_id"))
    currency: dict[str, Any] = {"currency": str(brief["currency"])}
    if status == Status.UNMATCHED:
        notify.to_employer(
            brief,
            "unmatched",
            key=key,
            reason=str(
                brief.get("unmatched_reason")
                or "The best-matched interns were offered the project, but none accepted it "
                "in time. A later deadline or a higher budget usually helps."
            ),
            action_url=links.url("/briefs/new"),
        )
    elif status == Status.COMPLETED:
        books = balances(brief_journal(brief_id))
        figures: dict[str, Any] = {
            "amount_cents": books.released_cents,  # what the intern was paid (a split: less)
            "fee_cents": books.fee_cents,
            "refund_cents": books.refunded_cents,
            "funded_cents": books.funded_cents,
            **currency,
        }
        notify.to_party(
            brief,
            "employer",
            "released",
            key=f"{key}:employer",
            action_label="Rate your intern",
            **figures,
        )
        if engaged:
            notify.to_party(
                brief,
                "intern",
                "released",
                key=f"{key}:intern",
                action_label="Rate the employer",
                **figures,
            )
    elif status in (Status.CANCELLED, Status.REFUNDED):
        refunded = balances(brief_journal(brief_id)).refunded_cents
        reason = _why_ended(brief, status)
        for role in ("employer", "intern") if engaged else ("employer",):
            notify.to_party(
                brief,
                role,
                "cancelled",
                key=f"{key}:{role}",
                refunded=bool(refunded),
                refund_cents=refunded,
                reason=reason,
                action_label="Open the project page",
                **currency,
            )
        for intern_id in _open_offers(brief):
            notify.to_party(
                brief,
                "intern",
                "offer_withdrawn",
                key=f"{brief_id}:offer_withdrawn:{intern_id}",
                candidate=intern_id,
                company=str(brief["company"]),
                reason=reason if reason != EMPLOYER_CANCELLED else "",
            )


def on_offer_lapsed(brief: Mapping[str, Any], intern_id: str, stage: str) -> None:
    """The intern's offer (stage "offer") or NDA ("nda") window ran out: tell them (once)."""
    notify.to_party(
        brief,
        "intern",
        "offer_expired",
        key=f"{brief['brief_id']}:offer_expired:{intern_id}",
        candidate=intern_id,
        stage=stage,
        company=str(brief["company"]),
    )


EMPLOYER_CANCELLED = "The employer cancelled the project."


def _why_ended(brief: Mapping[str, Any], status: Status) -> str:
    """In words, from the brief's own record: who or what ended it."""
    if brief.get("dispute_resolution"):
        return "Finance resolved the dispute with a full refund to the employer."
    for event in get_store().timeline(str(brief["brief_id"])):
        detail = str(event.get("detail", ""))
        if event.get("actor") == "employer" and "cancelled" in detail:
            return EMPLOYER_CANCELLED
        if detail in WINDOW_ENDINGS:
            return WINDOW_ENDINGS[detail]
    return "" if status == Status.CANCELLED else "The payment was refunded."


# The timeline's note of a window that ended the project (steps.CLOSED_DETAILS) -> in words.
WINDOW_ENDINGS = {
    "Escrow was not funded in time": "Escrow was not funded in time.",
    "No decision after the missed deadline": (
        "The deadline passed without a delivery, and the employer did not extend it in time."
    ),
}


def _open_offers(brief: Mapping[str, Any]) -> list[str]:
    """Candidates who still held an offer (offered, not engaged) when the brief ended."""
    return [
        str(c["intern_id"])
        for c in get_store().query(f"BRIEF#{brief['brief_id']}", "CANDIDATE#")
        if c.get("offer_status") in ("offered", "accepted")
        and c["intern_id"] != brief.get("intern_id")
    ]

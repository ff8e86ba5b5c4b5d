"""What each step of the flow tells whom: the emails the workflow's steps send.

    on_submitted(brief)                  # the employer's confirmation with a manage link
    on_wait(brief, kind, task_token=...) # the party a wait is waiting for
    on_settled(brief, status)            # both parties: how the engagement ended

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
from chalicelib.domain import money
from chalicelib.domain.engagement import Status
from chalicelib.domain.ledger import balances
from chalicelib.services import notify
from chalicelib.services.access import intern_profile, issue_manage_link, issue_task_link
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
    """Tell both parties how the engagement ended (the amounts from the ledger)."""
    brief_id = str(brief["brief_id"])
    key = f"{brief_id}:settled:{status.value}"
    employer = str(brief["employer_email"])
    intern = intern_profile(str(brief["intern_id"])) if brief.get("intern_id") else None
    currency = {"currency": str(brief["currency"])}
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
        pay = books.released_cents  # what the intern received (a split pays less)
        notify.send(
            "released",
            to=employer,
            key=f"{key}:employer",
            brief_id=brief_id,
            title=str(brief["title"]),
            role="employer",
            amount_cents=books.released_cents + books.fee_cents,
            fee_cents=books.fee_cents,
            **currency,
        )
        if intern:
            notify.send(
                "released",
                to=str(intern["email"]),
                key=f"{key}:intern",
                brief_id=brief_id,
                title=str(brief["title"]),
                role="intern",
                amount_cents=pay,
                **currency,
            )
    elif status in (Status.CANCELLED, Status.REFUNDED):
        refunded = balances(brief_journal(brief_id)).refunded_cents
        for role, address in (("employer", employer),) + (
            (("intern", str(intern["email"])),) if intern else ()
        ):
            notify.send(
                "cancelled",
                to=address,
                key=f"{key}:{role}",
                brief_id=brief_id,
                title=str(brief["title"]),
                role=role,
                refunded=bool(refunded),
                refund_cents=refunded,
                **currency,
            )

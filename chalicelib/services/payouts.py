"""Payouts: finance approves (or holds) what the intern is paid.

    request_payout_approval  PayoutApproval wait: one payout record per brief; auto-approved up
                             to FINANCE_AUTO_APPROVE_CENTS, else the signed outbound
                             `payout.approval_requested` webhook (adapters/finance_hook.py) and
                             an email to finance
    decide_payout            finance's `payout.approved` / `payout.rejected`, once per payout
                             (services/finance_webhooks.py verifies and dispatches them)
    on_dispute / reminder    the Dispute wait's emails; the PayoutReminder / DisputeReminder loops

The figures finance approves are `domain.money.release` of what escrow holds: `amount_cents` is
the held amount, `fee_cents` the release's fee, so the payout is the release's payout.

A decision is committed first — the conditional status update, the webhook's receipt and the
timeline note in ONE transaction — and only then is the waiting Step Functions task resumed
(`payout_store.follow_up`). Dispute resolutions are services/disputes.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock, finance_hook, links, tokens
from chalicelib.adapters import payout_store as payouts
from chalicelib.adapters.escrow_store import brief_journal
from chalicelib.adapters.payout_store import (
    APPROVED,
    PENDING,
    REJECTED,
    RESOLVED,
    get_payout_store,
)
from chalicelib.adapters.store import Conflict
from chalicelib.domain import money
from chalicelib.domain.engagement import Status
from chalicelib.domain.ledger import balances
from chalicelib.observability import logger, metrics
from chalicelib.services import notify
from chalicelib.services.errors import NotAllowed, NotFound
from chalicelib.settings import get_settings

# -- the payout: requested when the PayoutApproval wait opens ------------------------------


def request_payout_approval(brief: Mapping[str, Any], task_token: str) -> dict[str, Any]:
    """Open (once per brief) the payout for the approved work and ask finance to approve it.

    Called each time the PayoutApproval wait opens (the daily reminder loop re-opens it), with
    the wait's `task_token` already saved beside the engagement: the payout is created once,
    the request is sent once (and again by the reminder only while it was not delivered), and
    a decision already recorded — auto-approval, or a webhook that arrived while no wait was
    open — resumes this wait at once.
    """
    brief_id = str(brief["brief_id"])
    payout = _ensure_payout(brief)
    logger.info(
        "payout approval",
        extra={
            "brief_id": brief_id,
            "payout_id": payout["payout_id"],
            "status": payout["status"],
            "waiting": bool(task_token),
        },
    )
    if payout["status"] == PENDING:
        if not payout.get("delivered"):
            finance_hook.deliver_approval_request(payout)
        _notify_requested(brief, payout)
    payouts.follow_up(brief_id)
    return payouts.public(payouts.get(str(payout["payout_id"])) or payout)


def _ensure_payout(brief: Mapping[str, Any]) -> dict[str, Any]:
    repo = get_payout_store()
    brief_id = str(brief["brief_id"])
    existing = payouts.payout_of(brief)
    if existing is not None:
        return existing
    settings = get_settings()
    held = int(brief.get("escrow_held_cents") or brief["budget_cents"])
    figures = money.release(held, money.fee_bps_of(brief))
    auto = held <= settings.finance_auto_approve_cents
    now = clock.iso()
    payout_id = tokens.new_id("po")
    status = APPROVED if auto else PENDING
    record: dict[str, Any] = {
        "payout_id": payout_id,
        "brief_id": brief_id,
        "intern_id": brief.get("intern_id"),
        "title": str(brief.get("title", "")),
        "amount_cents": figures.held_cents,
        "fee_cents": figures.fee_cents,
        "currency": str(brief.get("currency", "usd")),
        "status": status,
        "created_at": now,
        "updated_at": now,
        "delivered": False,
        "attempts": 0,
    }
    note = None
    if auto:
        record.update(approved_by="auto", decided_at=now)
        note = (
            f"Payout of {payouts.money(record, figures.payout_cents)} approved "
            f"automatically (within the "
            f"{payouts.money(record, settings.finance_auto_approve_cents)} "
            "auto-approval threshold)"
        )
    try:
        item = repo.commit_request(brief, record, note=note)
    except Conflict:
        fresh = repo.brief(brief_id) or {}
        found = payouts.payout_of(fresh)
        if found is None:
            raise
        return found
    metrics.add_metric(name="PayoutsRequested", unit="Count", value=1)
    if auto:
        metrics.add_metric(name="PayoutsAutoApproved", unit="Count", value=1)
    return item


def _notify_requested(brief: Mapping[str, Any], payout: Mapping[str, Any]) -> None:
    """Finance is asked, and the intern told, in the figures of the payout record itself:
    what finance approves is what the transfer moves (`domain.money.release` of the held)."""
    payout_id = str(payout["payout_id"])
    amount, fee = int(payout["amount_cents"]), int(payout["fee_cents"])
    figures: dict[str, Any] = {"pay_cents": amount - fee, "currency": str(payout["currency"])}
    notify.to_party(
        brief,
        "finance",
        "payout_approval_requested",
        key=f"{payout_id}:approval_requested",
        title=str(payout.get("title") or brief.get("title", "")),
        payout_id=payout_id,
        intern_id=str(payout.get("intern_id") or "(none)"),
        amount_cents=amount,
        fee_cents=fee,
        action_label="Open the finance page",
        **figures,
    )
    intern = _intern(brief)
    if intern:
        notify.to_party(
            brief,
            "intern",
            "payout_pending",
            key=f"{payout_id}:payout_pending",
            intern=intern,
            **figures,
        )


def _intern(brief: Mapping[str, Any]) -> dict[str, Any] | None:
    """The engaged intern's profile, if any (the payout repository reads it)."""
    intern_id = brief.get("intern_id")
    return get_payout_store().intern(str(intern_id)) if intern_id else None


# -- finance's decision: payout.approved / payout.rejected ----------------------------------


def decide_payout(
    receipt: dict[str, Any], payout_id: str, decision: str, by: str, reason: str = ""
) -> dict[str, Any]:
    """Apply finance's decision on a payout once (whatever the webhook id): 200 with `outcome`
    ("approved", "rejected", "already_applied" or "duplicate"); 404 unknown payout; 409 a
    decision the engagement's state does not allow (nothing changes, the receipt unused)."""
    repo = get_payout_store()
    for _ in range(3):  # the payout may change between reading and writing: decide again
        payout = repo.get(payout_id)
        if payout is None:
            raise NotFound("No payout with this id.", "data.payout_id")
        brief_id = str(payout["brief_id"])
        brief = repo.brief(brief_id)
        if brief is None:
            raise NotFound("The payout's project no longer exists.", "data.payout_id")
        if payout["status"] == decision:
            repo.keep_receipt(receipt)
            payouts.follow_up(brief_id)
            return {"outcome": "already_applied", "payout_id": payout_id, "status": decision}
        if payout["status"] != PENDING:
            hint = " Resolve it with dispute.resolved." if payout["status"] == REJECTED else ""
            raise NotAllowed(f"Payout {payout_id} is already {payout['status']}.{hint}")
        if brief["status"] != Status.PAYOUT_APPROVAL:
            raise NotAllowed(
                f"The project is {brief['status']}: a payout decision is not possible now."
            )
        now = clock.iso()
        fields: dict[str, Any] = {
            "status": decision,
            "decided_at": now,
            "updated_at": now,
            "decision_webhook_id": receipt["webhook_id"],
        }
        pay = payouts.money(payout, int(payout["amount_cents"]) - int(payout["fee_cents"]))
        if decision == APPROVED:
            fields["approved_by"] = by
            note = f"Finance approved the payout of {pay} ({by})"
        else:
            fields.update(rejected_by=by, reason=reason)
            note = f"Finance held the payout of {pay}: {reason} ({by})"
        try:  # still pending, the brief still waiting for it, the receipt new: or nothing
            repo.commit_decision(brief, payout, fields, receipt=receipt, note=note)
        except Conflict:
            if repo.receipt_seen(receipt):
                payouts.follow_up(brief_id)
                return {"outcome": "duplicate", "webhook_id": receipt["webhook_id"]}
            continue
        logger.info(
            "payout decided",
            extra={"brief_id": brief_id, "payout_id": payout_id, "decision": decision},
        )
        metrics.add_metric(name=f"Payouts{decision.title()}", unit="Count", value=1)
        if decision == REJECTED:
            _notify_held(brief, payout_id, reason)
        payouts.follow_up(brief_id)
        return {"outcome": decision, "payout_id": payout_id, "status": decision}
    raise NotAllowed(f"Payout {payout_id} kept changing; try again.")


# -- what finance and the parties are told --------------------------------------------------


def on_dispute(brief: Mapping[str, Any]) -> None:
    """The Dispute wait opened: tell who needs to know (once per brief), then apply a
    resolution finance may already have sent."""
    brief_id = str(brief["brief_id"])
    payout = payouts.payout_of(brief)
    if payout is not None and payout["status"] in (REJECTED, RESOLVED):
        _notify_held(brief, str(payout["payout_id"]), str(payout.get("reason", "")))
    else:
        held = balances(brief_journal(brief_id)).held_cents
        intern = _intern(brief)
        for role in ["finance", "employer"] + (["intern"] if intern else []):
            notify.to_party(
                brief,
                role,
                "dispute_opened",
                key=f"{brief_id}:dispute_opened:{role}",
                intern=intern,
                comment=str(brief.get("last_comment", "")),
                amount_cents=held,
                currency=str(brief["currency"]),
            )
    payouts.follow_up(brief_id)


def _notify_held(brief: Mapping[str, Any], payout_id: str, reason: str) -> None:
    """Both parties hear that finance held the payout, and why (once per payout)."""
    held = balances(brief_journal(str(brief["brief_id"]))).held_cents
    intern = _intern(brief)
    for role in ["employer"] + (["intern"] if intern else []):
        notify.to_party(
            brief,
            role,
            "dispute_opened",
            key=f"{payout_id}:held:{role}",
            intern=intern,
            comment=f"Finance held the payout: {reason}",
            amount_cents=held,
            currency=str(brief["currency"]),
        )


def reminder(brief: Mapping[str, Any], kind: str, *, key: str = "") -> dict[str, Any]:
    """The PayoutReminder / DisputeReminder loops: remind finance (and deliver the approval
    request again while it was never delivered)."""
    settings = get_settings()
    brief_id = str(brief["brief_id"])
    payout = payouts.payout_of(brief)
    if kind == "payout":
        if payout is None or payout["status"] != PENDING:
            return {"reminded": False}
        if not payout.get("delivered"):
            finance_hook.deliver_approval_request(payout)
        pay = payouts.money(payout, int(payout["amount_cents"]) - int(payout["fee_cents"]))
        waiting_for = f"approval of payout {payout['payout_id']} ({pay} to the intern)"
    elif kind == "dispute":
        if brief.get("dispute_resolution"):
            return {"reminded": False}
        waiting_for = f"a resolution of the dispute on brief {brief_id} (release, refund or split)"
    else:
        raise ValueError(f"no finance reminder for {kind!r}")
    notify.send(
        "reminder",
        to=settings.finance_email,
        key=f"{brief_id}:finance_reminder:{kind}:{key or clock.today().isoformat()}",
        brief_id=brief_id,
        name="",
        title=str(brief["title"]),
        waiting_for=waiting_for,
        window_end=clock.now() + timedelta(seconds=settings.windows.payout_reminder_seconds),
        action_url=links.url("/finance"),
        action_label="Open the finance page",
    )
    logger.info("finance reminded", extra={"brief_id": brief_id, "kind": kind})
    return {"reminded": True}

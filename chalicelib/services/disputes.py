"""Disputes: finance's `dispute.resolved` — release, refund or split what escrow holds.

    resolve_dispute   once per brief (a repeat of the same resolution is `already_applied`, a
                      different one 409); recorded on the brief (`dispute_resolution`) and, when
                      finance had held the payout, on the payout (`resolved`), then the open wait
                      resumes (`payout_store.follow_up`)

The division shown is `domain.money.split` of the held budget at the brief's fee rate — the
figures services/escrow.py then moves. The Dispute wait's emails are services/payouts.py
(`on_dispute`); services/finance_webhooks.py verifies the webhook and calls this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters import payout_store as payouts
from chalicelib.adapters.payout_store import REJECTED, get_payout_store
from chalicelib.adapters.store import Conflict
from chalicelib.domain import money
from chalicelib.domain.engagement import Status
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import Invalid, NotAllowed, NotFound


def resolve_dispute(
    receipt: dict[str, Any],
    brief_id: str,
    resolution: str,
    intern_share_cents: int | None,
    by: str,
) -> dict[str, Any]:
    """Apply finance's resolution once: 200 with `outcome` ("resolved", "already_applied" or
    "duplicate") and the division; 404 unknown brief; 409 no open dispute, or one already
    resolved differently; 422 a share that does not fit the budget."""
    repo = get_payout_store()
    for _ in range(3):
        brief = repo.brief(brief_id)
        if brief is None:
            raise NotFound("No brief with this id.", "data.brief_id")
        held = int(brief.get("escrow_held_cents") or 0)
        funded = int(brief.get("escrow_funded_cents") or brief["budget_cents"])
        budget = held if held > 0 else funded
        share = _share(resolution, intern_share_cents, budget)
        parts = money.split(budget, share, money.fee_bps_of(brief))
        decided = {"resolution": resolution, "intern_share_cents": share}
        recorded = brief.get("dispute_resolution")
        if isinstance(recorded, Mapping):
            same = (
                recorded.get("resolution") == resolution
                and int(recorded.get("intern_share_cents", -1)) == share
            )
            if not same:
                raise NotAllowed("This dispute was already resolved differently.")
            repo.keep_receipt(receipt)
            payouts.follow_up(brief_id)
            return {"outcome": "already_applied", "brief_id": brief_id, **decided}
        payout = payouts.payout_of(brief)
        open_dispute = brief["status"] == Status.DISPUTED or (
            brief["status"] == Status.PAYOUT_APPROVAL
            and payout is not None
            and payout["status"] == REJECTED
        )
        if not open_dispute:
            raise NotAllowed(f"The project is {brief['status']}: there is no dispute to resolve.")
        now = clock.iso()
        record = {**decided, "resolved_by": by, "webhook_id": receipt["webhook_id"], "at": now}
        payout_fields = {
            "resolution": resolution,
            "intern_share_cents": share,
            "decided_at": now,
            "updated_at": now,
        }
        note = (
            f"Finance resolved the dispute: {resolution} — "
            f"{payouts.money(brief, parts.transfer_cents)} to the intern, "
            f"{payouts.money(brief, parts.refund_cents)} refunded, "
            f"fee {payouts.money(brief, parts.fee_cents)} ({by})"
        )
        try:  # the brief unchanged and unresolved, the payout unchanged, the receipt new
            repo.commit_resolution(
                brief,
                payout,
                resolution=record,
                payout_fields=payout_fields,
                receipt=receipt,
                note=note,
            )
        except Conflict:
            if repo.receipt_seen(receipt):
                payouts.follow_up(brief_id)
                return {"outcome": "duplicate", "webhook_id": receipt["webhook_id"]}
            continue
        logger.info("dispute resolved", extra={"brief_id": brief_id, **decided})
        metrics.add_metric(name="DisputesResolved", unit="Count", value=1)
        payouts.follow_up(brief_id)
        return {
            "outcome": "resolved",
            "brief_id": brief_id,
            **decided,
            "transfer_cents": parts.transfer_cents,
            "fee_cents": parts.fee_cents,
            "refund_cents": parts.refund_cents,
        }
    raise NotAllowed("The project kept changing; try again.")


def _share(resolution: str, share: int | None, budget: int) -> int:
    """The intern's share for the resolution; 422 when it does not fit the budget."""
    implied = {"release": budget, "refund": 0}.get(resolution)
    if implied is not None:
        if share is not None and share != implied:
            raise Invalid(
                [
                    {
                        "field": "data.intern_share_cents",
                        "message": f"A {resolution} gives the intern {implied} cents; "
                        "use split for another share.",
                    }
                ]
            )
        return implied
    if share is None or not 0 <= share <= budget:
        raise Invalid(
            [
                {
                    "field": "data.intern_share_cents",
                    "message": f"A split needs intern_share_cents between 0 and {budget}.",
                }
            ]
        )
    return share

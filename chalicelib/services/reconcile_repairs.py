"""The reconciler, repairing: what Stripe's own objects prove is recorded, once (orchestrator).

services/reconcile.py is a use case that finds and reports; the repairs are other use cases'
acts, so this orchestrator hands them to it (:class:`reconcile.Repairs`) and is what the
schedule (app.py) and `make reconcile` run:

- a succeeded PaymentIntent naming a brief that the ledger does not account for goes through
  the same use case as the webhook, ``escrow.record_funding`` with Stripe's record: the brief's
  own payment whose webhook was lost funds it (and the flow resumes); any other payment is
  refunded in full as a stray (key ``microintern:<pi>:refund_stray``, ``STRAY#<pi>`` marker);
- an engagement still holding money whose Transfer or Refund Stripe applied but the ledger never
  recorded (the response lost, then the retries failed, and the engagement ended another way)
  gets the entry its step would have committed — the same draft (domain/ledger.py) and the same
  conditional commit (``escrow_store.commit_out``: held exactly, a status the step allows, a
  new entry id) — only when the app's own movements prove it: tagged with the brief and one
  step (``release``, ``refund``, or the two of ``split``), each for the exact amount the step
  moves out of what is held, none failed or reversed. Anything else is logged and left (the
  reconciler reports it as a discrepancy); a second run finds the entry and changes nothing.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import FUNDED, HELD, Conflict, get_escrow_store
from chalicelib.domain import ledger, money
from chalicelib.observability import logger, metrics
from chalicelib.services import escrow, payout_failures, reconcile

STEPS = frozenset({"release", "refund", "split-transfer", "split-refund"})


def repairs() -> reconcile.Repairs:
    return reconcile.Repairs(payment=settle_payment, engagement=repair_engagement)


def run(time_left_ms: reconcile.TimeLeft | None = None) -> reconcile.Report:
    """The scheduled reconciliation (see services/reconcile.py), repairing what it can prove."""
    return reconcile.run(time_left_ms, repairs())


def check(brief_id: str) -> list[str]:
    """One engagement, repaired where Stripe proves it; the discrepancies that remain."""
    return reconcile.check(brief_id, repairs())


def main() -> int:
    """`make reconcile`: one whole pass now, repairing; exit status 1 when anything remains."""
    return reconcile.main(repairs())


def settle_payment(brief_id: str, pi: gateway.PaymentIntent) -> str:
    """A succeeded payment the ledger does not account for: funded or refunded, as the webhook
    would have (`pi` is Stripe's own record, listed by the reconciler)."""
    return escrow.record_funding(brief_id, pi)


def repair_engagement(brief_id: str) -> list[str]:
    """An engagement that disagrees with Stripe: its own payment recorded if the webhook was
    lost, then any movement Stripe applied that the ledger lacks (:func:`heal`)."""
    brief = get_escrow_store().brief(brief_id)
    done: list[str] = []
    if brief is not None and brief.get(FUNDED) is None and brief.get("payment_intent_id"):
        pi = gateway.retrieve_payment_intent(str(brief["payment_intent_id"]))
        if pi.status == "succeeded":
            done.append(f"payment {pi.id} {settle_payment(brief_id, pi)}")
    return done + heal(brief_id)


# -- a movement Stripe applied that the ledger never recorded ---------------------------------


def heal(brief_id: str) -> list[str]:
    """Record the out-entry Stripe's objects prove for `brief_id`; what was recorded."""
    store = get_escrow_store()
    brief = store.brief(brief_id)
    if brief is None or int(brief.get(HELD, 0)) <= 0 or not brief.get("payment_intent_id"):
        return []
    if any(e.kind != "fund" for e in store.journal(brief_id)):
        return []  # an out-entry exists: whatever disagrees is not a missing one
    transfers = [m for m in gateway.list_transfers(brief_id) if _ours(m, brief_id)]
    refunds = [
        m
        for m in gateway.list_refunds(str(brief["payment_intent_id"]))
        if _ours(m, brief_id) and m.status not in ("failed", "canceled")
    ]
    proof = _proof(brief, transfers, refunds)
    if isinstance(proof, str):
        if transfers or refunds:
            logger.warning("escrow not repaired", extra={"brief_id": brief_id, "reason": proof})
        return []
    draft, allowed, fields = proof
    reference = "+".join(fields.values())
    entry = dataclasses.replace(draft, reference=reference, entry_id=f"{draft.kind}:{reference}")
    held = -entry.amount(ledger.Account.ESCROW)
    currency = str(brief.get("currency", "usd"))
    detail = (
        f"Recorded from Stripe's record by the reconciler: {entry.kind} of "
        f"{money.format_money(held, currency)} ({reference}), applied by Stripe but not recorded"
    )
    try:
        recorded = store.commit_out(
            brief, entry, held=held, allowed=allowed, detail=detail, fields=fields
        )
    except Conflict:  # the step (or another run) moved on meanwhile: checked again next pass
        logger.warning("escrow not repaired: it changed", extra={"brief_id": brief_id})
        return []
    if not recorded:
        return []
    payout_failures.cleared(brief_id)  # an open episode about this money ends
    metrics.add_metric(name="EscrowRepaired", unit="Count", value=1)
    logger.warning("escrow repaired", extra={"brief_id": brief_id, "entry": entry.entry_id})
    return [f"recorded the {entry.kind} {reference} Stripe applied ({held} cents)"]


def _ours(movement: gateway.Movement, brief_id: str) -> bool:
    return movement.brief_id == brief_id and movement.step in STEPS


Proof = tuple[ledger.JournalEntry, frozenset[str], dict[str, str]]


def _proof(
    brief: Mapping[str, Any], transfers: list[gateway.Movement], refunds: list[gateway.Movement]
) -> Proof | str:
    """The entry (with the statuses its step allows and the brief's fields) that the app's
    own movements prove, or why they prove none."""
    held = int(brief[HELD])
    steps = sorted({m.step for m in (*transfers, *refunds)})
    now = clock.now()
    if not steps:
        return "Stripe shows no movement of this engagement"
    if steps == ["refund"]:
        draft = ledger.refund_entry(held, reference="pending", at=now)
        allowed = escrow.REFUND_FROM
    elif steps == ["release"]:
        draft = ledger.release_entry(held, money.fee_bps_of(brief), reference="pending", at=now)
        allowed = escrow.RELEASE_FROM
    elif set(steps) <= {"split-transfer", "split-refund"}:
        resolution = brief.get("dispute_resolution") or {}
        if not isinstance(resolution, Mapping) or resolution.get("resolution") != "split":
            return "Stripe shows a split, but no split was decided"
        share = int(resolution["intern_share_cents"])
        draft = ledger.split_entry(held, share, money.fee_bps_of(brief), reference="p", at=now)
        allowed = escrow.SPLIT_FROM
    else:
        return f"Stripe shows movements of several steps: {', '.join(steps)}"
    if str(brief["status"]) not in allowed:
        return f"the step that moved it is not allowed in {brief['status']}"
    fields: dict[str, str] = {}
    expected = (
        ("transfer_id", transfers, draft.amount(ledger.Account.INTERN_PAID)),
        ("refund_id", refunds, draft.amount(ledger.Account.REFUNDED)),
    )
    for name, found, amount in expected:
        if amount == 0 and not found:
            continue
        if len(found) != 1 or found[0].amount != amount or found[0].reversed_amount:
            shown = [m.amount - m.reversed_amount for m in found]
            return f"{name}: Stripe moved {shown}, the step would move {amount} of {held} held"
        fields[name] = found[0].id
    return draft, allowed, fields


if __name__ == "__main__":
    sys.exit(main())

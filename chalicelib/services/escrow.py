"""Escrow: the employer's payment, held by the platform until release, refund or split.

Stripe Connect's "separate charges and transfers" (docs/escrow.md follows one amount through):

    fund_escrow     PaymentIntent for the budget, transfer_group = the engagement (brief id)
    record_funding  payment_intent.succeeded → ledger `fund` entry, AWAITING_FUNDING → IN_PROGRESS
    release_escrow  Transfer of held − fee to the intern's account, source_transaction = charge
    refund_escrow   Refund of what is held (nothing when never funded)
    split_escrow    dispute split: transfer the intern's share − fee on it, refund the rest
    settle_release  the Release step: finance's split when it decided one, else a release

The journal entry is drafted first (domain/ledger.py, on domain/money.py's one fee computation)
and Stripe moves the entry's own amounts: what moves is what is booked. The entry is committed
through the escrow repository (adapters/escrow_store.py) in ONE conditional transaction with
the brief's guards: funded once; an outgoing entry names exactly what is held; its key is new.

Stripe calls are keyed by engagement and step: a step that crashed after Stripe moved the money
is retried, Stripe replays the same object and the commit records it once. After a failure
(`STUCK`, services/payout_failures.py) Stripe's record is searched first (keys live 24 h).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import FUNDED, HELD, STUCK, EscrowStore, get_escrow_store
from chalicelib.adapters.store import Conflict
from chalicelib.domain import ledger, money
from chalicelib.domain.engagement import TERMINAL, Status, work_window_seconds
from chalicelib.domain.wording import in_words
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import (
    NotAllowed,
    NotFound,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    PayoutAccountNotReady,
)
from chalicelib.settings import get_settings

# While the intern works or the payout is on its way, nothing may be refunded.
NO_REFUND = frozenset(
    {Status.IN_PROGRESS, Status.IN_REVIEW, Status.PAYOUT_APPROVAL, Status.RELEASING}
)
RELEASE_FROM = frozenset({Status.RELEASING.value})
SPLIT_FROM = frozenset({Status.RELEASING.value, Status.DISPUTED.value})
REFUND_FROM = frozenset(s.value for s in Status) - {s.value for s in NO_REFUND}
Brief = Mapping[str, Any]
PI = gateway.PaymentIntent
Entry = ledger.JournalEntry
Receipt = Mapping[str, Any] | None  # the webhook's receipt, written with the change it makes
_PENDING = "pending"  # an entry's reference until Stripe names the object that moved the money


class EscrowError(Exception):
    """The escrow cannot do what was asked in the engagement's current state."""


def _brief(store: EscrowStore, brief_id: str) -> dict[str, Any]:
    brief = store.brief(brief_id)
    if brief is None:
        raise NotFound("No brief with this id.", "brief_id")
    return brief


def _keep(store: EscrowStore, receipt: Receipt) -> None:
    if receipt is not None:
        store.keep_receipt(receipt)


def _money(brief: Brief, cents: int) -> str:
    return money.format_money(cents, str(brief.get("currency", "usd")))


# -- funding ------------------------------------------------------------------------------


def fund_escrow(brief: Brief) -> PI:
    """The PaymentIntent the employer pays for `brief` (opened by its manage token), created
    once and reused; 409 unless AWAITING_FUNDING. The browser confirms it with Stripe."""
    if brief["status"] != Status.AWAITING_FUNDING:
        raise NotAllowed(
            f"Escrow can be funded only while it waits for funding: {in_words(brief['status'])}."
        )
    try:
        return _payment_intent_for(brief)
    except gateway.TransientError:
        raise PaymentProviderUnavailable(
            "The payment provider is unavailable; try again in a moment."
        ) from None
    except gateway.StripeRejected as exc:
        raise PaymentProviderRefused(f"The payment provider refused: {exc}") from None


def _payment_intent_for(brief: Brief) -> PI:
    brief_id = str(brief["brief_id"])
    attempt = int(brief.get("funding_attempt", 1))
    existing = brief.get("payment_intent_id")
    if existing:
        pi = gateway.retrieve_payment_intent(str(existing))
        if pi.status != "canceled":
            return pi
        attempt += 1  # a canceled PaymentIntent cannot be paid: a new attempt is meant
    pi = gateway.create_payment_intent(
        amount_cents=int(brief["budget_cents"]),
        currency=str(brief["currency"]),
        transfer_group=brief_id,
        metadata={"brief_id": brief_id},
        description=f"microintern escrow: {brief.get('title', brief_id)}"[:200],
        idempotency_key=gateway.key(brief_id, "fund", attempt),
    )
    get_escrow_store().intent_created(brief_id, pi.id, attempt)
    logger.info("payment intent", extra={"brief_id": brief_id, "payment_intent_id": pi.id})
    return pi


def record_funding(brief_id: str, pi: PI, *, receipt: Receipt = None) -> str:
    """Record a succeeded PaymentIntent (`pi`: Stripe's own record, never a webhook's copy).

    AWAITING_FUNDING: the `fund` entry, IN_PROGRESS, the consumed funding token and `receipt`
    are ONE transaction, then the workflow resumes. Already funded: nothing changes. Another
    state (cancelled while paying): recorded as held and refunded in full. A payment that is
    not the brief's own PaymentIntent for its budget and currency is refunded and noted.
    Returns "funded", "refunded", "already_funded", "refunded_stray", "already_refunded",
    "duplicate" or "ignored".
    """
    store = get_escrow_store()
    for _ in range(3):  # the state may move between reading and writing: decide again
        brief = _brief(store, brief_id)
        if receipt is not None and store.receipt_seen(receipt):
            _follow_up(store, brief)
            return "duplicate"
        mismatch = _mismatch(brief, pi) if pi.status == "succeeded" else ""
        if brief.get(FUNDED) is not None and not mismatch:  # money that is not its own: refund
            _keep(store, receipt)
            _follow_up(store, brief)
            return "already_funded"
        if pi.status != "succeeded":  # Stripe's record says the payment did not complete
            _keep(store, receipt)
            return "ignored"
        if mismatch:
            return _refund_stray(store, brief, pi, mismatch, receipt)
        try:
            outcome = _commit_funding(store, brief, pi, receipt)
        except Conflict:
            continue
        metrics.add_metric(name="EscrowFunded", unit="Count", value=1)
        _follow_up(store, _brief(store, brief_id))
        return outcome
    raise EscrowError(f"brief {brief_id} kept changing while funding was recorded")


def _mismatch(brief: Brief, pi: PI) -> str:
    """Why `pi` cannot fund `brief` ("" when it can)."""
    if pi.id != brief.get("payment_intent_id"):
        return "it was not created by this project's funding page"
    if pi.currency != str(brief.get("currency", "usd")):
        return f"it is in {pi.currency.upper()}, not {str(brief.get('currency')).upper()}"
    if pi.amount_received != int(brief["budget_cents"]):
        return f"it is not the budget of {_money(brief, int(brief['budget_cents']))}"
    return ""


def _refund_stray(store: EscrowStore, brief: Brief, pi: PI, reason: str, receipt: Receipt) -> str:
    """Money that does not belong to this engagement is refunded in full (keyed by the
    PaymentIntent) and noted; its `STRAY#<pi>` marker answers any later delivery without
    calling Stripe, even after Stripe has forgotten the key (24 h)."""
    brief_id = str(brief["brief_id"])
    if store.stray_refunded(brief_id, pi.id):
        _keep(store, receipt)
        return "already_refunded"
    amount = pi.amount_received
    logger.error(
        "payment does not belong to the engagement",
        extra={"brief_id": brief_id, "payment_intent_id": pi.id, "reason": reason},
    )
    refund = gateway.create_refund(
        payment_intent_id=pi.id,
        amount_cents=amount,
        metadata={"brief_id": brief_id, "step": "refund_stray"},
        idempotency_key=gateway.key(pi.id, "refund_stray"),
    )
    shown = money.format_money(amount, pi.currency)
    try:
        store.commit_stray(
            brief,
            payment_intent_id=pi.id,
            refund_id=refund.id,
            amount=amount,
            currency=pi.currency,
            detail=f"A payment of {shown} ({pi.id}) does not match this project: {reason}. "
            f"It was refunded in full ({refund.id}); escrow is not funded by it.",
            receipt=receipt,
        )
    except Conflict:
        _keep(store, receipt)
        return "already_refunded"
    metrics.add_metric(name="StrayPaymentsRefunded", unit="Count", value=1)
    return "refunded_stray"


def _commit_funding(store: EscrowStore, brief: Brief, pi: PI, receipt: Receipt) -> str:
    brief_id = str(brief["brief_id"])
    status = str(brief["status"])
    amount = pi.amount_received  # equal to the budget (checked by record_funding)
    entry = ledger.fund_entry(amount, reference=pi.id, at=clock.now())
    token = store.waiting_token(brief_id, "funding") if status == Status.AWAITING_FUNDING else None
    starts = token is not None
    detail = (
        f"Escrow funded with {_money(brief, amount)}; work starts"
        if starts
        else f"Payment of {_money(brief, amount)} arrived while the project was {status}; "
        "it is refunded in full"
    )
    store.commit_funding(
        brief,
        entry,
        status_to=Status.IN_PROGRESS.value if starts else status,
        payment_intent_id=pi.id,
        charge_id=pi.latest_charge,
        token=token,
        detail=detail,
        receipt=receipt,
    )
    logger.info(
        "escrow funded",
        extra={"brief_id": brief_id, "amount_cents": amount, "work_starts": starts},
    )
    if token is not None:
        _resume_funding(store, brief, token, pi.id)
        return "funded"
    return "refunded" if _refund_if_ended(store, brief_id) else "funded"


def _resume_funding(store: EscrowStore, brief: Brief, token: str, pi_id: str) -> None:
    """Resume the Funding wait (its token already consumed by the funding transaction)."""
    from chalicelib.adapters import workflow

    brief_id = str(brief["brief_id"])
    cap = get_settings().windows.work_seconds
    work = work_window_seconds(str(brief["deadline"]), clock.now(), cap=cap, floor=1)
    try:
        workflow.resume(token, {"payment_intent_id": pi_id, "work_seconds": work})
    except workflow.WaitClosed:
        logger.warning("funding wait already closed", extra={"brief_id": brief_id})
    except Exception:
        store.unconsume_token(brief_id, "funding", token)  # a redelivery resumes it
        raise


def _follow_up(store: EscrowStore, brief: Brief) -> None:
    """Finish what a crashed or failed delivery left undone (safe to repeat)."""
    brief_id = str(brief["brief_id"])
    if brief.get("status") == Status.IN_PROGRESS and brief.get(FUNDED) is not None:
        try:
            token = store.consume_token(brief_id, "funding")
        except Conflict:
            return
        _resume_funding(store, brief, token, str(brief.get("payment_intent_id")))
    else:
        _refund_if_ended(store, brief_id)


def _refund_if_ended(store: EscrowStore, brief_id: str) -> bool:
    """Money held by an engagement that ended (or is being cancelled) goes back in full."""
    brief = _brief(store, brief_id)
    if int(brief.get(HELD, 0)) <= 0:
        return False
    status = Status(brief["status"])
    cancelling = (
        status == Status.AWAITING_FUNDING and store.waiting_token(brief_id, "funding") is None
    )
    if status in TERMINAL or cancelling:
        refund_escrow(brief_id)
        return True
    return False


# -- money out ------------------------------------------------------------------------------


def _already_out(store: EscrowStore, brief_id: str) -> Entry | None:
    return next((e for e in store.journal(brief_id) if e.kind != "fund"), None)


def _commit_out(
    store: EscrowStore,
    brief: Brief,
    draft: Entry,
    reference: str,
    allowed: frozenset[str],
    **kw: Any,
) -> None:
    """The drafted entry, now naming the Stripe object(s) that moved its amounts, and the
    brief's held amount going to zero, in one transaction (`kw`: `detail`, `fields`)."""
    entry = dataclasses.replace(draft, reference=reference, entry_id=f"{draft.kind}:{reference}")
    held = -entry.amount(ledger.Account.ESCROW)
    try:
        store.commit_out(brief, entry, held=held, allowed=allowed, **kw)
    except Conflict:
        raise EscrowError(f"escrow of {brief['brief_id']} changed during {entry.kind}") from None


def _destination(store: EscrowStore, brief: Brief) -> str:
    """The intern's Stripe account, if it can receive transfers (else the step waits)."""
    intern_id = brief.get("intern_id")
    if not intern_id:
        raise EscrowError(f"brief {brief['brief_id']} has no intern to pay")
    intern = store.intern(str(intern_id))
    if intern is None:
        raise EscrowError(f"intern {intern_id} not found")
    account = intern.get("stripe_account_id")
    if not account or not intern.get("payout_ready"):
        why = f"intern {intern_id} has no payout-ready Stripe account yet"
        raise PayoutAccountNotReady(why, intern_id=str(intern_id), remind=True)
    return str(account)


def release_escrow(brief_id: str) -> dict[str, Any]:
    """Transfer what is held, less the platform fee, to the intern (status RELEASING)."""
    store = get_escrow_store()
    brief = _brief(store, brief_id)
    done = _already_out(store, brief_id)
    if done is not None:
        return {"moved_cents": 0, "entry": done.entry_id}
    held = int(brief.get(HELD, 0))
    if held <= 0:
        return {"moved_cents": 0}
    if brief["status"] not in RELEASE_FROM:
        raise EscrowError(f"brief {brief_id} is {brief['status']}, not RELEASING")
    draft = ledger.release_entry(held, money.fee_bps_of(brief), reference=_PENDING, at=clock.now())
    payout = draft.amount(ledger.Account.INTERN_PAID)
    fee = draft.amount(ledger.Account.PLATFORM_FEE)
    fields: dict[str, Any] = {}
    if payout > 0:
        destination = _destination(store, brief)
        reference = _transfer(brief, payout, destination, step="release")
        fields["transfer_id"] = reference
        detail = f"Transferred {_money(brief, payout)} to the intern"
    else:  # a 100 % fee leaves nothing to transfer (Stripe refuses a transfer of 0)
        reference = f"fee-only:{brief_id}"
        detail = "Nothing to transfer to the intern"
    detail = f"{detail} (platform fee {_money(brief, fee)})"
    _commit_out(store, brief, draft, reference, RELEASE_FROM, detail=detail, fields=fields)
    metrics.add_metric(name="EscrowReleased", unit="Count", value=1)
    logger.info("escrow released", extra={"brief_id": brief_id, "reference": reference})
    return {"moved_cents": payout, "fee_cents": fee, "transfer_id": fields.get("transfer_id")}


def _transfer(brief: Brief, amount: int, destination: str, *, step: str) -> str:
    """The Transfer's id (found in Stripe's record first when an earlier attempt failed)."""
    try:
        return gateway.transfer_for(
            str(brief["brief_id"]),
            step,
            amount_cents=amount,
            currency=str(brief["currency"]),
            destination=destination,
            source_transaction=str(brief["charge_id"]),
            recover=bool(brief.get(STUCK)),
        ).id
    except gateway.StripeRejected as exc:
        if exc.code == "insufficient_capabilities_for_transfer":
            raise PayoutAccountNotReady(str(exc), intern_id=brief.get("intern_id")) from exc
        raise


def _refund(brief: Brief, amount: int, *, step: str) -> str:
    """The Refund's id (as `_transfer`)."""
    pi = str(brief["payment_intent_id"])
    return gateway.refund_for(
        str(brief["brief_id"]),
        step,
        payment_intent_id=pi,
        amount_cents=amount,
        recover=bool(brief.get(STUCK)),
    ).id


def refund_escrow(brief_id: str) -> dict[str, Any]:
    """Refund everything held to the employer (nothing when never funded)."""
    store = get_escrow_store()
    brief = _brief(store, brief_id)
    held = int(brief.get(HELD, 0))
    if held <= 0:
        return {"moved_cents": 0}
    if brief["status"] not in REFUND_FROM:
        raise EscrowError(f"brief {brief_id} is {brief['status']}: nothing may be refunded now")
    draft = ledger.refund_entry(held, reference=_PENDING, at=clock.now())
    amount = draft.amount(ledger.Account.REFUNDED)
    refund_id = _refund(brief, amount, step="refund")
    detail = f"Refunded {_money(brief, amount)} to the employer"
    fields = {"refund_id": refund_id}
    _commit_out(store, brief, draft, refund_id, REFUND_FROM, detail=detail, fields=fields)
    metrics.add_metric(name="EscrowRefunded", unit="Count", value=1)
    logger.info("escrow refunded", extra={"brief_id": brief_id, "refund_id": refund_id})
    return {"moved_cents": amount, "refund_id": refund_id}


def split_escrow(brief_id: str, intern_share_cents: int) -> dict[str, Any]:
    """Dispute split: the intern's share less the fee on it is transferred, the rest refunded."""
    store = get_escrow_store()
    brief = _brief(store, brief_id)
    done = _already_out(store, brief_id)
    if done is not None:
        return {"moved_cents": 0, "entry": done.entry_id}
    held = int(brief.get(HELD, 0))
    if held <= 0:
        return {"moved_cents": 0}
    if brief["status"] not in SPLIT_FROM:
        raise EscrowError(f"brief {brief_id} is {brief['status']}: no split now")
    draft = ledger.split_entry(
        held, intern_share_cents, money.fee_bps_of(brief), reference=_PENDING, at=clock.now()
    )
    transfer_cents = draft.amount(ledger.Account.INTERN_PAID)
    refund_cents = draft.amount(ledger.Account.REFUNDED)
    fee_cents = draft.amount(ledger.Account.PLATFORM_FEE)
    fields: dict[str, Any] = {}
    if transfer_cents > 0:
        destination = _destination(store, brief)
        fields["transfer_id"] = _transfer(brief, transfer_cents, destination, step="split-transfer")
    if refund_cents > 0:
        fields["refund_id"] = _refund(brief, refund_cents, step="split-refund")
    detail = (
        f"Split: {_money(brief, transfer_cents)} to the intern, "
        f"{_money(brief, refund_cents)} refunded (fee {_money(brief, fee_cents)})"
    )
    reference = "+".join(fields.values())
    _commit_out(store, brief, draft, reference, SPLIT_FROM, detail=detail, fields=fields)
    metrics.add_metric(name="EscrowSplit", unit="Count", value=1)
    return {
        "moved_cents": transfer_cents + refund_cents,
        "transfer_cents": transfer_cents,
        "refund_cents": refund_cents,
        "fee_cents": fee_cents,
    }


def settle_release(brief_id: str) -> dict[str, Any]:
    """The Release step: a full release, or the split finance decided for a dispute (finance
    records `dispute_resolution` = `{"resolution": "split", "intern_share_cents": N}`)."""
    brief = _brief(get_escrow_store(), brief_id)
    resolution = brief.get("dispute_resolution") or {}
    if isinstance(resolution, Mapping) and resolution.get("resolution") == "split":
        return split_escrow(brief_id, int(resolution["intern_share_cents"]))
    return release_escrow(brief_id)

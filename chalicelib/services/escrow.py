"""Escrow: the employer's payment, held by the platform until release, refund or split.

Money follows Stripe Connect's "separate charges and transfers" (docs/escrow.md):

    fund_escrow     PaymentIntent for the budget, transfer_group = the engagement (brief id)
    record_funding  payment_intent.succeeded → ledger `fund` entry, AWAITING_FUNDING → IN_PROGRESS
    release_escrow  Transfer of held − fee to the intern's account, source_transaction = charge
    refund_escrow   Refund of what is held (nothing when never funded)
    split_escrow    dispute split: transfer the intern's share − fee on it, refund the rest

Every journal entry is written in ONE DynamoDB transaction with a conditional update of the
brief that guards the money: the brief carries `escrow_funded_cents` (set once: funding twice
is impossible) and `escrow_held_cents` (an entry that moves money out must name exactly what is
held, so nothing can be released or refunded twice or beyond what is held). The entry's own key
is `LEDGER#<kind>:<Stripe object id>` and must be new.

Every Stripe call carries an idempotency key from the engagement and the step. A step that
crashes after Stripe moved the money but before the commit is retried by Step Functions: Stripe
replays the same Transfer/Refund for the same key, and the commit then records it once. A step
that failed and waits (`STUCK`, services/payout_failures.py) may be retried after Stripe forgot
the key (24 hours): it first looks for the movement in Stripe's record by its metadata `step`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.adapters import clock, links
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import (
    FUNDED,
    HELD,
    LEDGER_PREFIX,
    MARKER_LIFETIME,
    OPEN_PK,
    STUCK,
    brief_journal,
    ledger_item,
)
from chalicelib.adapters.store import Conflict, Store, brief_key, get_store
from chalicelib.domain import ledger
from chalicelib.domain.engagement import TERMINAL, Status
from chalicelib.domain.money import format_money, platform_fee, split
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import AppError, NotAllowed, NotFound
from chalicelib.settings import get_settings

# While the intern works or the payout is on its way, nothing may be refunded.
NO_REFUND = frozenset(
    {Status.IN_PROGRESS, Status.IN_REVIEW, Status.PAYOUT_APPROVAL, Status.RELEASING}
)


class PayoutAccountNotReady(Exception):
    """The intern has no payout-ready Stripe account yet (the Release step retries this)."""


class EscrowError(Exception):
    """The escrow cannot do what was asked in the engagement's current state."""


class PaymentProviderUnavailable(AppError):
    status = 503


class PaymentProviderRefused(AppError):
    status = 502


def _brief(store: Store, brief_id: str) -> dict[str, Any]:
    brief = store.get_brief(brief_id)
    if brief is None:
        raise NotFound("No brief with this id.", "brief_id")
    return brief


def _money(brief: Mapping[str, Any], cents: int) -> str:
    return format_money(cents, str(brief.get("currency", "usd")))


def _fee_bps(brief: Mapping[str, Any]) -> int:
    return int(brief.get("fee_bps", get_settings().platform_fee_bps))


# -- funding ------------------------------------------------------------------------------


def fund_escrow(brief_id: str, token: str | None) -> dict[str, Any]:
    """The PaymentIntent the employer pays (created once, reused on every later call).

    409 when the engagement is not waiting for funding; the browser confirms the returned
    client secret with Stripe.
    """
    from chalicelib.services import briefs

    brief = briefs.open_brief(brief_id, token)
    if brief["status"] != Status.AWAITING_FUNDING:
        raise NotAllowed(
            f"This project is {brief['status']}: escrow can be funded only while it is "
            "AWAITING_FUNDING."
        )
    try:
        return _payment_intent_for(brief)
    except gateway.TransientError:
        raise PaymentProviderUnavailable(
            "The payment provider is unavailable; try again in a moment."
        ) from None
    except gateway.StripeRejected as exc:
        raise PaymentProviderRefused(f"The payment provider refused: {exc}") from None


def _payment_intent_for(brief: Mapping[str, Any]) -> dict[str, Any]:
    store = get_store()
    brief_id = str(brief["brief_id"])
    attempt = int(brief.get("funding_attempt", 1))
    existing = brief.get("payment_intent_id")
    if existing:
        pi = gateway.retrieve_payment_intent(str(existing))
        if pi.status != "canceled":
            return _intent_view(pi)
        attempt += 1  # a canceled PaymentIntent cannot be paid: a new attempt is meant
    budget = int(brief["budget_cents"])
    pi = gateway.create_payment_intent(
        amount_cents=budget,
        currency=str(brief["currency"]),
        transfer_group=brief_id,
        metadata={"brief_id": brief_id},
        description=f"microintern escrow: {brief.get('title', brief_id)}"[:200],
        idempotency_key=gateway.key(brief_id, "fund", attempt),
    )
    store.update_brief(brief_id, {"payment_intent_id": pi.id, "funding_attempt": attempt})
    store.put(
        {
            "pk": OPEN_PK,
            "sk": f"BRIEF#{brief_id}",
            "type": "escrow_marker",
            "brief_id": brief_id,
            "payment_intent_id": pi.id,
            "created_at": clock.iso(),
            "expires_at": int((clock.now() + MARKER_LIFETIME).timestamp()),
        }
    )
    logger.info("payment intent", extra={"brief_id": brief_id, "payment_intent_id": pi.id})
    return _intent_view(pi)


def _intent_view(pi: gateway.PaymentIntent) -> dict[str, Any]:
    return {
        "payment_intent_id": pi.id,
        "client_secret": pi.client_secret,
        "status": pi.status,
        "amount_cents": pi.amount,
        "currency": pi.currency,
    }


def record_funding(
    brief_id: str,
    pi: gateway.PaymentIntent,
    *,
    receipt: Mapping[str, Any] | None = None,
) -> str:
    """Record a succeeded PaymentIntent in the ledger, by the engagement's current state.

    AWAITING_FUNDING: the `fund` entry, the move to IN_PROGRESS, the consumed funding task
    token and `receipt` (the webhook's) are ONE transaction; the workflow is then resumed.
    Already funded: nothing changes. Any other state (the employer cancelled while paying):
    the money is recorded as held and refunded in full.

    `pi` is Stripe's own record (re-read, never a webhook's copy). Only the PaymentIntent
    that `/fund` created for this brief, succeeded, for the brief's budget and currency,
    funds it; money that does not belong is refunded in full and noted (`_refund_stray`).

    Returns "funded", "refunded", "already_funded", "refunded_stray", "already_refunded",
    "duplicate" or "ignored".
    """
    store = get_store()
    for _ in range(3):  # the state may move between reading and writing: decide again
        brief = _brief(store, brief_id)
        if receipt is not None and store.get(str(receipt["pk"]), str(receipt["sk"])):
            _follow_up(brief)
            return "duplicate"
        if brief.get(FUNDED) is not None:
            if receipt is not None:
                store.put_if_absent(receipt)
            _follow_up(brief)
            return "already_funded"
        if pi.status != "succeeded":  # Stripe's record says the payment did not complete
            if receipt is not None:
                store.put_if_absent(receipt)
            return "ignored"
        mismatch = _mismatch(brief, pi)
        if mismatch:
            return _refund_stray(store, brief, pi, mismatch, receipt)
        try:
            outcome = _commit_funding(store, brief, pi, receipt)
        except Conflict:
            continue
        metrics.add_metric(name="EscrowFunded", unit="Count", value=1)
        _follow_up(_brief(store, brief_id))
        return outcome
    raise EscrowError(f"brief {brief_id} kept changing while funding was recorded")


def _mismatch(brief: Mapping[str, Any], pi: gateway.PaymentIntent) -> str:
    """Why `pi` cannot fund `brief` ("" when it can)."""
    if pi.id != brief.get("payment_intent_id"):
        return "it was not created by this project's funding page"
    if pi.currency != str(brief.get("currency", "usd")):
        return f"it is in {pi.currency.upper()}, not {str(brief.get('currency')).upper()}"
    if pi.amount_received != int(brief["budget_cents"]):
        return f"it is not the budget of {_money(brief, int(brief['budget_cents']))}"
    return ""


def _refund_stray(
    store: Store,
    brief: Mapping[str, Any],
    pi: gateway.PaymentIntent,
    reason: str,
    receipt: Mapping[str, Any] | None,
) -> str:
    """Money arrived that does not belong to this engagement: refund it in full, note it.

    The refund's idempotency key is the PaymentIntent's, so a retry after a crash refunds
    once; the `STRAY#<pi>` marker (written with the note, in one transaction) answers any later
    delivery without calling Stripe, even after Stripe has forgotten the key (24 h).
    """
    brief_id = str(brief["brief_id"])
    marker = {"pk": f"BRIEF#{brief_id}", "sk": f"STRAY#{pi.id}", "type": "stray_payment"}
    if store.get(marker["pk"], marker["sk"]):
        if receipt is not None:
            store.put_if_absent(receipt)
        return "already_refunded"
    amount = pi.amount_received
    shown = format_money(amount, pi.currency)
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
    status = str(brief["status"])
    ops = [
        store.put_op({**marker, "refund_id": refund.id, "amount": amount, "currency": pi.currency}),
        store.put_op(
            store.event_item(
                brief_id,
                status_from=status,
                status_to=status,
                actor="stripe",
                detail=f"A payment of {shown} ({pi.id}) does not match this project: {reason}. "
                f"It was refunded in full ({refund.id}); escrow is not funded by it.",
            )
        ),
    ]
    if pi.id == brief.get("payment_intent_id"):  # the funding page makes a fresh one next
        ops.append(
            store.update_op(
                brief_key(brief_id),
                condition="#payment_intent_id = :pi",
                set_fields={"funding_attempt": int(brief.get("funding_attempt", 1)) + 1},
                remove_fields=["payment_intent_id"],
                values={":pi": pi.id},
            )
        )
    if receipt is not None:
        ops.append(store.put_op(receipt))
    try:
        store.transact(ops)
    except Conflict:
        if receipt is not None:
            store.put_if_absent(receipt)
        return "already_refunded"
    metrics.add_metric(name="StrayPaymentsRefunded", unit="Count", value=1)
    return "refunded_stray"


def _commit_funding(
    store: Store,
    brief: Mapping[str, Any],
    pi: gateway.PaymentIntent,
    receipt: Mapping[str, Any] | None,
) -> str:
    brief_id = str(brief["brief_id"])
    status = str(brief["status"])
    amount = pi.amount_received  # equal to the budget (checked by record_funding)
    entry = ledger.fund_entry(amount, reference=pi.id, at=clock.now())
    token = store.waiting_token(brief_id, "funding") if status == Status.AWAITING_FUNDING else None
    starts = token is not None
    to = Status.IN_PROGRESS.value if starts else status
    detail = (
        f"Escrow funded with {_money(brief, amount)}; work starts"
        if starts
        else f"Payment of {_money(brief, amount)} arrived while the project was {status}; "
        "it is refunded in full"
    )
    ops = [
        store.update_op(
            brief_key(brief_id),
            condition=f"#status = :expected AND attribute_not_exists(#{FUNDED})",
            set_fields={
                "status": to,
                FUNDED: amount,
                HELD: amount,
                "payment_intent_id": pi.id,
                "charge_id": pi.latest_charge,
                "funded_at": clock.iso(),
                "updated_at": clock.iso(),
            },
            add_fields={"version": 1},
            values={":expected": status},
        ),
        store.put_op(ledger_item(brief, entry)),
        store.put_op(
            store.event_item(
                brief_id, status_from=status, status_to=to, actor="stripe", detail=detail
            )
        ),
    ]
    if token is not None:
        ops.append(
            store.update_op(
                {"pk": f"BRIEF#{brief_id}", "sk": "TASKTOKEN#funding"},
                condition="#token = :token AND #consumed = :no",
                set_fields={"consumed": True, "consumed_at": clock.iso()},
                values={":token": token["token"], ":no": False},
            )
        )
    if receipt is not None:
        ops.append(store.put_op(receipt))
    store.transact(ops)
    logger.info(
        "escrow funded",
        extra={"brief_id": brief_id, "amount_cents": amount, "work_starts": starts},
    )
    if starts:
        assert token is not None
        _resume_funding(store, brief, str(token["token"]), pi.id)
        return "funded"
    return "refunded" if _refund_if_ended(brief_id) else "funded"


def _work_seconds(brief: Mapping[str, Any]) -> int:
    from chalicelib.services.briefs import work_seconds

    return work_seconds(str(brief["deadline"]))


_CLOSED_WAIT = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken", "WaitClosed"}


def _resume_funding(store: Store, brief: Mapping[str, Any], token: str, pi_id: str) -> None:
    """Resume the Funding wait (its token already consumed by the funding transaction)."""
    from chalicelib.adapters import workflow

    brief_id = str(brief["brief_id"])
    try:
        workflow.resume(token, {"payment_intent_id": pi_id, "work_seconds": _work_seconds(brief)})
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        if code in _CLOSED_WAIT:
            logger.warning("funding wait already closed", extra={"brief_id": brief_id})
            return
        store.unconsume_task_token(brief_id, "funding", token)  # a redelivery resumes it
        raise


def _follow_up(brief: Mapping[str, Any]) -> None:
    """Finish what a crashed or failed delivery left undone (safe to repeat)."""
    store = get_store()
    brief_id = str(brief["brief_id"])
    if brief.get("status") == Status.IN_PROGRESS and brief.get(FUNDED) is not None:
        try:
            token = store.consume_task_token(brief_id, "funding")
        except Conflict:
            return
        _resume_funding(store, brief, token, str(brief.get("payment_intent_id")))
    else:
        _refund_if_ended(brief_id)


def _refund_if_ended(brief_id: str) -> bool:
    """Money held by an engagement that ended (or is being cancelled) goes back in full."""
    store = get_store()
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


def _already_out(brief_id: str) -> ledger.JournalEntry | None:
    return next((e for e in brief_journal(brief_id) if e.kind != "fund"), None)


def _commit_out(
    store: Store,
    brief: Mapping[str, Any],
    entry: ledger.JournalEntry,
    *,
    held: int,
    allowed: Iterable[str],
    detail: str,
    fields: Mapping[str, Any],
) -> None:
    """The money-out entry and the brief's held amount going to zero, in one transaction."""
    brief_id = str(brief["brief_id"])
    allowed = sorted(set(allowed))
    placeholders = ", ".join(f":st{i}" for i in range(len(allowed)))
    status = str(brief["status"])
    ops = [
        store.update_op(
            brief_key(brief_id),
            condition=f"#{HELD} = :held AND #status IN ({placeholders})",
            set_fields={**fields, "updated_at": clock.iso()},
            add_fields={HELD: -held, "version": 1},
            values={":held": held, **{f":st{i}": s for i, s in enumerate(allowed)}},
        ),
        store.put_op(ledger_item(brief, entry)),
        store.put_op(
            store.event_item(
                brief_id, status_from=status, status_to=status, actor="workflow", detail=detail
            )
        ),
    ]
    try:
        store.transact(ops)
    except Conflict:
        if store.get(f"BRIEF#{brief_id}", f"{LEDGER_PREFIX}{entry.entry_id}"):
            return  # a concurrent retry recorded the same Stripe object: done
        raise EscrowError(f"escrow of {brief_id} changed while {entry.kind} was recorded") from None


def _intern_account(store: Store, brief: Mapping[str, Any]) -> str:
    intern_id = brief.get("intern_id")
    if not intern_id:
        raise EscrowError(f"brief {brief['brief_id']} has no intern to pay")
    intern = store.get(f"INTERN#{intern_id}", "PROFILE")
    if intern is None:
        raise EscrowError(f"intern {intern_id} not found")
    account = intern.get("stripe_account_id")
    if not account or not intern.get("payout_ready"):
        _remind_onboarding(store, brief, intern)
        raise PayoutAccountNotReady(f"intern {intern_id} has no payout-ready Stripe account yet")
    return str(account)


def _remind_onboarding(store: Store, brief: Mapping[str, Any], intern: Mapping[str, Any]) -> None:
    """Email the intern a fresh onboarding link (at most once a day per engagement)."""
    from chalicelib.services import notify

    brief_id = str(brief["brief_id"])
    try:
        account = str(intern.get("stripe_account_id") or "") or connect_account(
            str(intern["intern_id"]), str(intern["email"])
        )
        url = onboarding_link(str(intern["intern_id"]), account)
        pay = int(brief.get(HELD, 0)) - platform_fee(int(brief.get(HELD, 0)), _fee_bps(brief))
        notify.send(
            "connect_onboarding",
            to=str(intern["email"]),
            key=f"{brief_id}:connect_onboarding:{clock.today().isoformat()}",
            brief_id=brief_id,
            name=str(intern.get("name", "")),
            title=str(brief.get("title", "")),
            pay_cents=pay,
            currency=str(brief.get("currency", "usd")),
            action_url=url,
        )
    except Exception:  # a reminder never blocks the retry that follows
        logger.exception("onboarding reminder failed", extra={"brief_id": brief_id})


def remind_onboarding(brief_id: str) -> None:
    """The payout waits for the intern's Stripe account: send them a fresh onboarding link."""
    store = get_store()
    brief = _brief(store, brief_id)
    intern = store.get(f"INTERN#{brief.get('intern_id')}", "PROFILE")
    if intern is not None:
        _remind_onboarding(store, brief, intern)


def resume_payout_for(intern_id: str) -> bool:
    """The intern's account became payout-ready: resume the release that waits for it."""
    from chalicelib.adapters import workflow

    store = get_store()
    intern = store.get(f"INTERN#{intern_id}", "PROFILE")
    brief_id = str((intern or {}).get("holding") or "")
    if not brief_id or store.waiting_token(brief_id, "account") is None:
        return False
    try:
        token = store.consume_task_token(brief_id, "account")
    except Conflict:
        return False
    try:
        workflow.resume(token, {"ready": True})
    except workflow.WaitClosed:
        return False
    logger.info("payout account ready, releasing", extra={"brief_id": brief_id})
    return True


def release_escrow(brief_id: str) -> dict[str, Any]:
    """Transfer what is held, less the platform fee, to the intern (status RELEASING)."""
    store = get_store()
    brief = _brief(store, brief_id)
    done = _already_out(brief_id)
    if done is not None:
        return {"moved_cents": 0, "entry": done.entry_id}
    held = int(brief.get(HELD, 0))
    if held <= 0:
        return {"moved_cents": 0}
    if brief["status"] != Status.RELEASING:
        raise EscrowError(f"brief {brief_id} is {brief['status']}, not RELEASING")
    fee = platform_fee(held, _fee_bps(brief))
    payout = held - fee
    if payout > 0:
        destination = _intern_account(store, brief)
        reference = _transfer(brief, payout, destination, step="release").id
        fields = {"transfer_id": reference}
        detail = f"Transferred {_money(brief, payout)} to the intern"
    else:  # a 100 % fee leaves nothing to transfer (Stripe refuses a transfer of 0)
        reference, fields = f"fee-only:{brief_id}", {}
        detail = "Nothing to transfer to the intern"
    entry = ledger.release_entry(held, _fee_bps(brief), reference=reference, at=clock.now())
    _commit_out(
        store,
        brief,
        entry,
        held=held,
        allowed={Status.RELEASING.value},
        detail=f"{detail} (platform fee {_money(brief, fee)})",
        fields=fields,
    )
    metrics.add_metric(name="EscrowReleased", unit="Count", value=1)
    logger.info("escrow released", extra={"brief_id": brief_id, "reference": reference})
    return {"moved_cents": payout, "fee_cents": fee, "transfer_id": fields.get("transfer_id")}


def _transfer(
    brief: Mapping[str, Any], amount: int, destination: str, *, step: str
) -> gateway.Movement:
    brief_id = str(brief["brief_id"])
    if brief.get(STUCK):  # an earlier attempt failed: Stripe may have applied it, key forgotten
        found = gateway.find_transfer(brief_id, step)
        if found is not None:
            return found
    try:
        return gateway.create_transfer(
            amount_cents=amount,
            currency=str(brief["currency"]),
            destination=destination,
            source_transaction=str(brief["charge_id"]),
            transfer_group=brief_id,
            metadata={"brief_id": brief_id, "step": step},
            idempotency_key=gateway.key(brief_id, step),
        )
    except gateway.StripeRejected as exc:
        if exc.code == "insufficient_capabilities_for_transfer":
            raise PayoutAccountNotReady(str(exc)) from exc
        raise


def _refund(brief: Mapping[str, Any], amount: int, *, step: str) -> gateway.Movement:
    brief_id = str(brief["brief_id"])
    if brief.get(STUCK):  # as in _transfer: find what an earlier attempt made
        found = gateway.find_refund(str(brief["payment_intent_id"]), step)
        if found is not None:
            return found
    return gateway.create_refund(
        payment_intent_id=str(brief["payment_intent_id"]),
        amount_cents=amount,
        metadata={"brief_id": brief_id, "step": step},
        idempotency_key=gateway.key(brief_id, step),
    )


def refund_escrow(brief_id: str) -> dict[str, Any]:
    """Refund everything held to the employer (nothing when never funded)."""
    store = get_store()
    brief = _brief(store, brief_id)
    held = int(brief.get(HELD, 0))
    if held <= 0:
        return {"moved_cents": 0}
    if Status(brief["status"]) in NO_REFUND:
        raise EscrowError(f"brief {brief_id} is {brief['status']}: nothing may be refunded now")
    refund = _refund(brief, held, step="refund")
    entry = ledger.refund_entry(held, reference=refund.id, at=clock.now())
    _commit_out(
        store,
        brief,
        entry,
        held=held,
        allowed={s.value for s in Status} - {s.value for s in NO_REFUND},
        detail=f"Refunded {_money(brief, held)} to the employer",
        fields={"refund_id": refund.id},
    )
    metrics.add_metric(name="EscrowRefunded", unit="Count", value=1)
    logger.info("escrow refunded", extra={"brief_id": brief_id, "refund_id": refund.id})
    return {"moved_cents": held, "refund_id": refund.id}


def split_escrow(brief_id: str, intern_share_cents: int) -> dict[str, Any]:
    """Dispute split: the intern's share less the fee on it is transferred, the rest refunded."""
    store = get_store()
    brief = _brief(store, brief_id)
    done = _already_out(brief_id)
    if done is not None:
        return {"moved_cents": 0, "entry": done.entry_id}
    held = int(brief.get(HELD, 0))
    if held <= 0:
        return {"moved_cents": 0}
    if brief["status"] not in (Status.RELEASING, Status.DISPUTED):
        raise EscrowError(f"brief {brief_id} is {brief['status']}: no split now")
    parts = split(held, intern_share_cents, _fee_bps(brief))
    references = []
    fields: dict[str, Any] = {}
    if parts.transfer_cents > 0:
        destination = _intern_account(store, brief)
        transfer = _transfer(brief, parts.transfer_cents, destination, step="split-transfer")
        references.append(transfer.id)
        fields["transfer_id"] = transfer.id
    if parts.refund_cents > 0:
        refund = _refund(brief, parts.refund_cents, step="split-refund")
        references.append(refund.id)
        fields["refund_id"] = refund.id
    entry = ledger.split_entry(
        held, intern_share_cents, _fee_bps(brief), reference="+".join(references), at=clock.now()
    )
    _commit_out(
        store,
        brief,
        entry,
        held=held,
        allowed={Status.RELEASING.value, Status.DISPUTED.value},
        detail=f"Split: {_money(brief, parts.transfer_cents)} to the intern, "
        f"{_money(brief, parts.refund_cents)} refunded (fee {_money(brief, parts.fee_cents)})",
        fields=fields,
    )
    metrics.add_metric(name="EscrowSplit", unit="Count", value=1)
    return {
        "moved_cents": parts.transfer_cents + parts.refund_cents,
        "transfer_cents": parts.transfer_cents,
        "refund_cents": parts.refund_cents,
        "fee_cents": parts.fee_cents,
    }


def settle_release(brief_id: str) -> dict[str, Any]:
    """The Release step: a full release, or the split finance decided for a dispute.

    Finance records its decision on the brief as `dispute_resolution`
    (`{"resolution": "split", "intern_share_cents": N}`) before resuming the dispute wait.
    """
    brief = _brief(get_store(), brief_id)
    resolution = brief.get("dispute_resolution") or {}
    if isinstance(resolution, Mapping) and resolution.get("resolution") == "split":
        return split_escrow(brief_id, int(resolution["intern_share_cents"]))
    return release_escrow(brief_id)


# -- Connect onboarding ---------------------------------------------------------------------


def connect_account(intern_id: str, email: str) -> str:
    """The intern's express account (created once: the key derives from the intern id)."""
    account = gateway.create_express_account(
        email=email, intern_id=intern_id, idempotency_key=gateway.key(intern_id, "connect")
    )
    get_store().set_fields(f"INTERN#{intern_id}", "PROFILE", {"stripe_account_id": account})
    return account


def onboarding_link(intern_id: str, account_id: str) -> str:
    """A fresh Account Link (they expire within minutes; each one is a new attempt)."""
    back = links.url("/interns/new", registered=1)
    return gateway.create_account_link(
        account_id,
        return_url=back,
        refresh_url=back,
        idempotency_key=gateway.key(intern_id, "account-link", int(clock.now().timestamp())),
    )


# -- what the employer's pages say about funding ----------------------------------------------


def funding_figures(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The funding page's figures: what the employer pays, the intern gets, the platform keeps."""
    budget = int(brief["budget_cents"])
    fee = platform_fee(budget, _fee_bps(brief))
    return {
        "amount": _money(brief, budget),
        "payout": _money(brief, budget - fee),
        "fee": _money(brief, fee),
        "funded": brief.get(FUNDED) is not None,
        "awaiting": brief["status"] == Status.AWAITING_FUNDING,
    }


def payment_outcome(brief: Mapping[str, Any], payment_intent_id: str | None) -> dict[str, str]:
    """What became of the payment the browser just made on the funding page.

    Stripe.js (and every 3-D Secure or bank redirect) comes back to the brief page with
    `?payment_intent=…&redirect_status=…`; the query string is never trusted: the answer is the
    ledger (funded) or Stripe's own record of the brief's PaymentIntent. `state` is one of
    funded, processing (paid; Stripe's webhook has not landed yet), failed (with Stripe's
    `message`), requires_action, unknown (Stripe did not answer), or "" (nothing to say).
    """
    if not payment_intent_id or payment_intent_id != brief.get("payment_intent_id"):
        return {"state": ""}
    if brief.get(FUNDED) is not None:
        return {"state": "funded", "amount": _money(brief, int(brief[FUNDED]))}
    try:
        pi = gateway.retrieve_payment_intent(payment_intent_id)
    except (gateway.TransientError, gateway.StripeRejected):
        return {"state": "unknown"}
    if pi.status in ("succeeded", "processing"):
        return {"state": "processing", "amount": _money(brief, pi.amount)}
    if pi.status == "requires_action":
        return {"state": "requires_action"}
    if pi.status == "requires_payment_method" and pi.last_payment_error:
        return {"state": "failed", "message": pi.last_payment_error}
    return {"state": ""}

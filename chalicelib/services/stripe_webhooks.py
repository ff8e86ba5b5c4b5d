"""POST /webhooks/stripe: Stripe's events, verified, each applied once, by the current state.

- The `Stripe-Signature` header is verified by the stripe library against
  `STRIPE_WEBHOOK_SECRET` with a tolerance of 300 s; a timestamp more than 300 s in the future
  is refused too (the library only checks the past). Refusals change nothing (401; a body that
  is not an event: 400).
- Each event id takes effect once: a `WEBHOOK#stripe#<event id>` receipt is written with a
  condition, in the same transaction as the change the event makes where there is one, so a
  repeated or concurrent delivery finds the receipt and changes nothing.
- A payment is funded from Stripe's own record: the PaymentIntent is re-read with the
  platform key (the event's copy is never trusted), and only the one `/fund` created for the
  brief, with its amount and currency, funds it (escrow.record_funding); money that does not
  belong is refunded automatically. A signed event of the wrong shape answers 400.
- Events are applied by the engagement's current state, so out-of-order delivery is harmless:
  `payment_intent.succeeded` funds escrow only once; a `payment_intent.payment_failed` after
  the payment succeeded adds nothing; an older `account.updated` never overrides a newer one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.adapters import clock
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.engagement import Status
from chalicelib.observability import logger, metrics
from chalicelib.services import escrow, payout_accounts
from chalicelib.services.errors import BadRequest, PaymentProviderUnavailable, Unauthorized
from chalicelib.settings import get_settings

TOLERANCE_SECONDS = 300
RECEIPT_LIFETIME = timedelta(days=100)  # Stripe retries for 3 days; keep receipts well beyond


def handle(payload: bytes | str | None, signature: str | None) -> dict[str, Any]:
    """Verify and apply one delivery; the JSON answered to Stripe (2xx once verified, unless
    Stripe itself failed under it: then 503, and Stripe's own retry finishes the work)."""
    event = verify(payload, signature)
    try:
        return apply(event)
    except gateway.TransientError as exc:
        # What the event changed is committed with its receipt; what it set off and Stripe did
        # not answer (the refund of a payment that arrived after a cancel) is done again by the
        # redelivery (escrow.record_funding's follow-up), so a retry helps: 503, not a crash.
        logger.warning("stripe event: Stripe failed under it", extra={"event_id": event.get("id")})
        raise PaymentProviderUnavailable(
            f"Stripe did not answer ({exc}); deliver the event again later."
        ) from None


def verify(payload: bytes | str | None, signature: str | None) -> dict[str, Any]:
    """The event, if `signature` is Stripe's for `payload` and fresh; else Unauthorized."""
    import stripe

    if not signature:
        raise Unauthorized("The Stripe-Signature header is missing.")
    if not payload:
        raise BadRequest("The request body is empty.")
    timestamp = _timestamp(signature)
    if timestamp is None:
        raise Unauthorized("The Stripe-Signature header is malformed.")
    if timestamp > clock.now().timestamp() + TOLERANCE_SECONDS:
        raise Unauthorized("The Stripe-Signature timestamp is in the future.")
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise Unauthorized("The Stripe-Signature does not match, or is too old.") from None
    except (ValueError, AttributeError, TypeError):  # signed, but not a JSON object
        raise BadRequest("The body is not a Stripe event.") from None
    event = json.loads(payload)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise BadRequest("The body is not a Stripe event.")
    return event


def _timestamp(signature: str) -> int | None:
    for part in signature.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def receipt_item(event: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "pk": f"WEBHOOK#stripe#{event['id']}",
        "sk": "WEBHOOK",
        "type": "webhook_receipt",
        "event_type": str(event.get("type", "")),
        "received_at": clock.iso(),
        "expires_at": int((clock.now() + RECEIPT_LIFETIME).timestamp()),
    }


class _StripeObject(BaseModel):
    """The part of `data.object` the app reads; anything else about it comes from Stripe."""

    model_config = ConfigDict(extra="allow")

    id: str = ""
    metadata: dict[str, str] = {}


class _EventData(BaseModel):
    model_config = ConfigDict(extra="allow")

    object: _StripeObject


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    type: str = ""
    created: int = 0
    data: _EventData


def _checked(event: Mapping[str, Any]) -> tuple[str, dict[str, Any], int]:
    """(type, data.object, created) of a signed event, or 400 when its shape is not Stripe's."""
    from pydantic import ValidationError

    try:
        parsed = _Event.model_validate(event)
    except ValidationError:
        raise BadRequest("The event does not have the shape of a Stripe event.") from None
    return parsed.type, dict(event["data"]["object"]), parsed.created


def apply(event: Mapping[str, Any]) -> dict[str, Any]:
    event_type, obj, created = _checked(event)
    receipt = receipt_item(event)
    if event_type == "payment_intent.succeeded":
        outcome = _payment_succeeded(obj, receipt)
    elif event_type == "payment_intent.payment_failed":
        outcome = _payment_failed(obj, receipt)
    elif event_type == "account.updated":
        outcome = _account_updated(obj, created, receipt)
    else:
        outcome = "applied" if get_store().put_if_absent(receipt) else "duplicate"
        outcome = "ignored" if outcome == "applied" else outcome
    logger.info(
        "stripe event",
        extra={"event_id": event["id"], "event_type": event_type, "outcome": outcome},
    )
    metrics.add_metric(name="StripeEvents", unit="Count", value=1)
    return {"received": True, "event_id": event["id"], "outcome": outcome}


def _brief_of(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    brief_id = (obj.get("metadata") or {}).get("brief_id")
    return get_store().get_brief(str(brief_id)) if brief_id else None


def _payment_succeeded(obj: Mapping[str, Any], receipt: Mapping[str, Any]) -> str:
    """Fund from Stripe's own record of the PaymentIntent, never from the event's copy."""
    if not obj.get("id"):
        raise BadRequest("The event's PaymentIntent has no id.")
    try:
        pi = gateway.retrieve_payment_intent(str(obj["id"]))
    except gateway.TransientError:
        raise PaymentProviderUnavailable(
            "Stripe is unavailable; deliver the event again later."
        ) from None
    except gateway.StripeRejected:  # Stripe knows no such PaymentIntent: not a real payment
        return "ignored" if get_store().put_if_absent(receipt) else "duplicate"
    brief_id = pi.metadata.get("brief_id")
    brief = get_store().get_brief(brief_id) if brief_id else None
    if brief is None:
        return "ignored" if get_store().put_if_absent(receipt) else "duplicate"
    return escrow.record_funding(str(brief["brief_id"]), pi, receipt=receipt)


def _payment_failed(obj: Mapping[str, Any], receipt: Mapping[str, Any]) -> str:
    """A declined card: a note on the timeline; the employer may pay again (state unchanged)."""
    store = get_store()
    brief = _brief_of(obj)
    if brief is None or brief["status"] != Status.AWAITING_FUNDING:
        return "ignored" if store.put_if_absent(receipt) else "duplicate"
    error = obj.get("last_payment_error") or {}
    message = error.get("message") if isinstance(error, dict) else None
    reason = str(message or "the payment failed")[:300]
    status = str(brief["status"])
    note = store.event_item(
        str(brief["brief_id"]),
        status_from=status,
        status_to=status,
        actor="stripe",
        detail=f"Payment declined: {reason} The employer may try again with another card.",
    )
    try:
        store.transact([store.put_op(receipt), store.put_op(note)])
    except Conflict:
        return "duplicate"
    metrics.add_metric(name="PaymentsDeclined", unit="Count", value=1)
    return "noted"


def _account_updated(obj: Mapping[str, Any], created: int, receipt: Mapping[str, Any]) -> str:
    """Mark the intern payout-ready (or not) as Stripe's account says *now* — re-read, never
    the event's copy: two events of the same second cannot be ordered by `created`, and a
    reordered "not ready yet" after the "ready" would otherwise leave the intern's payout
    waiting for good. An event older than one already applied is still answered stale."""
    store = get_store()
    intern_id = (obj.get("metadata") or {}).get("intern_id")
    account_id = obj.get("id")
    if not intern_id or not account_id:
        return "ignored" if store.put_if_absent(receipt) else "duplicate"
    if not isinstance(obj.get("capabilities") or {}, dict):
        raise BadRequest("The account's capabilities are not an object.")
    try:
        current = gateway.retrieve_account(str(account_id))
    except gateway.StripeRejected:  # Stripe knows no such account: not a real event
        return "ignored" if store.put_if_absent(receipt) else "duplicate"
    capabilities = current["capabilities"]
    ready = bool(current["payouts_enabled"] or current["charges_enabled"]) and (
        capabilities.get("transfers", "active") == "active"
    )
    update = store.update_op(
        {"pk": f"INTERN#{intern_id}", "sk": "PROFILE"},
        condition="#stripe_account_id = :account AND "
        "(attribute_not_exists(#stripe_account_seen) OR #stripe_account_seen <= :created)",
        set_fields={"payout_ready": ready, "stripe_account_seen": created},
        values={":account": account_id, ":created": created},
    )
    try:
        store.transact([update, store.put_op(receipt)])
    except Conflict:
        if store.get(str(receipt["pk"]), str(receipt["sk"])):
            return "duplicate"
        # an older event than one already applied, or an account that is not this intern's
        return "stale" if store.put_if_absent(receipt) else "duplicate"
    logger.info("payout account", extra={"intern_id": intern_id, "payout_ready": ready})
    if ready:
        payout_accounts.resume_payout_for(str(intern_id))
    return "ready" if ready else "not_ready"

"""Stripe, through the official SDK: the only module that imports `stripe`.

The client is built lazily from settings (API key; API base from ``STRIPE_API_BASE`` when set,
so the local twin's sandbox is reached over real HTTP and Stripe itself when deployed). Every
call that creates something carries an idempotency key built by :func:`key` from the
engagement and the step (and an attempt number where a new attempt is meant), so a retried
step never moves money twice: Stripe answers a repeated key with the first response.

Errors are mapped to what callers can act on:

- rate limits, network failures and Stripe 5xx → :class:`TransientError` (the state machine
  retries steps that raise it, by that exact class name);
- card errors → :class:`CardDeclined` (a domain outcome: the payer may try another card);
- anything else Stripe refuses → :class:`StripeRejected` with Stripe's error code.

The SDK's own network retries are off: the step (or the browser) retries with the same key.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_lock = threading.Lock()
_client: Any = None
_client_config: tuple[str, str] | None = None

TIMEOUT_SECONDS = 20  # well inside the Lambda timeout (30 s)


class TransientError(Exception):
    """Stripe could not answer now (rate limit, network, 5xx): retry with the same key."""


class StripeRejected(Exception):
    """Stripe refused the request; ``code`` is Stripe's error code (may be None)."""

    def __init__(self, message: str, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class CardDeclined(Exception):
    """The card was declined: nothing was charged, the payer may try again."""

    def __init__(self, message: str, code: str | None, decline_code: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.decline_code = decline_code


def key(engagement_id: str, step: str, attempt: int | None = None) -> str:
    """The idempotency key of one step of one engagement (``attempt`` for a deliberate retry)."""
    base = f"microintern:{engagement_id}:{step}"
    return base if attempt is None else f"{base}:{attempt}"


def client() -> Any:
    """The process-wide StripeClient for the current settings (built on first use)."""
    global _client, _client_config
    from chalicelib.settings import get_settings

    settings = get_settings()
    config = (settings.stripe_api_key.get_secret_value(), settings.stripe_api_base)
    with _lock:
        if _client is None or _client_config != config:
            import stripe  # deferred: the SDK is a heavy import

            api_key, base = config
            _client = stripe.StripeClient(
                api_key,
                base_addresses={"api": base.rstrip("/")} if base else None,
                max_network_retries=0,
                http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
            )
            _client_config = config
        return _client


def reset_client() -> None:
    """Forget the cached client (tests that point settings at another sandbox)."""
    global _client, _client_config
    with _lock:
        _client = None
        _client_config = None


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the SDK; Stripe's objects come back as plain dicts, its errors mapped."""
    import stripe

    try:
        result = fn(*args, **kwargs)
        return result.to_dict() if isinstance(result, stripe.StripeObject) else result
    except stripe.CardError as exc:
        error = exc.error
        raise CardDeclined(
            exc.user_message or "Your card was declined.",
            exc.code,
            getattr(error, "decline_code", None) if error is not None else None,
        ) from None
    except (stripe.RateLimitError, stripe.APIConnectionError) as exc:
        raise TransientError(f"Stripe unavailable: {exc.user_message or exc}") from exc
    except stripe.StripeError as exc:
        status = exc.http_status
        if isinstance(exc, stripe.APIError) or (status is not None and status >= 500):
            raise TransientError(f"Stripe error {status}: {exc.user_message or exc}") from exc
        if status == 409:  # a concurrent request with the same idempotency key
            raise TransientError(f"Stripe conflict: {exc.user_message or exc}") from exc
        raise StripeRejected(str(exc.user_message or exc), exc.code, status) from exc


def _options(idempotency_key: str) -> dict[str, Any]:
    return {"idempotency_key": idempotency_key}


# -- objects as plain data ----------------------------------------------------------------


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    client_secret: str | None
    latest_charge: str | None
    metadata: Mapping[str, str]
    last_payment_error: str | None = None  # Stripe's message for the last failed attempt
    created: int = 0  # seconds since the epoch, Stripe's clock


def _pi(obj: Any) -> PaymentIntent:
    charge = obj.get("latest_charge")
    return PaymentIntent(
        id=str(obj["id"]),
        status=str(obj["status"]),
        amount=int(obj["amount"]),
        amount_received=int(obj.get("amount_received") or 0),
        currency=str(obj["currency"]),
        client_secret=obj.get("client_secret"),
        latest_charge=charge if isinstance(charge, str) or charge is None else str(charge["id"]),
        metadata=dict(obj.get("metadata") or {}),
        last_payment_error=(obj.get("last_payment_error") or {}).get("message"),
        created=int(obj.get("created") or 0),
    )


# -- payment intents ----------------------------------------------------------------------


def create_payment_intent(
    *,
    amount_cents: int,
    currency: str,
    transfer_group: str,
    metadata: Mapping[str, str],
    description: str,
    idempotency_key: str,
) -> PaymentIntent:
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": currency,
        "transfer_group": transfer_group,
        "metadata": dict(metadata),
        "description": description,
        # Whatever methods the account enables, redirect-based ones too: the funding page
        # confirms with a return_url (the brief page), where 3-D Secure and bank redirects land.
        "automatic_payment_methods": {"enabled": True},
    }
    obj = _call(
        client().v1.payment_intents.create, params=params, options=_options(idempotency_key)
    )
    return _pi(obj)


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntent:
    return _pi(_call(client().v1.payment_intents.retrieve, payment_intent_id))


def list_payment_intents(
    *, created_gte: int, starting_after: str | None = None, limit: int = 100
) -> tuple[list[PaymentIntent], bool]:
    """One page of the PaymentIntents created at or after `created_gte`, newest first (Stripe's
    order), after the one `starting_after` names; (page, whether more follow)."""
    params: dict[str, Any] = {"created": {"gte": created_gte}, "limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    page = _call(client().v1.payment_intents.list, params=params)
    return [_pi(obj) for obj in page["data"]], bool(page.get("has_more"))


def confirm_payment_intent(
    payment_intent_id: str, *, payment_method: str, idempotency_key: str
) -> PaymentIntent:
    """Server-side confirmation (the browser normally confirms); CardDeclined on a decline."""
    obj = _call(
        client().v1.payment_intents.confirm,
        payment_intent_id,
        params={"payment_method": payment_method},
        options=_options(idempotency_key),
    )
    return _pi(obj)


# -- connect ------------------------------------------------------------------------------


def create_express_account(*, email: str, intern_id: str, idempotency_key: str) -> str:
    params: dict[str, Any] = {
        "type": "express",
        "email": email,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": {"intern_id": intern_id},
    }
    obj = _call(client().v1.accounts.create, params=params, options=_options(idempotency_key))
    return str(obj["id"])


def retrieve_account(account_id: str) -> dict[str, Any]:
    """Stripe's current record of a connected account (what an account.updated event only
    reports as of its moment)."""
    obj = _call(client().v1.accounts.retrieve, account_id)
    return {
        "id": str(obj["id"]),
        "payouts_enabled": bool(obj.get("payouts_enabled")),
        "charges_enabled": bool(obj.get("charges_enabled")),
        "capabilities": dict(obj.get("capabilities") or {}),
        "metadata": dict(obj.get("metadata") or {}),
    }


def create_account_link(
    account_id: str, *, return_url: str, refresh_url: str, idempotency_key: str
) -> str:
    params: dict[str, Any] = {
        "account": account_id,
        "type": "account_onboarding",
        "return_url": return_url,
        "refresh_url": refresh_url,
    }
    obj = _call(client().v1.account_links.create, params=params, options=_options(idempotency_key))
    return str(obj["url"])


def create_login_link(account_id: str) -> str:
    """A single-use link into the connected account's Stripe Express dashboard (issue 14:
    the intern's earnings and payouts as Stripe shows them). Stripe refuses it for an account
    that has not finished onboarding (StripeRejected)."""
    obj = _call(client().v1.accounts.login_links.create, account_id)
    return str(obj["url"])


# -- transfers and refunds ----------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """A Transfer or a Refund as the ledger and the reconciler see it."""

    id: str
    amount: int
    reversed_amount: int = 0
    status: str = "succeeded"
    step: str = ""  # the app's own movements name their step and brief in metadata
    brief_id: str = ""


def _movement(obj: Mapping[str, Any]) -> Movement:
    metadata = obj.get("metadata") or {}
    return Movement(
        str(obj["id"]),
        int(obj["amount"]),
        int(obj.get("amount_reversed") or 0),
        status=str(obj.get("status") or "succeeded"),
        step=str(metadata.get("step") or ""),
        brief_id=str(metadata.get("brief_id") or ""),
    )


def create_transfer(
    *,
    amount_cents: int,
    currency: str,
    destination: str,
    source_transaction: str,
    transfer_group: str,
    metadata: Mapping[str, str],
    idempotency_key: str,
) -> Movement:
    params: dict[str, Any] = {
        "amount": amount_cents,
        "currency": currency,
        "destination": destination,
        "source_transaction": source_transaction,
        "transfer_group": transfer_group,
        "metadata": dict(metadata),
    }
    obj = _call(client().v1.transfers.create, params=params, options=_options(idempotency_key))
    return Movement(str(obj["id"]), int(obj["amount"]), int(obj.get("amount_reversed") or 0))


def create_refund(
    *,
    payment_intent_id: str,
    amount_cents: int,
    metadata: Mapping[str, str],
    idempotency_key: str,
) -> Movement:
    params: dict[str, Any] = {
        "payment_intent": payment_intent_id,
        "amount": amount_cents,
        "reason": "requested_by_customer",
        "metadata": dict(metadata),
    }
    obj = _call(client().v1.refunds.create, params=params, options=_options(idempotency_key))
    return Movement(str(obj["id"]), int(obj["amount"]), status=str(obj.get("status")))


def _all(listing: Any, params: dict[str, Any]) -> list[Any]:
    items: list[Any] = []
    params = {**params, "limit": 100}
    while True:
        page = _call(listing, params=params)
        data = list(page["data"])
        items.extend(data)
        if not page.get("has_more") or not data:
            return items
        params["starting_after"] = data[-1]["id"]


def list_transfers(transfer_group: str) -> list[Movement]:
    listing = _all(client().v1.transfers.list, {"transfer_group": transfer_group})
    return [_movement({**t, "status": "succeeded"}) for t in listing]


@dataclass(frozen=True)
class Receipt:
    """A successful charge and Stripe's receipt page for it (the payer's proof of payment)."""

    charge_id: str
    amount_cents: int
    currency: str
    created: int
    receipt_url: str | None


def list_receipts(payment_intent_id: str) -> list[Receipt]:
    """The receipts of the payment's successful charges, oldest first (Stripe's `receipt_url`
    of each charge of the PaymentIntent)."""
    listing = _all(client().v1.charges.list, {"payment_intent": payment_intent_id})
    receipts = [
        Receipt(
            charge_id=str(c["id"]),
            amount_cents=int(c.get("amount_captured") or c["amount"]),
            currency=str(c["currency"]),
            created=int(c.get("created") or 0),
            receipt_url=c.get("receipt_url"),
        )
        for c in listing
        if c.get("status") == "succeeded" and c.get("paid", True)
    ]
    return sorted(receipts, key=lambda r: r.created)


def list_refunds(payment_intent_id: str) -> list[Movement]:
    listing = _all(client().v1.refunds.list, {"payment_intent": payment_intent_id})
    return [_movement({**r, "status": str(r.get("status"))}) for r in listing]


def find_transfer(transfer_group: str, step: str) -> Movement | None:
    """The Transfer an earlier attempt of `step` made (its metadata names the step), if any.

    Stripe keeps idempotency keys for 24 hours; a step retried later (a payout that waited
    through a long outage) looks here first, so it records the transfer instead of making one.
    """
    for t in _all(client().v1.transfers.list, {"transfer_group": transfer_group}):
        if (t.get("metadata") or {}).get("step") == step:
            return Movement(str(t["id"]), int(t["amount"]), int(t.get("amount_reversed") or 0))
    return None


def find_refund(payment_intent_id: str, step: str) -> Movement | None:
    """The Refund an earlier attempt of `step` made (not failed or canceled), if any."""
    for r in _all(client().v1.refunds.list, {"payment_intent": payment_intent_id}):
        status = str(r.get("status"))
        if (r.get("metadata") or {}).get("step") == step and status not in ("failed", "canceled"):
            return Movement(str(r["id"]), int(r["amount"]), status=status)
    return None


def transfer_for(
    engagement_id: str,
    step: str,
    *,
    amount_cents: int,
    currency: str,
    destination: str,
    source_transaction: str,
    recover: bool,
) -> Movement:
    """The Transfer of one step of one engagement, made once (keyed, grouped and tagged by the
    engagement and the step). With ``recover`` (an earlier attempt failed, so Stripe may have
    applied it and forgotten the key) the Transfer that attempt made is looked up first."""
    if recover:
        found = find_transfer(engagement_id, step)
        if found is not None:
            return found
    return create_transfer(
        amount_cents=amount_cents,
        currency=currency,
        destination=destination,
        source_transaction=source_transaction,
        transfer_group=engagement_id,
        metadata={"brief_id": engagement_id, "step": step},
        idempotency_key=key(engagement_id, step),
    )


def refund_for(
    engagement_id: str, step: str, *, payment_intent_id: str, amount_cents: int, recover: bool
) -> Movement:
    """The Refund of one step of one engagement, made once (as :func:`transfer_for`)."""
    if recover:
        found = find_refund(payment_intent_id, step)
        if found is not None:
            return found
    return create_refund(
        payment_intent_id=payment_intent_id,
        amount_cents=amount_cents,
        metadata={"brief_id": engagement_id, "step": step},
        idempotency_key=key(engagement_id, step),
    )

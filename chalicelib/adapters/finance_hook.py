"""Finance's webhooks, signed the Standard Webhooks way (the standardwebhooks library).

    deliver_approval_request  the outbound `payout.approval_requested`: POSTed to
                              FINANCE_WEBHOOK_URL, retried with backoff, every attempt kept
                              (`PAYOUT#<id> / ATTEMPT#<nnn>`)
    send_signed               another signed outbound event (e.g. `payout.failed`)
    verify                    the inbound POST /webhooks/finance: (webhook id, event) of a
                              genuine, fresh delivery; SignatureRefused / NotAnEvent otherwise

What finance's events mean is decided elsewhere (services/finance_webhooks.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from chalicelib.adapters import clock, payout_store
from chalicelib.adapters.store import Store, get_store
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

TOLERANCE_SECONDS: Final = 300  # inbound webhook timestamps: at most 5 minutes off, either way
MAX_WEBHOOK_ID: Final = 200
DELIVERY_TIMEOUT_SECONDS: Final = 3.0
DELIVERY_ATTEMPTS: Final = 3  # per wait (the PayoutReminder loop tries again while undelivered)
BACKOFF_SECONDS: Final = (0.5, 1.0)  # between attempts (the last attempt has no pause after)

_sleep = time.sleep  # the pause between delivery attempts (tests replace it)


class SignatureRefused(Exception):
    """Not a genuine, fresh finance webhook (missing, wrong, stale or future signature)."""


class NotAnEvent(Exception):
    """A request that is not a finance event (not UTF-8 JSON, not an object, id too long)."""


# -- outbound: payout.approval_requested ------------------------------------------------------


def approval_request_body(payout: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "payout.approval_requested",
        "timestamp": str(payout["created_at"]),
        "data": {
            "payout_id": str(payout["payout_id"]),
            "brief_id": str(payout["brief_id"]),
            "intern_id": payout.get("intern_id"),
            "amount_cents": int(payout["amount_cents"]),
            "fee_cents": int(payout["fee_cents"]),
            "currency": str(payout["currency"]),
        },
    }


def signed_headers(msg_id: str, payload: str, at: datetime | None = None) -> dict[str, str]:
    """`webhook-id`, `webhook-timestamp` and `webhook-signature` for `payload`."""
    from standardwebhooks import Webhook

    moment = (at or clock.now()).astimezone(UTC).replace(microsecond=0)
    secret = get_settings().finance_webhook_secret.get_secret_value()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, moment, payload),
    }


def deliver_approval_request(payout: Mapping[str, Any]) -> bool:
    """POST the signed request to FINANCE_WEBHOOK_URL: up to DELIVERY_ATTEMPTS tries with
    backoff, each recorded as `ATTEMPT#<n>`. True once delivered (a 2xx answer).

    The message id is the same on every attempt (Standard Webhooks: receivers dedupe by it);
    each attempt is signed with its own timestamp.
    """
    url = get_settings().finance_webhook_url
    payout_id = str(payout["payout_id"])
    if not url:
        logger.warning("FINANCE_WEBHOOK_URL is not set: finance is told by email only")
        return False
    store = get_store()
    payload = json.dumps(approval_request_body(payout), separators=(",", ":"), sort_keys=True)
    msg_id = f"msg_{payout_id}_approval_requested"
    for attempt in range(DELIVERY_ATTEMPTS):
        number = _next_attempt(store, payout_id)
        status, error = _post(url, payload, signed_headers(msg_id, payload))
        ok = status is not None and 200 <= status < 300
        store.put(
            {
                "pk": payout_store.pk(payout_id),
                "sk": f"ATTEMPT#{number:03d}",
                "type": "payout_webhook_attempt",
                "payout_id": payout_id,
                "number": number,
                "webhook_id": msg_id,
                "url": url,
                "status_code": status,
                "error": error,
                "ok": ok,
                "at": clock.iso(),
            }
        )
        if ok:
            store.set_fields(payout_store.pk(payout_id), "PAYOUT", {"delivered": True})
            logger.info("finance webhook delivered", extra={"payout_id": payout_id})
            return True
        logger.warning(
            "finance webhook attempt failed",
            extra={"payout_id": payout_id, "attempt": number, "status": status, "error": error},
        )
        if attempt < DELIVERY_ATTEMPTS - 1:
            _sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
    metrics.add_metric(name="FinanceWebhookUndelivered", unit="Count", value=1)
    return False


def send_signed(msg_id: str, body: Mapping[str, Any]) -> bool:
    """POST another signed event (e.g. `payout.failed`) to FINANCE_WEBHOOK_URL, up to
    DELIVERY_ATTEMPTS tries with backoff; True once delivered. Same message id on every try."""
    url = get_settings().finance_webhook_url
    if not url:
        logger.warning("FINANCE_WEBHOOK_URL is not set: finance is told by email only")
        return False
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True)
    for attempt in range(DELIVERY_ATTEMPTS):
        status, error = _post(url, payload, signed_headers(msg_id, payload))
        if status is not None and 200 <= status < 300:
            return True
        logger.warning(
            "finance webhook attempt failed",
            extra={"webhook_id": msg_id, "status": status, "error": error},
        )
        if attempt < DELIVERY_ATTEMPTS - 1:
            _sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
    metrics.add_metric(name="FinanceWebhookUndelivered", unit="Count", value=1)
    return False


def _next_attempt(store: Store, payout_id: str) -> int:
    """The attempt's number, from an atomic counter on the payout."""
    resp = store.update_op(
        {"pk": payout_store.pk(payout_id), "sk": "PAYOUT"},
        condition="attribute_exists(#pk)",
        add_fields={"attempts": 1},
    )["Update"]
    from chalicelib.adapters import aws
    from chalicelib.adapters.store import from_item

    out = aws.client("dynamodb").update_item(**resp, ReturnValues="UPDATED_NEW")
    return int(from_item(out["Attributes"])["attempts"])


def _post(url: str, payload: str, headers: Mapping[str, str]) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one POST; never raises."""
    import urllib.error
    import urllib.request

    if not url.startswith(("https://", "http://")):
        return None, "FINANCE_WEBHOOK_URL must be an http(s) URL"
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=payload.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "microintern", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status), None
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]


# -- inbound: POST /webhooks/finance ------------------------------------------------------


def verify(headers: Mapping[str, str], raw_body: bytes | str | None) -> tuple[str, dict[str, Any]]:
    """(webhook id, event) of a genuine finance webhook; SignatureRefused for a missing, wrong,
    stale or future signature, NotAnEvent for a signed body that is not an event."""
    from standardwebhooks import Webhook

    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "").strip()
    stamp = lowered.get("webhook-timestamp", "").strip()
    signature = lowered.get("webhook-signature", "").strip()
    if not (msg_id and stamp and signature):
        raise SignatureRefused(
            "Signed webhooks carry webhook-id, webhook-timestamp and webhook-signature headers."
        )
    if not stamp.isdigit() or len(stamp) > 12:
        raise SignatureRefused("webhook-timestamp must be whole seconds since the epoch.")
    skew = int(stamp) - int(clock.now().timestamp())
    if skew < -TOLERANCE_SECONDS:
        raise SignatureRefused("The webhook timestamp is too old.")
    if skew > TOLERANCE_SECONDS:
        raise SignatureRefused("The webhook timestamp is in the future.")
    if len(msg_id) > MAX_WEBHOOK_ID:
        raise NotAnEvent("webhook-id is too long.")
    if isinstance(raw_body, bytes):
        try:
            body = raw_body.decode("utf-8")
        except UnicodeDecodeError:
            raise NotAnEvent("The body is not UTF-8 JSON.") from None
    else:
        body = raw_body or ""
    secret = get_settings().finance_webhook_secret.get_secret_value()
    try:
        Webhook(secret).verify(body, lowered, json_parse=False)
    except Exception:  # the library raises ValueError too for malformed signature values
        raise SignatureRefused("The webhook signature does not match.") from None
    try:
        event = json.loads(body)
    except ValueError:
        raise NotAnEvent("The body is not valid JSON.") from None
    if not isinstance(event, dict):
        raise NotAnEvent("The body must be a JSON object.")
    return msg_id, event

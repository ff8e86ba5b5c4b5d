"""Finance: payout approval through signed webhooks, disputes, and the books.

    request_payout_approval  PayoutApproval wait: one payout record per brief; auto-approved up
                             to FINANCE_AUTO_APPROVE_CENTS, else the signed outbound
                             `payout.approval_requested` webhook (retried, every attempt kept)
                             and an email to finance
    handle_finance_webhook   POST /webhooks/finance: Standard Webhooks verification, each webhook
                             id once, each decision once per payout whatever its webhook id
                             (`payout.retry` resumes a failed payout or refund now:
                             services/payout_failures.py; `send_signed` tells finance of it)
    on_dispute / reminder    the Dispute wait's emails; the PayoutReminder / DisputeReminder loops
    payouts_view, ledger_csv the books, behind the finance API key (stored as its SHA-256)

The payout record (and, for disputes, the brief's `dispute_resolution`) is the truth about what
finance decided. A decision is committed first — the conditional status update, the webhook's
receipt and the timeline note in ONE transaction — and only then is the waiting Step Functions
task resumed (`_follow_up`). When the wait is not open at that moment (a reminder is running, or
the rejected payout's Dispute wait has not started yet), the next wait applies the recorded
decision as soon as it opens, so a decision is never lost and never applied twice.

Keys (docs/data-model.md):

    PAYOUT#<payout_id> / PAYOUT           the payout; gsi1pk=PAYOUTS, gsi1sk=<status>#<created>#<id>
    PAYOUT#<payout_id> / ATTEMPT#<nnn>    one outbound delivery attempt (status, error, at)
    WEBHOOK#finance#<webhook id> / WEBHOOK  receipt of an applied inbound webhook
    BRIEF#<brief_id> / BRIEF              `payout` = {payout_id, status}; `dispute_resolution`
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, TypeVar

from chalice.app import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.adapters import clock, links, tokens
from chalicelib.adapters.store import Conflict, Store, brief_key, get_store
from chalicelib.domain import ledger
from chalicelib.domain.engagement import Status
from chalicelib.domain.money import format_money, platform_fee, split
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import (
    BadRequest,
    Forbidden,
    Invalid,
    NotAllowed,
    NotFound,
    Unauthorized,
)
from chalicelib.settings import get_settings

PAYOUTS_PK: Final = "PAYOUTS"  # gsi1 partition of every payout
TOLERANCE_SECONDS: Final = 300  # inbound webhook timestamps: at most 5 minutes off, either way
MAX_WEBHOOK_ID: Final = 200
DELIVERY_TIMEOUT_SECONDS: Final = 3.0
DELIVERY_ATTEMPTS: Final = 3  # per wait (the PayoutReminder loop tries again while undelivered)
BACKOFF_SECONDS: Final = (0.5, 1.0)  # between attempts (the last attempt has no pause after)
RECENT: Final = timedelta(days=30)
RECENT_LIMIT: Final = 100

PENDING, APPROVED, REJECTED, RESOLVED = "pending", "approved", "rejected", "resolved"
DECIDED: Final = (APPROVED, REJECTED, RESOLVED)

_sleep = time.sleep  # the pause between delivery attempts (tests replace it)


# -- models of the inbound webhooks ---------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ApprovedData(_Data):
    payout_id: str = Field(min_length=1, max_length=100)
    approved_by: str = Field("finance", min_length=1, max_length=200)


class RejectedData(_Data):
    payout_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2_000)
    rejected_by: str = Field("finance", min_length=1, max_length=200)


class ResolvedData(_Data):
    brief_id: str = Field(min_length=1, max_length=100)
    resolution: Literal["release", "refund", "split"]
    intern_share_cents: int | None = Field(None, strict=True)
    resolved_by: str = Field("finance", min_length=1, max_length=200)


class RetryData(_Data):
    """`payout.retry`: retry a failed payout (by payout_id) or refund (by brief_id) now."""

    payout_id: str | None = Field(None, min_length=1, max_length=100)
    brief_id: str | None = Field(None, min_length=1, max_length=100)
    retried_by: str = Field("finance", min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_id(self) -> RetryData:
        if (self.payout_id is None) == (self.brief_id is None):
            raise ValueError("give exactly one of payout_id and brief_id")
        return self


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["payout.approved", "payout.rejected", "dispute.resolved", "payout.retry"]
    data: dict[str, Any]


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
            deliver_approval_request(payout)
        _notify_requested(brief, payout)
    _follow_up(brief_id)
    return _public(get_store().get(_pk(payout["payout_id"]), "PAYOUT") or payout)


def _ensure_payout(brief: Mapping[str, Any]) -> dict[str, Any]:
    store = get_store()
    brief_id = str(brief["brief_id"])
    existing = _payout_of(store, brief)
    if existing is not None:
        return existing
    settings = get_settings()
    amount = int(brief.get("escrow_held_cents") or brief["budget_cents"])
    fee = platform_fee(amount, _fee_bps(brief))
    auto = amount <= settings.finance_auto_approve_cents
    now = clock.iso()
    payout_id = tokens.new_id("po")
    status = APPROVED if auto else PENDING
    item: dict[str, Any] = {
        "pk": _pk(payout_id),
        "sk": "PAYOUT",
        "type": "payout",
        "payout_id": payout_id,
        "brief_id": brief_id,
        "intern_id": brief.get("intern_id"),
        "title": str(brief.get("title", "")),
        "amount_cents": amount,
        "fee_cents": fee,
        "currency": str(brief.get("currency", "usd")),
        "status": status,
        "created_at": now,
        "updated_at": now,
        "delivered": False,
        "attempts": 0,
        "gsi1pk": PAYOUTS_PK,
        "gsi1sk": f"{status}#{now}#{payout_id}",
    }
    ops = [
        store.put_op(item),
        store.update_op(
            brief_key(brief_id),
            condition="attribute_exists(#pk) AND attribute_not_exists(#payout)",
            set_fields={"payout": {"payout_id": payout_id, "status": status}},
        ),
    ]
    if auto:
        item.update(approved_by="auto", decided_at=now)
        ops[0] = store.put_op(item)
        ops.append(
            store.put_op(
                _event(
                    brief,
                    "finance",
                    f"Payout of {_money(item, amount - fee)} approved automatically "
                    f"(within the {_money(item, settings.finance_auto_approve_cents)} "
                    "auto-approval threshold)",
                )
            )
        )
    try:
        store.transact(ops)
    except Conflict:
        fresh = store.get_brief(brief_id) or {}
        found = _payout_of(store, fresh)
        if found is None:
            raise
        return found
    metrics.add_metric(name="PayoutsRequested", unit="Count", value=1)
    if auto:
        metrics.add_metric(name="PayoutsAutoApproved", unit="Count", value=1)
    return item


def _payout_of(store: Store, brief: Mapping[str, Any]) -> dict[str, Any] | None:
    ref = brief.get("payout")
    if not isinstance(ref, Mapping) or not ref.get("payout_id"):
        return None
    return store.get(_pk(str(ref["payout_id"])), "PAYOUT")


def _notify_requested(brief: Mapping[str, Any], payout: Mapping[str, Any]) -> None:
    from chalicelib.services import notify

    payout_id = str(payout["payout_id"])
    amount, fee = int(payout["amount_cents"]), int(payout["fee_cents"])
    notify.send(
        "payout_approval_requested",
        to=get_settings().finance_email,
        key=f"{payout_id}:approval_requested",
        title=str(payout.get("title") or brief.get("title", "")),
        payout_id=payout_id,
        brief_id=str(payout["brief_id"]),
        intern_id=str(payout.get("intern_id") or "(none)"),
        amount_cents=amount,
        fee_cents=fee,
        currency=str(payout["currency"]),
    )
    intern_id = brief.get("intern_id")
    intern = get_store().get(f"INTERN#{intern_id}", "PROFILE") if intern_id else None
    if intern:
        notify.send(
            "payout_pending",
            to=str(intern["email"]),
            key=f"{payout_id}:payout_pending",
            brief_id=str(payout["brief_id"]),
            name=str(intern.get("name", "")),
            title=str(brief.get("title", "")),
            pay_cents=amount - fee,
            currency=str(payout["currency"]),
        )


# -- outbound: payout.approval_requested, signed the Standard Webhooks way ------------------


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
                "pk": _pk(payout_id),
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
            store.set_fields(_pk(payout_id), "PAYOUT", {"delivered": True})
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
        {"pk": _pk(payout_id), "sk": "PAYOUT"},
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
    """(webhook id, event) of a genuine finance webhook; 401 for a missing, wrong, stale or
    future signature, 400 for a signed body that is not an event."""
    from standardwebhooks import Webhook

    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "").strip()
    stamp = lowered.get("webhook-timestamp", "").strip()
    signature = lowered.get("webhook-signature", "").strip()
    if not (msg_id and stamp and signature):
        raise Unauthorized(
            "Signed webhooks carry webhook-id, webhook-timestamp and webhook-signature headers."
        )
    if not stamp.isdigit() or len(stamp) > 12:
        raise Unauthorized("webhook-timestamp must be whole seconds since the epoch.")
    skew = int(stamp) - int(clock.now().timestamp())
    if skew < -TOLERANCE_SECONDS:
        raise Unauthorized("The webhook timestamp is too old.")
    if skew > TOLERANCE_SECONDS:
        raise Unauthorized("The webhook timestamp is in the future.")
    if len(msg_id) > MAX_WEBHOOK_ID:
        raise BadRequest("webhook-id is too long.")
    if isinstance(raw_body, bytes):
        try:
            body = raw_body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The body is not UTF-8 JSON.") from None
    else:
        body = raw_body or ""
    secret = get_settings().finance_webhook_secret.get_secret_value()
    try:
        Webhook(secret).verify(body, lowered, json_parse=False)
    except Exception:  # the library raises ValueError too for malformed signature values
        raise Unauthorized("The webhook signature does not match.") from None
    try:
        event = json.loads(body)
    except ValueError:
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(event, dict):
        raise BadRequest("The body must be a JSON object.")
    return msg_id, event


def handle_finance_webhook(
    headers: Mapping[str, str], raw_body: bytes | str | None
) -> dict[str, Any]:
    """Apply a finance decision once. 200 with `outcome` ("approved", "rejected", "resolved",
    "already_applied" or "duplicate"); 404 unknown payout or brief; 409 a decision the
    engagement's state does not allow (nothing changes, and the webhook id stays unused)."""
    msg_id, raw = verify(headers, raw_body)
    try:
        event = _Event.model_validate(raw)
    except ValidationError:
        raise BadRequest(
            "type must be payout.approved, payout.rejected, dispute.resolved or payout.retry, "
            "with data."
        ) from None
    store = get_store()
    receipt = _receipt(msg_id, event.type)
    if store.get(str(receipt["pk"]), "WEBHOOK"):
        brief_id = _brief_id_of(store, event)
        if brief_id:
            _follow_up(brief_id)
        return {"outcome": "duplicate", "webhook_id": msg_id}
    if event.type == "payout.approved":
        approved = _data(ApprovedData, event.data)
        return _decide_payout(store, receipt, approved.payout_id, APPROVED, approved.approved_by)
    if event.type == "payout.rejected":
        rejected = _data(RejectedData, event.data)
        return _decide_payout(
            store, receipt, rejected.payout_id, REJECTED, rejected.rejected_by, rejected.reason
        )
    if event.type == "payout.retry":
        from chalicelib.services import payout_failures

        again = _data(RetryData, event.data)
        return payout_failures.retry(
            receipt, payout_id=again.payout_id, brief_id=again.brief_id, by=again.retried_by
        )
    return _resolve_dispute(store, receipt, _data(ResolvedData, event.data))


D = TypeVar("D", bound=_Data)


def _data(model: type[D], data: Mapping[str, Any]) -> D:
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise Invalid(
            [
                {
                    "field": "data." + ".".join(str(p) for p in err["loc"]),
                    "message": str(err["msg"]),
                }
                for err in exc.errors()
            ]
        ) from None


def _receipt(msg_id: str, event_type: str) -> dict[str, Any]:
    return {
        "pk": f"WEBHOOK#finance#{msg_id}",
        "sk": "WEBHOOK",
        "type": "webhook_receipt",
        "source": "finance",
        "webhook_id": msg_id,
        "event_type": event_type,
        "received_at": clock.iso(),
        "expires_at": int((clock.now() + timedelta(days=100)).timestamp()),
    }


def _brief_id_of(store: Store, event: _Event) -> str | None:
    if event.type == "dispute.resolved":
        value = event.data.get("brief_id")
        return str(value) if isinstance(value, str) else None
    payout_id = event.data.get("payout_id")
    payout = store.get(_pk(payout_id), "PAYOUT") if isinstance(payout_id, str) else None
    return str(payout["brief_id"]) if payout else None


def _decide_payout(
    store: Store,
    receipt: dict[str, Any],
    payout_id: str,
    decision: str,
    by: str,
    reason: str = "",
) -> dict[str, Any]:
    for _ in range(3):  # the payout may change between reading and writing: decide again
        payout = store.get(_pk(payout_id), "PAYOUT")
        if payout is None:
            raise NotFound("No payout with this id.", "data.payout_id")
        brief_id = str(payout["brief_id"])
        brief = store.get_brief(brief_id)
        if brief is None:
            raise NotFound("The payout's project no longer exists.", "data.payout_id")
        if payout["status"] == decision:
            store.put_if_absent(receipt)
            _follow_up(brief_id)
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
            "gsi1sk": f"{decision}#{payout['created_at']}#{payout_id}",
        }
        pay = _money(payout, int(payout["amount_cents"]) - int(payout["fee_cents"]))
        if decision == APPROVED:
            fields["approved_by"] = by
            note = f"Finance approved the payout of {pay} ({by})"
        else:
            fields.update(rejected_by=by, reason=reason)
            note = f"Finance held the payout of {pay}: {reason}"
        try:
            store.transact(
                [
                    store.update_op(
                        {"pk": _pk(payout_id), "sk": "PAYOUT"},
                        condition="#status = :pending",
                        set_fields=fields,
                        values={":pending": PENDING},
                    ),
                    store.update_op(
                        brief_key(brief_id),
                        condition="#status = :waiting",
                        set_fields={"payout": {"payout_id": payout_id, "status": decision}},
                        values={":waiting": Status.PAYOUT_APPROVAL.value},
                    ),
                    store.put_op(receipt),
                    store.put_op(_event(brief, "finance", note)),
                ]
            )
        except Conflict:
            if store.get(str(receipt["pk"]), "WEBHOOK"):
                _follow_up(brief_id)
                return {"outcome": "duplicate", "webhook_id": receipt["webhook_id"]}
            continue
        logger.info(
            "payout decided",
            extra={"brief_id": brief_id, "payout_id": payout_id, "decision": decision},
        )
        metrics.add_metric(name=f"Payouts{decision.title()}", unit="Count", value=1)
        if decision == REJECTED:
            _notify_held(brief, payout_id, reason)
        _follow_up(brief_id)
        return {"outcome": decision, "payout_id": payout_id, "status": decision}
    raise NotAllowed(f"Payout {payout_id} kept changing; try again.")


def _resolve_dispute(store: Store, receipt: dict[str, Any], data: ResolvedData) -> dict[str, Any]:
    for _ in range(3):
        brief = store.get_brief(data.brief_id)
        if brief is None:
            raise NotFound("No brief with this id.", "data.brief_id")
        held = int(brief.get("escrow_held_cents") or 0)
        funded = int(brief.get("escrow_funded_cents") or brief["budget_cents"])
        budget = held if held > 0 else funded
        share = _share(data, budget)
        parts = split(budget, share, _fee_bps(brief))
        resolution = {"resolution": data.resolution, "intern_share_cents": share}
        recorded = brief.get("dispute_resolution")
        if isinstance(recorded, Mapping):
            same = (
                recorded.get("resolution") == data.resolution
                and int(recorded.get("intern_share_cents", -1)) == share
            )
            if not same:
                raise NotAllowed("This dispute was already resolved differently.")
            store.put_if_absent(receipt)
            _follow_up(data.brief_id)
            return {"outcome": "already_applied", "brief_id": data.brief_id, **resolution}
        payout = _payout_of(store, brief)
        open_dispute = brief["status"] == Status.DISPUTED or (
            brief["status"] == Status.PAYOUT_APPROVAL
            and payout is not None
            and payout["status"] == REJECTED
        )
        if not open_dispute:
            raise NotAllowed(f"The project is {brief['status']}: there is no dispute to resolve.")
        now = clock.iso()
        brief_fields: dict[str, Any] = {
            "dispute_resolution": {
                **resolution,
                "resolved_by": data.resolved_by,
                "webhook_id": receipt["webhook_id"],
                "at": now,
            }
        }
        ops = []
        if payout is not None:
            brief_fields["payout"] = {"payout_id": payout["payout_id"], "status": RESOLVED}
            ops.append(
                store.update_op(
                    {"pk": _pk(str(payout["payout_id"])), "sk": "PAYOUT"},
                    condition="#status = :current",
                    set_fields={
                        "status": RESOLVED,
                        "resolution": data.resolution,
                        "intern_share_cents": share,
                        "decided_at": now,
                        "updated_at": now,
                        "gsi1sk": f"{RESOLVED}#{payout['created_at']}#{payout['payout_id']}",
                    },
                    values={":current": payout["status"]},
                )
            )
        note = (
            f"Finance resolved the dispute: {data.resolution} — "
            f"{_money(brief, parts.transfer_cents)} to the intern, "
            f"{_money(brief, parts.refund_cents)} refunded, fee {_money(brief, parts.fee_cents)}"
        )
        ops += [
            store.update_op(
                brief_key(data.brief_id),
                condition="#status = :status AND attribute_not_exists(#dispute_resolution)",
                set_fields=brief_fields,
                values={":status": brief["status"]},
            ),
            store.put_op(receipt),
            store.put_op(_event(brief, "finance", note)),
        ]
        try:
            store.transact(ops)
        except Conflict:
            if store.get(str(receipt["pk"]), "WEBHOOK"):
                _follow_up(data.brief_id)
                return {"outcome": "duplicate", "webhook_id": receipt["webhook_id"]}
            continue
        logger.info("dispute resolved", extra={"brief_id": data.brief_id, **resolution})
        metrics.add_metric(name="DisputesResolved", unit="Count", value=1)
        _follow_up(data.brief_id)
        return {
            "outcome": "resolved",
            "brief_id": data.brief_id,
            **resolution,
            "transfer_cents": parts.transfer_cents,
            "fee_cents": parts.fee_cents,
            "refund_cents": parts.refund_cents,
        }
    raise NotAllowed("The project kept changing; try again.")


def _share(data: ResolvedData, budget: int) -> int:
    """The intern's share for the resolution; 422 when it does not fit the budget."""
    implied = {"release": budget, "refund": 0}.get(data.resolution)
    share = data.intern_share_cents
    if implied is not None:
        if share is not None and share != implied:
            raise Invalid(
                [
                    {
                        "field": "data.intern_share_cents",
                        "message": f"A {data.resolution} gives the intern {implied} cents; "
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


# -- resuming the open wait with what finance decided -----------------------------------------


def _follow_up(brief_id: str) -> None:
    """Resume whichever wait is open with the decision already recorded (safe to repeat)."""
    store = get_store()
    brief = store.get_brief(brief_id)
    if brief is None:
        return
    payout = _payout_of(store, brief)
    if payout is not None and payout["status"] == APPROVED:
        _resume(store, brief_id, "payout", {"decision": APPROVED})
    elif payout is not None and payout["status"] in (REJECTED, RESOLVED):
        # RESOLVED comes only after REJECTED: the flow still has to pass through the dispute.
        reason = str(payout.get("reason", ""))
        _resume(store, brief_id, "payout", {"decision": REJECTED, "reason": reason})
    resolution = brief.get("dispute_resolution")
    if isinstance(resolution, Mapping):
        _resume(
            store,
            brief_id,
            "dispute",
            {
                "resolution": str(resolution["resolution"]),
                "intern_share_cents": int(resolution["intern_share_cents"]),
            },
        )


def _resume(store: Store, brief_id: str, kind: str, output: dict[str, Any]) -> bool:
    from chalicelib.adapters import workflow

    if store.waiting_token(brief_id, kind) is None:
        return False
    try:
        token = store.consume_task_token(brief_id, kind)
    except Conflict:
        return False  # another caller resumed it
    try:
        workflow.resume(token, output)
    except workflow.WaitClosed:
        # The wait timed out into its reminder; the next wait applies the decision.
        logger.info("wait already closed", extra={"brief_id": brief_id, "kind": kind})
        return False
    except Exception:
        store.unconsume_task_token(brief_id, kind, token)
        raise
    logger.info("wait resumed", extra={"brief_id": brief_id, "kind": kind, **output})
    return True


# -- what finance and the parties are told --------------------------------------------------


def on_dispute(brief: Mapping[str, Any]) -> None:
    """The Dispute wait opened: tell who needs to know (once per brief), then apply a
    resolution finance may already have sent."""
    from chalicelib.services import notify

    store = get_store()
    brief_id = str(brief["brief_id"])
    payout = _payout_of(store, brief)
    if payout is not None and payout["status"] in (REJECTED, RESOLVED):
        _notify_held(brief, str(payout["payout_id"]), str(payout.get("reason", "")))
    else:
        intern_id = brief.get("intern_id")
        intern = store.get(f"INTERN#{intern_id}", "PROFILE") if intern_id else None
        parties = [("finance", get_settings().finance_email), ("employer", brief["employer_email"])]
        if intern:
            parties.append(("intern", intern["email"]))
        for role, address in parties:
            notify.send(
                "dispute_opened",
                to=str(address),
                key=f"{brief_id}:dispute_opened:{role}",
                title=str(brief["title"]),
                role=role,
                brief_id=brief_id,
                comment=str(brief.get("last_comment", "")),
                amount_cents=int(brief.get("escrow_held_cents") or brief["budget_cents"]),
                currency=str(brief["currency"]),
            )
    _follow_up(brief_id)


def _notify_held(brief: Mapping[str, Any], payout_id: str, reason: str) -> None:
    """Both parties hear that finance held the payout, and why (once per payout)."""
    from chalicelib.services import notify

    store = get_store()
    intern_id = brief.get("intern_id")
    intern = store.get(f"INTERN#{intern_id}", "PROFILE") if intern_id else None
    parties = [("employer", str(brief["employer_email"]))]
    if intern:
        parties.append(("intern", str(intern["email"])))
    for role, address in parties:
        notify.send(
            "dispute_opened",
            to=address,
            key=f"{payout_id}:held:{role}",
            title=str(brief["title"]),
            role=role,
            brief_id=str(brief["brief_id"]),
            comment=f"Finance held the payout: {reason}",
            amount_cents=int(brief.get("escrow_held_cents") or brief["budget_cents"]),
            currency=str(brief["currency"]),
        )


def reminder(brief: Mapping[str, Any], kind: str, *, key: str = "") -> dict[str, Any]:
    """The PayoutReminder / DisputeReminder loops: remind finance (and deliver the approval
    request again while it was never delivered)."""
    from chalicelib.services import notify

    store = get_store()
    settings = get_settings()
    brief_id = str(brief["brief_id"])
    payout = _payout_of(store, brief)
    if kind == "payout":
        if payout is None or payout["status"] != PENDING:
            return {"reminded": False}
        if not payout.get("delivered"):
            deliver_approval_request(payout)
        pay = _money(payout, int(payout["amount_cents"]) - int(payout["fee_cents"]))
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


# -- the books -------------------------------------------------------------------------------


def authorize(key: str | None) -> None:
    """401 without a finance key, 403 with a wrong one (compared as SHA-256, constant time)."""
    expected = get_settings().finance_api_key_sha256.strip().lower()
    if not key:
        raise Unauthorized("A finance API key is required (Authorization: Bearer <key>).")
    given = hashlib.sha256(key.encode()).hexdigest()
    if not expected or not hmac.compare_digest(given, expected):
        raise Forbidden("This key does not open the finance books.")


def payouts_view() -> dict[str, Any]:
    """Pending payouts (oldest first) and the last 30 days' decided ones (newest first)."""
    pending = _index(f"{PENDING}#", newest_first=False)
    since = clock.iso(clock.now() - RECENT)
    recent: list[dict[str, Any]] = []
    for status in DECIDED:
        recent += _index(f"{status}#", newest_first=True, since=f"{status}#{since}")
    recent.sort(key=lambda p: str(p.get("decided_at") or p["created_at"]), reverse=True)
    from chalicelib.services import payout_failures

    return {
        "pending": [_public(p) for p in pending],
        "recent": [_public(p) for p in recent[:RECENT_LIMIT]],
        "attention": payout_failures.open_episodes(),
    }


def _index(prefix: str, *, newest_first: bool, since: str | None = None) -> list[dict[str, Any]]:
    """A Query of gsi1's PAYOUTS partition (never a Scan)."""
    from chalicelib.adapters import aws
    from chalicelib.adapters.store import from_item, to_item

    if since:
        condition = "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high"
        values = {":pk": PAYOUTS_PK, ":low": since, ":high": prefix + "\uffff"}
    else:
        condition = "gsi1pk = :pk AND begins_with(gsi1sk, :prefix)"
        values = {":pk": PAYOUTS_PK, ":prefix": prefix}
    kwargs: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "IndexName": "gsi1",
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": to_item(values),
        "ScanIndexForward": not newest_first,
    }
    items: list[dict[str, Any]] = []
    while len(items) < RECENT_LIMIT:
        resp = aws.client("dynamodb").query(**kwargs)
        items += [from_item(i) for i in resp.get("Items", [])]
        if "LastEvaluatedKey" not in resp:
            break
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    return items[:RECENT_LIMIT] if newest_first else items


def _public(payout: Mapping[str, Any]) -> dict[str, Any]:
    amount, fee = int(payout["amount_cents"]), int(payout["fee_cents"])
    return {
        "payout_id": payout["payout_id"],
        "brief_id": payout["brief_id"],
        "intern_id": payout.get("intern_id"),
        "title": payout.get("title", ""),
        "status": payout["status"],
        "amount_cents": amount,
        "fee_cents": fee,
        "payout_cents": amount - fee,
        "currency": payout["currency"],
        "created_at": payout["created_at"],
        "decided_at": payout.get("decided_at"),
        "approved_by": payout.get("approved_by"),
        "reason": payout.get("reason"),
        "resolution": payout.get("resolution"),
        "request_delivered": bool(payout.get("delivered")),
        "delivery_attempts": int(payout.get("attempts", 0)),
    }


CSV_COLUMNS: Final = (
    "at",
    "brief_id",
    "entry_id",
    "kind",
    "reference",
    "account",
    "amount_cents",
    "debit_cents",
    "credit_cents",
    "currency",
)


def journal_lines(start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    """Every journal line of the entries made in [start, end), oldest first.

    Ledger entries are filed in monthly books on gsi1 (`LEDGER#<yyyy-mm>`, sorted by time):
    one Query per month of the range, never a Scan, however old the engagement. Without
    `from`, the range starts a year before `to`.
    """
    from chalicelib.adapters.escrow_store import LEDGER_BOOK_PREFIX
    from chalicelib.domain.ledger import entry_from_dict

    store = get_store()
    high = end or clock.now()
    low = start or high - timedelta(days=366)
    rows: list[dict[str, Any]] = []
    for month in _months(low, high):
        for item in store.query_range(
            f"{LEDGER_BOOK_PREFIX}{month}", clock.iso(low), clock.iso(high), index="gsi1"
        ):
            entry = entry_from_dict(item)
            if not low <= entry.at < high:
                continue
            for line in entry.lines:
                rows.append(
                    {
                        "at": clock.iso(entry.at),
                        "brief_id": str(item["brief_id"]),
                        "entry_id": entry.entry_id,
                        "kind": entry.kind,
                        "reference": entry.reference,
                        "account": line.account.value,
                        "amount_cents": line.amount_cents,
                        "debit_cents": max(line.amount_cents, 0),
                        "credit_cents": max(-line.amount_cents, 0),
                        "currency": str(item.get("currency", "usd")),
                    }
                )
    rows.sort(key=lambda r: (r["at"], r["brief_id"], r["entry_id"]))
    return rows


def _months(low: datetime, high: datetime) -> list[str]:
    """The `yyyy-mm` of every month from `low` to `high`, inclusive."""
    months, year, month = [], low.year, low.month
    while (year, month) <= (high.year, high.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


MAX_LEDGER_RANGE: Final = timedelta(days=731)  # 24 months per request
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's
    CSV injection advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def ledger_csv(start: str | None, end: str | None) -> str:
    """GET /api/finance/ledger.csv?from=&to=: every journal line; the amounts sum to zero.

    `from` and `to` are ISO dates or date-times (UTC when no offset); a date `to` includes
    that whole day, a date-time `to` is exclusive.
    """
    low, high = _moment(start, "from", end_of_day=False), _moment(end, "to", end_of_day=True)
    if low is not None and high is not None and low > high:
        raise Invalid([{"field": "from", "message": "from must not be after to."}])
    if low is not None and (high or clock.now()) - low > MAX_LEDGER_RANGE:
        raise Invalid(
            [
                {
                    "field": "from",
                    "message": "Export at most 24 months per request: page through longer "
                    "periods with consecutive from/to ranges.",
                }
            ]
        )
    rows = journal_lines(low, high)
    totals = ledger.account_totals([])  # every account, zero
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: csv_cell(value) for name, value in row.items()})
        totals[ledger.Account(row["account"])] += int(row["amount_cents"])
    if sum(totals.values()) != 0:  # every entry balances, so the export must
        logger.error("ledger export does not balance", extra={"totals": str(totals)})
    return out.getvalue()


def ledger_response(start: str | None, end: str | None) -> Response:
    body = ledger_csv(start, end)
    name = f"ledger-{(start or 'start')[:10]}-{(end or 'now')[:10]}.csv"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def _moment(value: str | None, field: str, *, end_of_day: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            [{"field": field, "message": f"{field} must be an ISO date (YYYY-MM-DD) or time."}]
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def finance_page(key: str | None) -> Response:
    """GET /finance?key=…: pending payouts and recent decisions (GET changes nothing)."""
    from chalicelib.web.pages import page
    from chalicelib.web.views import error_page

    try:
        authorize(key)
    except (Unauthorized, Forbidden) as exc:
        return error_page(exc)
    view = payouts_view()

    def money(cents: int, currency: str) -> str:
        return format_money(cents, currency)

    return page(
        "finance.html",
        tokened=True,
        pending=view["pending"],
        recent=view["recent"],
        attention=view["attention"],
        money=money,
        key=key,
        today=clock.today().isoformat(),
        month_ago=(clock.today() - timedelta(days=30)).isoformat(),
    )


# -- helpers --------------------------------------------------------------------------------


def _pk(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}"


def _fee_bps(brief: Mapping[str, Any]) -> int:
    return int(brief.get("fee_bps", get_settings().platform_fee_bps))


def _money(item: Mapping[str, Any], cents: int) -> str:
    return format_money(cents, str(item.get("currency", "usd")))


def _event(brief: Mapping[str, Any], actor: str, detail: str) -> dict[str, Any]:
    status = str(brief["status"])
    return Store.event_item(
        str(brief["brief_id"]), status_from=status, status_to=status, actor=actor, detail=detail
    )

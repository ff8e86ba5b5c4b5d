"""POST /webhooks/finance: finance's decisions, verified, parsed, each applied once.

- Standard Webhooks verification (adapters/finance_hook.verify): a missing, wrong, stale or
  future signature answers 401 and changes nothing; a signed body that is not an event, 400.
- The event is parsed with pydantic (the data models below are also the OpenAPI document's).
- Each webhook id takes effect once: a `WEBHOOK#finance#<webhook id>` receipt is written in the
  same transaction as the decision, so a repeat finds it (`duplicate`); each decision applies
  once per payout whatever its webhook id (`already_applied`).
- Dispatch: `payout.approved` / `payout.rejected` → services/payouts.decide_payout;
  `dispute.resolved` → services/disputes.resolve_dispute; `payout.retry` (a failed payout or
  refund, now) → services/payout_failures.retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.adapters import clock, finance_hook, payout_store
from chalicelib.adapters.payout_store import APPROVED, REJECTED
from chalicelib.services import disputes, payout_failures, payouts
from chalicelib.services.errors import BadRequest, Invalid, Unauthorized

RECEIPT_LIFETIME = timedelta(days=100)

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


# -- the handler ------------------------------------------------------------------------------


def handle_finance_webhook(
    headers: Mapping[str, str], raw_body: bytes | str | None
) -> dict[str, Any]:
    """Apply a finance decision once. 200 with `outcome` ("approved", "rejected", "resolved",
    "already_applied" or "duplicate"); 404 unknown payout or brief; 409 a decision the
    engagement's state does not allow (nothing changes, and the webhook id stays unused)."""
    try:
        msg_id, raw = finance_hook.verify(headers, raw_body)
    except finance_hook.SignatureRefused as exc:
        raise Unauthorized(str(exc)) from None
    except finance_hook.NotAnEvent as exc:
        raise BadRequest(str(exc)) from None
    try:
        event = _Event.model_validate(raw)
    except ValidationError:
        raise BadRequest(
            "type must be payout.approved, payout.rejected, dispute.resolved or payout.retry, "
            "with data."
        ) from None
    receipt = _receipt(msg_id, event.type)
    if payout_store.get_payout_store().receipt_seen(receipt):
        brief_id = _brief_id_of(event)
        if brief_id:
            payout_store.follow_up(brief_id)
        return {"outcome": "duplicate", "webhook_id": msg_id}

    if event.type == "payout.approved":
        approved = _data(ApprovedData, event.data)
        return payouts.decide_payout(receipt, approved.payout_id, APPROVED, approved.approved_by)
    if event.type == "payout.rejected":
        rejected = _data(RejectedData, event.data)
        return payouts.decide_payout(
            receipt, rejected.payout_id, REJECTED, rejected.rejected_by, rejected.reason
        )
    if event.type == "payout.retry":
        again = _data(RetryData, event.data)
        return payout_failures.retry(
            receipt, payout_id=again.payout_id, brief_id=again.brief_id, by=again.retried_by
        )
    resolved = _data(ResolvedData, event.data)
    return disputes.resolve_dispute(
        receipt,
        resolved.brief_id,
        resolved.resolution,
        resolved.intern_share_cents,
        resolved.resolved_by,
    )


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
        "expires_at": int((clock.now() + RECEIPT_LIFETIME).timestamp()),
    }


def _brief_id_of(event: _Event) -> str | None:
    if event.type == "dispute.resolved":
        value = event.data.get("brief_id")
        return str(value) if isinstance(value, str) else None
    payout_id = event.data.get("payout_id")
    payout = payout_store.get(payout_id) if isinstance(payout_id, str) else None
    return str(payout["brief_id"]) if payout else None

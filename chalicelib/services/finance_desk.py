"""Finance decisions taken on the finance page by a signed-in finance user (issue 14).

    approve(person, payout_id, nonce)              payout approved, by the person's address
    reject(person, payout_id, reason, nonce)       payout held, with the reason
    resolve(person, brief_id, resolution, share_cents, nonce)   dispute resolved
    retry(person, brief_id, nonce)                 a failed payout or refund retried now

The same use cases as the signed webhook (services/payouts.decide_payout,
services/disputes.resolve_dispute, services/payout_failures.retry), so every rule holds the
same way (once per payout, 409 when the state does not allow it, nothing changed), with the
person's address as `approved_by` / `rejected_by` / `resolved_by`: the brief's timeline names
them. A form's nonce stands where the webhook id does
(`WEBHOOK#finance#ui-<sha256(person, nonce, kind, id)>`), so a
double-submitted form decides once. Only people with the `finance` role get here
(services/finance_users.require_finance).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.payout_store import APPROVED, REJECTED, get_payout_store
from chalicelib.domain.accounts import Person
from chalicelib.services import disputes, payout_failures, payouts
from chalicelib.services.errors import Forbidden, Invalid

RECEIPT_LIFETIME = timedelta(days=100)
RESOLUTIONS = ("release", "refund", "split")


def _receipt(person: Person, nonce: str, event_type: str, subject: str) -> dict[str, Any]:
    if "finance" not in person.roles:
        raise Forbidden("Only the finance team decides payouts.")
    if not nonce or len(nonce) > 200:
        raise Invalid([{"field": "nonce", "message": "Reload the page and try again."}])
    # one decision per (person, page, kind, payout or brief): a resubmitted form decides once
    seed = f"{person.email}:{nonce}:{event_type}:{subject}"
    digest = hashlib.sha256(seed.encode()).hexdigest()[:40]
    webhook_id = f"ui-{digest}"
    return {
        "pk": f"WEBHOOK#finance#{webhook_id}",
        "sk": "WEBHOOK",
        "type": "webhook_receipt",
        "source": "finance_page",
        "webhook_id": webhook_id,
        "event_type": event_type,
        "decided_by": person.email,
        "received_at": clock.iso(),
        "expires_at": int((clock.now() + RECEIPT_LIFETIME).timestamp()),
    }


def approve(person: Person, payout_id: str, nonce: str) -> dict[str, Any]:
    receipt = _receipt(person, nonce, "payout.approved", payout_id)
    return payouts.decide_payout(receipt, payout_id, APPROVED, person.email)


def reject(person: Person, payout_id: str, reason: str, nonce: str) -> dict[str, Any]:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 2_000:
        raise Invalid([{"field": "reason", "message": "Say why the payout is held."}])
    receipt = _receipt(person, nonce, "payout.rejected", payout_id)
    return payouts.decide_payout(receipt, payout_id, REJECTED, person.email, reason)


def resolve(
    person: Person, brief_id: str, resolution: str, share_cents: object, nonce: str
) -> dict[str, Any]:
    if resolution not in RESOLUTIONS:
        raise Invalid([{"field": "resolution", "message": "Choose release, refund or split."}])
    share: int | None = None
    if resolution == "split":
        try:
            share = int(str(share_cents).strip())
        except ValueError:
            raise Invalid(
                [{"field": "intern_share_cents", "message": "Give the intern's share in cents."}]
            ) from None
    receipt = _receipt(person, nonce, "dispute.resolved", brief_id)
    return disputes.resolve_dispute(receipt, brief_id, resolution, share, person.email)


def retry(person: Person, brief_id: str, nonce: str) -> dict[str, Any]:
    """Retry a failed payout or refund of the brief now (404 unknown, 409 nothing waits)."""
    receipt = _receipt(person, nonce, "payout.retry", brief_id)
    if get_payout_store().receipt_seen(receipt):  # the same form again: retried once already
        return {"outcome": "duplicate", "brief_id": brief_id}
    return payout_failures.retry(receipt, payout_id=None, brief_id=brief_id, by=person.email)

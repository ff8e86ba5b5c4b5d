"""Finance on the twin, through the public HTTP contract only: from a brief to the intern's
transfer — the emails in the outbox, the Stripe sandbox, and signed finance webhooks (the outbound
request read from `/_local/finance-inbox.json`, the decision POSTed to `/webhooks/finance`)."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    employer,
    engaged,
    fund,
    view,
    wait_email,
    wait_status,
)
from tests.helpers import eventually

pytestmark = pytest.mark.e2e

SUMMARY = "Spreadsheet and a 10-slide deck comparing onboarding, pricing and retention."
FINANCE = "finance@microintern.example"


def _secret() -> str:
    from local.twin import DEFAULT_SECRETS

    return os.environ.get("FINANCE_WEBHOOK_SECRET", DEFAULT_SECRETS["FINANCE_WEBHOOK_SECRET"])


def _finance_key() -> str | None:
    from local.twin import DEFAULT_SECRETS, LOCAL_FINANCE_KEY

    configured = os.environ.get("FINANCE_API_KEY_SHA256")
    if configured and configured != DEFAULT_SECRETS["FINANCE_API_KEY_SHA256"]:
        return None  # the twin runs with someone else's key
    return LOCAL_FINANCE_KEY


def approval_request(twin: RunningTwin, brief_id: str) -> dict[str, Any]:
    """The outbound `payout.approval_requested` for the brief, as finance's endpoint got it."""

    def find() -> dict[str, Any] | None:
        inbox = requests.get(f"{twin.url}/_local/finance-inbox.json", timeout=10).json()
        for delivery in inbox:
            body = delivery["body"]
            if isinstance(body, dict) and body.get("data", {}).get("brief_id") == brief_id:
                return dict(delivery)
        return None

    return eventually(find, timeout=20, every=0.2)


def send_finance(
    twin: RunningTwin, event_type: str, data: dict[str, Any], msg_id: str | None = None
) -> requests.Response:
    payload = json.dumps({"type": event_type, "data": data})
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(_secret()).sign(msg_id, now, payload),
    }
    return requests.post(f"{twin.url}/webhooks/finance", data=payload, headers=headers, timeout=30)


def finance_approves_until_completed(
    twin: RunningTwin, brief_id: str, token: str
) -> dict[str, Any]:
    """Finance approves the pending payout through its signed webhook; the brief's view once
    COMPLETED, after checking the money is exact: 60,000 funded, 54,000 transferred to the
    intern (one Stripe transfer), 6,000 fee, nothing held or refunded."""
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]
    decision = send_finance(
        twin, "payout.approved", {"payout_id": payout_id, "approved_by": "ada@finance.example"}
    )
    assert decision.status_code == 200, decision.text
    final = wait_status(twin, brief_id, token, "COMPLETED")
    escrow = final["escrow"]
    assert (escrow["funded_cents"], escrow["released_cents"], escrow["fee_cents"]) == (
        60_000,
        54_000,
        6_000,
    )
    assert escrow["refunded_cents"] == 0 and escrow["held_cents"] == 0
    transfers = requests.get(
        f"{twin.stripe_url}/v1/transfers",
        params={"transfer_group": brief_id},
        headers={"Authorization": "Bearer sk_test_local_twin"},
        timeout=10,
    ).json()["data"]
    assert [(t["amount"], t["currency"]) for t in transfers] == [(54_000, "usd")]
    return final


def approved_delivery(twin: RunningTwin, title: str) -> tuple[str, str, str, dict[str, Any]]:
    """Brief → offer → accept → fund (card confirmed with Stripe) → deliver → approve:
    (brief_id, manage token, employer email, intern)."""
    brief_id, token, employer_email, intern, link = engaged(twin, title)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    delivered = act(twin, link, "deliver", {"summary": SUMMARY, "url": "https://example.org/deck"})
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    review = employer(twin, brief_id, token, "review", {"decision": "approve"})
    assert review.status_code == 200, review.text
    return brief_id, token, employer_email, intern


def test_finance_approves_through_a_signed_webhook_and_the_intern_is_paid(
    twin: RunningTwin,
) -> None:
    brief_id, token, employer_email, intern = approved_delivery(twin, "Finance approval study")
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")

    # Finance got the signed request, and an email.
    delivery = approval_request(twin, brief_id)
    waiting = view(twin, brief_id, token)
    # The inbox keeps the parsed body; the app sends it compact with sorted keys.
    sent = json.dumps(delivery["body"], separators=(",", ":"), sort_keys=True)
    event = Webhook(_secret()).verify(sent, delivery["headers"])
    request = event["data"]
    assert event["type"] == "payout.approval_requested"
    assert request["intern_id"] == intern["intern_id"]
    assert (request["amount_cents"], request["fee_cents"], request["currency"]) == (
        60_000,
        6_000,
        "usd",
    )
    payout_id = request["payout_id"]
    assert waiting["payout"] == {"payout_id": payout_id, "status": "pending"}
    wait_email(twin, FINANCE, payout_id)
    wait_email(twin, intern["email"], "awaiting finance approval")

    # A forged approval changes nothing.
    forged = requests.post(
        f"{twin.url}/webhooks/finance",
        data=json.dumps({"type": "payout.approved", "data": {"payout_id": payout_id}}),
        headers={
            "Content-Type": "application/json",
            "webhook-id": "msg_forged",
            "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
            "webhook-signature": "v1,bm90IHRoZSBzaWduYXR1cmU=",
        },
        timeout=10,
    )
    assert forged.status_code == 401
    assert view(twin, brief_id, token)["status"] == "PAYOUT_APPROVAL"

    # The genuine approval releases the money.
    approved = send_finance(
        twin, "payout.approved", {"payout_id": payout_id, "approved_by": "ada@finance.example"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["outcome"] == "approved"

    # The same approval again, under the same and another id, changes nothing more.
    again = send_finance(twin, "payout.approved", {"payout_id": payout_id})
    assert again.status_code == 200 and again.json()["outcome"] == "already_applied"

    final = wait_status(twin, brief_id, token, "COMPLETED", timeout=40)
    assert final["payout"] == {"payout_id": payout_id, "status": "approved"}
    assert final["escrow"]["released_cents"] == 54_000
    assert final["escrow"]["fee_cents"] == 6_000
    assert final["escrow"]["held_cents"] == 0
    details = [e["detail"] for e in final["timeline"]]
    assert sum("Finance approved the payout" in d for d in details) == 1

    transfers = requests.get(
        f"{twin.stripe_url}/v1/transfers",
        params={"transfer_group": brief_id},
        headers={"Authorization": "Bearer sk_test_local_twin"},
        timeout=10,
    ).json()["data"]
    assert [(t["amount"], t["currency"]) for t in transfers] == [(54_000, "usd")]
    wait_email(twin, intern["email"], "is on its way to you")
    wait_email(twin, employer_email, "released")

    key = _finance_key()
    if key is None:
        return
    books = requests.get(
        f"{twin.url}/api/finance/payouts",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    ).json()
    assert payout_id in [p["payout_id"] for p in books["recent"]]
    assert payout_id not in [p["payout_id"] for p in books["pending"]]
    ledger = requests.get(
        f"{twin.url}/api/finance/ledger.csv",
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    rows = [r for r in csv.DictReader(io.StringIO(ledger.text)) if r["brief_id"] == brief_id]
    assert {(r["kind"], r["account"], int(r["amount_cents"])) for r in rows} == {
        ("fund", "escrow", 60_000),
        ("fund", "employer_funds", -60_000),
        ("release", "escrow", -60_000),
        ("release", "intern_paid", 54_000),
        ("release", "platform_fee", 6_000),
    }
    assert sum(int(r["amount_cents"]) for r in csv.DictReader(io.StringIO(ledger.text))) == 0


def test_finance_rejects_then_splits_the_disputed_budget(twin: RunningTwin) -> None:
    brief_id, token, employer_email, intern = approved_delivery(twin, "Finance dispute study")
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]

    early = send_finance(twin, "dispute.resolved", {"brief_id": brief_id, "resolution": "refund"})
    assert early.status_code == 409  # nothing is disputed yet

    rejected = send_finance(
        twin, "payout.rejected", {"payout_id": payout_id, "reason": "Deck is half done"}
    )
    assert rejected.status_code == 200, rejected.text
    wait_status(twin, brief_id, token, "DISPUTED")
    wait_email(twin, employer_email, "Dispute opened")
    wait_email(twin, intern["email"], "Dispute opened")

    split = send_finance(
        twin,
        "dispute.resolved",
        {"brief_id": brief_id, "resolution": "split", "intern_share_cents": 30_000},
    )
    assert split.status_code == 200, split.text
    assert (split.json()["transfer_cents"], split.json()["fee_cents"]) == (27_000, 3_000)
    assert split.json()["refund_cents"] == 30_000

    final = wait_status(twin, brief_id, token, "COMPLETED", timeout=40)
    escrow = final["escrow"]
    assert (escrow["released_cents"], escrow["fee_cents"], escrow["refunded_cents"]) == (
        27_000,
        3_000,
        30_000,
    )
    assert view(twin, brief_id, token)["payout"]["status"] == "resolved"

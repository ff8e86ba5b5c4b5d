"""Stripe down for longer than the steps' in-place retries, on the twin (issue 16: 1).

The real state machine runs: the Release or Refund step exhausts its Retry, its Catch opens the
visible `payout_failed` / `refund_failed` wait (finance told), and the wait's window — shrunk to
seconds through the execution input like every other window — sends the flow back to the step.
Nothing ends `FAILED`; once Stripe answers again the engagement completes and the ledger equals
Stripe's record, one transfer or refund each. Faults go through the sandbox's `/_sandbox/fail`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import view, wait_status
from tests.e2e.test_finance_twin import approval_request, approved_delivery, send_finance
from tests.helpers import eventually

pytestmark = pytest.mark.e2e

EXECUTIONS = "arn:aws:states:us-east-1:123456789012:execution:microintern-local-engagement"
STRIPE_KEY = {"Authorization": "Bearer sk_test_local_twin"}
FINANCE = "finance@microintern.example"


@contextmanager
def stripe_down(twin: RunningTwin, path_prefix: str) -> Iterator[None]:
    """Every POST under `path_prefix` answers 500 until the block ends (Stripe returns); reads
    still answer, so the test can look at Stripe's books meanwhile."""
    body = {"count": 100_000, "kind": "500", "path_prefix": path_prefix, "method": "POST"}
    assert requests.post(f"{twin.stripe_url}/_sandbox/fail", json=body, timeout=10).ok
    try:
        yield
    finally:
        assert requests.delete(f"{twin.stripe_url}/_sandbox/fail", timeout=10).ok


def execution_status(twin: RunningTwin, brief_id: str) -> str:
    desc = twin.client("stepfunctions").describe_execution(executionArn=f"{EXECUTIONS}:{brief_id}")
    return str(desc["status"])


def ends_succeeded(twin: RunningTwin, brief_id: str) -> None:
    """The execution ends SUCCEEDED (a moment after the brief's terminal status is written)."""

    def ended() -> str | None:
        status = execution_status(twin, brief_id)
        return None if status == "RUNNING" else status

    assert eventually(ended, timeout=20, every=0.2) == "SUCCEEDED"


def waiting_visibly(twin: RunningTwin, brief_id: str, token: str, kind: str) -> dict[str, Any]:
    """The brief once its failed money step waits (after the step's in-place retries)."""

    def stuck() -> dict[str, Any] | None:
        current = view(twin, brief_id, token)
        attention = current.get("attention") or {}
        return current if attention.get("kind") == kind else None

    return eventually(stuck, timeout=90, every=0.3)


def finance_event(twin: RunningTwin, event_type: str, brief_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        inbox = requests.get(f"{twin.url}/_local/finance-inbox.json", timeout=10).json()
        for delivery in inbox:
            body = delivery["body"]
            if not isinstance(body, dict) or body.get("type") != event_type:
                continue
            if body.get("data", {}).get("brief_id") == brief_id:
                return dict(body)
        return None

    return eventually(find, timeout=20, every=0.2)


def stripe_list(twin: RunningTwin, what: str, **params: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{twin.stripe_url}/v1/{what}", params=params, headers=STRIPE_KEY, timeout=10
    )
    assert response.ok, response.text
    return list(response.json()["data"])


def test_an_outage_during_release_waits_visibly_and_recovers_by_itself(twin: RunningTwin) -> None:
    brief_id, token, _, _ = approved_delivery(twin, "Outage during release study")
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]

    with stripe_down(twin, "/v1/transfers"):
        assert send_finance(twin, "payout.approved", {"payout_id": payout_id}).ok
        stuck = waiting_visibly(twin, brief_id, token, "payout_failed")

        assert stuck["status"] == "RELEASING"
        assert stuck["escrow"]["held_cents"] == 60_000
        assert "Stripe" in stuck["attention"]["reason"]
        assert any("payout" in e["detail"].lower() for e in stuck["timeline"][-3:])
        told = finance_event(twin, "payout.failed", brief_id)
        assert told["data"]["payout_id"] == payout_id
        assert execution_status(twin, brief_id) == "RUNNING"
        assert stripe_list(twin, "transfers", transfer_group=brief_id) == []

    # Stripe is back: the wait's window runs out and the flow retries Release by itself.
    final = wait_status(twin, brief_id, token, "COMPLETED", timeout=90)
    (transfer,) = stripe_list(twin, "transfers", transfer_group=brief_id)
    assert final["escrow"]["released_cents"] == transfer["amount"] == 54_000
    assert final["escrow"]["held_cents"] == 0
    assert final["attention"] is None
    ends_succeeded(twin, brief_id)


def test_an_outage_during_a_dispute_refund_waits_visibly_and_recovers(twin: RunningTwin) -> None:
    brief_id, token, _, _ = approved_delivery(twin, "Outage during refund study")
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]
    assert send_finance(twin, "payout.rejected", {"payout_id": payout_id, "reason": "Late"}).ok
    wait_status(twin, brief_id, token, "DISPUTED")
    pi = str(view(twin, brief_id, token)["escrow"]["payment_intent_id"])

    with stripe_down(twin, "/v1/refunds"):
        resolved = send_finance(
            twin, "dispute.resolved", {"brief_id": brief_id, "resolution": "refund"}
        )
        assert resolved.ok, resolved.text
        stuck = waiting_visibly(twin, brief_id, token, "refund_failed")

        assert stuck["status"] == "DISPUTED"
        assert stuck["escrow"]["held_cents"] == 60_000
        assert finance_event(twin, "refund.failed", brief_id)["data"]["amount_cents"] == 60_000
        assert execution_status(twin, brief_id) == "RUNNING"

    final = wait_status(twin, brief_id, token, "REFUNDED", timeout=90)
    (refund,) = stripe_list(twin, "refunds", payment_intent=pi)
    assert final["escrow"]["refunded_cents"] == refund["amount"] == 60_000
    assert final["escrow"]["held_cents"] == 0
    ends_succeeded(twin, brief_id)


def test_an_outage_during_a_split_recovers_with_one_transfer_and_one_refund(
    twin: RunningTwin,
) -> None:
    brief_id, token, _, _ = approved_delivery(twin, "Outage during split study")
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]
    assert send_finance(twin, "payout.rejected", {"payout_id": payout_id, "reason": "Half"}).ok
    wait_status(twin, brief_id, token, "DISPUTED")
    pi = str(view(twin, brief_id, token)["escrow"]["payment_intent_id"])

    with stripe_down(twin, "/v1/refunds"):  # the transfer goes through, the refund does not
        split = {"brief_id": brief_id, "resolution": "split", "intern_share_cents": 30_000}
        assert send_finance(twin, "dispute.resolved", split).ok
        waiting_visibly(twin, brief_id, token, "payout_failed")
        assert execution_status(twin, brief_id) == "RUNNING"

    final = wait_status(twin, brief_id, token, "COMPLETED", timeout=90)
    (transfer,) = stripe_list(twin, "transfers", transfer_group=brief_id)
    (refund,) = stripe_list(twin, "refunds", payment_intent=pi)
    escrow = final["escrow"]
    assert escrow["released_cents"] == transfer["amount"] == 27_000
    assert escrow["refunded_cents"] == refund["amount"] == 30_000
    assert escrow["held_cents"] == 0
    ends_succeeded(twin, brief_id)

"""Escrow on the local twin: the employer funds through the public API and the sandbox (which
signs and delivers the webhooks to the app), the workflow releases or refunds through Stripe,
and the reconciler — run the way `make reconcile` runs it — finds the books and Stripe agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import employer, engaged, fund, timeline, view, wait_status
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
TABLE = "microintern-local"


def _sandbox(twin: RunningTwin) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_local_twin", base_addresses={"api": twin.stripe_url}, max_network_retries=0
    )


def _approve_payout(twin: RunningTwin, brief_id: str) -> None:
    """Finance's approval (its webhook belongs to the finance issue): resume the payout wait."""
    from chalicelib.adapters.store import from_item

    ddb = twin.client("dynamodb")
    key = {"pk": {"S": f"BRIEF#{brief_id}"}, "sk": {"S": "TASKTOKEN#payout"}}

    def waiting() -> str | None:
        item = ddb.get_item(TableName=TABLE, Key=key).get("Item")
        return str(from_item(item)["token"]) if item else None

    token = eventually(waiting, timeout=30)
    twin.client("stepfunctions").send_task_success(
        taskToken=token, output=json.dumps({"decision": "approved"})
    )


@pytest.fixture
def reconciler(twin: RunningTwin, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The reconciler in this process, configured as `make reconcile` configures it."""
    from urllib.parse import urlsplit

    from chalicelib.adapters import aws, stripe_gateway
    from chalicelib.services import reconcile
    from chalicelib.settings import SECRET_NAMES, get_settings
    from local.twin import Twin, attach_environment

    port, aws_port, stripe_port = (
        int(urlsplit(url).port or 0) for url in (twin.url, twin.aws_url, twin.stripe_url)
    )
    env = attach_environment(Twin(port=port, aws_port=aws_port, stripe_port=stripe_port))
    assert env["TABLE_NAME"] == TABLE
    for name in SECRET_NAMES:  # read from the twin's Secrets Manager, as its functions do
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def reset() -> None:
        get_settings.cache_clear()
        aws.reset_clients()
        stripe_gateway.reset_client()
        from chalicelib.adapters import store

        store._store = None

    reset()
    yield reconcile
    monkeypatch.undo()
    reset()


def test_declined_card_then_good_card_then_release(twin: RunningTwin, reconciler: Any) -> None:
    brief_id, token, _, _, link = engaged(twin, "Escrow on the twin: pay, work, release")
    budget = int(view(twin, brief_id, token)["budget_cents"])

    declined = fund(twin, brief_id, token, card="pm_card_chargeDeclined")
    assert declined.status_code == 402
    eventually(lambda: any("Payment declined" in d for d in timeline(twin, brief_id, token)))
    assert view(twin, brief_id, token)["status"] == "AWAITING_FUNDING"

    assert fund(twin, brief_id, token).status_code == 200
    started = wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert started["escrow"]["funded_cents"] == budget
    assert started["escrow"]["payment_intent_id"].startswith("pi_")

    # the intern delivers, the employer approves, finance approves: the workflow releases
    from tests.e2e.flow import act

    delivered = act(
        twin, link, "deliver", {"summary": "Report and slides", "url": "https://x.example/r"}
    )
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).status_code == 200
    _approve_payout(twin, brief_id)
    done = wait_status(twin, brief_id, token, "COMPLETED")

    fee = budget // 10
    assert done["escrow"]["released_cents"] == budget - fee
    assert done["escrow"]["fee_cents"] == fee
    transfers = _sandbox(twin).v1.transfers.list(params={"transfer_group": brief_id})
    assert [t.amount for t in transfers.data] == [budget - fee]
    assert reconciler.check(brief_id) == []


def test_cancel_after_funding_refunds_in_full(twin: RunningTwin, reconciler: Any) -> None:
    brief_id, token, _, _, _ = engaged(twin, "Escrow on the twin: pay, miss, cancel")
    budget = int(view(twin, brief_id, token)["budget_cents"])
    assert fund(twin, brief_id, token).status_code == 200
    pi = wait_status(twin, brief_id, token, "IN_PROGRESS")["escrow"]["payment_intent_id"]

    wait_status(twin, brief_id, token, "DEADLINE_MISSED")  # no delivery in the work window
    assert employer(twin, brief_id, token, "cancel").status_code == 200
    cancelled = wait_status(twin, brief_id, token, "CANCELLED")

    assert cancelled["escrow"]["refunded_cents"] == budget
    assert cancelled["escrow"]["held_cents"] == 0
    refunds = _sandbox(twin).v1.refunds.list(params={"payment_intent": pi})
    assert [r.amount for r in refunds.data] == [budget]
    assert reconciler.check(brief_id) == []


def test_funding_page_shows_the_amount_and_pays_with_stripe(twin: RunningTwin) -> None:
    import requests

    brief_id, token, _, _, _ = engaged(twin, "Escrow on the twin: the funding page")
    page = requests.get(f"{twin.url}/briefs/{brief_id}/fund", params={"key": token}, timeout=10)

    assert page.status_code == 200
    assert "USD 600.00" in page.text
    assert twin.stripe_url in page.text  # the script confirms with Stripe (here: the sandbox)
    assert twin.stripe_url in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    foreign = requests.get(f"{twin.url}/briefs/{brief_id}/fund", params={"key": "x"}, timeout=10)
    assert foreign.status_code == 403

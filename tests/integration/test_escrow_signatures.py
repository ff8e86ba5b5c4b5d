"""POST /webhooks/stripe refuses what Stripe did not sign, or signed too long ago or ahead,
and then nothing changes: no funding, no receipt, no resumed workflow."""

from __future__ import annotations

import time

import pytest

from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    brief,
    escrow_of,
    escrow_sandbox_fixture,
    money_fixture,
    put_brief,
)


@pytest.mark.parametrize(
    ("case", "status"),
    [("missing", 401), ("wrong secret", 401), ("stale", 401), ("future", 401), ("garbled", 401)],
)
def test_refused_deliveries_change_nothing(money: Money, case: str, status: int) -> None:
    from chalicelib.adapters.store import get_store
    from local.stripe_sandbox import sign_payload

    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    money.confirm(intent, "pm_card_visa")
    (event,) = money.events("payment_intent.succeeded", intent["payment_intent_id"])
    payload, good = money.signed(event)
    now = int(time.time())
    signature = {
        "missing": None,
        "wrong secret": sign_payload(payload, "whsec_not_ours"),
        "stale": sign_payload(payload, "whsec_escrow_tests", now - 301),
        "future": sign_payload(payload, "whsec_escrow_tests", now + 301),
        "garbled": good.replace("v1=", "v1=00"),
    }[case]

    response = money.post_webhook(payload, signature)

    assert response.status_code == status
    assert response.json_body["errors"][0]["message"]
    assert brief(brief_id)["status"] == "AWAITING_FUNDING"
    assert escrow_of(brief_id)["funded_cents"] == 0
    assert get_store().get(f"WEBHOOK#stripe#{event['id']}", "WEBHOOK") is None
    assert money.resumed == []

    # the genuine delivery still works afterwards
    assert money.post_webhook(payload, good).json_body["outcome"] == "funded"
    assert brief(brief_id)["status"] == "IN_PROGRESS"


def test_a_body_that_is_not_json_is_a_bad_request(money: Money) -> None:
    from local.stripe_sandbox import sign_payload

    assert (
        money.post_webhook("{not json", sign_payload("{not json", "whsec_escrow_tests")).status_code
        == 400
    )


def test_unknown_event_types_are_acknowledged_once(money: Money) -> None:
    event = {
        "id": "evt_other_1",
        "object": "event",
        "type": "charge.captured",
        "data": {"object": {}},
    }

    assert money.deliver(event).json_body["outcome"] == "ignored"
    assert money.deliver(event).json_body["outcome"] == "duplicate"

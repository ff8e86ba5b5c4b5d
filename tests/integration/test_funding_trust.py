"""Funding trusts only Stripe's own record (issue 12, findings 1, 2 and 5).

A signed `payment_intent.succeeded` proves Stripe sent it, not that it is right for this
brief: the app re-reads the PaymentIntent from Stripe and funds only the one `/fund` created
for the brief, with the brief's amount and currency. Money that arrived but does not belong
is refunded automatically and noted; malformed signed events answer 4xx and change nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    API_KEY,
    Money,
    brief,
    escrow_of,
    escrow_sandbox_fixture,
    money_fixture,
    put_brief,
    timeline,
)


def _event(obj: Any, type_: str = "payment_intent.succeeded") -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": type_,
        "created": 1_700_000_000,
        "data": {"object": obj},
    }


def _stray_payment(money: Money, brief_id: str, amount: int, currency: str = "usd") -> str:
    """A PaymentIntent someone created outside `/fund`, naming the brief, and paid."""
    created = requests.post(
        f"{money.sandbox.url}/v1/payment_intents",
        data={
            "amount": amount,
            "currency": currency,
            "metadata[brief_id]": brief_id,
            "payment_method": "pm_card_visa",
            "confirm": "true",
        },
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def test_a_signed_event_with_a_forged_amount_funds_nothing(money: Money) -> None:
    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    forged = {
        "id": intent["payment_intent_id"],
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 100,
        "amount_received": 100,
        "currency": "usd",
        "metadata": {"brief_id": brief_id},
    }

    answer = money.deliver(_event(forged)).json_body

    assert answer["outcome"] != "funded"
    assert brief(brief_id)["status"] == "AWAITING_FUNDING"
    assert escrow_of(brief_id)["funded_cents"] == 0
    assert money.resumed == []
    assert _reconciled().discrepancies == []
    # the employer's real payment then funds the whole budget
    money.confirm(intent, "pm_card_visa")
    money.deliver_new(intent["payment_intent_id"])
    assert brief(brief_id)["status"] == "IN_PROGRESS"
    assert escrow_of(brief_id)["funded_cents"] == 60_000
    assert _reconciled().discrepancies == []


def _reconciled() -> Any:
    """A whole pass of the reconciler as scheduled (repairing), its errors none."""
    from chalicelib.adapters import reconcile_cursor
    from chalicelib.services import reconcile_repairs

    reconcile_cursor.forget_last_pass()
    report = reconcile_repairs.run()
    assert report.pass_complete and report.errors == [] and report.repaired == [], report.lines()
    return report


@pytest.mark.parametrize(
    ("amount", "currency", "funded_first"),
    [(50, "usd", False), (60_000, "jpy", False), (60_000, "usd", False), (5_000, "usd", True)],
    ids=["tiny", "other-currency", "not-from-fund", "after-fund-was-called"],
)
def test_money_that_does_not_belong_is_refunded_and_funds_nothing(
    money: Money, amount: int, currency: str, funded_first: bool
) -> None:
    from chalicelib.services import reconcile

    brief_id, token = put_brief()
    if funded_first:
        assert money.fund(brief_id, token).status_code == 200
    stray = _stray_payment(money, brief_id, amount, currency)

    (event,) = money.events("payment_intent.succeeded", stray)
    answer = money.deliver(event).json_body
    again = money.deliver({**event, "id": event["id"] + "_again"}).json_body

    assert answer["outcome"] == "refunded_stray"
    assert again["outcome"] == "already_refunded"  # answered from the marker, not Stripe
    assert brief(brief_id)["status"] == "AWAITING_FUNDING"
    assert escrow_of(brief_id)["funded_cents"] == 0
    assert money.resumed == []
    assert [r["amount"] for r in money.refunds(stray)] == [amount]
    notes = [e["detail"] for e in timeline(brief_id) if "does not match" in e["detail"]]
    assert len(notes) == 1
    assert reconcile.check(brief_id) == []
    # and the reconciler's whole pass, Stripe's own record included, reports nothing
    assert _reconciled().discrepancies == []


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"id": "pi_x", "metadata": "brief"},
        {"id": 5},
        "pi_x",
        None,
    ],
    ids=["object-a-list", "metadata-a-string", "id-a-number", "object-a-string", "no-object"],
)
@pytest.mark.parametrize(
    "type_", ["payment_intent.succeeded", "payment_intent.payment_failed", "account.updated"]
)
def test_signed_events_of_the_wrong_shape_are_refused_and_change_nothing(
    money: Money, obj: Any, type_: str
) -> None:
    from chalicelib.adapters.store import get_store

    event = _event(obj, type_)
    response = money.post_webhook(*money.signed(event))

    assert response.status_code == 400, response.body
    assert response.json_body["errors"][0]["message"]
    assert get_store().get(f"WEBHOOK#stripe#{event['id']}", "WEBHOOK") is None


def test_a_bad_created_timestamp_is_refused(money: Money) -> None:
    event = {**_event({"id": "acct_1", "metadata": {"intern_id": "i_1"}}, "account.updated")}
    event["created"] = "abc"
    assert money.post_webhook(*money.signed(event)).status_code == 400

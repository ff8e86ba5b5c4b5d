"""The reconciler covers Stripe's own record and repairs what it proves (issue 12: 2; issue 16: 2).

Every PaymentIntent that names a brief is checked, whoever created it and whether or not its
webhook arrived: the brief's own payment is recorded through the funding use case (the flow
resumes), money that does not belong is refunded as a stray. A Transfer or Refund that Stripe
applied but the ledger never recorded (the response lost, the retries failing) is recorded once,
only when Stripe's objects prove it; anything else is reported and left. A second run changes
nothing.

Given/When/Then against moto in-process and the Stripe sandbox over HTTP (no webhook delivered
unless the test says so).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.services.steps import StepEvent
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    API_KEY,
    Money,
    brief,
    escrow_of,
    escrow_sandbox_fixture,
    money_fixture,
    move,
    put_brief,
    ready_intern,
    timeline,
)
from tests.integration.test_funding_trust import _stray_payment


def repairing_pass() -> Any:
    """One whole pass now, as `make reconcile` (and the schedule) runs it: repairing."""
    from chalicelib.adapters import reconcile_cursor
    from chalicelib.services import reconcile_repairs

    reconcile_cursor.forget_last_pass()
    report = reconcile_repairs.run()
    assert report.pass_complete and report.errors == [], report.as_dict()
    return report


def reporting_pass() -> Any:
    """The reconciler alone (no repairs): what it finds."""
    from chalicelib.adapters import reconcile_cursor
    from chalicelib.services import reconcile

    reconcile_cursor.forget_last_pass()
    return reconcile.run()


def ledger_lines(brief_id: str) -> list[str]:
    from chalicelib.adapters.store import get_store

    return sorted(str(i["sk"]) for i in get_store().query(f"BRIEF#{brief_id}", "LEDGER#"))


@pytest.fixture
def metric_names() -> Any:
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield lambda: {name: m["Value"] for name, m in metrics.metric_set.items()}
    metrics.clear_metrics()


# -- payments whose webhook never arrived ---------------------------------------------------------


def test_the_briefs_own_payment_whose_webhook_was_lost_is_recorded_and_the_flow_resumes(
    money: Money,
) -> None:
    # Given an employer who paid the brief's own PaymentIntent, and a webhook that never came
    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    assert money.confirm(intent, "pm_card_visa").status_code == 200
    pi = intent["payment_intent_id"]
    found = reporting_pass()
    assert any(pi in line for line in found.discrepancies), found.as_dict()

    # When the reconciler runs
    report = repairing_pass()

    # Then the payment is recorded through the funding use case: funded once, work starts
    assert report.repaired and report.discrepancies == [], report.as_dict()
    assert brief(brief_id)["status"] == "IN_PROGRESS"
    assert escrow_of(brief_id)["funded_cents"] == 60_000
    assert [output["payment_intent_id"] for _, output in money.resumed] == [pi]
    assert money.refunds(pi) == []

    # And a second run changes nothing
    lines = ledger_lines(brief_id)
    again = repairing_pass()
    assert again.repaired == [] and again.discrepancies == []
    assert ledger_lines(brief_id) == lines and len(money.resumed) == 1


@pytest.mark.parametrize("funded", [False, True], ids=["unfunded-brief", "funded-brief"])
def test_a_payment_naming_a_brief_that_is_not_its_own_is_refunded_without_a_webhook(
    money: Money, funded: bool
) -> None:
    # Given a PaymentIntent someone created outside `/fund`, naming the brief, paid; no webhook
    brief_id, token = put_brief()
    if funded:
        money.pay(brief_id, token)
    stray = _stray_payment(money, brief_id, 5_000)

    # When the reconciler runs
    report = repairing_pass()

    # Then it is refunded in full as a stray, noted once; the escrow is what the brief paid
    assert [r["amount"] for r in money.refunds(stray)] == [5_000]
    assert report.discrepancies == [] and len(report.repaired) == 1, report.as_dict()
    assert "refunded_stray" in report.repaired[0]
    assert escrow_of(brief_id)["funded_cents"] == (60_000 if funded else 0)
    assert len([e for e in timeline(brief_id) if stray in str(e["detail"])]) == 1

    # And a second run changes nothing (the STRAY marker answers)
    again = repairing_pass()
    assert again.repaired == [] and again.discrepancies == []
    assert len(money.refunds(stray)) == 1


def test_a_late_webhook_for_a_stray_payment_on_a_funded_brief_refunds_it(money: Money) -> None:
    brief_id, token = put_brief()
    money.pay(brief_id, token)
    stray = _stray_payment(money, brief_id, 5_000)

    (event,) = money.events("payment_intent.succeeded", stray)
    answer = money.deliver(event).json_body

    assert answer["outcome"] == "refunded_stray"
    assert [r["amount"] for r in money.refunds(stray)] == [5_000]
    assert escrow_of(brief_id)["funded_cents"] == 60_000
    assert repairing_pass().discrepancies == []


def test_a_payment_naming_an_unknown_brief_is_reported_and_left(money: Money) -> None:
    stray = _stray_payment(money, "b_nobody", 700)

    report = repairing_pass()

    assert report.repaired == []
    assert report.discrepancies == [
        f"b_nobody: payment {stray} of 700 usd names a brief that does not exist"
    ]
    assert money.refunds(stray) == []


def test_the_sweep_lists_only_what_was_created_since_its_cursor(money: Money) -> None:
    brief_id, token = put_brief()
    money.pay(brief_id, token)
    first = repairing_pass()
    assert first.payments == 1

    # the cursor moved to the last sweep's start (less an overlap): old payments not listed
    # again once the overlap has passed
    from datetime import timedelta

    from chalicelib.adapters import clock

    later = clock.now() + timedelta(hours=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: later)
        assert repairing_pass().payments == 1  # the cursor was the first sweep's start - 300 s
        assert repairing_pass().payments == 0  # now the second sweep's start - 300 s


# -- movements Stripe applied that the ledger never recorded ---------------------------------------


def _refund_lost_then_outage(money: Money) -> tuple[str, str]:
    """A paid brief whose refund Stripe applied (response lost), every retry then failing."""
    from chalicelib.services import steps

    brief_id, token = put_brief()
    pi = money.pay(brief_id, token)
    move(brief_id, "DEADLINE_MISSED")
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/refunds", process=True)
    money.sandbox.fail(count=100, kind="500", path_prefix="/v1/refunds")
    for _ in range(4):
        with pytest.raises(gateway.TransientError):
            steps.refund(StepEvent(brief_id=brief_id))
    money.sandbox.clear_faults()
    assert len(money.refunds(pi)) == 1 and escrow_of(brief_id)["held_cents"] == 60_000
    return brief_id, pi


def test_an_applied_but_unrecorded_refund_is_recorded_once(money: Money, metric_names: Any) -> None:
    from chalicelib.services import reconcile

    # Given a refund Stripe applied whose response was lost, the retries failing, and the
    # engagement then ending another way
    brief_id, pi = _refund_lost_then_outage(money)
    move(brief_id, "CANCELLED")
    assert reconcile.check(brief_id) == ["refunded: Stripe refunded 60000, ledger says 0"]

    # When the reconciler runs
    report = repairing_pass()

    # Then the refund is recorded once, as the step would have: held 0, the episode over
    (refunded,) = money.refunds(pi)
    assert report.discrepancies == [] and len(report.repaired) == 1, report.as_dict()
    figures = escrow_of(brief_id)
    assert (figures["refunded_cents"], figures["held_cents"]) == (60_000, 0)
    assert brief(brief_id)["refund_id"] == refunded["id"]
    assert "money_stuck" not in brief(brief_id)
    assert metric_names()["ReconcileRepairs"] == [1.0]

    # And a second run changes nothing
    lines = ledger_lines(brief_id)
    again = repairing_pass()
    assert again.repaired == [] and again.discrepancies == []
    assert ledger_lines(brief_id) == lines and len(money.refunds(pi)) == 1


def test_an_applied_but_unrecorded_transfer_is_recorded_once(money: Money) -> None:
    from chalicelib.services import steps

    # Given a release whose transfer Stripe applied (response lost), every retry then failing
    brief_id, token = put_brief(intern_id=ready_intern(money))
    money.pay(brief_id, token)
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/transfers", process=True)
    money.sandbox.fail(count=100, kind="500", path_prefix="/v1/transfers")
    for _ in range(4):
        with pytest.raises(gateway.TransientError):
            steps.release(StepEvent(brief_id=brief_id))
    money.sandbox.clear_faults()
    (transfer,) = money.transfers(brief_id)
    assert escrow_of(brief_id)["held_cents"] == 60_000

    # When the reconciler runs
    report = repairing_pass()

    # Then the release is recorded once: the transfer, the fee, nothing held
    assert report.discrepancies == [] and len(report.repaired) == 1, report.as_dict()
    figures = escrow_of(brief_id)
    assert (figures["released_cents"], figures["fee_cents"], figures["held_cents"]) == (
        54_000,
        6_000,
        0,
    )
    assert brief(brief_id)["transfer_id"] == transfer["id"]

    # And the step, retried later, moves nothing more; a second run changes nothing
    assert steps.release(StepEvent(brief_id=brief_id))["moved_cents"] == 0
    lines = ledger_lines(brief_id)
    again = repairing_pass()
    assert again.repaired == [] and again.discrepancies == []
    assert ledger_lines(brief_id) == lines and len(money.transfers(brief_id)) == 1


def test_a_movement_stripe_does_not_prove_is_reported_and_left(
    money: Money, metric_names: Any
) -> None:
    # Given a paid brief and a refund tagged with its refund step but not for what is held
    brief_id, token = put_brief()
    pi = money.pay(brief_id, token)
    move(brief_id, "CANCELLED")
    partial = requests.post(
        f"{money.sandbox.url}/v1/refunds",
        data={
            "payment_intent": pi,
            "amount": 100,
            "metadata[brief_id]": brief_id,
            "metadata[step]": "refund",
        },
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=10,
    )
    assert partial.status_code == 200, partial.text

    # When the reconciler runs
    report = repairing_pass()

    # Then nothing is recorded; the discrepancy is reported (log line and metric)
    assert report.repaired == []
    assert report.discrepancies == [f"{brief_id}: refunded: Stripe refunded 100, ledger says 0"]
    assert metric_names()["ReconcileDiscrepancies"] == [1.0]
    assert escrow_of(brief_id)["held_cents"] == 60_000

"""Escrow end to end against moto and the Stripe sandbox: fund, webhooks, release, refund,
split, Connect onboarding and the reconciler. Given/When/Then; money over real HTTP."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.services.steps import StepEvent
from tests.integration.conftest import sent_emails
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
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


def _funding_notes(brief_id: str) -> list[dict[str, Any]]:
    return [e for e in timeline(brief_id) if "Escrow funded" in str(e["detail"])]


# -- funding ------------------------------------------------------------------------------------


def test_fund_creates_one_payment_intent_for_the_budget(money: Money) -> None:
    brief_id, token = put_brief(budget_cents=45_000)

    first = money.fund(brief_id, token)
    again = money.fund(brief_id, token)

    assert first.status_code == 200 and again.status_code == 200
    assert again.json_body["payment_intent_id"] == first.json_body["payment_intent_id"]
    assert again.json_body["client_secret"] == first.json_body["client_secret"]
    (pi,) = money.sandbox.state()["payment_intents"]
    assert pi["id"] == first.json_body["payment_intent_id"]
    assert pi["amount"] == 45_000 and pi["currency"] == "usd"
    assert pi["transfer_group"] == brief_id and pi["metadata"] == {"brief_id": brief_id}
    assert brief(brief_id)["payment_intent_id"] == pi["id"]
    assert any(
        k["path"] == "/v1/payment_intents" for k in money.sandbox.state()["idempotency_keys"]
    )


def test_fund_needs_the_manage_token_and_the_funding_state(money: Money) -> None:
    brief_id, token = put_brief(status="NDA")

    assert money.fund(brief_id, "").status_code == 401
    assert money.fund(brief_id, "not-the-token").status_code == 403
    refused = money.fund(brief_id, token)
    assert refused.status_code == 409
    assert refused.json_body["errors"][0]["message"].startswith(
        "Escrow can be funded only while it waits for funding: the intern has accepted"
    )
    assert money.sandbox.state()["payment_intents"] == []


def test_fund_answers_503_when_stripe_is_down_and_works_on_retry(money: Money) -> None:
    brief_id, token = put_brief()
    money.sandbox.fail(count=1, kind="rate_limit", path_prefix="/v1/payment_intents")

    assert money.fund(brief_id, token).status_code == 503
    assert money.fund(brief_id, token).status_code == 200
    assert len(money.sandbox.state()["payment_intents"]) == 1


def test_declined_card_keeps_waiting_then_a_good_card_starts_work(money: Money) -> None:
    brief_id, token = put_brief(budget_cents=60_000)
    intent = money.fund(brief_id, token).json_body

    declined = money.confirm(intent, "pm_card_chargeDeclined")
    money.deliver_new(intent["payment_intent_id"])

    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == "generic_decline"
    assert brief(brief_id)["status"] == "AWAITING_FUNDING"
    assert escrow_of(brief_id)["funded_cents"] == 0
    assert any("Payment declined" in str(e["detail"]) for e in timeline(brief_id))
    assert money.resumed == []

    retry = money.fund(brief_id, token).json_body
    assert retry["payment_intent_id"] == intent["payment_intent_id"]
    assert money.confirm(retry, "pm_card_visa").status_code == 200
    money.deliver_new(intent["payment_intent_id"])

    assert brief(brief_id)["status"] == "IN_PROGRESS"
    figures = escrow_of(brief_id)
    assert figures["funded_cents"] == 60_000 and figures["held_cents"] == 60_000
    assert figures["payment_intent_id"] == intent["payment_intent_id"]
    ((resumed_token, output),) = money.resumed
    assert resumed_token == f"token-{brief_id}"
    assert output["payment_intent_id"] == intent["payment_intent_id"]
    assert 13 * 24 * 3600 < output["work_seconds"] <= 15 * 24 * 3600


def test_same_event_three_times_in_a_row_changes_state_once(money: Money) -> None:
    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    money.confirm(intent, "pm_card_visa")
    (event,) = money.events("payment_intent.succeeded", intent["payment_intent_id"])

    outcomes = [money.deliver(event).json_body["outcome"] for _ in range(3)]

    assert outcomes == ["funded", "duplicate", "duplicate"]
    after = brief(brief_id)
    assert after["status"] == "IN_PROGRESS" and after["version"] == 2
    assert len(_funding_notes(brief_id)) == 1
    assert escrow_of(brief_id)["funded_cents"] == 60_000
    assert len(money.resumed) == 1


def test_same_event_three_times_at_once_changes_state_once(money: Money) -> None:
    from chalicelib.services import stripe_webhooks

    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    money.confirm(intent, "pm_card_visa")
    (event,) = money.events("payment_intent.succeeded", intent["payment_intent_id"])
    payload, signature = money.signed(event)
    start = threading.Barrier(3)
    outcomes: list[str] = []

    def deliver() -> None:
        start.wait()
        outcomes.append(stripe_webhooks.handle(payload, signature)["outcome"])

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["duplicate", "duplicate", "funded"]
    assert brief(brief_id)["status"] == "IN_PROGRESS"
    assert brief(brief_id)["version"] == 2
    assert len(_funding_notes(brief_id)) == 1
    assert escrow_of(brief_id)["funded_cents"] == 60_000
    assert len(money.resumed) == 1


def test_payment_after_cancellation_is_refunded_in_full(money: Money) -> None:
    from chalicelib.services import reconcile

    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    move(brief_id, "CANCELLED")

    money.confirm(intent, "pm_card_visa")
    money.deliver_new(intent["payment_intent_id"])

    assert brief(brief_id)["status"] == "CANCELLED"
    figures = escrow_of(brief_id)
    assert figures["funded_cents"] == figures["refunded_cents"] == 60_000
    assert figures["held_cents"] == 0
    assert [r["amount"] for r in money.refunds(intent["payment_intent_id"])] == [60_000]
    assert reconcile.check(brief_id) == []
    assert money.resumed == []


def test_payment_after_cancellation_with_stripe_failing_answers_503_until_refunded(
    money: Money,
) -> None:
    """The refund a late payment sets off fails at Stripe: the webhook answers 503 (a retry
    helps; it used to crash with a 500), the funding is kept, and the redelivery refunds."""
    brief_id, token = put_brief()
    intent = money.fund(brief_id, token).json_body
    move(brief_id, "CANCELLED")
    money.confirm(intent, "pm_card_visa")
    (event,) = money.events("payment_intent.succeeded", intent["payment_intent_id"])
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/refunds")

    failed = money.post_webhook(*money.signed(event))

    assert failed.status_code == 503, failed.body
    assert "again later" in failed.json_body["errors"][0]["message"]
    assert escrow_of(brief_id)["held_cents"] == 60_000  # recorded, not yet refunded
    assert money.refunds(intent["payment_intent_id"]) == []

    assert money.deliver(event).json_body["outcome"] == "duplicate"  # Stripe's retry
    figures = escrow_of(brief_id)
    assert figures["refunded_cents"] == 60_000 and figures["held_cents"] == 0
    assert [r["amount"] for r in money.refunds(intent["payment_intent_id"])] == [60_000]


def test_a_payment_as_the_funding_wait_closes_is_refunded_and_the_flow_cancels(
    money: Money,
) -> None:
    """Found by bench.chaos: a payment landing after Step Functions timed the Funding wait out
    started the work (IN_PROGRESS) on a closed wait; SettleCancelled then failed the execution
    with the money held. A wait past its `closes_at` is closed to payments: refunded in full."""
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store
    from chalicelib.services import reconcile, steps
    from chalicelib.services.steps import StepEvent

    brief_id, token = put_brief()
    store = get_store()
    item = store.get(f"BRIEF#{brief_id}", "TASKTOKEN#funding")
    assert item is not None
    store.put({**item, "closes_at": clock.iso(clock.now() - timedelta(seconds=1))})
    intent = money.fund(brief_id, token).json_body

    money.confirm(intent, "pm_card_visa")
    money.deliver_new(intent["payment_intent_id"])

    assert brief(brief_id)["status"] == "AWAITING_FUNDING"  # the work never started
    assert money.resumed == []
    assert [r["amount"] for r in money.refunds(intent["payment_intent_id"])] == [60_000]
    # The timeout's path: FundingExpired, Refund (nothing left to refund), SettleCancelled.
    steps.window_closed(StepEvent(brief_id=brief_id, kind="funding"))
    assert steps.refund(StepEvent(brief_id=brief_id))["moved_cents"] == 0
    steps.settle(StepEvent(brief_id=brief_id, status="CANCELLED"))
    assert brief(brief_id)["status"] == "CANCELLED"
    figures = escrow_of(brief_id)
    assert (figures["funded_cents"], figures["refunded_cents"], figures["held_cents"]) == (
        60_000,
        60_000,
        0,
    )
    assert reconcile.check(brief_id) == []


def test_the_funding_wait_closes_to_payments_just_before_its_timeout() -> None:
    from chalicelib.services.steps import StepEvent, _closes_at

    event = StepEvent(
        brief_id="b1",
        kind="funding",
        timeout_seconds=72 * 3600,
        entered="2026-11-26T10:00:00.123Z",
    )

    assert _closes_at(event) == "2026-11-29T09:59:50.123Z"
    short = event.model_copy(update={"timeout_seconds": 8})  # a test twin's window: a tenth
    assert _closes_at(short) == "2026-11-26T10:00:07.323Z"
    assert _closes_at(event.model_copy(update={"kind": "offer"})) is None


# -- release ------------------------------------------------------------------------------------


def _funded(
    money: Money, *, intern: str | None = None, budget: int = 60_000, fee_bps: int = 1000
) -> str:
    brief_id, token = put_brief(intern_id=intern, budget_cents=budget, fee_bps=fee_bps)
    money.pay(brief_id, token)
    assert brief(brief_id)["status"] == "IN_PROGRESS"
    return brief_id


def test_release_transfers_budget_less_fee_with_source_transaction(money: Money) -> None:
    from chalicelib.services import reconcile, steps

    brief_id = _funded(money, intern=ready_intern(money))
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")

    result = steps.release(StepEvent(brief_id=brief_id))

    assert result["moved_cents"] == 54_000 and result["fee_cents"] == 6_000
    (transfer,) = money.transfers(brief_id)
    assert transfer["amount"] == 54_000
    assert transfer["source_transaction"] == brief(brief_id)["charge_id"]
    figures = escrow_of(brief_id)
    assert (figures["released_cents"], figures["fee_cents"], figures["held_cents"]) == (
        54_000,
        6_000,
        0,
    )
    assert reconcile.check(brief_id) == []


def test_release_with_a_whole_fee_transfers_nothing_and_completes(money: Money) -> None:
    """A 100 % fee leaves 0 for the intern: Stripe refuses a transfer of 0, so none is made."""
    from chalicelib.services import reconcile, steps

    brief_id = _funded(money, intern=ready_intern(money), fee_bps=10_000)
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")

    result = steps.release(StepEvent(brief_id=brief_id))

    assert (result["moved_cents"], result["fee_cents"]) == (0, 60_000)
    assert money.transfers(brief_id) == []
    figures = escrow_of(brief_id)
    assert (figures["released_cents"], figures["fee_cents"], figures["held_cents"]) == (
        0,
        60_000,
        0,
    )
    assert reconcile.check(brief_id) == []
    assert steps.release(StepEvent(brief_id=brief_id))["moved_cents"] == 0  # a retry: once


class SimulatedCrash(Exception):
    """The Lambda died between Stripe's answer and the database commit."""


def test_release_retried_after_a_crash_moves_money_once(
    money: Money, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services import escrow, reconcile, steps

    brief_id = _funded(money, intern=ready_intern(money))
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")
    commit = escrow._commit_out

    def crash_once(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(escrow, "_commit_out", commit)
        raise SimulatedCrash()

    monkeypatch.setattr(escrow, "_commit_out", crash_once)
    with pytest.raises(SimulatedCrash):
        steps.release(StepEvent(brief_id=brief_id))
    assert len(money.transfers(brief_id)) == 1  # Stripe moved the money...
    assert escrow_of(brief_id)["released_cents"] == 0  # ...the ledger does not know yet
    assert reconcile.check(brief_id) == [
        "released: Stripe transferred 54000, ledger says 0",
    ]

    steps.release(StepEvent(brief_id=brief_id))  # Step Functions retries the step
    steps.release(StepEvent(brief_id=brief_id))  # and once more, for good measure

    (transfer,) = money.transfers(brief_id)
    assert transfer["amount"] == 54_000
    figures = escrow_of(brief_id)
    assert figures["released_cents"] == 54_000 and figures["held_cents"] == 0
    assert reconcile.run().discrepancies == []


def test_release_after_a_lost_stripe_response_moves_money_once(money: Money) -> None:
    from chalicelib.adapters.stripe_gateway import TransientError
    from chalicelib.services import reconcile, steps

    brief_id = _funded(money, intern=ready_intern(money))
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/transfers", process=True)

    with pytest.raises(TransientError):
        steps.release(StepEvent(brief_id=brief_id))
    steps.release(StepEvent(brief_id=brief_id))

    assert len(money.transfers(brief_id)) == 1
    assert escrow_of(brief_id)["released_cents"] == 54_000
    assert reconcile.check(brief_id) == []


def test_release_waits_for_the_interns_payout_account_and_reminds(money: Money) -> None:
    from chalicelib.services import steps
    from chalicelib.services.errors import PayoutAccountNotReady
    from tests.integration.test_escrow_support import onboard_intern

    intern_id = ready_intern(money, onboard=False)
    brief_id = _funded(money, intern=intern_id)
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")
    before = len(sent_emails())

    with pytest.raises(PayoutAccountNotReady):
        steps.release(StepEvent(brief_id=brief_id))

    assert money.transfers(brief_id) == []
    reminders = sent_emails()[before:]
    assert len(reminders) == 1 and "Connect Stripe" in reminders[0].raw_data
    onboard_intern(money, _onboarding_link(reminders[0].raw_data))

    steps.release(StepEvent(brief_id=brief_id))
    assert [t["amount"] for t in money.transfers(brief_id)] == [54_000]


def _onboarding_link(raw_email: str) -> str:
    link = next(
        line
        for line in raw_email.replace("=\n", "").replace("=3D", "=").split()
        if "/_sandbox/onboard/" in line
    )
    return link[link.index("http") :].split('"')[0].rstrip(">")


def test_an_account_made_ready_before_the_wait_stores_its_token_still_resumes_the_payout(
    money: Money,
) -> None:
    """The lost wake-up of the chaos run: Stripe's "ready" is applied after the release found
    the intern not ready but before AwaitPayoutAccount stored its token, so account.updated had
    no wait to resume; the wait looks once more when it opens."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps
    from chalicelib.services.errors import PayoutAccountNotReady
    from tests.integration.test_escrow_support import onboard_intern

    brief_id = _funded(money, intern=ready_intern(money, onboard=False))
    move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")
    before = len(sent_emails())
    with pytest.raises(PayoutAccountNotReady):
        steps.release(StepEvent(brief_id=brief_id))
    resumed = len(money.resumed)  # the funding wait's
    onboard_intern(money, _onboarding_link(sent_emails()[before].raw_data))
    assert len(money.resumed) == resumed  # account.updated applied: no wait open to resume

    wait = StepEvent(brief_id=brief_id, kind="account", task_token="tok-account", execution="x")  # type: ignore[arg-type]
    steps.await_party(wait)

    assert money.resumed[resumed:] == [("tok-account", {"ready": True})]
    assert get_store().waiting_token(brief_id, "account") is None  # used once


# -- refund and split -----------------------------------------------------------------------------


def test_cancel_after_funding_refunds_in_full(money: Money) -> None:
    from chalicelib.services import reconcile, steps

    brief_id = _funded(money, budget=80_000)
    move(brief_id, "DEADLINE_MISSED")  # the employer cancels at the missed deadline

    result = steps.refund(StepEvent(brief_id=brief_id))
    steps.refund(StepEvent(brief_id=brief_id))  # retried: nothing more moves

    assert result["moved_cents"] == 80_000
    pi = brief(brief_id)["payment_intent_id"]
    assert [r["amount"] for r in money.refunds(pi)] == [80_000]
    figures = escrow_of(brief_id)
    assert figures["refunded_cents"] == 80_000 and figures["held_cents"] == 0
    assert reconcile.check(brief_id) == []


def test_refund_of_a_never_funded_engagement_moves_nothing(money: Money) -> None:
    from chalicelib.services import steps

    brief_id, _ = put_brief()

    assert steps.refund(StepEvent(brief_id=brief_id)) == {"moved_cents": 0}
    assert money.sandbox.state()["refunds"] == []


def test_nothing_is_refunded_while_the_intern_works(money: Money) -> None:
    from chalicelib.services import escrow

    brief_id = _funded(money)

    with pytest.raises(escrow.EscrowError):
        escrow.refund_escrow(brief_id)
    assert money.sandbox.state()["refunds"] == []


def test_dispute_split_transfers_the_share_less_fee_and_refunds_the_rest(money: Money) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import reconcile, steps

    brief_id = _funded(money, intern=ready_intern(money), budget=50_000)
    move(brief_id, "IN_REVIEW", "DISPUTED")
    get_store().update_brief(
        brief_id, {"dispute_resolution": {"resolution": "split", "intern_share_cents": 30_000}}
    )

    steps.release(StepEvent(brief_id=brief_id))
    steps.release(StepEvent(brief_id=brief_id))

    assert [t["amount"] for t in money.transfers(brief_id)] == [27_000]
    pi = brief(brief_id)["payment_intent_id"]
    assert [r["amount"] for r in money.refunds(pi)] == [20_000]
    figures = escrow_of(brief_id)
    assert (
        figures["released_cents"],
        figures["fee_cents"],
        figures["refunded_cents"],
        figures["held_cents"],
    ) == (27_000, 3_000, 20_000, 0)
    assert reconcile.check(brief_id) == []


# -- onboarding and the reconciler ---------------------------------------------------------------


def test_register_intern_returns_onboarding_url_and_account_updated_marks_ready(
    money: Money,
) -> None:
    from chalicelib.adapters.store import get_store

    intern_id = ready_intern(money, onboard=False)
    profile = get_store().get(f"INTERN#{intern_id}", "PROFILE") or {}
    account_id = profile["stripe_account_id"]
    (account,) = [a for a in money.sandbox.state()["accounts"] if a["id"] == account_id]
    assert account["type"] == "express" and account["metadata"] == {"intern_id": intern_id}
    assert profile["payout_ready"] is False

    from tests.integration.test_escrow_support import onboard_intern

    onboard_intern(money, f"{money.sandbox.url}/_sandbox/onboard/{account_id}")
    assert (get_store().get(f"INTERN#{intern_id}", "PROFILE") or {})["payout_ready"] is True

    # an older account.updated delivered late does not undo the newer one
    (event,) = money.events("account.updated", account_id)
    stale = {
        **event,
        "id": "evt_stale_" + account_id,
        "created": event["created"] - 60,
        "data": {"object": {**event["data"]["object"], "payouts_enabled": False}},
    }
    assert money.deliver(stale).json_body["outcome"] == "stale"
    assert (get_store().get(f"INTERN#{intern_id}", "PROFILE") or {})["payout_ready"] is True

    # A "not ready yet" of the same second, delivered after the "ready" (reordered): events of
    # one second cannot be ordered, so the account is read again from Stripe, which says ready.
    same_second = {**stale, "id": "evt_same_second_" + account_id, "created": event["created"]}
    assert money.deliver(same_second).json_body["outcome"] == "ready"
    assert (get_store().get(f"INTERN#{intern_id}", "PROFILE") or {})["payout_ready"] is True


def test_reconciler_reports_a_payment_the_ledger_missed(money: Money) -> None:
    from chalicelib.services import reconcile

    brief_id, token = put_brief(budget_cents=30_000)
    intent = money.fund(brief_id, token).json_body
    money.confirm(intent, "pm_card_visa")  # the webhook never arrives

    report = reconcile.run()

    assert f"{brief_id}: funded: Stripe received 30000, ledger says 0" in report.discrepancies
    money.deliver_new(intent["payment_intent_id"])
    assert reconcile.check(brief_id) == []

"""A hypothesis state machine over escrow: fund (good and declined cards), approve → release,
cancel → refund, dispute → split, duplicate webhooks and injected Stripe failures (500, rate
limit, timeout, and failures after Stripe acted), in any order, on several engagements.

After every step, for every engagement: the journal sums to zero, no balance is negative,
released + fee + refunded ≤ funded, the brief's guard counter equals what the journal holds,
and at most one money-out (one terminal outcome). At the end, with Stripe healthy again and
pending steps retried, the reconciler finds the ledger and Stripe in agreement.
"""

from __future__ import annotations

import contextlib
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    brief,
    escrow_sandbox_fixture,
    money_fixture,
    move,
    put_brief,
    ready_intern,
)

LIVE = {"IN_PROGRESS", "IN_REVIEW", "PAYOUT_APPROVAL"}
Failure = tuple[str, bool] | None  # (sandbox fault kind, whether Stripe acted before failing)
FAILURES = st.none() | st.tuples(st.sampled_from(["500", "rate_limit", "timeout"]), st.booleans())


def forget(brief_id: str) -> None:
    from chalicelib.adapters.store import get_store

    store = get_store()
    items = store.query(f"BRIEF#{brief_id}")
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in items] + [
        {"pk": "ESCROW#OPEN", "sk": f"BRIEF#{brief_id}"}
    ]
    from chalicelib.adapters import aws
    from chalicelib.adapters.store import to_item

    for key in keys:
        aws.client("dynamodb").delete_item(TableName=store.table, Key=to_item(key))


def test_escrow_invariants_hold_under_any_sequence(money: Money) -> None:
    from chalicelib.adapters import escrow_store
    from chalicelib.adapters.stripe_gateway import TransientError
    from chalicelib.domain import ledger
    from chalicelib.services import reconcile, steps
    from chalicelib.services.steps import StepEvent

    intern_id = ready_intern(money)

    class Escrow(RuleBasedStateMachine):
        engagements = Bundle("engagements")

        def __init__(self) -> None:
            super().__init__()
            self.tokens: dict[str, str] = {}
            self.events: dict[str, dict[str, Any]] = {}  # delivered at least once
            money.sandbox.clear_faults()

        # -- helpers ---------------------------------------------------------------------
        def status(self, brief_id: str) -> str:
            return str(brief(brief_id)["status"])

        def deliver_new(self, object_id: str) -> None:
            for event in money.sandbox.events():
                obj = event["data"]["object"]
                if obj.get("id") != object_id or event["id"] in self.events:
                    continue
                if money.post_webhook(*money.signed(event)).status_code == 200:
                    self.events[event["id"]] = event
                # else: the app answered 5xx (Stripe down meanwhile): Stripe delivers again

        def retry(self, step: Any, brief_id: str, failure: Failure = None) -> bool:
            if failure is not None:  # Stripe fails the step's next call (maybe after acting)
                kind, after_acting = failure
                money.sandbox.fail(count=1, kind=kind, process=after_acting)
            try:
                step(StepEvent(brief_id=brief_id))
                return True
            except TransientError:
                return False  # Step Functions retries the step later
            finally:
                money.sandbox.clear_faults()

        # -- rules -----------------------------------------------------------------------
        @initialize(
            target=engagements,
            budget=st.integers(min_value=2_000, max_value=250_000),
            fee_bps=st.sampled_from([0, 1000, 1250, 10_000]),
        )
        def first_engagement(self, budget: int, fee_bps: int) -> str:
            return self.open_engagement(budget, fee_bps)

        @rule(
            target=engagements,
            budget=st.integers(min_value=2_000, max_value=250_000),
            fee_bps=st.sampled_from([0, 1000, 1250, 10_000]),
        )
        def open_engagement(self, budget: int, fee_bps: int) -> str:
            brief_id, token = put_brief(budget_cents=budget, intern_id=intern_id, fee_bps=fee_bps)
            self.tokens[brief_id] = token
            return brief_id

        @rule(
            brief_id=engagements,
            card=st.sampled_from(["pm_card_visa", "pm_card_chargeDeclined"]),
        )
        def fund(self, brief_id: str, card: str) -> None:
            if self.status(brief_id) != "AWAITING_FUNDING":
                return
            response = money.fund(brief_id, self.tokens[brief_id])
            if response.status_code != 200:
                assert response.status_code in (502, 503), response.body
                return
            intent = response.json_body
            with contextlib.suppress(requests.RequestException):  # the browser lost the line
                money.confirm(intent, card)
            self.deliver_new(intent["payment_intent_id"])

        @rule(brief_id=engagements, failure=FAILURES)
        def approve_and_release(self, brief_id: str, failure: Failure) -> None:
            status = self.status(brief_id)
            if status == "IN_PROGRESS":
                move(brief_id, "IN_REVIEW", "PAYOUT_APPROVAL")
            elif status not in ("PAYOUT_APPROVAL", "RELEASING"):
                return
            if self.retry(steps.release, brief_id, failure):
                move(brief_id, "COMPLETED")

        @rule(brief_id=engagements, failure=FAILURES)
        def cancel_and_refund(self, brief_id: str, failure: Failure) -> None:
            status = self.status(brief_id)
            if status == "IN_PROGRESS":
                move(brief_id, "DEADLINE_MISSED")  # the employer cancels at the missed deadline
            elif status not in ("AWAITING_FUNDING", "DEADLINE_MISSED"):
                return
            if self.retry(steps.refund, brief_id, failure):
                move(brief_id, "CANCELLED")

        @rule(
            brief_id=engagements,
            percent=st.integers(min_value=0, max_value=100),
            failure=FAILURES,
        )
        def dispute_and_split(self, brief_id: str, percent: int, failure: Failure) -> None:
            from chalicelib.adapters.store import get_store

            status = self.status(brief_id)
            if status == "IN_PROGRESS":
                move(brief_id, "IN_REVIEW", "DISPUTED")
                share = int(brief(brief_id)["budget_cents"]) * percent // 100
                get_store().update_brief(
                    brief_id,
                    {"dispute_resolution": {"resolution": "split", "intern_share_cents": share}},
                )
            elif not (
                status in ("DISPUTED", "RELEASING") and brief(brief_id).get("dispute_resolution")
            ):
                return
            if self.retry(steps.release, brief_id, failure):
                move(brief_id, "COMPLETED")

        @rule(data=st.data())
        def duplicate_webhook(self, data: st.DataObject) -> None:
            if not self.events:
                return
            event = self.events[data.draw(st.sampled_from(sorted(self.events)))]
            response = money.post_webhook(*money.signed(event))
            assert response.status_code in (200, 500, 503), (
                response.body
            )  # 503: Stripe down, redelivered

        @rule(
            kind=st.sampled_from(["500", "rate_limit", "timeout"]),
            path=st.sampled_from([None, "/v1/payment_intents", "/v1/transfers", "/v1/refunds"]),
            after_acting=st.booleans(),
        )
        def stripe_fails_next_call(self, kind: str, path: str | None, after_acting: bool) -> None:
            money.sandbox.fail(count=1, kind=kind, path_prefix=path, process=after_acting)

        # -- invariants ------------------------------------------------------------------
        @invariant()
        def books_balance(self) -> None:
            for brief_id in self.tokens:
                journal = escrow_store.brief_journal(brief_id)
                books = ledger.check_invariants(journal)  # zero-sum, none negative, no overdraft
                assert sum(ledger.account_totals(journal).values()) == 0
                assert books.released_cents + books.fee_cents + books.refunded_cents <= (
                    books.funded_cents
                )
                item = brief(brief_id)
                assert int(item.get(escrow_store.HELD, 0)) == books.held_cents
                outs = [e for e in journal if e.kind != "fund"]
                assert len(outs) <= 1, outs  # one terminal outcome
                if item["status"] == "COMPLETED":
                    assert [e.kind for e in outs] in (["release"], ["split"])
                if item["status"] == "CANCELLED":
                    assert [e.kind for e in outs] == (["refund"] if books.funded_cents else [])
                    assert books.held_cents == 0
                if item["status"] in LIVE:
                    assert books.funded_cents > 0 and books.held_cents == books.funded_cents

        def teardown(self) -> None:
            money.sandbox.clear_faults()
            for brief_id in self.tokens:
                pi = brief(brief_id).get("payment_intent_id")
                if pi:
                    self.deliver_new(str(pi))
                status = self.status(brief_id)
                if status in ("PAYOUT_APPROVAL", "RELEASING"):
                    assert self.retry(steps.release, brief_id)
                if status == "DEADLINE_MISSED":
                    assert self.retry(steps.refund, brief_id)
                assert reconcile.check(brief_id) == [], brief_id
                assert len(money.transfers(brief_id)) <= 1
                forget(brief_id)  # keep moto's table (copied whole per transaction) small

    run_state_machine_as_test(
        Escrow,
        settings=settings(
            max_examples=15,
            stateful_step_count=14,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )

"""Payout and refund failures are a state, not a crash (issue 12: 4; issue 16: 1).

A transfer Stripe refuses, or an outage longer than the step's in-place retries, moves the
engagement to a visible wait: the reason on the timeline and the brief, finance told (email and
the signed `payout.failed` / `refund.failed` webhook), the intern (payouts) or the employer
(refunds) told, a metric for the alarm. Finance's signed `payout.retry` (or the wait's periodic
timeout) resumes the state machine into the step again, and the money moves exactly once.

Given/When/Then against moto in-process and the Stripe sandbox over HTTP; the state machine's
Catch → wait → retry is played by calling the steps in its order (moto in-process runs no ASL;
tests/e2e/test_stripe_outage_twin.py runs the real one).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from standardwebhooks import Webhook

from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.services.steps import StepEvent
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
from tests.integration.test_finance_webhooks import (  # noqa: F401 - fixtures
    SECRET,
    Finance,
    awaiting_payout,
    finance,
    mails_to,
    receiver,
    resumed_for,
)

FINANCE_EMAIL = "finance@microintern.example"


@pytest.fixture(name="desk")
def desk_fixture(finance: Finance) -> Finance:  # noqa: F811 - the fixture imported above
    """Finance's desk: the app, the sandbox, the finance endpoint and its signed webhooks."""
    return finance


# -- the state machine's moves, played in its order --------------------------------------------


def release(brief_id: str) -> dict[str, Any]:
    from chalicelib.services import steps

    return steps.release(StepEvent(brief_id=brief_id))


def refund(brief_id: str) -> dict[str, Any]:
    from chalicelib.services import steps

    return steps.refund(StepEvent(brief_id=brief_id))


def failed_wait_opens(brief_id: str, kind: str, error: str, attempt: int = 1) -> dict[str, Any]:
    """The step's Catch: the `payout_failed` / `refund_failed` wait opens with a fresh token."""
    from chalicelib.services import steps

    failure = {"Error": error, "Cause": json.dumps({"errorMessage": "see the step's record"})}
    return steps.await_party(
        StepEvent.model_validate(
            {
                "brief_id": brief_id,
                "kind": kind,
                "task_token": f"{kind}-token-{brief_id}" + ("" if attempt == 1 else f"-{attempt}"),
                "execution": f"exec-{brief_id}",
                "failure": failure,
            }
        )
    )


def approved_payout(desk: Finance) -> tuple[str, str, str]:
    """A funded brief whose payout finance approved, the Release step next: (brief, payout,
    intern)."""
    money = desk.money
    intern_id = ready_intern(money)
    brief_id, payout_id = awaiting_payout(intern_id=intern_id, money=money)
    assert desk.approve(payout_id).status_code == 200
    return brief_id, payout_id, intern_id


def intern_profile(intern_id: str) -> dict[str, Any]:
    from chalicelib.adapters.store import get_store

    return dict(get_store().get(f"INTERN#{intern_id}", "PROFILE") or {})


def set_account(intern_id: str, account: str) -> None:
    from chalicelib.adapters.store import get_store

    get_store().set_fields(f"INTERN#{intern_id}", "PROFILE", {"stripe_account_id": account})


def outbound(desk: Finance, event_type: str) -> list[dict[str, Any]]:
    """Finance webhooks of `event_type` the endpoint received, each signature verified."""
    found = []
    for delivery in desk.receiver.received:
        body = json.loads(delivery["body"])
        if body.get("type") == event_type:
            Webhook(SECRET).verify(delivery["body"], delivery["headers"])
            found.append(body)
    return found


def retry(desk: Finance, **data: str) -> Any:
    return desk.post({"type": "payout.retry", "data": data})


def manage_token(brief_id: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    from chalicelib.services import access

    url = access.issue_manage_link(brief_id)
    return parse_qs(urlsplit(url).query)["key"][0]


def api_view(money: Money, brief_id: str) -> dict[str, Any]:
    """GET /api/briefs/{id} with a manage token of the brief."""
    token = manage_token(brief_id)
    response = money.client.http.get(
        f"/api/briefs/{brief_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def reconciled(brief_id: str) -> list[str]:
    from chalicelib.services import reconcile

    return reconcile.check(brief_id)


@pytest.fixture
def metric_names() -> Any:
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield lambda: set(metrics.metric_set)
    metrics.clear_metrics()


# -- a transfer Stripe refuses -------------------------------------------------------------------


def test_a_refused_transfer_waits_visibly_until_finance_retries_then_pays_once(
    desk: Finance, metric_names: Any
) -> None:
    money = desk.money
    brief_id, payout_id, intern_id = approved_payout(desk)
    account = str(intern_profile(intern_id)["stripe_account_id"])
    set_account(intern_id, "acct_closed_by_stripe")  # Stripe answers 400: no such destination

    with pytest.raises(gateway.StripeRejected):
        release(brief_id)
    failed_wait_opens(brief_id, "payout_failed", "StripeRejected")

    # The engagement waits, visibly, with the money held.
    assert brief(brief_id)["status"] == "RELEASING"
    assert escrow_of(brief_id)["held_cents"] == 60_000
    view = api_view(money, brief_id)
    assert view["status"] == "RELEASING"
    attention = view["attention"]
    assert attention["kind"] == "payout_failed" and attention["payout_id"] == payout_id
    assert "acct_closed_by_stripe" in attention["reason"]
    assert attention["next_retry_at"] > attention["since"]
    notes = [str(e["detail"]) for e in timeline(brief_id)]
    assert any("payout" in n.lower() and "acct_closed_by_stripe" in n for n in notes)
    # Finance is told, by email and by the signed webhook; the intern too.
    (told,) = [m for m in mails_to(FINANCE_EMAIL) if "failed" in m.subject.lower()]
    assert payout_id in told.text and "payout.retry" in told.text
    (event,) = outbound(desk, "payout.failed")
    assert event["data"]["payout_id"] == payout_id and event["data"]["brief_id"] == brief_id
    assert "acct_closed_by_stripe" in event["data"]["reason"]
    assert event["data"]["amount_cents"] == 54_000
    intern_email = str(intern_profile(intern_id)["email"])
    assert [m for m in mails_to(intern_email) if "delayed" in m.subject.lower()]
    # The brief page and finance's books show it; a metric for the alarm.
    page = money.client.http.get(f"/briefs/{brief_id}?key={manage_token(brief_id)}")
    assert "The payout to the intern is delayed" in page.body.decode()
    books = desk.get("/api/finance/payouts").json_body
    assert [(a["brief_id"], a["kind"]) for a in books["attention"]] == [(brief_id, "payout_failed")]
    assert "PayoutsFailed" in metric_names()
    assert money.transfers(brief_id) == []

    # The intern's account is fixed; finance retries.
    set_account(intern_id, account)
    answer = retry(desk, payout_id=payout_id)
    assert answer.status_code == 200, answer.body
    assert answer.json_body["outcome"] == "retrying"
    assert resumed_for(money, brief_id, "payout_failed") == [{"retry": "finance"}]
    result = release(brief_id)  # the state machine goes back to Release

    assert result["moved_cents"] == 54_000
    (transfer,) = money.transfers(brief_id)
    assert transfer["amount"] == 54_000 and transfer["destination"] == account
    figures = escrow_of(brief_id)
    assert figures["released_cents"] == 54_000 and figures["held_cents"] == 0
    assert api_view(money, brief_id)["attention"] is None
    assert desk.get("/api/finance/payouts").json_body["attention"] == []
    assert any("went through" in str(e["detail"]) for e in timeline(brief_id))
    assert reconciled(brief_id) == []


def test_a_second_failed_round_tells_nobody_twice(desk: Finance) -> None:
    brief_id, _, intern_id = approved_payout(desk)
    set_account(intern_id, "acct_closed_by_stripe")

    for attempt in (1, 2, 3):  # the hourly automatic retry fails again, and again
        with pytest.raises(gateway.StripeRejected):
            release(brief_id)
        failed_wait_opens(brief_id, "payout_failed", "StripeRejected", attempt)

    assert len([m for m in mails_to(FINANCE_EMAIL) if "failed" in m.subject.lower()]) == 1
    assert len(outbound(desk, "payout.failed")) == 1
    failures = [e for e in timeline(brief_id) if "acct_closed_by_stripe" in str(e["detail"])]
    assert len(failures) == 1
    assert brief(brief_id)["money_stuck"]["attempts"] == 3


# -- Stripe down longer than the in-place retries ------------------------------------------------


def test_an_outage_after_an_applied_transfer_recovers_and_pays_once(desk: Finance) -> None:
    money = desk.money
    brief_id, payout_id, _ = approved_payout(desk)
    # Stripe applies the transfer but the answer is lost, then Stripe is down.
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/transfers", process=True)
    money.sandbox.fail(count=100, kind="500", path_prefix="/v1/transfers")

    for _ in range(4):  # the step and its in-place retries
        with pytest.raises(gateway.TransientError):
            release(brief_id)
    failed_wait_opens(brief_id, "payout_failed", "TransientError")

    assert len(money.transfers(brief_id)) == 1  # Stripe moved the money...
    assert escrow_of(brief_id)["released_cents"] == 0  # ...the ledger waits to record it
    assert "Stripe" in brief(brief_id)["money_stuck"]["reason"]
    (event,) = outbound(desk, "payout.failed")
    assert event["data"]["payout_id"] == payout_id

    money.sandbox.clear_faults()  # Stripe is back; the wait's timeout retries by itself
    release(brief_id)
    release(brief_id)  # and a late duplicate retry moves nothing more

    (transfer,) = money.transfers(brief_id)
    figures = escrow_of(brief_id)
    assert figures["released_cents"] == transfer["amount"] == 54_000
    assert figures["held_cents"] == 0
    assert "money_stuck" not in brief(brief_id)
    assert reconciled(brief_id) == []


def test_a_retry_after_stripe_forgot_the_key_finds_the_transfer_it_made(desk: Finance) -> None:
    money = desk.money
    brief_id, _, _ = approved_payout(desk)
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/transfers", process=True)
    with pytest.raises(gateway.TransientError):
        release(brief_id)
    failed_wait_opens(brief_id, "payout_failed", "TransientError")
    with money.sandbox._lock:  # a day later: Stripe keeps idempotency keys for 24 hours
        money.sandbox._idempotency.clear()

    release(brief_id)

    (transfer,) = money.transfers(brief_id)
    assert escrow_of(brief_id)["released_cents"] == transfer["amount"] == 54_000
    assert reconciled(brief_id) == []


def test_a_split_whose_refund_fails_recovers_without_a_second_transfer(
    desk: Finance,
) -> None:
    money = desk.money
    intern_id = ready_intern(money)
    brief_id, payout_id = awaiting_payout(intern_id=intern_id, money=money)
    assert desk.reject(payout_id).status_code == 200
    move(brief_id, "DISPUTED")
    assert desk.resolve(brief_id, "split", 30_000).status_code == 200
    pi = str(brief(brief_id)["payment_intent_id"])
    money.sandbox.fail(count=100, kind="500", path_prefix="/v1/refunds")

    for _ in range(4):
        with pytest.raises(gateway.TransientError):
            release(brief_id)
    failed_wait_opens(brief_id, "payout_failed", "TransientError")
    assert len(money.transfers(brief_id)) == 1 and money.refunds(pi) == []

    money.sandbox.clear_faults()
    release(brief_id)

    (transfer,) = money.transfers(brief_id)
    (refunded,) = money.refunds(pi)
    figures = escrow_of(brief_id)
    assert (figures["released_cents"], figures["refunded_cents"]) == (27_000, 30_000)
    assert transfer["amount"] == 27_000 and refunded["amount"] == 30_000
    assert figures["held_cents"] == 0
    assert reconciled(brief_id) == []


# -- refunds ---------------------------------------------------------------------------------


def test_a_refund_during_an_outage_waits_tells_the_employer_and_finance_retries_by_brief(
    desk: Finance, metric_names: Any
) -> None:
    money = desk.money
    brief_id, token = put_brief(budget_cents=60_000)
    pi = money.pay(brief_id, token)
    move(brief_id, "DEADLINE_MISSED")  # the employer cancels after a missed deadline
    money.sandbox.fail(count=100, kind="500", path_prefix="/v1/refunds")

    for _ in range(4):
        with pytest.raises(gateway.TransientError):
            refund(brief_id)
    failed_wait_opens(brief_id, "refund_failed", "TransientError")

    assert brief(brief_id)["status"] == "DEADLINE_MISSED"
    assert escrow_of(brief_id)["held_cents"] == 60_000
    assert api_view(money, brief_id)["attention"]["kind"] == "refund_failed"
    (event,) = outbound(desk, "refund.failed")
    assert event["data"]["brief_id"] == brief_id and event["data"]["amount_cents"] == 60_000
    assert [m for m in mails_to("dana@freshbox.example") if "delayed" in m.subject.lower()]
    assert "RefundsFailed" in metric_names()

    money.sandbox.clear_faults()
    answer = retry(desk, brief_id=brief_id)
    assert answer.status_code == 200 and answer.json_body["outcome"] == "retrying"
    assert resumed_for(money, brief_id, "refund_failed") == [{"retry": "finance"}]
    refund(brief_id)

    (refunded,) = money.refunds(pi)
    assert escrow_of(brief_id)["refunded_cents"] == refunded["amount"] == 60_000
    assert api_view(money, brief_id)["attention"] is None
    assert reconciled(brief_id) == []


# -- payout.retry: only what waits, once per webhook id ----------------------------------------


def test_payout_retry_answers_409_when_nothing_waits_and_404_for_unknown_ids(
    desk: Finance,
) -> None:
    brief_id, payout_id, _ = approved_payout(desk)

    nothing = retry(desk, payout_id=payout_id)
    assert nothing.status_code == 409
    assert retry(desk, payout_id="po_unknown").status_code == 404
    assert retry(desk, brief_id="b_unknown").status_code == 404
    assert retry(desk).status_code == 422
    assert retry(desk, brief_id=brief_id, payout_id=payout_id).status_code == 422


def test_payout_retry_is_applied_once_per_webhook_id(desk: Finance) -> None:
    money = desk.money
    brief_id, payout_id, intern_id = approved_payout(desk)
    set_account(intern_id, "acct_closed_by_stripe")
    with pytest.raises(gateway.StripeRejected):
        release(brief_id)
    failed_wait_opens(brief_id, "payout_failed", "StripeRejected")
    body = {"type": "payout.retry", "data": {"payout_id": payout_id}}

    first = desk.post(body, msg_id="msg_retry_once")
    again = desk.post(body, msg_id="msg_retry_once")

    assert first.json_body["outcome"] == "retrying"
    assert again.status_code == 200 and again.json_body["outcome"] == "duplicate"
    assert len(resumed_for(money, brief_id, "payout_failed")) == 1


def test_retry_now_on_the_finance_page_resumes_the_wait_once_and_names_the_person(
    desk: Finance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finance page's action (issue 16): a signed-in finance person presses "Retry now";
    the same form sent twice retries once, and the timeline names who did it."""
    from chalicelib.settings import get_settings
    from tests.integration.conftest import post_form
    from tests.integration.test_accounts import sign_in
    from tests.integration.test_finance_users import ANA, page_form

    money = desk.money
    brief_id, _, intern_id = approved_payout(desk)
    set_account(intern_id, "acct_closed_by_stripe")
    with pytest.raises(gateway.StripeRejected):
        release(brief_id)
    failed_wait_opens(brief_id, "payout_failed", "StripeRejected")
    monkeypatch.setenv("FINANCE_OWNER_EMAILS", ANA)
    get_settings.cache_clear()
    client = money.client
    both, token, nonce, html = page_form(client, sign_in(client, ANA))
    path = f"/finance/attention/{brief_id}/retry"
    assert f'action="{path}"' in html and "Retry now" in html

    done = post_form(client, path, both, {"csrf_token": token, "nonce": nonce})
    again = post_form(client, path, both, {"csrf_token": token, "nonce": nonce})

    assert done.status_code == 303 and done.headers["Location"] == "/finance?done=retry"
    assert again.status_code == 303  # the same form twice retries once
    assert len(resumed_for(money, brief_id, "payout_failed")) == 1
    notes = [str(e["detail"]) for e in timeline(brief_id)]
    assert notes.count(f"Finance retried the payout ({ANA})") == 1
    get_settings.cache_clear()

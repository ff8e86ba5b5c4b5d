"""Finance: the outbound approval request, the signed inbound webhooks, disputes and the books.

Given/When/Then against moto in-process and the Stripe sandbox; the workflow's one outward call
(SendTaskSuccess) is recorded by the `money` fixture, the finance endpoint is a local HTTP server.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from chalicelib.services.steps import StepEvent
from tests.integration.conftest import sent_emails
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    brief,
    escrow_sandbox_fixture,
    money_fixture,
    move,
    put_brief,
    ready_intern,
    timeline,
)

SECRET = "whsec_" + base64.b64encode(b"finance-integration-tests-secret").decode()
API_KEY = "fk_test_finance_books"


# -- a finance endpoint that can fail on demand --------------------------------------------------


@dataclass
class Receiver:
    url: str = ""
    fail_next: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.received.append({"headers": headers, "body": body})
            failing = state.fail_next > 0
            state.fail_next -= 1 if failing else 0
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/finance-hook"
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Finance:
    money: Money
    receiver: Receiver
    pauses: list[float]

    # -- inbound ------------------------------------------------------------------------
    def post(
        self,
        body: Any,
        *,
        msg_id: str | None = None,
        at: datetime | None = None,
        secret: str = SECRET,
        drop: tuple[str, ...] = (),
        raw: str | None = None,
    ) -> Any:
        payload = raw if raw is not None else json.dumps(body)
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        moment = at or datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, moment, payload),
        }
        for name in drop:
            headers.pop(name)
        return self.money.client.http.post("/webhooks/finance", headers=headers, body=payload)

    def approve(self, payout_id: str, **kwargs: Any) -> Any:
        data = {"payout_id": payout_id, "approved_by": "ada@finance.example"}
        return self.post({"type": "payout.approved", "data": data}, **kwargs)

    def reject(self, payout_id: str, reason: str = "Invoice missing", **kwargs: Any) -> Any:
        data = {"payout_id": payout_id, "reason": reason}
        return self.post({"type": "payout.rejected", "data": data}, **kwargs)

    def resolve(self, brief_id: str, resolution: str, share: int | None = None, **kw: Any) -> Any:
        data: dict[str, Any] = {"brief_id": brief_id, "resolution": resolution}
        if share is not None:
            data["intern_share_cents"] = share
        return self.post({"type": "dispute.resolved", "data": data}, **kw)

    # -- the books ------------------------------------------------------------------------
    def get(self, path: str, key: str | None = API_KEY) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.money.client.http.get(path, headers=headers)


@pytest.fixture
def finance(money: Money, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Finance]:
    from chalicelib.adapters import finance_hook
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FINANCE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("FINANCE_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("FINANCE_API_KEY_SHA256", hashlib.sha256(API_KEY.encode()).hexdigest())
    get_settings.cache_clear()
    pauses: list[float] = []
    monkeypatch.setattr(finance_hook, "_sleep", pauses.append)
    yield Finance(money=money, receiver=receiver, pauses=pauses)
    get_settings.cache_clear()


# -- data ---------------------------------------------------------------------------------------


def wait_opens(brief_id: str, kind: str, token: str) -> dict[str, Any]:
    """The state machine entering a wait: await_party with a fresh task token."""
    from chalicelib.services import steps

    return steps.await_party(
        StepEvent(brief_id=brief_id, kind=kind, task_token=token, execution=f"exec-{brief_id}")  # type: ignore[arg-type]
    )


def awaiting_payout(
    *, intern_id: str | None = None, budget: int = 60_000, money: Money | None = None
) -> tuple[str, str]:
    """A brief the employer approved, its PayoutApproval wait open: (brief_id, payout_id)."""
    if money is not None:
        brief_id, token = put_brief(intern_id=intern_id, budget_cents=budget)
        money.pay(brief_id, token)
        move(brief_id, "IN_REVIEW")
    else:
        brief_id, _ = put_brief("IN_REVIEW", intern_id=intern_id, budget_cents=budget)
    wait_opens(brief_id, "payout", f"payout-token-{brief_id}")
    payout = brief(brief_id)["payout"]
    return brief_id, str(payout["payout_id"])


def payout_item(payout_id: str) -> dict[str, Any]:
    from chalicelib.adapters.store import get_store

    return dict(get_store().get(f"PAYOUT#{payout_id}", "PAYOUT") or {})


def attempts(payout_id: str) -> list[dict[str, Any]]:
    from chalicelib.adapters.store import get_store

    return get_store().query(f"PAYOUT#{payout_id}", "ATTEMPT#")


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    text: str


def mails() -> list[Mail]:
    """Every email sent, parsed (the mailer sends raw MIME through SES)."""
    import email
    import email.policy

    out = []
    for sent in sent_emails():
        message = email.message_from_string(sent.raw_data, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        to = tuple(a.strip() for a in str(message.get("To", "")).split(",") if a.strip())
        out.append(Mail(to, str(message["Subject"]), body.get_content() if body else ""))
    return out


def mails_to(address: str) -> list[Mail]:
    return [m for m in mails() if address in m.to]


def finance_notes(brief_id: str) -> list[str]:
    return [str(e["detail"]) for e in timeline(brief_id) if e["actor"] == "finance"]


def resumed_for(money: Money, brief_id: str, kind: str) -> list[dict[str, Any]]:
    return [out for token, out in money.resumed if token == f"{kind}-token-{brief_id}"]


# -- outbound: payout.approval_requested --------------------------------------------------------


def test_approval_request_is_signed_posted_once_and_emailed_to_finance(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()

    (delivery,) = finance.receiver.received
    headers = delivery["headers"]
    event = Webhook(SECRET).verify(delivery["body"], headers)
    assert event["type"] == "payout.approval_requested"
    assert event["data"] == {
        "payout_id": payout_id,
        "brief_id": brief_id,
        "intern_id": None,
        "amount_cents": 60_000,
        "fee_cents": 6_000,
        "currency": "usd",
    }
    assert headers["webhook-id"] == f"msg_{payout_id}_approval_requested"
    item = payout_item(payout_id)
    assert item["status"] == "pending" and item["delivered"] is True
    assert item["gsi1pk"] == "PAYOUTS" and item["gsi1sk"].startswith("pending#")
    ((attempt),) = attempts(payout_id)
    assert attempt["ok"] is True and attempt["status_code"] == 204
    assert any(payout_id in m.subject for m in mails_to("finance@microintern.example"))
    assert finance.money.resumed == []

    # The reminder loop re-opens the wait: no second payout, no second request.
    wait_opens(brief_id, "payout", f"payout-token-{brief_id}")
    assert brief(brief_id)["payout"] == {"payout_id": payout_id, "status": "pending"}
    assert len(finance.receiver.received) == 1


def test_failed_deliveries_are_retried_with_backoff_and_every_attempt_recorded(
    finance: Finance,
) -> None:
    finance.receiver.fail_next = 2

    _, payout_id = awaiting_payout()

    assert [a["status_code"] for a in attempts(payout_id)] == [500, 500, 204]
    assert [a["ok"] for a in attempts(payout_id)] == [False, False, True]
    assert finance.pauses == [0.5, 1.0]
    ids = {r["headers"]["webhook-id"] for r in finance.receiver.received}
    assert ids == {f"msg_{payout_id}_approval_requested"}  # one message, retried
    assert payout_item(payout_id)["delivered"] is True


def test_an_undelivered_request_is_sent_again_by_the_reminder(finance: Finance) -> None:
    from chalicelib.services import steps

    finance.receiver.fail_next = 3
    brief_id, payout_id = awaiting_payout()
    assert payout_item(payout_id)["delivered"] is False
    assert len(attempts(payout_id)) == 3

    steps.window_closed(StepEvent(brief_id=brief_id, kind="payout", entered="t1"))

    assert [a["ok"] for a in attempts(payout_id)] == [False, False, False, True]
    assert payout_item(payout_id)["delivered"] is True
    (reminder,) = [m for m in mails_to("finance@microintern.example") if "waiting" in m.text]
    assert f"approval of payout {payout_id}" in reminder.text
    assert "http://testserver/finance" in reminder.text


def test_payouts_within_the_threshold_are_approved_automatically(
    finance: Finance, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FINANCE_AUTO_APPROVE_CENTS", "60000")
    get_settings.cache_clear()

    brief_id, payout_id = awaiting_payout(budget=60_000)

    assert payout_item(payout_id)["approved_by"] == "auto"
    assert brief(brief_id)["payout"]["status"] == "approved"
    assert resumed_for(finance.money, brief_id, "payout") == [{"decision": "approved"}]
    assert finance.receiver.received == []
    assert any("approved automatically" in n for n in finance_notes(brief_id))


def test_above_the_threshold_finance_must_approve(
    finance: Finance, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FINANCE_AUTO_APPROVE_CENTS", "59999")
    get_settings.cache_clear()

    _, payout_id = awaiting_payout(budget=60_000)

    assert payout_item(payout_id)["status"] == "pending"
    assert finance.money.resumed == []


# -- inbound: signatures -------------------------------------------------------------------------


def _unchanged(finance: Finance, brief_id: str, payout_id: str) -> None:
    assert payout_item(payout_id)["status"] == "pending"
    assert finance.money.resumed == []
    assert finance_notes(brief_id) == []


def test_a_wrong_signature_is_refused_and_changes_nothing(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()
    other = "whsec_" + base64.b64encode(b"someone else's secret").decode()

    response = finance.approve(payout_id, secret=other)

    assert response.status_code == 401
    assert response.json_body["errors"][0]["message"]
    _unchanged(finance, brief_id, payout_id)


def test_a_tampered_body_is_refused(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()
    body = json.dumps({"type": "payout.approved", "data": {"payout_id": payout_id}})
    moment = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "msg_tampered",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(SECRET).sign("msg_tampered", moment, body),
    }

    response = finance.money.client.http.post(
        "/webhooks/finance", headers=headers, body=body.replace("}}", ', "x": 1}}')
    )

    assert response.status_code == 401
    _unchanged(finance, brief_id, payout_id)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_refused(finance: Finance, missing: str) -> None:
    brief_id, payout_id = awaiting_payout()

    response = finance.approve(payout_id, drop=(missing,))

    assert response.status_code == 401
    _unchanged(finance, brief_id, payout_id)


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-330, "too old"), (-3600, "too old"), (330, "future"), (86_400, "future")],
)
def test_stale_and_future_timestamps_are_refused(
    finance: Finance, offset: int, message: str
) -> None:
    brief_id, payout_id = awaiting_payout()

    response = finance.approve(payout_id, at=datetime.now(UTC) + timedelta(seconds=offset))

    assert response.status_code == 401
    assert message in response.json_body["errors"][0]["message"]
    _unchanged(finance, brief_id, payout_id)


def test_a_timestamp_within_five_minutes_is_accepted(finance: Finance) -> None:
    _, payout_id = awaiting_payout()

    response = finance.approve(payout_id, at=datetime.now(UTC) - timedelta(seconds=240))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "raw", ["not json", "[1, 2]", '{"type": "payout.paid", "data": {}}', '{"type": 5}']
)
def test_signed_bodies_that_are_not_finance_events_are_bad_requests(
    finance: Finance, raw: str
) -> None:
    brief_id, payout_id = awaiting_payout()

    assert finance.post(None, raw=raw).status_code == 400
    _unchanged(finance, brief_id, payout_id)


# -- inbound: each webhook once, each decision once ------------------------------------------------


def test_approval_resumes_the_payout_wait(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()

    response = finance.approve(payout_id)

    assert response.status_code == 200
    assert response.json_body["outcome"] == "approved"
    assert resumed_for(finance.money, brief_id, "payout") == [{"decision": "approved"}]
    item = payout_item(payout_id)
    assert item["status"] == "approved" and item["approved_by"] == "ada@finance.example"
    assert item["gsi1sk"].startswith("approved#")
    assert brief(brief_id)["payout"] == {"payout_id": payout_id, "status": "approved"}
    assert finance_notes(brief_id) == [
        "Finance approved the payout of USD 540.00 (ada@finance.example)"
    ]


def test_replaying_the_same_webhook_id_changes_nothing(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()

    first = finance.approve(payout_id, msg_id="msg_replayed")
    replays = [finance.approve(payout_id, msg_id="msg_replayed") for _ in range(3)]

    assert first.json_body["outcome"] == "approved"
    assert [r.status_code for r in replays] == [200, 200, 200]
    assert {r.json_body["outcome"] for r in replays} == {"duplicate"}
    assert len(resumed_for(finance.money, brief_id, "payout")) == 1
    assert len(finance_notes(brief_id)) == 1


def test_the_same_approval_under_different_ids_applies_once(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()

    outcomes = [finance.approve(payout_id).json_body["outcome"] for _ in range(3)]

    assert outcomes == ["approved", "already_applied", "already_applied"]
    assert len(resumed_for(finance.money, brief_id, "payout")) == 1
    assert len(finance_notes(brief_id)) == 1


def test_concurrent_approvals_under_different_ids_apply_once(finance: Finance) -> None:
    from chalicelib.services import finance_webhooks as service

    brief_id, payout_id = awaiting_payout()
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def approve() -> None:
        payload = json.dumps({"type": "payout.approved", "data": {"payout_id": payout_id}})
        msg_id, moment = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(SECRET).sign(msg_id, moment, payload),
        }
        start.wait()
        outcomes.append(service.handle_finance_webhook(headers, payload.encode())["outcome"])

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["already_applied"] * 3 + ["approved"]
    assert len(resumed_for(finance.money, brief_id, "payout")) == 1


def test_approving_an_unknown_payout_is_not_found(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()

    response = finance.approve("po_does_not_exist", msg_id="msg_unknown")

    assert response.status_code == 404
    _unchanged(finance, brief_id, payout_id)
    # the id was not used up: the same webhook id can carry a real decision later
    assert finance.approve(payout_id, msg_id="msg_unknown").json_body["outcome"] == "approved"


def test_a_decision_the_state_does_not_allow_is_a_conflict(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()
    assert finance.approve(payout_id).status_code == 200

    rejected = finance.reject(payout_id, msg_id="msg_late_reject")
    resolved = finance.resolve(brief_id, "refund")

    assert rejected.status_code == 409 and resolved.status_code == 409
    assert payout_item(payout_id)["status"] == "approved"
    assert "dispute_resolution" not in brief(brief_id)
    assert len(finance.money.resumed) == 1
    assert len(finance_notes(brief_id)) == 1
    # a 409 leaves the webhook id unused (finance may retry it once the state allows)
    assert finance.reject(payout_id, msg_id="msg_late_reject").status_code == 409


def test_a_payout_decision_outside_payout_approval_is_a_conflict(finance: Finance) -> None:
    brief_id, payout_id = awaiting_payout()
    move(brief_id, "RELEASING")  # e.g. the flow moved on

    assert finance.approve(payout_id).status_code == 409
    assert payout_item(payout_id)["status"] == "pending"


def test_resolving_a_project_that_is_not_disputed_is_a_conflict(finance: Finance) -> None:
    brief_id, _ = put_brief("IN_PROGRESS")

    assert finance.resolve(brief_id, "release").status_code == 409
    assert finance.resolve("b_unknown", "release").status_code == 404
    assert "dispute_resolution" not in brief(brief_id)


def test_a_decision_arriving_while_no_wait_is_open_resumes_the_next_wait(
    finance: Finance,
) -> None:
    from chalicelib.adapters.store import get_store

    brief_id, payout_id = awaiting_payout()
    get_store().consume_task_token(brief_id, "payout")  # the wait timed out into its reminder

    assert finance.approve(payout_id).json_body["outcome"] == "approved"
    assert finance.money.resumed == []

    wait_opens(brief_id, "payout", f"payout-token-{brief_id}")  # the loop re-opens the wait

    assert resumed_for(finance.money, brief_id, "payout") == [{"decision": "approved"}]
    assert len(finance.receiver.received) == 1


# -- rejection and disputes ------------------------------------------------------------------------


def test_rejection_holds_the_payout_tells_both_parties_and_waits_in_dispute(
    finance: Finance,
) -> None:
    intern_id = ready_intern(finance.money)
    brief_id, payout_id = awaiting_payout(intern_id=intern_id)
    intern_email = str(get_intern(intern_id)["email"])

    response = finance.reject(payout_id, reason="The W-9 form is missing")

    assert response.status_code == 200 and response.json_body["outcome"] == "rejected"
    item = payout_item(payout_id)
    assert item["status"] == "rejected" and item["reason"] == "The W-9 form is missing"
    assert resumed_for(finance.money, brief_id, "payout") == [
        {"decision": "rejected", "reason": "The W-9 form is missing"}
    ]
    told = [m for m in mails() if "W-9 form is missing" in m.text]
    recipients = {address for m in told for address in m.to}
    assert {"dana@freshbox.example", intern_email} <= recipients

    wait_opens(brief_id, "dispute", f"dispute-token-{brief_id}")
    assert brief(brief_id)["status"] == "DISPUTED"
    assert finance.approve(payout_id).status_code == 409  # held: only a resolution now

    resolved = finance.resolve(brief_id, "split", 20_000)

    assert resolved.status_code == 200
    assert resolved.json_body["outcome"] == "resolved"
    assert resumed_for(finance.money, brief_id, "dispute") == [
        {"resolution": "split", "intern_share_cents": 20_000}
    ]
    assert brief(brief_id)["dispute_resolution"]["intern_share_cents"] == 20_000
    assert payout_item(payout_id)["status"] == "resolved"
    assert finance.resolve(brief_id, "split", 20_000).json_body["outcome"] == "already_applied"
    assert finance.resolve(brief_id, "refund").status_code == 409


def test_a_resolution_sent_before_the_dispute_wait_opens_is_applied_when_it_does(
    finance: Finance,
) -> None:
    brief_id, payout_id = awaiting_payout()
    assert finance.reject(payout_id).status_code == 200
    # the flow has not entered the Dispute wait yet (still PAYOUT_APPROVAL)

    assert finance.resolve(brief_id, "refund").json_body["outcome"] == "resolved"
    assert resumed_for(finance.money, brief_id, "dispute") == []

    wait_opens(brief_id, "dispute", f"dispute-token-{brief_id}")

    assert resumed_for(finance.money, brief_id, "dispute") == [
        {"resolution": "refund", "intern_share_cents": 0}
    ]


def test_an_employer_dispute_is_resolved_by_finance(finance: Finance) -> None:
    brief_id, _ = put_brief("IN_REVIEW")
    wait_opens(brief_id, "dispute", f"dispute-token-{brief_id}")
    assert any("Dispute opened" in m.subject for m in mails_to("finance@microintern.example"))

    response = finance.resolve(brief_id, "release")

    assert response.json_body["outcome"] == "resolved"
    assert resumed_for(finance.money, brief_id, "dispute") == [
        {"resolution": "release", "intern_share_cents": 60_000}
    ]


@pytest.mark.parametrize(
    ("resolution", "share"),
    [("split", None), ("split", -1), ("split", 60_001), ("release", 5), ("refund", 1)],
)
def test_resolutions_that_do_not_add_up_are_invalid(
    finance: Finance, resolution: str, share: int | None
) -> None:
    brief_id, _ = put_brief("IN_REVIEW")
    wait_opens(brief_id, "dispute", f"dispute-token-{brief_id}")

    response = finance.resolve(brief_id, resolution, share)

    assert response.status_code == 422
    assert response.json_body["errors"][0]["field"] == "data.intern_share_cents"
    assert "dispute_resolution" not in brief(brief_id)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(budget=st.integers(2_000, 5_000_000), data=st.data())
def test_split_arithmetic_adds_up_to_the_budget(
    finance: Finance, budget: int, data: st.DataObject
) -> None:
    from chalicelib.domain.money import platform_fee

    share = data.draw(st.integers(0, budget))
    brief_id, _ = put_brief("IN_REVIEW", budget_cents=budget)
    wait_opens(brief_id, "dispute", f"dispute-token-{brief_id}")

    parts = finance.resolve(brief_id, "split", share).json_body

    assert parts["fee_cents"] == platform_fee(share, 1000)  # the fee on the share only
    assert parts["transfer_cents"] == share - parts["fee_cents"]
    assert parts["refund_cents"] == budget - share
    assert parts["transfer_cents"] + parts["fee_cents"] + parts["refund_cents"] == budget


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(budget=st.integers(2_000, 5_000_000), fee_bps=st.integers(0, 10_000), data=st.data())
def test_finance_is_asked_to_approve_the_release_of_what_is_held(
    finance: Finance, budget: int, fee_bps: int, data: st.DataObject
) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.domain.money import release

    held = data.draw(st.integers(1, budget))
    brief_id, _ = put_brief("IN_REVIEW", budget_cents=budget, fee_bps=fee_bps)
    get_store().set_fields(f"BRIEF#{brief_id}", "BRIEF", {"escrow_held_cents": held})
    finance.receiver.received.clear()

    wait_opens(brief_id, "payout", f"payout-token-{brief_id}")

    expected = release(held, fee_bps)
    item = payout_item(str(brief(brief_id)["payout"]["payout_id"]))
    assert (item["amount_cents"], item["fee_cents"]) == (expected.held_cents, expected.fee_cents)
    (delivery,) = finance.receiver.received
    asked = json.loads(delivery["body"])["data"]
    assert (asked["amount_cents"], asked["fee_cents"]) == (held, expected.fee_cents)


# -- the books ---------------------------------------------------------------------------------


def test_the_books_need_the_finance_key(finance: Finance) -> None:
    assert finance.get("/api/finance/payouts", key=None).status_code == 401
    assert finance.get("/api/finance/payouts", key="wrong").status_code == 403
    assert finance.get("/api/finance/ledger.csv", key=None).status_code == 401
    assert finance.money.client.http.get("/finance").status_code == 401
    assert finance.money.client.http.get("/finance?key=wrong").status_code == 401
    assert finance.money.client.http.get(f"/finance?key={API_KEY}").status_code == 401


def test_payouts_lists_pending_then_recent(finance: Finance) -> None:
    _, first = awaiting_payout()
    _, second = awaiting_payout()
    assert finance.approve(second).status_code == 200

    view = finance.get("/api/finance/payouts").json_body

    assert [p["payout_id"] for p in view["pending"]] == [first]
    assert [p["payout_id"] for p in view["recent"]] == [second]
    assert view["recent"][0]["payout_cents"] == 54_000
    assert view["recent"][0]["approved_by"] == "ada@finance.example"

    from tests.integration.test_finance_session import sign_in

    cookie = sign_in(finance.money.client, API_KEY)
    page = finance.money.client.http.get("/finance", headers={"Cookie": cookie})
    assert page.status_code == 200
    assert first in page.body.decode() and second in page.body.decode()
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_ledger_csv_balances_and_equals_the_ledger(finance: Finance) -> None:
    from chalicelib.adapters import escrow_store
    from chalicelib.domain import ledger
    from chalicelib.services import escrow

    money = finance.money
    released = awaiting_payout(intern_id=ready_intern(money), money=money)[0]
    move(released, "RELEASING")
    escrow.release_escrow(released)
    refunded, token = put_brief(budget_cents=45_000)
    money.pay(refunded, token)
    move(refunded, "IN_REVIEW", "DISPUTED")
    escrow.refund_escrow(refunded)
    split_brief = awaiting_payout(intern_id=ready_intern(money), money=money, budget=80_000)[0]
    move(split_brief, "DISPUTED")
    escrow.split_escrow(split_brief, 30_000)

    response = finance.get("/api/finance/ledger.csv")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    entries = [e for b in (released, refunded, split_brief) for e in escrow_store.brief_journal(b)]
    assert len(rows) == sum(len(e.lines) for e in entries)
    assert sum(int(r["amount_cents"]) for r in rows) == 0
    assert sum(int(r["debit_cents"]) for r in rows) == sum(int(r["credit_cents"]) for r in rows)
    per_account: dict[str, int] = {}
    for row in rows:
        per_account[row["account"]] = per_account.get(row["account"], 0) + int(row["amount_cents"])
    expected = {a.value: v for a, v in ledger.account_totals(entries).items() if v}
    assert {a: v for a, v in per_account.items() if v} == expected
    assert expected["employer_funds"] == -(60_000 + 45_000 + 80_000)
    assert expected["platform_fee"] == 6_000 + 3_000

    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    empty = finance.get(f"/api/finance/ledger.csv?to={yesterday}").body.decode()
    assert empty.strip().splitlines() == [",".join(_columns())]
    today = datetime.now(UTC).date().isoformat()
    same = finance.get(f"/api/finance/ledger.csv?from={today}&to={today}").body.decode()
    assert len(list(csv.DictReader(io.StringIO(same)))) == len(rows)
    assert finance.get("/api/finance/ledger.csv?from=yesterday").status_code == 422


def _columns() -> tuple[str, ...]:
    from chalicelib.web.finance_views import CSV_COLUMNS

    return CSV_COLUMNS


def get_intern(intern_id: str) -> dict[str, Any]:
    from chalicelib.adapters.store import get_store

    return dict(get_store().get(f"INTERN#{intern_id}", "PROFILE") or {})


def test_ledger_csv_range_is_bounded_and_cells_are_not_formulas(finance: Finance) -> None:
    """Issue 12, finding 7: `from=0001-01-01` once ran ~24k queries; a text cell starting
    with = + - @ would run as a formula in a spreadsheet."""
    from chalicelib.adapters.store import get_store
    from chalicelib.web.finance_views import csv_cell

    assert finance.get("/api/finance/ledger.csv?from=0001-01-01").status_code == 422
    long_ago = (datetime.now(UTC) - timedelta(days=800)).date().isoformat()
    answer = finance.get(f"/api/finance/ledger.csv?from={long_ago}")
    assert answer.status_code == 422
    assert "24 months" in answer.json_body["errors"][0]["message"]
    recent = (datetime.now(UTC) - timedelta(days=700)).date().isoformat()
    assert finance.get(f"/api/finance/ledger.csv?from={recent}").status_code == 200

    brief_id, token = put_brief(budget_cents=30_000)
    finance.money.pay(brief_id, token)
    store = get_store()
    (item,) = list(store.query(f"BRIEF#{brief_id}", "LEDGER#"))
    store.put({**item, "brief_id": '=HYPERLINK("http://evil.example")', "reference": "@SUM(1)"})
    rows = list(csv.DictReader(io.StringIO(finance.get("/api/finance/ledger.csv").body.decode())))
    mine = [r for r in rows if r["reference"] == "'@SUM(1)"]
    assert mine and all(r["brief_id"].startswith("'=") for r in mine)
    assert {r["amount_cents"] for r in mine} == {"30000", "-30000"}  # numbers stay numbers
    assert csv_cell("-5") == "'-5" and csv_cell(-5) == -5

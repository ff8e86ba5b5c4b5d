"""The Stripe sandbox, driven by the official stripe SDK over real HTTP."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import stripe

from local.stripe_sandbox import StripeSandbox, parse_params, sign_payload

WEBHOOK_SECRET = "whsec_test_sandbox_secret"


class Receiver:
    """A tiny webhook receiver: answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.bodies: list[tuple[bytes, str]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.bodies.append((body, self.headers.get("Stripe-Signature", "")))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def events(self) -> list[stripe.Event]:
        with self.lock:
            captured = list(self.bodies)
        return [stripe.Webhook.construct_event(body, sig, WEBHOOK_SECRET) for body, sig in captured]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sandbox(receiver: Receiver) -> Iterator[StripeSandbox]:
    with StripeSandbox(
        port=0,
        webhook_url=receiver.url,
        webhook_secret=WEBHOOK_SECRET,
        timeout_seconds=1.0,
        webhook_retry_delays=(0.05, 0.1, 0.2),
    ) as sb:
        yield sb


@pytest.fixture
def client(sandbox: StripeSandbox) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_x", base_addresses={"api": sandbox.url}, max_network_retries=0
    )


def _funded_charge(client: stripe.StripeClient, amount: int = 10_000, group: str = "eng_1") -> str:
    params: Any = {  # payment_method_types is not in v16's typed params; Stripe accepts it
        "amount": amount,
        "currency": "usd",
        "transfer_group": group,
        "payment_method": "pm_card_visa",
        "confirm": True,
        "payment_method_types": ["card"],
    }
    pi = client.v1.payment_intents.create(params=params)
    assert pi.status == "succeeded"
    assert isinstance(pi.latest_charge, str)
    return pi.latest_charge


def _ready_account(client: stripe.StripeClient, sandbox: StripeSandbox) -> str:
    account = client.v1.accounts.create(params={"type": "express", "email": "i@example.com"})
    sandbox.complete_onboarding(account.id)
    return account.id


# ---------------------------------------------------------------------------------------


def test_parse_params_nested_keys() -> None:
    pairs = urllib.parse.parse_qsl(
        "metadata[brief_id]=b1&expand[]=latest_charge&expand[]=customer"
        "&payment_method_types[0]=card&a[b][c]=d"
    )
    assert parse_params(pairs) == {
        "metadata": {"brief_id": "b1"},
        "expand": ["latest_charge", "customer"],
        "payment_method_types": ["card"],
        "a": {"b": {"c": "d"}},
    }


def test_create_and_confirm_with_visa_creates_a_charge(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 12_345,
            "currency": "USD",
            "transfer_group": "eng_42",
            "metadata": {"brief_id": "b_42"},
            "automatic_payment_methods": {"enabled": True},
        }
    )
    assert pi.id.startswith("pi_")
    assert pi.object == "payment_intent"
    assert pi.status == "requires_payment_method"
    assert pi.currency == "usd"
    assert pi.livemode is False
    assert pi.client_secret is not None
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.metadata["brief_id"] == "b_42"

    confirmed = client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_visa", "expand": ["latest_charge"]}
    )
    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 12_345
    charge = confirmed.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.id.startswith("ch_")
    assert charge.status == "succeeded"
    assert charge.amount_captured == 12_345
    assert charge.transfer_group == "eng_42"
    assert charge.payment_intent == pi.id

    fetched = client.v1.charges.retrieve(charge.id)
    assert fetched.paid is True
    again = client.v1.payment_intents.retrieve(pi.id)
    assert again.latest_charge == charge.id


def test_declined_card_then_visa(client: stripe.StripeClient, sandbox: StripeSandbox) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.confirm(
            pi.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    assert info.value.code == "card_declined"
    assert info.value.http_status == 402
    assert info.value.error is not None
    assert info.value.error.decline_code == "generic_decline"

    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error is not None
    assert after.last_payment_error.code == "card_declined"
    assert [e["type"] for e in sandbox.events("payment_intent.payment_failed")] == [
        "payment_intent.payment_failed"
    ]

    ok = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert ok.status == "succeeded"
    assert ok.last_payment_error is None
    # Confirming a succeeded PaymentIntent again is refused.
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert again.value.code == "payment_intent_unexpected_state"


def test_browser_confirm_with_publishable_key_and_client_secret(
    client: stripe.StripeClient, sandbox: StripeSandbox
) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    url = f"{sandbox.url}/v1/payment_intents/{pi.id}/confirm"
    wrong = requests.post(
        url,
        data={"client_secret": pi.id + "_secret_nope", "payment_method": "pm_card_visa"},
        headers={"Authorization": "Bearer pk_test_browser"},
        timeout=5,
    )
    assert wrong.status_code == 400
    resp = requests.post(
        url,
        data={
            "key": "pk_test_browser",
            "client_secret": pi.client_secret,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424242",
        },
        timeout=5,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "succeeded"
    # A publishable key cannot reach secret-key endpoints.
    denied = requests.get(
        f"{sandbox.url}/v1/charges/{resp.json()['latest_charge']}",
        headers={"Authorization": "Bearer pk_test_browser"},
        timeout=5,
    )
    assert denied.status_code == 401


def test_idempotency_replay_and_mismatch(
    client: stripe.StripeClient, sandbox: StripeSandbox
) -> None:
    params: Any = {
        "amount": 7000,
        "currency": "usd",
        "metadata": {"brief_id": "b_7"},
    }
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "fund-b7"})
    second = client.v1.payment_intents.create(params=params, options={"idempotency_key": "fund-b7"})
    assert first.id == second.id
    assert second.last_response is not None
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(sandbox.state()["payment_intents"]) == 1

    changed: Any = dict(params, amount=7001)
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params=changed,
            options={"idempotency_key": "fund-b7"},
        )
    # Keys are scoped per API key: another key may reuse the string.
    other = stripe.StripeClient(
        "sk_test_other", base_addresses={"api": sandbox.url}, max_network_retries=0
    )
    third = other.v1.payment_intents.create(params=params, options={"idempotency_key": "fund-b7"})
    assert third.id != first.id


def test_declines_are_replayed_under_the_same_key(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    opts: Any = {"idempotency_key": "confirm-1"}
    decline: Any = {"payment_method": "pm_card_chargeDeclined"}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.confirm(pi.id, params=decline, options=opts)
    charges = client.v1.charges.list(params={"payment_intent": pi.id})
    assert len(charges.data) == 1


def test_transfers_with_source_transaction_and_group(
    client: stripe.StripeClient, sandbox: StripeSandbox
) -> None:
    charge_id = _funded_charge(client, 10_000, "eng_1")
    _funded_charge(client, 5_000, "eng_2")
    account_id = _ready_account(client, sandbox)

    transfer = client.v1.transfers.create(
        params={
            "amount": 9_000,
            "currency": "usd",
            "destination": account_id,
            "transfer_group": "eng_1",
            "source_transaction": charge_id,
            "metadata": {"payout_id": "p1"},
        },
        options={"idempotency_key": "release-eng_1"},
    )
    assert transfer.id.startswith("tr_")
    assert transfer.amount == 9_000
    assert transfer.destination == account_id
    assert transfer.source_transaction == charge_id

    listed = client.v1.transfers.list(params={"transfer_group": "eng_1"})
    assert [t.id for t in listed.data] == [transfer.id]
    assert listed.has_more is False
    assert client.v1.transfers.list(params={"transfer_group": "eng_2"}).data == []

    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.transfers.create(
            params={
                "amount": 1_001,
                "currency": "usd",
                "destination": account_id,
                "source_transaction": charge_id,
            }
        )
    assert over.value.http_status == 400
    assert over.value.param == "amount"

    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 4_000})
    assert reversal.id.startswith("trr_")
    assert client.v1.transfers.retrieve(transfer.id).amount_reversed == 4_000
    # The reversed amount may be transferred again.
    again = client.v1.transfers.create(
        params={
            "amount": 5_000,
            "currency": "usd",
            "destination": account_id,
            "source_transaction": charge_id,
        }
    )
    assert again.amount == 5_000


def test_transfer_to_account_not_onboarded_is_refused(client: stripe.StripeClient) -> None:
    charge_id = _funded_charge(client)
    account = client.v1.accounts.create(params={"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(
            params={
                "amount": 100,
                "currency": "usd",
                "destination": account.id,
                "source_transaction": charge_id,
            }
        )
    assert info.value.code == "insufficient_capabilities_for_transfer"


def test_refunds_full_partial_and_over(client: stripe.StripeClient, sandbox: StripeSandbox) -> None:
    charge_id = _funded_charge(client, 10_000)
    charge = client.v1.charges.retrieve(charge_id)
    pi_id = charge.payment_intent
    assert isinstance(pi_id, str)

    partial = client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 3_000})
    assert partial.id.startswith("re_")
    assert partial.amount == 3_000
    assert partial.charge == charge_id
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 7_001})
    assert over.value.http_status == 400

    rest = client.v1.refunds.create(params={"charge": charge_id})
    assert rest.amount == 7_000
    refreshed = client.v1.charges.retrieve(charge_id)
    assert refreshed.amount_refunded == 10_000
    assert refreshed.refunded is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": pi_id})

    listed = client.v1.refunds.list(params={"payment_intent": pi_id})
    assert sorted(r.amount for r in listed.data) == [3_000, 7_000]
    assert len(sandbox.events("charge.refunded")) == 2

    # Full refund of a fresh payment.
    other = _funded_charge(client, 2_500, "eng_9")
    full = client.v1.refunds.create(params={"charge": other})
    assert full.amount == 2_500


def test_account_link_onboarding(client: stripe.StripeClient, sandbox: StripeSandbox) -> None:
    account = client.v1.accounts.create(params={"type": "express", "email": "ana@example.com"})
    assert account.id.startswith("acct_")
    assert account.charges_enabled is False
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": "http://app.local/refresh",
            "return_url": "http://app.local/interns/done",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(sandbox.url + "/_sandbox/onboard/" + account.id)

    resp = requests.get(link.url, allow_redirects=False, timeout=5)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "http://app.local/interns/done"

    ready = client.v1.accounts.retrieve(account.id)
    assert ready.details_submitted is True
    assert ready.charges_enabled is True
    assert ready.payouts_enabled is True
    updated = sandbox.events("account.updated")
    assert len(updated) == 1
    assert updated[0]["data"]["object"]["id"] == account.id
    assert updated[0]["data"]["previous_attributes"]["charges_enabled"] is False

    page = requests.get(f"{sandbox.url}/_sandbox/onboard/{account.id}", timeout=5)
    assert page.status_code == 200
    assert "Onboarding complete" in page.text
    assert len(sandbox.events("account.updated")) == 1  # no change, no new event

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.accounts.retrieve("acct_doesnotexist")
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"


def test_webhooks_are_signed_and_verifiable(
    client: stripe.StripeClient, sandbox: StripeSandbox, receiver: Receiver
) -> None:
    _funded_charge(client, 5_000, "eng_w")
    assert sandbox.wait_for_deliveries(5)
    events = receiver.events()
    types = [e.type for e in events]
    assert "payment_intent.succeeded" in types
    assert "charge.succeeded" in types
    succeeded = next(e for e in events if e.type == "payment_intent.succeeded")
    assert succeeded.data.object["amount"] == 5_000
    assert succeeded.data.object["transfer_group"] == "eng_w"

    body, sig = receiver.bodies[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sig, "whsec_wrong")
    assert sig == sign_payload(body.decode(), WEBHOOK_SECRET, int(sig.split(",")[0][2:]))

    fetched = client.v1.events.retrieve(succeeded.id)
    assert fetched.type == "payment_intent.succeeded"
    listed = client.v1.events.list(params={"type": "payment_intent.*", "limit": 100})
    assert {e.type for e in listed.data} == {"payment_intent.created", "payment_intent.succeeded"}

    # Redelivery of the same event (as Stripe does) reaches the receiver again.
    before = len(receiver.bodies)
    resp = requests.post(f"{sandbox.url}/_sandbox/events/{succeeded.id}/resend", timeout=5)
    assert resp.status_code == 200
    assert sandbox.wait_for_deliveries(5)
    assert len(receiver.bodies) == before + 1
    assert receiver.events()[-1].id == succeeded.id


def test_webhook_retries_after_receiver_errors(
    client: stripe.StripeClient, sandbox: StripeSandbox, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    account = client.v1.accounts.create(params={"type": "express"})
    sandbox.complete_onboarding(account.id)
    assert sandbox.wait_for_deliveries(5)
    attempts = sandbox.deliveries()
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    assert {a["event_type"] for a in attempts} == {"account.updated"}
    over_http = requests.get(f"{sandbox.url}/_sandbox/deliveries", timeout=5).json()
    assert len(over_http) == 3
    event = client.v1.events.retrieve(attempts[0]["event_id"])
    assert event.pending_webhooks == 0


def test_webhook_gives_up_after_max_attempts(sandbox: StripeSandbox) -> None:
    sandbox.set_webhook("http://127.0.0.1:9/unreachable", WEBHOOK_SECRET)
    sandbox.complete_onboarding(
        stripe.StripeClient("sk_test_x", base_addresses={"api": sandbox.url})
        .v1.accounts.create(params={"type": "express"})
        .id
    )
    assert sandbox.wait_for_deliveries(5)
    attempts = sandbox.deliveries()
    assert len(attempts) == 4  # first try + 3 retries
    assert all(not a["ok"] and a["error"] for a in attempts)
    assert attempts[-1]["final"] is True


def test_fault_injection(client: stripe.StripeClient, sandbox: StripeSandbox) -> None:
    resp = requests.post(
        f"{sandbox.url}/_sandbox/fail",
        json={"count": 1, "kind": "500", "path_prefix": "/v1/payment_intents"},
        timeout=5,
    )
    assert resp.status_code == 200
    with pytest.raises(stripe.APIError) as boom:
        client.v1.payment_intents.create(
            params={"amount": 5000, "currency": "usd"}, options={"idempotency_key": "k1"}
        )
    assert boom.value.http_status == 500
    # The injected failure is not saved under the key: the retry goes through.
    pi = client.v1.payment_intents.create(
        params={"amount": 5000, "currency": "usd"}, options={"idempotency_key": "k1"}
    )
    assert pi.status == "requires_payment_method"

    requests.post(
        f"{sandbox.url}/_sandbox/fail", json={"count": 2, "kind": "rate_limit"}, timeout=5
    )
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError):
            client.v1.payment_intents.retrieve(pi.id)
    assert client.v1.payment_intents.retrieve(pi.id).id == pi.id

    # Prefix filtering: a fault on transfers leaves payment intents alone.
    sandbox.fail(1, "500", "/v1/transfers")
    assert client.v1.payment_intents.retrieve(pi.id).id == pi.id
    assert sandbox.state()["faults"][0]["count"] == 1


def test_timeout_fault_and_lost_response_is_safe_to_retry(sandbox: StripeSandbox) -> None:
    impatient = stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": sandbox.url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=0.3),
    )
    client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": sandbox.url}, max_network_retries=0
    )
    charge_id = _funded_charge(client)
    account_id = _ready_account(client, sandbox)
    params: Any = {
        "amount": 9_000,
        "currency": "usd",
        "destination": account_id,
        "source_transaction": charge_id,
    }
    # The transfer is made but the response never arrives.
    sandbox.fail(1, "timeout", "/v1/transfers", process=True, seconds=0.5)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.transfers.create(params=params, options={"idempotency_key": "rel-1"})
    assert time.monotonic() - started < 2
    retried = client.v1.transfers.create(params=params, options={"idempotency_key": "rel-1"})
    assert retried.amount == 9_000
    assert len(client.v1.transfers.list().data) == 1


def test_missing_or_bad_auth(sandbox: StripeSandbox) -> None:
    resp = requests.get(f"{sandbox.url}/v1/events", timeout=5)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "invalid_request_error"
    bad = stripe.StripeClient(
        "sk_live_nope", base_addresses={"api": sandbox.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    assert sandbox.state()["payment_intents"] == []


def test_validation_errors_and_lists(client: stripe.StripeClient, sandbox: StripeSandbox) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create(params={"currency": "usd"})  # type: ignore[typeddict-item]
    assert missing.value.code == "parameter_missing"
    assert missing.value.param == "amount"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.transfers.create(
            params={"amount": 1, "currency": "usd", "destination": "acct_x", "amout": 2}  # type: ignore[typeddict-unknown-key]
        )
    assert unknown.value.code == "parameter_unknown"
    with pytest.raises(stripe.InvalidRequestError) as nope:
        client.v1.payment_intents.retrieve("pi_missing")
    assert nope.value.http_status == 404

    for i in range(3):
        client.v1.payment_intents.create(params={"amount": 5000 + i, "currency": "usd"})
    page = client.v1.payment_intents.list(params={"limit": 2})
    assert page.to_dict()["object"] == "list"
    assert len(page.data) == 2
    assert page.has_more is True
    assert page.data[0].amount == 5002  # newest first
    rest = client.v1.payment_intents.list(params={"limit": 2, "starting_after": page.data[-1].id})
    assert [p.amount for p in rest.data] == [5000]
    assert rest.has_more is False

    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5)
    state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()
    assert state["payment_intents"] == []
    assert state["events"] == []


def test_cancel_payment_intent(client: stripe.StripeClient, sandbox: StripeSandbox) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    canceled = client.v1.payment_intents.cancel(pi.id)
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert sandbox.events("payment_intent.canceled")[0]["data"]["object"]["id"] == pi.id
    assert json.loads(json.dumps(sandbox.state()))["payment_intents"][0]["status"] == "canceled"


def test_lists_filter_by_created_as_stripe_does(
    client: stripe.StripeClient, sandbox: StripeSandbox
) -> None:
    params: dict[str, Any] = {"amount": 1_000, "currency": "usd"}
    first = client.v1.payment_intents.create(params=params)
    second = client.v1.payment_intents.create(params=params)
    created = int(first.created)

    def ids(**filter_: Any) -> list[str]:
        page = client.v1.payment_intents.list(params={"limit": 100, **filter_})
        return [pi.id for pi in page.data]

    assert ids(created={"gte": created}) == [second.id, first.id]  # newest first
    assert ids(created={"gt": created + 3600}) == []
    assert ids(created={"lt": created}) == []
    assert ids(created={"lte": created + 3600, "gte": created - 3600}) == [second.id, first.id]
    assert first.id in ids(created=created)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.list(params={"created": {"after": created}})
    assert refused.value.http_status == 400

"""The Stripe sandbox's browser side, over HTTP: what its Stripe.js stand-in calls with the
publishable key (PaymentMethods from typed card numbers, confirmations), the 3-D Secure
challenge page, and the script itself at `/v3/`."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from local.stripe_sandbox import StripeSandbox

PK = "pk_test_browser"
RETURN_URL = "https://shop.example/briefs/b1?key=k1"


@pytest.fixture
def sandbox() -> Iterator[StripeSandbox]:
    with StripeSandbox(port=0) as running:
        yield running


def server(sandbox: StripeSandbox) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_server", base_addresses={"api": sandbox.url}, max_network_retries=0
    )


def browser_post(sandbox: StripeSandbox, path: str, data: dict[str, str]) -> requests.Response:
    """As Stripe.js posts: form-encoded, the publishable key in the body (no preflight)."""
    return requests.post(f"{sandbox.url}{path}", data={**data, "key": PK}, timeout=10)


def intent(sandbox: StripeSandbox) -> Any:
    return server(sandbox).v1.payment_intents.create(
        params={"amount": 60_000, "currency": "usd", "automatic_payment_methods": {"enabled": True}}
    )


def card(sandbox: StripeSandbox, number: str, expiry: tuple[str, str] = ("12", "34")) -> Any:
    return browser_post(
        sandbox,
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": number,
            "card[exp_month]": expiry[0],
            "card[exp_year]": expiry[1],
            "card[cvc]": "123",
        },
    )


def confirm(sandbox: StripeSandbox, pi: Any, pm_id: str, **extra: str) -> requests.Response:
    return browser_post(
        sandbox,
        f"/v1/payment_intents/{pi.id}/confirm",
        {"client_secret": pi.client_secret, "payment_method": pm_id, **extra},
    )


def test_a_typed_card_becomes_a_payment_method_that_pays(sandbox: StripeSandbox) -> None:
    pi = intent(sandbox)
    made = card(sandbox, "4242 4242 4242 4242")
    assert made.status_code == 200, made.text
    pm = made.json()
    assert pm["id"].startswith("pm_")
    assert pm["object"] == "payment_method"
    assert (pm["card"]["brand"], pm["card"]["last4"], pm["card"]["exp_year"]) == (
        "visa",
        "4242",
        2034,
    )

    confirmed = confirm(sandbox, pi, pm["id"], return_url=RETURN_URL)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "succeeded"
    charge = server(sandbox).v1.charges.retrieve(confirmed.json()["latest_charge"])
    assert charge.payment_method == pm["id"]
    assert charge.payment_method_details.card.last4 == "4242"
    succeeded = sandbox.events("payment_intent.succeeded")
    assert [e["data"]["object"]["id"] for e in succeeded] == [pi.id]


def test_a_declined_card_is_a_card_error_and_the_intent_takes_another(
    sandbox: StripeSandbox,
) -> None:
    pi = intent(sandbox)
    declined = confirm(sandbox, pi, card(sandbox, "4000000000000002").json()["id"])

    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["message"] == "Your card was declined."
    assert server(sandbox).v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    assert sandbox.events("payment_intent.succeeded") == []

    good = confirm(sandbox, pi, card(sandbox, "4242424242424242").json()["id"])
    assert good.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    ("number", "expiry", "code"),
    [
        ("4242 4242 4242 4241", ("12", "34"), "incorrect_number"),
        ("4242 4242 4242 4242", ("13", "34"), "invalid_expiry_month"),
        ("4242 4242 4242 4242", ("01", "20"), "invalid_expiry_year"),
    ],
)
def test_a_mistyped_card_is_refused_like_stripe_does(
    sandbox: StripeSandbox, number: str, expiry: tuple[str, str], code: str
) -> None:
    refused = card(sandbox, number, expiry)
    assert refused.status_code == 402
    assert (refused.json()["error"]["type"], refused.json()["error"]["code"]) == (
        "card_error",
        code,
    )


def three_d_secure(sandbox: StripeSandbox) -> tuple[Any, str]:
    """A PaymentIntent confirmed with the 3-D Secure card: (intent, the challenge URL)."""
    pi = intent(sandbox)
    pm_id = card(sandbox, "4000 0027 6000 3184").json()["id"]
    confirmed = confirm(sandbox, pi, pm_id, return_url=RETURN_URL)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "requires_action"
    assert body["next_action"]["type"] == "redirect_to_url"
    assert body["next_action"]["redirect_to_url"]["return_url"] == RETURN_URL
    return pi, body["next_action"]["redirect_to_url"]["url"]


def answer(challenge: str, outcome: str) -> requests.Response:
    return requests.post(challenge, data={"outcome": outcome}, allow_redirects=False, timeout=10)


def returned_to(response: requests.Response) -> tuple[str, dict[str, str]]:
    assert response.status_code == 303, response.text
    parts = urllib.parse.urlsplit(response.headers["Location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", dict(urllib.parse.parse_qsl(parts.query))


def test_3d_secure_completed_pays_and_returns_with_stripes_parameters(
    sandbox: StripeSandbox,
) -> None:
    pi, challenge = three_d_secure(sandbox)
    assert sandbox.events("payment_intent.requires_action")
    assert sandbox.events("payment_intent.succeeded") == []
    page = requests.get(challenge, timeout=10)
    assert page.status_code == 200
    assert "Complete" in page.text and "Fail" in page.text
    assert "USD 600.00" in page.text

    where, query = returned_to(answer(challenge, "complete"))

    assert where == "https://shop.example/briefs/b1"
    assert query == {
        "key": "k1",
        "payment_intent": pi.id,
        "payment_intent_client_secret": pi.client_secret,
        "redirect_status": "succeeded",
    }
    paid = server(sandbox).v1.payment_intents.retrieve(pi.id)
    assert (paid.status, paid.amount_received, paid.next_action) == ("succeeded", 60_000, None)
    assert [e["data"]["object"]["id"] for e in sandbox.events("payment_intent.succeeded")] == [
        pi.id
    ]
    assert answer(challenge, "complete").status_code == 404  # answered once


def test_3d_secure_failed_charges_nothing_and_the_intent_takes_another_card(
    sandbox: StripeSandbox,
) -> None:
    pi, challenge = three_d_secure(sandbox)

    _, query = returned_to(answer(challenge, "fail"))

    assert query["redirect_status"] == "failed"
    failed = server(sandbox).v1.payment_intents.retrieve(pi.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    assert server(sandbox).v1.charges.list(params={"payment_intent": pi.id}).data == []
    assert sandbox.events("payment_intent.succeeded") == []

    again = confirm(sandbox, pi, card(sandbox, "4242424242424242").json()["id"])
    assert again.json()["status"] == "succeeded"


def test_confirming_again_abandons_a_pending_challenge(sandbox: StripeSandbox) -> None:
    pi, challenge = three_d_secure(sandbox)
    assert confirm(sandbox, pi, card(sandbox, "4242424242424242").json()["id"]).ok
    assert answer(challenge, "complete").status_code == 404
    assert len(sandbox.events("payment_intent.succeeded")) == 1


def test_the_publishable_key_cannot_read_payment_methods(sandbox: StripeSandbox) -> None:
    pm_id = card(sandbox, "4242424242424242").json()["id"]
    refused = requests.get(f"{sandbox.url}/v1/payment_methods/{pm_id}?key={PK}", timeout=10)
    assert refused.status_code == 401
    assert server(sandbox).v1.payment_methods.retrieve(pm_id).card.last4 == "4242"


def test_stripe_js_stand_in_is_served_at_v3_talking_to_the_sandbox(
    sandbox: StripeSandbox,
) -> None:
    script = requests.get(f"{sandbox.url}/v3/", timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert f'var API = "{sandbox.url}";' in script.text
    assert "window.Stripe = Stripe" in script.text

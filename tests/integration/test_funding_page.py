"""The funding page and the brief page's word on a payment, against moto and the Stripe sandbox.

After paying, the browser lands on the brief page with Stripe's `payment_intent` (and
`redirect_status`) parameters. What the page says comes from the ledger and from Stripe's
record of the brief's own PaymentIntent, never from the query string."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    PUBLISHABLE_KEY,
    Money,
    escrow_of,
    escrow_sandbox_fixture,
    money_fixture,
    put_brief,
)


def brief_page(money: Money, brief_id: str, token: str, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"key": token, **params}.items())
    response = money.client.http.get(f"/briefs/{brief_id}?{query}")
    assert response.status_code == 200, response.body
    return response


def notice(response: Any) -> str:
    """The text of the brief page's payment notice ("" when there is none)."""
    body = response.body.decode()
    match = re.search(r'<section class="card [\w -]+" id="funding-result".*?</section>', body, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(0))) if match else ""


def started(money: Money, budget_cents: int = 60_000) -> tuple[str, str, dict[str, Any]]:
    brief_id, token = put_brief(budget_cents=budget_cents)
    response = money.fund(brief_id, token)
    assert response.status_code == 200, response.body
    return brief_id, token, response.json_body


def test_paid_before_the_webhook_lands_the_page_says_processing_then_funded(
    money: Money,
) -> None:
    brief_id, token, intent = started(money)
    assert money.confirm(intent, "pm_card_visa").status_code == 200
    pi = intent["payment_intent_id"]

    processing = brief_page(money, brief_id, token, payment_intent=pi, redirect_status="succeeded")
    assert "Payment processing" in notice(processing)
    assert "USD 600.00" in notice(processing)
    assert "window.location.reload" in processing.body.decode()  # it checks again by itself
    assert escrow_of(brief_id)["funded_cents"] == 0  # the browser funds nothing

    money.deliver_new(pi)  # Stripe's payment_intent.succeeded

    funded = brief_page(money, brief_id, token, payment_intent=pi, redirect_status="succeeded")
    assert "Escrow is funded with USD 600.00" in notice(funded)
    assert "window.location.reload" not in funded.body.decode()


def test_a_declined_payment_is_explained_with_stripes_message_and_a_way_back(
    money: Money,
) -> None:
    brief_id, token, intent = started(money)
    assert money.confirm(intent, "pm_card_chargeDeclined").status_code == 402

    page = brief_page(
        money, brief_id, token, payment_intent=intent["payment_intent_id"], redirect_status="failed"
    )

    said = notice(page)
    assert "The payment did not go through. Your card was declined. Nothing was charged." in said
    assert f"/briefs/{brief_id}/fund?key={token}" in page.body.decode()


def test_the_query_string_alone_says_nothing(money: Money) -> None:
    brief_id, token, intent = started(money)
    _, _, other = started(money)
    money.confirm(other, "pm_card_visa")

    # Not paid: Stripe's record says so, whatever redirect_status claims.
    unpaid = brief_page(
        money,
        brief_id,
        token,
        payment_intent=intent["payment_intent_id"],
        redirect_status="succeeded",
    )
    # Another brief's (paid) PaymentIntent: not this brief's payment.
    foreign = brief_page(
        money, brief_id, token, payment_intent=other["payment_intent_id"], redirect_status="x"
    )
    plain = brief_page(money, brief_id, token)

    assert notice(unpaid) == notice(foreign) == notice(plain) == ""


def test_when_stripe_does_not_answer_the_page_says_so(money: Money) -> None:
    brief_id, token, intent = started(money)
    money.confirm(intent, "pm_card_visa")
    money.sandbox.fail(count=1, kind="500", path_prefix="/v1/payment_intents")

    page = brief_page(money, brief_id, token, payment_intent=intent["payment_intent_id"])

    assert "could not check the payment with Stripe" in notice(page)


def test_the_funding_page_mounts_the_payment_element_with_stripe_js_from_settings(
    money: Money, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.integration.conftest import reset_app_caches

    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
    monkeypatch.delenv("STRIPE_JS_URL", raising=False)  # production's default: Stripe's own
    reset_app_caches()
    brief_id, token = put_brief()

    page = money.client.http.get(f"/briefs/{brief_id}/fund?key={token}")

    body = page.body.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in body
    assert 'elements.create("payment").mount("#payment-element")' in body
    assert PUBLISHABLE_KEY in body
    assert f'"return_url": "http://testserver/briefs/{brief_id}?key={token}"' in body
    assert f'"fund_url": "/api/briefs/{brief_id}/fund"' in body  # same host as the page
    policy = {
        part.split()[0]: part.split()[1:]
        for part in page.headers["Content-Security-Policy"].split(";")
    }
    assert len(policy) == len(page.headers["Content-Security-Policy"].split(";"))  # no repeats
    assert "https://js.stripe.com" in policy["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert money.sandbox.url in policy["connect-src"]  # STRIPE_API_BASE
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    (nonce,) = [s for s in policy["script-src"] if s.startswith("'nonce-")]
    assert f'<script nonce="{nonce[7:-1]}">' in body  # the page's own script runs, no other
    assert page.headers["Cache-Control"] == "no-store"


def test_a_funded_brief_shows_no_payment_form(money: Money) -> None:
    brief_id, token, intent = started(money)
    money.confirm(intent, "pm_card_visa")
    money.deliver_new(intent["payment_intent_id"])

    body = money.client.http.get(f"/briefs/{brief_id}/fund?key={token}").body.decode()

    assert "Escrow is funded." in body
    assert "payment-element" not in body
    assert "js.stripe.com" not in body

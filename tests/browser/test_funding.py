"""The funding page in Chromium: Stripe's Payment Element confirms the PaymentIntent.

Locally Stripe.js is the Stripe sandbox's stand-in (served at `<sandbox>/v3/`): it creates a
PaymentMethod from the typed card and confirms the PaymentIntent with the publishable key, as
Stripe.js does; a 3-D Secure card sends the browser to the sandbox's challenge page, which
returns to the brief page with Stripe's `payment_intent` / `redirect_status` parameters.
Escrow is funded only by the `payment_intent.succeeded` webhook, never by the browser.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from tests.browser import funding
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import engaged, view, wait_status

pytestmark = pytest.mark.browser


def sandbox(twin: RunningTwin) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_local_twin", base_addresses={"api": twin.stripe_url}, max_network_retries=0
    )


def payment_intent_of(twin: RunningTwin, brief_id: str, token: str) -> Any:
    pi_id = view(twin, brief_id, token)["escrow"]["payment_intent_id"]
    assert pi_id, "the funding page created no PaymentIntent"
    return sandbox(twin).v1.payment_intents.retrieve(pi_id)


def assert_funded(twin: RunningTwin, page: Any, brief_id: str, token: str, last4: str) -> None:
    funded = wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert funded["escrow"]["funded_cents"] == int(funded["budget_cents"])
    page.reload()
    assert "Escrow is funded" in funding.funding_result(page)
    pi = payment_intent_of(twin, brief_id, token)
    charge = sandbox(twin).v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "succeeded"
    assert charge.payment_method.startswith("pm_")  # a PaymentMethod made from the typed card
    assert charge.payment_method_details.card.last4 == last4


def assert_not_funded(twin: RunningTwin, brief_id: str, token: str) -> None:
    current = view(twin, brief_id, token)
    assert current["status"] == "AWAITING_FUNDING"
    assert current["escrow"]["funded_cents"] == 0
    pi = payment_intent_of(twin, brief_id, token)
    assert pi.status == "requires_payment_method"
    assert pi.amount_received == 0
    succeeded = sandbox(twin).v1.charges.list(params={"payment_intent": pi.id}).data
    assert [c for c in succeeded if c.status == "succeeded"] == []


def test_the_page_loads_stripe_js_and_its_policy_allows_it(twin: RunningTwin) -> None:
    brief_id, token, _, _, _ = engaged(twin, "Funding page: Stripe.js and its policy")
    response = requests.get(funding.funding_url(twin, brief_id, token), timeout=10)

    assert response.status_code == 200
    assert f'<script src="{twin.stripe_url}/v3/"' in response.text
    assert "pm_card_visa" not in response.text  # the test-card picker is gone
    policy: dict[str, list[str]] = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy.setdefault(name, sources)  # a browser obeys a directive's first occurrence
    for directive in ("script-src", "frame-src", "connect-src"):
        assert twin.stripe_url in policy[directive], directive


def test_a_good_card_funds_escrow(twin: RunningTwin, page: Any) -> None:
    brief_id, token, _, _, _ = engaged(twin, "Funding page: a good card")
    funding.open_funding_page(page, funding.funding_url(twin, brief_id, token))

    funding.pay_and_land_on_brief_page(page, funding.VISA, brief_id)

    # Until Stripe's webhook lands the page says the payment is processing; then funded.
    assert any(
        words in funding.funding_result(page) for words in ("processing", "Escrow is funded")
    )
    assert_funded(twin, page, brief_id, token, "4242")


def test_a_declined_card_is_explained_beside_the_element_and_funds_nothing(
    twin: RunningTwin, page: Any
) -> None:
    brief_id, token, _, _, _ = engaged(twin, "Funding page: a declined card")
    url = funding.funding_url(twin, brief_id, token)
    funding.open_funding_page(page, url)

    funding.pay(page, funding.DECLINED)

    assert "Your card was declined." in funding.payment_error(page)
    assert page.url == url  # still on the funding page, free to try another card
    assert page.get_by_role("button", name="Pay").is_enabled()
    assert_not_funded(twin, brief_id, token)


def test_a_3d_secure_challenge_completed_funds_escrow(twin: RunningTwin, page: Any) -> None:
    brief_id, token, _, _, _ = engaged(twin, "Funding page: 3-D Secure completed")
    funding.open_funding_page(page, funding.funding_url(twin, brief_id, token))

    funding.pay(page, funding.THREE_D_SECURE)
    page.wait_for_url(f"{twin.stripe_url}/**")  # the card issuer's challenge (Stripe-hosted)
    assert view(twin, brief_id, token)["escrow"]["funded_cents"] == 0
    page.get_by_role("button", name="Complete").click()

    page.wait_for_url(funding.brief_page_pattern(brief_id))
    assert "redirect_status=succeeded" in page.url
    assert_funded(twin, page, brief_id, token, "3184")


def test_a_3d_secure_challenge_failed_funds_nothing_and_paying_again_works(
    twin: RunningTwin, page: Any
) -> None:
    brief_id, token, _, _, _ = engaged(twin, "Funding page: 3-D Secure failed")
    url = funding.funding_url(twin, brief_id, token)
    funding.open_funding_page(page, url)

    funding.pay(page, funding.THREE_D_SECURE)
    page.wait_for_url(f"{twin.stripe_url}/**")
    page.get_by_role("button", name="Fail").click()

    page.wait_for_url(funding.brief_page_pattern(brief_id))
    assert "redirect_status=failed" in page.url
    result = funding.funding_result(page)
    assert "did not go through" in result
    assert "failed authentication" in result
    assert_not_funded(twin, brief_id, token)

    # The same PaymentIntent takes another card.
    page.get_by_role("link", name="Try again").click()
    page.get_by_label("Card number").wait_for()
    funding.pay_and_land_on_brief_page(page, funding.VISA, brief_id)
    assert_funded(twin, page, brief_id, token, "4242")

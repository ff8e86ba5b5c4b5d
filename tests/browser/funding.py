"""Paying on the funding page in Chromium, the way an employer does: Stripe's Payment Element.

Locally the Payment Element is the Stripe sandbox's stand-in for Stripe.js (card number,
expiry, CVC rendered in the page). Shared by the funding tests and the engagement journey.
"""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import RunningTwin

# Stripe's test cards (the numbers people type, as they type them).
VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
THREE_D_SECURE = "4000 0027 6000 3184"


def funding_url(twin: RunningTwin, brief_id: str, token: str) -> str:
    return f"{twin.url}/briefs/{brief_id}/fund?key={token}"


def brief_page_pattern(brief_id: str) -> re.Pattern[str]:
    return re.compile(rf"/briefs/{re.escape(brief_id)}\?")


def open_funding_page(page: Any, url: str) -> None:
    """Open the funding page and wait until the Payment Element is mounted."""
    page.goto(url)
    page.get_by_label("Card number").wait_for()


def enter_card(page: Any, number: str, *, expiry: str = "12 / 34", cvc: str = "123") -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration date").fill(expiry)
    page.get_by_label("Security code").fill(cvc)


def pay(page: Any, number: str) -> None:
    """Enter the card and press Pay (what happens next depends on the card)."""
    enter_card(page, number)
    page.get_by_role("button", name="Pay").click()


def payment_error(page: Any) -> str:
    """The error Stripe reported, shown beside the Payment Element."""
    errors = page.locator("#payment-errors")
    page.wait_for_function(
        "() => document.getElementById('payment-errors').textContent.trim() !== ''"
    )
    return str(errors.inner_text())


def pay_and_land_on_brief_page(page: Any, number: str, brief_id: str) -> None:
    """A card that needs nothing more: after Pay the browser goes to the brief page."""
    pay(page, number)
    page.wait_for_url(brief_page_pattern(brief_id))


def funding_result(page: Any) -> str:
    return str(page.locator("#funding-result").inner_text())

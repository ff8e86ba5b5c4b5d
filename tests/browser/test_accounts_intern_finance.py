"""Intern and finance accounts in Chromium (issue 14).

- An intern whose engagement completed asks for a sign-in link with their profile's address,
  opens it from the email, presses "Sign in" and sees what they were paid on their dashboard.
- A finance user added by the owner signs in the same way, approves a waiting payout on the
  finance page, and the brief's timeline names them.

Set-up goes through the public API and the flow helpers; what the people do happens in the
browser, from the links the emails give.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import tour
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    employer,
    engaged,
    fund,
    timeline,
    wait_email,
    wait_status,
)
from tests.e2e.test_finance_twin import finance_approves_until_completed

pytestmark = pytest.mark.browser

SIGNIN_LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_\-]{43,}")


def sign_in_from_email(page: Any, twin: RunningTwin, address: str) -> None:
    """Ask for a link on the sign-in page, open the newest one emailed, press Sign in."""
    before = len([m for m in twin.outbox() if address in str(m["to"])])
    page.goto(f"{twin.url}/signin")
    page.get_by_label("Email").fill(address)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
    assert "check your email" in page.content().lower() or address in page.content()

    def newest() -> str | None:
        mails = [m for m in twin.outbox() if address in str(m["to"])]
        if len(mails) <= before:
            return None
        found = SIGNIN_LINK.findall(mails[-1]["text"])
        return found[-1] if found else None

    from tests.helpers import eventually

    link = eventually(newest, timeout=20, every=0.2)
    page.goto(link)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url.split("?")[0].endswith(("/dashboard", "/finance"))


def test_an_intern_signs_in_and_sees_earnings_after_a_completed_engagement(
    twin: RunningTwin, page: Any
) -> None:
    title = "Accounts: a completed engagement"
    brief_id, token, _, intern, link = engaged(twin, title)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    delivered = act(twin, link, "deliver", {"summary": tour.SUMMARY, "url": "https://example.org"})
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).status_code == 200
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    finance_approves_until_completed(twin, brief_id, token)

    sign_in_from_email(page, twin, intern["email"])

    assert page.url == f"{twin.url}/dashboard"
    earnings = page.locator("#earnings")
    assert "USD 540.00" in earnings.locator("[data-paid]").inner_text()
    assert "USD 0.00" in earnings.locator("[data-pending]").inner_text()
    past = page.locator("#engagements")
    assert title in past.inner_text() and "COMPLETED" in past.inner_text()
    me = page.request.get(f"{twin.url}/api/me/engagements").json()
    assert me == [
        {
            "brief_id": brief_id,
            "title": title,
            "status": "COMPLETED",
            "pay_cents": 54_000,
            "paid_cents": 54_000,
        }
    ]
    # The Express dashboard: a fresh login link, opened from the page.
    with page.expect_navigation():
        page.get_by_role("button", name="Open your Stripe Express dashboard").click()
    assert "/_sandbox/express/acct_" in page.url


def test_a_finance_user_approves_and_the_timeline_names_them(
    twin: RunningTwin, browser: Any
) -> None:
    from local.twin import LOCAL_FINANCE_OWNER

    title = "Accounts: finance approves by name"
    brief_id, token, _ = tour._approved(twin, title)
    user = "bea@finance.example"

    owner_context = browser.new_context(viewport={"width": 1100, "height": 900})
    owner = owner_context.new_page()
    owner.set_default_timeout(15_000)
    sign_in_from_email(owner, twin, LOCAL_FINANCE_OWNER)
    owner.goto(f"{twin.url}/finance")
    owner.get_by_label("Add a finance user (their email address)").fill(user)
    with owner.expect_navigation():
        owner.get_by_role("button", name="Add to the finance team").click()
    assert "Finance user added" in owner.content()
    wait_email(twin, user, "finance team")
    owner_context.close()

    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_from_email(page, twin, user)
    page.goto(f"{twin.url}/finance")
    assert f"Signed in as {user}" in page.locator(".account-bar").inner_text()
    row = page.locator("#pending tr", has_text=title)
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("^Approve")).click()
    assert "Payout approved" in page.content()
    context.close()

    wait_status(twin, brief_id, token, "COMPLETED")
    assert any(
        f"Finance approved the payout of USD 540.00 ({user})" in t
        for t in timeline(twin, brief_id, token)
    )

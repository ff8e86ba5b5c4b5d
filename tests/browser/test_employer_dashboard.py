"""An employer signs in from the emailed link, sees both of their briefs on the dashboard and
acts on one, in Chromium on a phone-sized screen (issue 14).

Set-up through the public API (an intern, two briefs from one address); everything the employer
does happens in the browser: ask for a sign-in link, open it from the outbox, press "Sign in",
open a brief from the dashboard (no manage token in any address) and cancel it.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser import axe
from tests.browser.conftest import confirm_in_browser
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import register, unique_skill, wait_email, wait_status
from tests.helpers import eventually, load_event

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
SIGNIN_LINK = re.compile(r"https?://\S+/signin/[A-Za-z0-9_\-]{43,}")


def post_brief(
    twin: RunningTwin, email: str, title: str, skill: str, *, also: tuple[str, ...] = ("Excel",)
) -> dict[str, Any]:
    body = load_event("brief", employer_email=email, title=title, skills=[skill, *also])
    response = requests.post(f"{twin.url}/api/briefs", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def accessible(browser: Any, signed_in: Any, urls: list[str]) -> None:
    """axe finds no serious or critical violation on these pages, signed in as `signed_in`
    (axe's script needs a context that bypasses the pages' policy: for the check only)."""
    checker = browser.new_context(viewport=PHONE, bypass_csp=True)
    checker.add_cookies(signed_in.cookies())
    page = checker.new_page()
    try:
        for url in urls:
            page.goto(url)
            assert axe.severe(axe.violations(page)) == [], url
    finally:
        checker.close()


def test_employer_signs_in_sees_two_briefs_and_cancels_one(
    twin: RunningTwin, browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)

    employer = f"dash-{uuid.uuid4().hex[:8]}@freshbox.example"
    skill = unique_skill()
    register(twin, skill)
    first = post_brief(twin, employer, "Dashboard study of onboarding flows", skill)
    confirm_in_browser(page, twin, employer)  # the first email to a new address
    # The second brief shares no skill with the intern: it must not race the first for them
    # (an intern holds one offer at a time; the first would end UNMATCHED, "busy").
    second = post_brief(
        twin, employer, "Dashboard survey of pricing pages", unique_skill(), also=()
    )
    # The first brief waits on the intern's answer (cancellable), whatever the second does.
    wait_status(twin, first["brief_id"], first["manage_token"], "OFFERED", timeout=90)

    # The employer asks for a sign-in link.
    page.goto(f"{twin.url}/signin")
    page.get_by_label("Your email address").fill(employer)
    with page.expect_navigation():
        page.get_by_role("button", name="Email me a sign-in link").click()
    assert "Check your email" in page.get_by_role("status").first.inner_text()

    # ... opens it from the email, and presses "Sign in".
    message = wait_email(twin, employer, "sign-in link")
    page.goto(SIGNIN_LINK.findall(message["text"])[-1])
    assert employer in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/dashboard")

    # Both briefs, each with its status; the page fits a phone.
    briefs = page.locator("article.brief-line")
    assert briefs.count() == 2
    text = page.locator("#briefs").inner_text()
    assert "Dashboard study of onboarding flows" in text
    assert "Dashboard survey of pricing pages" in text
    assert f"Signed in as {employer}" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    accessible(browser, context, [f"{twin.url}/signin", f"{twin.url}/dashboard"])

    # The employer opens the first brief (no key in the address) and cancels it.
    with page.expect_navigation():
        page.get_by_role("link", name="Dashboard study of onboarding flows").click()
    assert f"/briefs/{first['brief_id']}" in page.url and "key=" not in page.url
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel the project").click()
    assert "Cancel the project?" in page.get_by_role("heading", level=1).inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, cancel the project").click()
    assert f"/briefs/{first['brief_id']}" in page.url

    def cancelled() -> bool:
        page.reload()
        return "Cancelled" in page.locator(".status").first.inner_text()

    eventually(cancelled, timeout=30, every=1.0)
    assert fits_the_screen(page)

    # Back on the dashboard: the cancelled brief says so, the other one is untouched.
    page.goto(f"{twin.url}/dashboard")
    line = page.locator(f'article[data-brief="{first["brief_id"]}"]')
    assert "Cancelled" in line.inner_text()
    other = page.locator(f'article[data-brief="{second["brief_id"]}"]')
    assert "Cancelled" not in other.inner_text()

    # Signing out ends the session: the dashboard asks to sign in again.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out", exact=True).click()
    assert "signed out" in page.get_by_role("status").first.inner_text()
    page.goto(f"{twin.url}/dashboard")
    assert page.url.endswith("/signin")
    context.close()
    assert not refused, refused

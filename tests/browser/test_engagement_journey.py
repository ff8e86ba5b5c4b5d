"""The intern's whole journey on the task page and the employer's review, in Chromium.

Set-up goes through the public API (register, submit); everything a person does after the
emails arrive happens in the browser, opening the links the emails and pages give: accept, sign
the NDA, fund escrow on the funding page, deliver with a file, ask for changes, deliver again,
approve. It runs twice: with the app at the root of its host (a custom domain) and under API
Gateway's stage prefix (`/api/...`, the execute-api URL).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser import funding
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    emails_to,
    offered_to,
    onboard,
    register,
    submit,
    unique_skill,
    view,
    wait_email,
    wait_status,
)
from tests.e2e.test_finance_twin import finance_approves_until_completed

pytestmark = pytest.mark.browser


def status_badge(page: Any) -> str:
    return str(page.locator(".status").first.inner_text())


def link_in(message: dict[str, Any], part: str) -> str:
    """The link in an email's text that contains `part`."""
    found = [u for u in re.findall(r"https?://\S+", message["text"]) if part in u]
    assert found, message["text"]
    return found[0]


def test_intern_journey_and_employer_review(site: RunningTwin, page: Any, tmp_path: Path) -> None:
    twin = site
    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    brief_id, token, employer = submit(twin, skill, title="Browser journey study")
    _, link = offered_to(twin, [intern], "Browser journey study")
    offer = next(m for m in emails_to(twin, intern["email"]) if link in m["text"])
    task_url = link_in(offer, link)
    brief_url = link_in(wait_email(twin, employer, "We received your brief"), f"/briefs/{brief_id}")
    assert task_url == f"{twin.url}/tasks/{link}"
    assert brief_url.startswith(f"{twin.url}/briefs/{brief_id}?key=")

    # The intern reads the offer and accepts it.
    page.goto(task_url)
    assert "Browser journey study" in page.locator("h1").inner_text()
    assert "after the platform fee" in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Accept the offer").click()
    wait_status(twin, brief_id, token, "NDA")

    # The NDA: forgetting to agree is explained beside the box, the name kept; then signed.
    page.goto(task_url)
    assert "NON-DISCLOSURE AGREEMENT: the Intern's undertaking" in page.content()
    page.get_by_label("Your full name").fill(intern["name"])
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the NDA").click()
    assert page.get_by_text("Tick the box to agree to the NDA.").is_visible()
    assert page.get_by_label("Your full name").input_value() == intern["name"]
    page.get_by_label("I have read and agree to this NDA").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the NDA").click()
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")
    page.goto(task_url)
    assert page.get_by_role("link", name="download your signed copy").is_visible()

    # The employer opens the funding page from the brief page (the email links to it too) and
    # pays: a declined card first, then a good one.
    page.goto(brief_url)
    with page.expect_navigation():
        page.get_by_role("link", name="Fund escrow").click()
    assert page.url.startswith(f"{twin.url}/briefs/{brief_id}/fund?key=")
    funding.pay(page, funding.DECLINED)
    assert "declined" in funding.payment_error(page)
    funding.pay_and_land_on_brief_page(page, funding.VISA, brief_id)
    wait_status(twin, brief_id, token, "IN_PROGRESS")

    # The intern delivers with a file.
    deck = tmp_path / "deck.pdf"
    deck.write_bytes(b"%PDF-1.4 browser deck")
    page.goto(task_url)
    page.get_by_label("What are you delivering?").fill("The comparison deck, first version.")
    page.get_by_label("Link to the work").fill("https://example.org/deck")
    page.get_by_label("A file").set_input_files(str(deck))
    with page.expect_navigation():
        page.get_by_role("button", name="Deliver").click()
    wait_status(twin, brief_id, token, "IN_REVIEW")

    # The employer sees the delivery and its file (the link hands out the file), and asks for
    # changes.
    page.goto(brief_url)
    download = page.get_by_role("link", name="Download deck.pdf")
    assert download.is_visible()
    assert page.request.get(download.evaluate("a => a.href")).body() == b"%PDF-1.4 browser deck"
    page.get_by_label("Comment for the intern").fill("Please add the sources slide.")
    with page.expect_navigation():
        page.get_by_role("button", name="Request changes").click()
    wait_status(twin, brief_id, token, "IN_PROGRESS")

    page.goto(task_url)
    assert "Please add the sources slide." in page.content()
    page.get_by_label("What are you delivering?").fill("Second version with a sources slide.")
    with page.expect_navigation():
        page.get_by_role("button", name="Deliver").click()
    wait_status(twin, brief_id, token, "IN_REVIEW")

    page.goto(brief_url)
    with page.expect_navigation():
        page.get_by_role("button", name="Approve the delivery").click()
    with page.expect_navigation():  # approving moves the money: confirmed on its own page
        page.get_by_role("button", name="Yes, approve and pay").click()
    final = wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    page.goto(brief_url)
    assert page.locator(".flow li.current").inner_text() == status_badge(page)
    assert [d["number"] for d in final["deliveries"]] == [1, 2]
    assert view(twin, brief_id, token)["escrow"]["held_cents"] == 60_000
    page.screenshot(path=str(tmp_path / "brief-after-approval.png"), full_page=True)

    # Finance approves the payout through its signed webhook; the intern is paid, exactly.
    finance_approves_until_completed(twin, brief_id, token)
    page.goto(brief_url)
    assert status_badge(page) == "Completed"

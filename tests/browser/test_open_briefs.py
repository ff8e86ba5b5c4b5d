"""An intern browses open briefs, applies, and appears on the employer's shortlist marked as
an applicant — in Chromium, against the twin (issue 17). A signed-in intern who was never
offered anything does the same from the dashboard, after matching ran, and is offered the brief
when the intern it was offered to declines (the late applicant's place in the shortlist)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser import axe
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    emails_to,
    offered_to,
    register,
    submit,
    unique_skill,
    view,
    wait_email,
)
from tests.helpers import eventually

pytestmark = pytest.mark.browser

NOTE = "I analysed <b>pricing</b> for a meal-kit start-up last term"


def assert_accessible(browser: Any, url: str) -> None:
    """axe-core finds no serious or critical violation on the page (as test_accessibility)."""
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    try:
        checked = context.new_page()
        checked.goto(url)
        assert axe.severe(axe.violations(checked)) == []
    finally:
        context.close()


def link_in(message: dict[str, Any], part: str) -> str:
    found = [u for u in re.findall(r"https?://\S+", message["text"]) if part in u]
    assert found, message["text"]
    return found[0]


def test_an_intern_applies_to_an_open_brief_and_the_employer_sees_it(
    twin: RunningTwin, page: Any, browser: Any
) -> None:
    skill = unique_skill()
    ada = register(twin, skill, bio=f"Market research and {skill} work for a meal-kit start-up.")
    _first, _first_token, _ = submit(twin, skill, title="Open briefs first project")
    _, ada_link = offered_to(twin, [ada], "Open briefs first project")  # Ada holds this offer
    offer = next(m for m in emails_to(twin, ada["email"]) if ada_link in m["text"])

    bo = register(twin, skill)
    brief_id, token, employer = submit(
        twin, skill, title="Open briefs pricing study", company="Hush Hush Foods"
    )
    offered_to(twin, [bo], "Open briefs pricing study")  # matched: Ada was busy
    assert not any(c.get("applied") for c in view(twin, brief_id, token)["shortlist"])

    # Ada, from her task page, browses the open briefs that fit her skills.
    page.goto(link_in(offer, ada_link))
    with page.expect_navigation():
        page.get_by_role("link", name="See open briefs that fit your skills").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Open briefs that fit your skills"
    card = page.locator("section.open-brief", has_text="Open briefs pricing study")
    assert "after the platform fee" in card.inner_text()
    assert "Hush Hush Foods" not in page.content()  # the employer stays private

    card.get_by_label("A one-line note for the employer").fill(NOTE)
    with page.expect_navigation():
        card.get_by_role("button", name="Apply").click()
    card = page.locator("section.open-brief", has_text="Open briefs pricing study")
    assert "You applied" in card.inner_text() and NOTE in card.inner_text()
    assert_accessible(browser, page.url)

    # The employer's shortlist marks Ada as an applicant, with her note (as text, escaped).
    entry = next(
        c for c in view(twin, brief_id, token)["shortlist"] if c["intern_id"] == ada["intern_id"]
    )
    assert entry["applied"] is True and entry["note"] == NOTE
    brief_url = link_in(wait_email(twin, employer, "We received your brief"), f"/briefs/{brief_id}")
    page.goto(brief_url)
    row = page.locator("tr", has_text=ada["intern_id"])
    assert "Applied" in row.inner_text() and NOTE in row.inner_text()
    assert page.locator("tr b", has_text="pricing").count() == 0  # the note's markup is text

    # She withdraws; the page says she can apply again.
    page.goto(f"{twin.url}/tasks/{ada_link}/open-briefs")
    card = page.locator("section.open-brief", has_text="Open briefs pricing study")
    with page.expect_navigation():
        card.get_by_role("button", name="Withdraw my application").click()
    card = page.locator("section.open-brief", has_text="Open briefs pricing study")
    assert card.get_by_role("button", name="Apply").is_visible()
    entry = next(
        c for c in view(twin, brief_id, token)["shortlist"] if c["intern_id"] == ada["intern_id"]
    )
    assert entry["applied"] is False


def test_a_signed_in_intern_applies_from_the_dashboard_after_matching_and_is_offered_next(
    twin: RunningTwin, page: Any, browser: Any
) -> None:
    from tests.browser.test_accounts_intern_finance import sign_in_from_email

    skill = unique_skill()
    title = "Open briefs from the dashboard"
    bo = register(twin, skill)
    brief_id, token, _employer = submit(twin, skill, title=title)
    _, bo_link = offered_to(twin, [bo], title)  # matching ran: Bo is the whole shortlist
    cy = register(twin, skill, bio=f"Pricing research and {skill} dashboards for a retailer.")

    sign_in_from_email(page, twin, cy["email"])  # no task link: Cy was never offered anything
    with page.expect_navigation():
        page.get_by_role("link", name="See open briefs that fit your skills").click()
    assert page.url == f"{twin.url}/dashboard/open-briefs"
    assert page.get_by_role("heading", level=1).inner_text() == "Open briefs that fit your skills"
    assert_accessible_signed_in(browser, page)
    card = page.locator("section.open-brief", has_text=title)
    card.get_by_label("A one-line note for the employer").fill(NOTE)
    with page.expect_navigation():
        card.get_by_role("button", name="Apply").click()
    assert page.url == f"{twin.url}/dashboard/open-briefs"
    card = page.locator("section.open-brief", has_text=title)
    assert "You applied" in card.inner_text() and NOTE in card.inner_text()

    # Placed into the shortlist matching made, after Bo's offer, marked as an applicant.
    shortlist = view(twin, brief_id, token)["shortlist"]
    assert [(c["intern_id"], c["offer_status"], c["applied"]) for c in shortlist] == [
        (bo["intern_id"], "offered", False),
        (cy["intern_id"], "pending", True),
    ]

    assert act(twin, bo_link, "decline").status_code == 200
    offered, _cy_link = offered_to(twin, [cy], title)
    assert offered["intern_id"] == cy["intern_id"]
    eventually(
        lambda: (
            [c["offer_status"] for c in view(twin, brief_id, token)["shortlist"]]
            == ["declined", "offered"]
        ),
        timeout=20,
        every=0.2,
    )


def assert_accessible_signed_in(browser: Any, page: Any) -> None:
    """axe on the signed-in page: a context with the same cookies (axe needs bypass_csp)."""
    context = browser.new_context(bypass_csp=True)
    try:
        context.add_cookies(page.context.cookies())
        checked = context.new_page()
        checked.goto(page.url)
        assert checked.url == page.url  # still signed in there
        assert axe.severe(axe.violations(checked)) == []
    finally:
        context.close()


def test_an_unmatched_brief_is_reopened_for_a_signed_in_applicant_and_offered_to_them(
    twin: RunningTwin, page: Any
) -> None:
    """On the twin's own state machine: the first run ends UNMATCHED (the one intern declined);
    a feasible intern applies from the dashboard; a second run starts and offers them the brief,
    not the intern who declined."""
    from tests.browser.test_accounts_intern_finance import sign_in_from_email
    from tests.e2e.flow import wait_status

    skill = unique_skill()
    title = "Open briefs reopened"
    bo = register(twin, skill)
    brief_id, token, _employer = submit(twin, skill, title=title)
    _, bo_link = offered_to(twin, [bo], title)
    assert act(twin, bo_link, "decline").status_code == 200
    wait_status(twin, brief_id, token, "UNMATCHED")

    dee = register(twin, skill, bio=f"Pricing research and {skill} dashboards for a retailer.")
    sign_in_from_email(page, twin, dee["email"])
    page.goto(f"{twin.url}/dashboard/open-briefs")
    card = page.locator("section.open-brief", has_text=title)
    with page.expect_navigation():
        card.get_by_role("button", name="Apply").click()
    assert "You applied" in page.locator("section.open-brief", has_text=title).inner_text()

    offered, _ = offered_to(twin, [dee], title)
    assert offered["intern_id"] == dee["intern_id"]
    brief = wait_status(twin, brief_id, token, "OFFERED")
    assert [(c["intern_id"], c["offer_status"]) for c in brief["shortlist"]] == [
        (bo["intern_id"], "declined"),
        (dee["intern_id"], "offered"),
    ]
    offers_to_bo = [m for m in emails_to(twin, bo["email"]) if title in m["subject"]]
    assert len([m for m in offers_to_bo if m["subject"].startswith("Paid project")]) == 1
    details = [e["detail"] for e in brief["timeline"]]
    assert any(d.startswith("Reopened: an intern applied") for d in details)

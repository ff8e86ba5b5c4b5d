"""Every page of the product, in the states people see it: the stops of the accessibility check
(tests/browser/test_accessibility.py) and of the screenshot set (tests/browser/screens.py).

`build(twin)` sets the states up through the public API (as tests/e2e/flow.py does: register,
submit, accept, fund with Stripe's test card, deliver, approve, finance's signed webhook) and
returns the stops in reading order. A stop opens its page in a Playwright page; the ones that
need a person's action first (a form sent with errors, finance signing in) do it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.browser import funding
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    employer,
    engaged,
    fund,
    offered_to,
    onboard,
    register,
    submit,
    unique_skill,
    wait_status,
)

SUMMARY = (
    "The deck compares the five competitors on price and reach, with a one-page summary and "
    "the sources of every figure."
)


@dataclass(frozen=True)
class Stop:
    name: str  # the screenshot's name: docs/screens/<name>-<width>.png
    title: str  # what a reader of docs/screens/README.md is shown
    open: Callable[[Any], None]  # navigates the Playwright page there
    shows: str = "main h1"  # a Playwright selector the page must match once there


def goto(url: str) -> Callable[[Any], None]:
    def open_(page: Any) -> None:
        page.goto(url)

    return open_


def funding_page(url: str) -> Callable[[Any], None]:
    """The funding page once Stripe's Payment Element is mounted."""

    def open_(page: Any) -> None:
        funding.open_funding_page(page, url)

    return open_


def brief_url(twin: RunningTwin, brief_id: str, token: str) -> str:
    return f"{twin.url}/briefs/{brief_id}?key={token}"


def task_url(twin: RunningTwin, link: str) -> str:
    return f"{twin.url}/tasks/{link}"


def brief_form_with_errors(twin: RunningTwin) -> Callable[[Any], None]:
    """The brief form sent with a short title, no description and too small a budget."""

    def open_(page: Any) -> None:
        page.goto(f"{twin.url}/briefs/new")
        page.locator("#title").fill("Hi")
        page.locator("#budget_cents, #budget").first.fill("100")
        with page.expect_navigation():
            page.locator("form button[type=submit]").last.click()

    return open_


def intern_form_with_errors(twin: RunningTwin) -> Callable[[Any], None]:
    def open_(page: Any) -> None:
        page.goto(f"{twin.url}/interns/new")
        with page.expect_navigation():
            page.locator("form button[type=submit]").last.click()

    return open_


def finance_signed_in(twin: RunningTwin, *, key: str) -> Callable[[Any], None]:
    def open_(page: Any) -> None:
        page.goto(f"{twin.url}/finance")
        page.get_by_label("Finance API key").fill(key)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()

    return open_


def finance_wrong_key(twin: RunningTwin) -> Callable[[Any], None]:
    return finance_signed_in(twin, key="not-the-finance-key")


def _in_progress(twin: RunningTwin, title: str) -> tuple[str, str, str]:
    brief_id, token, _, _, link = engaged(twin, title)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    return brief_id, token, link


def _in_review(twin: RunningTwin, title: str) -> tuple[str, str, str]:
    brief_id, token, link = _in_progress(twin, title)
    delivered = act(twin, link, "deliver", {"summary": SUMMARY, "url": "https://example.org/deck"})
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    return brief_id, token, link


def _approved(twin: RunningTwin, title: str) -> tuple[str, str, str]:
    brief_id, token, link = _in_review(twin, title)
    review = employer(twin, brief_id, token, "review", {"decision": "approve"})
    assert review.status_code == 200, review.text
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    return brief_id, token, link


def build(twin: RunningTwin) -> list[Stop]:
    """Every page, each state set up on `twin` (production windows: nothing times out)."""
    from local.twin import LOCAL_FINANCE_KEY
    from tests.e2e.test_finance_twin import approval_request, send_finance

    # An offer waiting for the intern's answer.
    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    offer_id, offer_key, _ = submit(twin, skill, title="Market map of EU bike-sharing")
    _, offer_link = offered_to(twin, [intern], "Market map of EU bike-sharing")
    # Accepted, the NDA to sign.
    skill = unique_skill()
    nda_intern = register(twin, skill)
    onboard(nda_intern["onboarding_url"])
    nda_id, nda_key, _ = submit(
        twin, skill, title="Pricing study for a B2B SaaS", nda_required=True
    )
    _, nda_link = offered_to(twin, [nda_intern], "Pricing study for a B2B SaaS")
    assert act(twin, nda_link, "accept").status_code == 200
    wait_status(twin, nda_id, nda_key, "NDA")
    # Waiting for funding, at work, in review, waiting for finance, completed.
    fund_id, fund_key, _, _, fund_link = engaged(twin, "Survey analysis for a food bank")
    work_id, work_key, work_link = _in_progress(twin, "Competitor deck for a coffee roaster")
    review_id, review_key, review_link = _in_review(twin, "Churn dashboard for a gym chain")
    payout_id, payout_key, _ = _approved(twin, "Newsletter audit for a museum")
    done_id, done_key, done_link = _approved(twin, "Accessibility audit of a web shop")
    done_payout = approval_request(twin, done_id)["body"]["data"]["payout_id"]
    decision = send_finance(
        twin, "payout.approved", {"payout_id": done_payout, "approved_by": "ada@finance.example"}
    )
    assert decision.status_code == 200, decision.text
    wait_status(twin, done_id, done_key, "COMPLETED")
    approval_request(twin, payout_id)  # finance has been asked about the one still waiting

    unknown_task = "t" + uuid.uuid4().hex + uuid.uuid4().hex[:11]
    return [
        Stop("home", "Home page: how it works", goto(f"{twin.url}/")),
        Stop("brief-form", "Employer: the brief form", goto(f"{twin.url}/briefs/new")),
        Stop(
            "brief-form-errors",
            "Employer: the brief form sent with errors",
            brief_form_with_errors(twin),
            shows=".field-error [role=alert]",
        ),
        Stop(
            "brief-offered",
            "Employer: brief page, offered to an intern",
            goto(brief_url(twin, offer_id, offer_key)),
            shows="h1:has-text('Market map')",
        ),
        Stop(
            "brief-awaiting-funding",
            "Employer: brief page, waiting for funding",
            goto(brief_url(twin, fund_id, fund_key)),
            shows="h1:has-text('Survey analysis')",
        ),
        Stop(
            "fund",
            "Employer: the funding page (Stripe's Payment Element)",
            funding_page(f"{twin.url}/briefs/{fund_id}/fund?key={fund_key}"),
            shows="#payment-element input",
        ),
        Stop(
            "brief-in-progress",
            "Employer: brief page, work in progress",
            goto(brief_url(twin, work_id, work_key)),
            shows="h1:has-text('Competitor deck')",
        ),
        Stop(
            "brief-in-review",
            "Employer: brief page, a delivery to review",
            goto(brief_url(twin, review_id, review_key)),
            shows="h1:has-text('Churn dashboard')",
        ),
        Stop(
            "brief-payout-approval",
            "Employer: brief page, waiting for finance",
            goto(brief_url(twin, payout_id, payout_key)),
            shows="h1:has-text('Newsletter audit')",
        ),
        Stop(
            "brief-completed",
            "Employer: brief page, completed",
            goto(brief_url(twin, done_id, done_key)),
            shows="h1:has-text('Accessibility audit')",
        ),
        Stop("intern-form", "Intern: the registration form", goto(f"{twin.url}/interns/new")),
        Stop(
            "intern-form-errors",
            "Intern: the registration form sent with errors",
            intern_form_with_errors(twin),
            shows="[role=alert]",
        ),
        Stop(
            "intern-registered",
            "Intern: registered, Stripe connected",
            goto(f"{twin.url}/interns/new?registered=1"),
            shows="h1:has-text('registered')",
        ),
        Stop(
            "task-offer",
            "Intern: task page, the offer",
            goto(task_url(twin, offer_link)),
            shows="#offer-h",
        ),
        Stop(
            "task-nda",
            "Intern: task page, the NDA to sign",
            goto(task_url(twin, nda_link)),
            shows="#nda-h",
        ),
        Stop(
            "task-awaiting-funding",
            "Intern: task page, waiting for funding",
            goto(task_url(twin, fund_link)),
            shows="h1:has-text('Survey analysis')",
        ),
        Stop(
            "task-in-progress",
            "Intern: task page, at work (deliver)",
            goto(task_url(twin, work_link)),
            shows="#deliver-h",
        ),
        Stop(
            "task-in-review",
            "Intern: task page, delivered",
            goto(task_url(twin, review_link)),
            shows="h1:has-text('Churn dashboard')",
        ),
        Stop(
            "task-completed",
            "Intern: task page, paid",
            goto(task_url(twin, done_link)),
            shows="h1:has-text('Accessibility audit')",
        ),
        Stop("finance-signin", "Finance: sign in", goto(f"{twin.url}/finance"), shows="#key"),
        Stop(
            "finance-signin-error",
            "Finance: sign in with a wrong key",
            finance_wrong_key(twin),
            shows="[role=alert]",
        ),
        Stop(
            "finance",
            "Finance: payouts, attention, export",
            finance_signed_in(twin, key=LOCAL_FINANCE_KEY),
            shows="#pending td:has-text('Newsletter audit')",
        ),
        Stop(
            "error-not-found",
            "Error page: an unknown task link",
            goto(task_url(twin, unknown_task)),
        ),
        Stop(
            "error-wrong-key",
            "Error page: a brief link with a wrong key",
            goto(brief_url(twin, offer_id, "not-the-key")),
        ),
        Stop(
            "outbox",
            "Local twin: the outbox (every email sent)",
            goto(f"{twin.url}/_local/outbox"),
            shows="details iframe[title]",
        ),
    ]

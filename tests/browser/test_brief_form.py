"""An employer posts a brief in Chromium: makes a mistake, reads why, fixes it, lands on the page.

Runs against the local twin over HTTP (the `twin` fixture), like a person with a browser.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.engagement import LABELS
from tests.browser.conftest import confirm_in_browser
from tests.helpers import eventually, load_event

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1100, "height": 900}
STATUS_LABELS = sorted(LABELS.values())


def fill_the_form(page: Any, *, email: str, hours: str, budget: str) -> dict[str, Any]:
    brief = load_event("brief", employer_email=email)
    title = page.get_by_label("Project title")
    title.click()
    title.press_sequentially(brief["title"])
    page.get_by_label("What is the project about?").fill(brief["description"])
    page.get_by_label("Deliverables").fill("\n".join(brief["deliverables"]))
    page.get_by_label("Required skills").fill(", ".join(brief["skills"]))
    page.get_by_label("Nice-to-have skills").fill(", ".join(brief["nice_to_have_skills"]))
    page.get_by_label("Estimated hours").fill(hours)
    page.get_by_label("Budget (USD)").fill(budget)
    page.get_by_label("Deadline").fill(brief["deadline"])
    page.get_by_label("Your name").press_sequentially(brief["employer_name"])
    page.get_by_label("Work email").press_sequentially(email)
    page.get_by_label("Company").press_sequentially(brief["company"])
    return brief


def submit(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Post project").click()


def no_horizontal_overflow(page: Any) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= PHONE["width"])


def shoot(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


@pytest.mark.parametrize(
    ("mistake", "field", "error_id", "fix"),
    [
        ({"hours": "3", "budget": "600"}, "Estimated hours", "estimated_hours-error", "20"),
        ({"hours": "20", "budget": "300"}, "Budget (USD)", "budget_cents-error", "600"),
    ],
    ids=["hours-below-5", "budget-below-20-per-hour"],
)
def test_employer_fixes_a_mistake_and_lands_on_the_brief_page(
    page: Any,
    twin: Any,
    tmp_path: Path,
    mistake: dict[str, str],
    field: str,
    error_id: str,
    fix: str,
) -> None:
    # Given the form
    page.goto(f"{twin.url}/briefs/new")
    email = f"browser-{uuid.uuid4().hex[:8]}@freshbox.example"
    brief = fill_the_form(page, email=email, **mistake)

    # When a mistake is submitted, the message is beside the field and the input is kept
    submit(page)
    wrong = page.get_by_label(field)
    message = page.locator(f"#{error_id}")
    assert message.is_visible()
    assert message.inner_text().strip()
    described_by = wrong.get_attribute("aria-describedby") or ""
    assert error_id in described_by.split()
    assert wrong.get_attribute("aria-invalid") == "true"
    # the error element sits in the same field group, right after the input
    assert page.locator(f"input[aria-invalid=true] + #{error_id}").count() == 1
    assert wrong.input_value() == (mistake["hours"] if "hours" in field.lower() else "300")
    assert page.get_by_label("Project title").input_value() == brief["title"]
    assert page.get_by_label("Work email").input_value() == email
    shoot(page, tmp_path / "form-errors-desktop.png")
    page.set_viewport_size(PHONE)
    assert no_horizontal_overflow(page)
    shoot(page, tmp_path / "form-errors-phone.png")
    page.set_viewport_size(DESKTOP)

    # And when it is fixed, the employer lands on the brief page with its status and title
    wrong.fill(fix)
    submit(page)
    assert re.search(r"/briefs/b_[0-9a-f]+\?key=", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == brief["title"]
    status = page.locator(".status").inner_text().strip()
    assert status in STATUS_LABELS
    assert page.locator(f"#{error_id}").count() == 0
    shoot(page, tmp_path / "brief-page-desktop.png")
    page.set_viewport_size(PHONE)
    assert no_horizontal_overflow(page)
    shoot(page, tmp_path / "brief-page-phone.png")


def test_the_outbox_shows_the_confirmation_email_with_the_manage_link(page: Any, twin: Any) -> None:
    # Given a brief posted through the form
    page.goto(f"{twin.url}/briefs/new")
    email = f"outbox-{uuid.uuid4().hex[:8]}@freshbox.example"
    brief = fill_the_form(page, email=email, hours="20", budget="600")
    submit(page)
    manage_path = page.url.removeprefix(twin.url)
    assert manage_path.startswith("/briefs/b_")
    # The address is new: the brief waits for it to be confirmed, and its page says so.
    assert page.locator("#awaiting-confirmation").is_visible()
    assert page.get_by_role("button", name="Send the confirmation again").is_visible()
    confirm_in_browser(page, twin, email)

    # When the employer's inbox (the twin's outbox) is opened (the workflow sends the email)
    def confirmation() -> Any:
        page.goto(f"{twin.url}/_local/outbox")
        found = page.locator("details", has_text=email).filter(has_text="We received your brief")
        return found.first if found.count() else None

    mail = eventually(confirmation, timeout=20, every=0.3)

    # Then the confirmation is there, to them, with a link that opens this brief
    assert f"We received your brief: {brief['title']}" in mail.locator("summary").inner_text()
    text = mail.locator("pre").text_content() or ""
    link = re.search(r"http://\S+/briefs/b_\S+\?key=\S+", text)
    assert link and manage_path.split("?")[0] in link.group(0)
    page.goto(link.group(0))
    assert brief["title"] in page.locator("h1").inner_text()

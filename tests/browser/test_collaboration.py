"""Messages and sealed details in Chromium (issue 15a): the employer and the intern exchange
messages with a file between the brief page and the task page; the sealed details stay hidden
until the NDA is signed, then open, and the read shows on the employer's timeline. Showing a
page (a GET) reads nothing: the thread is marked read by the page's POST (its script, or the
"Mark as read" button without JavaScript), the details are shown by a button's POST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser import axe
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    emails_to,
    engaged,
    offered_to,
    onboard,
    register,
    submit,
    unique_skill,
    wait_email,
    wait_status,
)

pytestmark = pytest.mark.browser

SECRET = "Sealed: the client is Globex and their churn is 14 percent."


def test_a_message_exchange_with_a_file(twin: RunningTwin, page: Any, tmp_path: Path) -> None:
    brief_id, token, employer_email, intern, link = engaged(twin, "Messages in the browser")
    notes = tmp_path / "kickoff notes.txt"
    notes.write_bytes(b"Agenda: scope, sources, deadline.")

    # The employer writes from the brief page, with a file (uploaded straight to S3).
    page.goto(f"{twin.url}/briefs/{brief_id}?key={token}")
    page.get_by_label("Your message").fill("Welcome! <b>Notes</b> attached.")
    page.get_by_label("File to send with it").set_input_files(str(notes))
    with page.expect_navigation():
        page.get_by_role("button", name="Send the message").click()
    thread = page.locator("#messages")
    thread.get_by_text("Welcome! <b>Notes</b> attached.").wait_for()  # shown as text
    assert thread.locator(".read-state").inner_text() == "Unread"
    assert wait_email(twin, intern["email"], "new message")["subject"].startswith("1 new message")

    # Fetching the task page (a GET, no script run) marks nothing read.
    assert requests.get(f"{twin.url}/tasks/{link}", timeout=10).status_code == 200
    page.reload()
    assert page.locator("#messages .read-state").inner_text() == "Unread"

    # The intern reads it on the task page (its script posts the read once the page is in
    # view), downloads the file and replies.
    page.goto(f"{twin.url}/tasks/{link}")
    page.locator("#message-read").wait_for(state="hidden")  # hidden once the POST succeeded
    brief_page = requests.get(f"{twin.url}/briefs/{brief_id}?key={token}", timeout=10).text
    assert 'read-state">Read<' in brief_page and "Unread" not in brief_page
    message = page.locator("#messages .message").first
    assert "Welcome! <b>Notes</b> attached." in message.inner_text()
    href = message.get_by_role("link", name="Download kickoff-notes.txt").get_attribute("href")
    assert href
    redirect = requests.get(
        f"{twin.url}{href}" if href.startswith("/") else href, allow_redirects=False, timeout=10
    )
    assert redirect.status_code == 302
    download = requests.get(redirect.headers["Location"], timeout=10)
    assert download.content == b"Agenda: scope, sources, deadline."
    assert download.headers["Content-Disposition"].startswith("attachment")
    page.get_by_label("Your message").fill("Thanks, starting on the sources today.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the message").click()
    page.locator("#messages").get_by_text("Thanks, starting on the sources today.").wait_for()

    # Back on the brief page without JavaScript: the reply, newest last, the first message now
    # read, and the "Mark as read" button that reads the reply.
    plain = page.context.browser.new_context(java_script_enabled=False)
    try:
        employer = plain.new_page()
        employer.goto(f"{twin.url}/briefs/{brief_id}?key={token}")
        texts = employer.locator("#messages .message-text").all_inner_texts()
        assert texts == [
            "Welcome! <b>Notes</b> attached.",
            "Thanks, starting on the sources today.",
        ]
        assert employer.locator("#messages .read-state").inner_text() == "Read"
        page.reload()  # the intern's reply: not read yet
        assert page.locator("#messages .read-state").inner_text() == "Unread"
        with employer.expect_navigation():
            employer.get_by_role("button", name="Mark as read").click()
        assert employer.locator("#message-read").count() == 0
    finally:
        plain.close()
    page.reload()
    assert page.locator("#messages .read-state").inner_text() == "Read"
    assert wait_email(twin, employer_email, "new message")
    assert_accessible(
        page.context.browser,
        [f"{twin.url}/briefs/{brief_id}?key={token}", f"{twin.url}/tasks/{link}"],
    )


def assert_accessible(browser: Any, urls: list[str]) -> None:
    """The pages with a thread (and the details page) pass axe-core (no serious or critical
    violation) at a phone's width, as tests/browser/test_accessibility.py checks the others."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        checked = context.new_page()
        for url in urls:
            checked.goto(url)
            assert axe.severe(axe.violations(checked)) == [], url
            wider = checked.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert wider <= 0, (url, wider)
    finally:
        context.close()


def test_sealed_details_open_after_the_nda_and_the_read_is_on_the_timeline(
    twin: RunningTwin, page: Any
) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    title = "Sealed details in the browser"
    brief_id, token, _ = submit(
        twin, skill, title=title, nda_required=True, confidential_details=SECRET
    )
    _, link = offered_to(twin, [intern], title)

    # Neither the offer email nor the offer page shows them.
    assert "Globex" not in str(emails_to(twin, intern["email"]))
    page.goto(f"{twin.url}/tasks/{link}")
    assert "Globex" not in page.content()
    assert act(twin, link, "accept").status_code == 200
    wait_status(twin, brief_id, token, "NDA")

    # Accepted, NDA not signed: hidden, and the details page is the not-found page.
    page.goto(f"{twin.url}/tasks/{link}")
    assert "Globex" not in page.content()
    assert page.get_by_role("link", name="Open the confidential details").count() == 0
    refused = page.goto(f"{twin.url}/tasks/{link}/confidential")
    assert refused is not None and refused.status == 404
    assert "Globex" not in page.content()

    # The intern signs the NDA on the task page.
    page.goto(f"{twin.url}/tasks/{link}")
    page.get_by_label("Your full name").fill(intern["name"])
    page.get_by_label("I have read and agree to this NDA").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the NDA").click()
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")

    # Opening the details page (a GET) shows a button and records nothing; the button's POST
    # shows the details and records the read.
    page.goto(f"{twin.url}/tasks/{link}")
    with page.expect_navigation():
        page.get_by_role("link", name="Open the confidential details").click()
    assert "Globex" not in page.content()
    brief_page = requests.get(f"{twin.url}/briefs/{brief_id}?key={token}", timeout=10).text
    assert "Read by the intern:</b> not yet." in brief_page
    with page.expect_navigation():
        page.get_by_role("button", name="Show the confidential details").click()
    page.locator("#confidential-details").get_by_text(SECRET).wait_for()

    # The employer sees the read on the brief page's timeline.
    page.goto(f"{twin.url}/briefs/{brief_id}?key={token}")
    page.locator("#confidential-views").get_by_text("1 time").wait_for()
    timeline = page.locator("ol.timeline").last.inner_text()
    assert "The intern viewed the confidential details (on the task page)" in timeline
    assert_accessible(page.context.browser, [f"{twin.url}/tasks/{link}/confidential"])

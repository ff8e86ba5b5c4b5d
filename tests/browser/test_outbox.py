"""The twin's outbox in Chromium: the links of an email — its button, the link under it and
the URL in its text part — each open the page they name, in a new tab."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from tests.browser.conftest import confirm_in_browser
from tests.helpers import eventually, load_event

pytestmark = pytest.mark.browser


def test_every_link_in_the_outbox_opens_in_a_new_tab(page: Any, twin: Any) -> None:
    # Given an employer who posted a brief (the workflow emails them its manage link)
    email = f"outbox-links-{uuid.uuid4().hex[:8]}@freshbox.example"
    brief = load_event("brief", employer_email=email)
    posted = requests.post(
        f"{twin.url}/api/briefs",
        data=json.dumps(brief),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    confirm_in_browser(page, twin, email)  # a new address: its first email is a confirmation

    def confirmation() -> Any:
        page.goto(f"{twin.url}/_local/outbox")
        found = page.locator("details", has_text=email).filter(has_text="We received your brief")
        return found.first if found.count() else None

    # When they open it in the outbox
    mail = eventually(confirmation, timeout=20, every=0.3)
    if mail.get_attribute("open") is None:
        mail.locator("summary").click()
    frame = mail.frame_locator("iframe")
    links = [
        frame.locator("a.button"),  # the email's button
        frame.locator("a", has_text="/briefs/b_"),  # "Button not working? Paste this link"
        mail.locator("pre a", has_text="/briefs/b_"),  # the URL in the text part
    ]

    # Then each of its links opens the brief's page in a new tab, the outbox staying put
    for link in links:
        with page.context.expect_page() as opened:
            link.click()
        tab = opened.value
        tab.wait_for_load_state()
        assert tab.url.startswith(f"{twin.url}/briefs/b_")
        assert brief["title"] in tab.locator("h1").inner_text()
        tab.close()
        assert page.url == f"{twin.url}/_local/outbox"

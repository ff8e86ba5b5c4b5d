"""The site behind API Gateway's stage prefix, in Chromium.

Deployed without a custom domain, the app lives at `https://….execute-api….amazonaws.com/api/`:
the stage is the first path segment of every address. The `prefixed_twin` serves the app the
same way (`/api/...`, everything else 404), so a page that writes `href="/briefs/new"`, a form
that posts to `/briefs`, a redirect to `/tasks/…` or an email with a link outside the prefix
sends the person off the site. Every address a page, a redirect or an email hands out must
stay under the prefix.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local.twin import LOCAL_FINANCE_KEY
from tests.browser.conftest import confirm_in_browser
from tests.browser.test_brief_form import fill_the_form, submit
from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    emails_to,
    offered_to,
    register,
    unique_skill,
    wait_email,
)

pytestmark = pytest.mark.browser

# Every address the page offers, as the browser resolves it (links, form actions, fetch targets).
ADDRESSES = """() => [
  ...[...document.querySelectorAll("a[href]")].map(a => a.href),
  ...[...document.querySelectorAll("form")].map(f => f.action),
  ...[...document.querySelectorAll("[data-upload]")]
    .map(e => new URL(e.dataset.upload, location.href).href),
]"""
URL_IN_TEXT = re.compile(r"https?://\S+")


def outside_the_prefix(twin: RunningTwin, addresses: list[str]) -> list[str]:
    """The addresses on the app's own host that are not under its prefix."""
    host = urlsplit(twin.url).netloc
    return [a for a in addresses if urlsplit(a).netloc == host and not a.startswith(twin.url + "/")]


def test_the_twin_serves_the_app_only_under_its_prefix(prefixed_twin: RunningTwin) -> None:
    twin = prefixed_twin
    assert twin.url == f"{twin.origin}/api"
    assert requests.get(f"{twin.url}/health", timeout=10).json() == {"status": "ok"}
    assert "microintern" in requests.get(f"{twin.url}/", timeout=10).text
    assert "microintern" in requests.get(twin.url, timeout=10).text  # /api alone is the root
    assert requests.get(f"{twin.url}/_local/outbox.json", timeout=10).ok
    for outside in ("/health", "/briefs/new", "/", "/apix/health", "/_local/outbox.json"):
        assert requests.get(f"{twin.origin}{outside}", timeout=10).status_code == 404, outside
    assert requests.post(f"{twin.origin}/api2/briefs", json={}, timeout=10).status_code == 404


def test_every_address_a_page_or_an_email_gives_stays_under_the_prefix(
    prefixed_twin: RunningTwin, page: Any
) -> None:
    twin = prefixed_twin
    found: dict[str, list[str]] = {}

    def look() -> None:
        assert page.url.startswith(twin.url + "/"), page.url
        found[urlsplit(page.url).path] = outside_the_prefix(twin, page.evaluate(ADDRESSES))

    # The home page and the pages its links open.
    page.goto(f"{twin.url}/")
    look()
    with page.expect_navigation():
        page.get_by_role("link", name="Join as an intern").first.click()
    look()
    with page.expect_navigation():
        page.locator("a.brand").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Post a project").first.click()
    look()

    # An intern who will match, then a brief posted through the form: the redirect lands on
    # its page, under the prefix.
    skill = unique_skill()
    intern = register(twin, skill)
    onboarded = requests.get(intern["onboarding_url"], timeout=10, allow_redirects=False)
    assert onboarded.headers["Location"].startswith(twin.url + "/"), onboarded.headers
    employer = f"prefix-{uuid.uuid4().hex[:8]}@freshbox.example"
    brief = fill_the_form(page, email=employer, hours="20", budget="600")
    page.get_by_label("Required skills").fill(skill)
    submit(page)
    assert re.search(r"/api/briefs/b_[0-9a-f]+\?key=", page.url), page.url
    look()
    confirm_in_browser(page, twin, employer)  # the confirmation page and its answer, too
    look()

    # The offer email's link opens the task page; accepting redirects back to it.
    _, link = offered_to(twin, [intern], brief["title"])
    offer = next(m for m in emails_to(twin, intern["email"]) if link in m["text"])
    page.goto(next(u for u in URL_IN_TEXT.findall(offer["text"]) if link in u))
    look()
    with page.expect_navigation():
        page.get_by_role("button", name="Accept the offer").click()
    look()

    # The employer's confirmation email opens the brief page; a wrong key the error page.
    received = wait_email(twin, employer, "We received your brief")
    manage = next(u for u in URL_IN_TEXT.findall(received["text"]) if "/briefs/" in u)
    page.goto(manage)
    look()
    page.goto(manage.split("?")[0] + "?key=not-the-key")
    look()
    # Finance signs in with a form (the key never in an address), sees the books, signs out.
    page.goto(f"{twin.url}/finance")
    look()
    page.get_by_label("Finance API key").fill(LOCAL_FINANCE_KEY)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Finance: payouts").is_visible()
    look()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("button", name="Sign in").is_visible()

    # Every link in every email sent so far.
    for message in twin.outbox():
        for address in URL_IN_TEXT.findall(message["text"]) + re.findall(
            r'href="([^"]+)"', message["html"]
        ):
            found.setdefault(f"email: {message['subject']}", []).extend(
                outside_the_prefix(twin, [address])
            )

    assert {where: bad for where, bad in found.items() if bad} == {}
    assert len(found) >= 9

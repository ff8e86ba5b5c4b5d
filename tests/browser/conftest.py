"""Playwright driving Debian's Chromium (Playwright's own browser download is not available)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PRODUCTION_WINDOWS, RunningTwin, running_twin
from tests.e2e.flow import CONFIRM_LINK, wait_email

# The browser journeys run on production defaults: no window variable is set (48 h offers,
# the work window to the deadline, 7-day reviews), exactly as a deployed stage runs.


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    with running_twin(tmp_path_factory.mktemp("twin") / "twin.log", PRODUCTION_WINDOWS) as running:
        yield running


# API Gateway's execute-api URL puts the stage in front of every route (https://…/api/briefs/new).
STAGE_PREFIX = "/api"


@pytest.fixture(scope="session")
def prefixed_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    """The twin serving the app under the stage prefix, as the execute-api URL does
    (`twin.url` ends with it; outside it everything is 404)."""
    log = tmp_path_factory.mktemp("prefixed-twin") / "twin.log"
    with running_twin(log, PRODUCTION_WINDOWS, base_path=STAGE_PREFIX) as running:
        yield running


@pytest.fixture(params=["custom-domain", "stage-prefix"])
def site(request: pytest.FixtureRequest) -> RunningTwin:
    """The app at the root of its host (a custom domain) and under the stage prefix."""
    name = "twin" if request.param == "custom-domain" else "prefixed_twin"
    running: RunningTwin = request.getfixturevalue(name)
    return running


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    yield page
    context.close()
    # The pages' policy has no 'unsafe-inline': code without the response's nonce is refused,
    # and Chromium says so on the console. No page of any journey may be refused anything.
    refused = [line for line in console if "Content Security Policy" in line]
    assert not refused, refused


def confirm_in_browser(page: Any, twin: RunningTwin, address: str) -> None:
    """The address's owner opens the confirmation link emailed to it (the twin's outbox) and
    presses the button; the page says it is confirmed."""
    message = wait_email(twin, address, "Confirm your email")
    page.goto(CONFIRM_LINK.findall(message["text"])[-1])
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm my email address").click()
    assert "confirmed" in page.get_by_role("heading", level=1).inner_text()

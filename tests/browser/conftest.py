"""Playwright driving Debian's Chromium (Playwright's own browser download is not available)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import RunningTwin, running_twin

# People take their time: the browser tests' twin keeps every window open for minutes.
PATIENT_WINDOWS = {
    "OFFER_WINDOW_SECONDS": "600",
    "NDA_WINDOW_SECONDS": "600",
    "FUNDING_WINDOW_SECONDS": "600",
    "DEADLINE_DECISION_WINDOW_SECONDS": "600",
    "REVIEW_WINDOW_SECONDS": "600",
    "PAYOUT_REMINDER_SECONDS": "600",
    "WORK_WINDOW_SECONDS": "600",
}


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    with running_twin(tmp_path_factory.mktemp("twin") / "twin.log", PATIENT_WINDOWS) as running:
        yield running


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
    yield page
    context.close()

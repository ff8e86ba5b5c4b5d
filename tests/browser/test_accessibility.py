"""Every page, in the states people see it, passes axe-core with no serious or critical
violation, at a desktop and a phone width (issue 13). The stops are tests/browser/tour.py's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import axe, tour
from tests.e2e.conftest import RunningTwin

pytestmark = pytest.mark.browser

WIDTHS = {1280: 900, 390: 844}


@pytest.fixture(scope="module")
def stops(twin: RunningTwin) -> list[tour.Stop]:
    return tour.build(twin)


@pytest.fixture(params=sorted(WIDTHS), ids=lambda w: f"{w}px")
def checked_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    width = int(request.param)
    context = browser.new_context(
        viewport={"width": width, "height": WIDTHS[width]}, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_no_page_has_a_serious_or_critical_violation(
    stops: list[tour.Stop], checked_page: Any
) -> None:
    report: dict[str, list[str]] = {}
    counts: list[str] = []
    for stop in stops:
        stop.open(checked_page)
        assert checked_page.locator(stop.shows).count() > 0, (stop.name, stop.shows)
        found = axe.violations(checked_page)
        report[stop.name] = axe.severe(found)
        wider = checked_page.evaluate("document.documentElement.scrollWidth - innerWidth")
        if wider > 0:  # a page wider than the screen scrolls sideways: a WCAG reflow failure
            report[stop.name].append(f"the page is {wider} px wider than the viewport")
        counts.append(
            f"{stop.name}: {len(report[stop.name])} serious/critical, {len(found)} in all"
        )
    print("\n".join(counts))

    assert len(stops) >= 20
    assert {name: lines for name, lines in report.items() if lines} == {}


def test_the_check_finds_what_it_should(browser: Any) -> None:
    """A page with an unlabelled field, an image without text and grey-on-grey text fails."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content(
        "<!doctype html><html><body><img src='data:,'><input id=q>"
        "<p style='color:#aaa;background:#bbb'>faint</p></body></html>"
    )
    found = {v["id"] for v in axe.violations(page) if v["impact"] in axe.SEVERE}
    context.close()

    assert {"image-alt", "label", "color-contrast", "html-has-lang"} <= found

"""The finance page in Chromium at a phone and a laptop width (issue 13, item 5): nothing
overflows, no amount or word breaks inside itself, times show in the viewer's zone (UTC text
without JavaScript), and no page asks for a favicon it cannot have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import tour
from tests.e2e.conftest import RunningTwin

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def waiting_payout(twin: RunningTwin) -> str:
    """A brief whose payout waits for finance: its title."""
    title = "Finance layout: a payout waiting"
    tour._approved(twin, title)
    return title


def open_finance(browser: Any, twin: RunningTwin, width: int, **options: Any) -> Any:
    from local.twin import LOCAL_FINANCE_KEY

    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    tour.finance_signed_in(twin, key=LOCAL_FINANCE_KEY)(page)
    return page


@pytest.fixture(params=[390, 1280], ids=lambda w: f"{w}px")
def finance_page(
    browser: Any, twin: RunningTwin, waiting_payout: str, request: pytest.FixtureRequest
) -> Iterator[Any]:
    page = open_finance(browser, twin, int(request.param), timezone_id="Europe/Berlin")
    yield page
    page.context.close()


# Every text cell whose words must stay whole: its rendered width is no less than its longest
# word's (a word broken across lines makes the cell narrower than the word).
BROKEN_WORDS = """() => {
  const broken = [];
  const probe = document.createElement("span");
  probe.style.visibility = "hidden";
  probe.style.position = "absolute";
  probe.style.whiteSpace = "nowrap";
  document.body.appendChild(probe);
  for (const cell of document.querySelectorAll("main td, main .figures b")) {
    for (const node of cell.querySelectorAll(".money, code, .nowrap")) {
      if (node.getClientRects().length > 1) { broken.push(node.textContent); }
    }
    const style = getComputedStyle(cell);
    probe.style.font = style.font;
    const words = cell.cloneNode(true);  // whole-by-style nodes are checked above
    words.querySelectorAll(".money, code, .nowrap").forEach((n) => n.remove());
    for (const word of words.textContent.split(/\\s+/)) {
      if (!word) { continue; }
      probe.textContent = word;
      if (probe.getBoundingClientRect().width > cell.getBoundingClientRect().width + 1) {
        broken.push(word);
      }
    }
  }
  probe.remove();
  return broken;
}"""


def test_nothing_overflows_and_no_amount_or_word_breaks(
    finance_page: Any, waiting_payout: str
) -> None:
    page = finance_page
    width = page.viewport_size["width"]

    assert page.locator(f"#pending td:has-text('{waiting_payout}')").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(BROKEN_WORDS) == []
    row = page.locator(f"#pending tr:has-text('{waiting_payout}')")
    assert row.locator("td.money").first.inner_text().startswith("USD ")
    if width < 700:  # a phone: each row is a card of labelled lines
        assert row.locator("td").first.evaluate("td => getComputedStyle(td).display") == "block"


def test_times_show_in_the_viewers_zone_with_the_utc_text_kept(finance_page: Any) -> None:
    page = finance_page
    first = page.locator("#pending time").first

    assert first.get_attribute("datetime").endswith("Z")
    assert first.get_attribute("title").endswith(" UTC")  # the server's text, kept as a title
    shown = first.inner_text()
    assert "UTC" not in shown and ("GMT+1" in shown or "CET" in shown), shown
    assert "(Europe/Berlin)" in page.locator("#viewer-zone").inner_text()


def test_without_javascript_times_stay_in_utc(
    browser: Any, twin: RunningTwin, waiting_payout: str
) -> None:
    page = open_finance(browser, twin, 390, java_script_enabled=False)
    try:
        text = page.locator("#pending time").first.inner_text()
    finally:
        page.context.close()

    assert text.endswith(" UTC")


def test_pages_load_without_a_failed_request(browser: Any, twin: RunningTwin) -> None:
    """The favicon included: it used to answer 403 on every page."""
    context = browser.new_context()
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    page.goto(f"{twin.url}/")
    page.goto(f"{twin.url}/briefs/new")
    icon = page.evaluate(
        "async () => { const r = await fetch(document.querySelector('link[rel=icon]').href);"
        " return [r.status, r.headers.get('content-type')]; }"
    )
    context.close()

    assert failed == []
    assert icon == [200, "image/svg+xml"]

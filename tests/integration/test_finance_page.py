"""The finance page as a working surface (issue 13, item 5): payouts waiting for approval first
with their age, stuck or failed money flagged (escrow held on a dispute or an account included),
times as <time datetime> with UTC text, amounts that never break, a status filter beside the
CSV export. Given records in the table, when finance opens the page, then it shows them so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.test_finance_session import books, sign_in  # noqa: F401 (fixture)
from tests.integration.test_finance_webhooks import (  # noqa: F401 (fixtures)
    awaiting_payout,
    escrow_sandbox_fixture,
    finance,
    mails_to,
    money_fixture,
    receiver,
)


def _iso(hours_ago: float) -> str:
    from chalicelib.adapters import clock

    return clock.iso(clock.now() - timedelta(hours=hours_ago))


def given_payout(payout_id: str, *, status: str, hours_ago: float, delivered: bool = True) -> None:
    from chalicelib.adapters.payout_store import payout_item
    from chalicelib.adapters.store import get_store

    record = {
        "payout_id": payout_id,
        "brief_id": f"b_{payout_id}",
        "intern_id": "i_0123456789abcdef0123",
        "title": f"Project {payout_id}",
        "status": status,
        "amount_cents": 50_000,
        "fee_cents": 5_000,
        "currency": "usd",
        "created_at": _iso(hours_ago),
        "delivered": delivered,
        "attempts": 1 if delivered else 4,
    }
    if status != "pending":
        record["decided_at"] = _iso(hours_ago - 1)
        record["approved_by"] = "ana@finance.example"
    get_store().put(payout_item(record))


def given_held(brief_id: str, status: str, held: int) -> None:
    """A brief whose escrow holds `held` cents in `status`, with its open-escrow marker."""
    from chalicelib.adapters.escrow_store import HELD, OPEN_PK
    from chalicelib.adapters.store import brief_key, get_store

    store = get_store()
    store.put(
        {
            **brief_key(brief_id),
            "brief_id": brief_id,
            "title": f"Held {status.lower()}",
            "status": status,
            "currency": "usd",
            HELD: held,
            "updated_at": _iso(30),
            "created_at": _iso(300),
        }
    )
    store.put({"pk": OPEN_PK, "sk": f"BRIEF#{brief_id}", "brief_id": brief_id})


@pytest.fixture
def signed_in(books: Any) -> Iterator[tuple[Any, dict[str, str]]]:  # noqa: F811
    yield books, {"Cookie": sign_in(books)}


def page_of(signed_in: tuple[Any, dict[str, str]], query: str = "") -> str:
    client, cookie = signed_in
    response = client.http.get(f"/finance{query}", headers=cookie)
    assert response.status_code == 200
    return str(response.body.decode())


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def test_waiting_payouts_come_first_oldest_first_with_their_age_and_flags(
    signed_in: tuple[Any, dict[str, str]],
) -> None:
    given_payout("po_new", status="pending", hours_ago=2)
    given_payout("po_old", status="pending", hours_ago=50, delivered=False)
    given_payout("po_done", status="approved", hours_ago=5)

    html = page_of(signed_in)

    assert html.index('id="pending"') < html.index('id="attention"') < html.index('id="recent"')
    pending = section(html, "pending")
    assert pending.index("po_old") < pending.index("po_new")
    assert ">2 h<" in pending and ">2 days<" in pending
    old_row = re.search(r'<tr class="flagged">.*?</tr>', pending, re.S)
    assert old_row and "po_old" in old_row.group(0)
    assert "waiting for 2 days" in old_row.group(0)
    assert "webhook not delivered (4 attempts)" in old_row.group(0)
    assert "po_done" not in pending and "po_done" in section(html, "recent")


def test_amounts_never_break_and_times_are_machine_readable_with_utc_text(
    signed_in: tuple[Any, dict[str, str]],
) -> None:
    given_payout("po_t", status="pending", hours_ago=3)

    html = page_of(signed_in)

    assert '<td data-label="To the intern" class="money"><b>USD 450.00</b></td>' in html
    times = re.findall(r'<time datetime="([^"]+)" data-local>([^<]+)</time>', html)
    assert times and all(text.endswith(" UTC") for _, text in times)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", iso) for iso, _ in times)
    css = html[html.index("<style") : html.index("</style>")]
    assert re.search(r"\.money[^{]*\{white-space:nowrap", css)
    assert "table.stack thead" in css  # narrow screens: stacked cards


def test_escrow_held_on_a_dispute_or_after_the_end_is_flagged_and_work_in_progress_is_not(
    signed_in: tuple[Any, dict[str, str]],
) -> None:
    given_held("b_dispute", "DISPUTED", 30_000)
    given_held("b_ended", "CANCELLED", 12_000)
    given_held("b_working", "IN_PROGRESS", 40_000)
    given_held("b_empty", "DISPUTED", 0)

    html = page_of(signed_in)

    attention = section(html, "attention")
    assert "b_dispute" in attention and "Dispute open" in attention
    assert "b_ended" in attention and "project is cancelled" in attention
    assert "b_working" not in attention and "b_empty" not in attention
    assert "USD 300.00" in attention
    assert "USD 820.00" in html  # everything held: 300 + 120 + 400
    assert "<b>2</b>" in html  # needs attention: two


def test_the_status_filter_shows_only_what_it_names_and_sits_beside_the_export(
    signed_in: tuple[Any, dict[str, str]],
) -> None:
    given_payout("po_wait", status="pending", hours_ago=1)
    given_payout("po_yes", status="approved", hours_ago=4)
    given_payout("po_no", status="rejected", hours_ago=4)

    html = page_of(signed_in, "?status=rejected")

    assert 'id="pending"' not in html and 'id="attention"' not in html
    recent = section(html, "recent")
    assert "po_no" in recent and "po_yes" not in recent
    assert '<option value="rejected" selected>' in html
    tools = re.search(r'<section class="card fin-tools".*?</section>', html, re.S)
    assert tools and 'action="/finance"' in tools.group(0)
    assert 'action="/api/finance/ledger.csv"' in tools.group(0)
    waiting = page_of(signed_in, "?status=pending")
    assert "po_wait" in section(waiting, "pending") and 'id="recent"' not in waiting


def test_the_approval_email_links_to_the_finance_page(finance: Any) -> None:  # noqa: F811
    _, payout_id = awaiting_payout()

    (request,) = [m for m in mails_to("finance@microintern.example") if payout_id in m.subject]
    assert "http://testserver/finance" in request.text

"""The escrow cards on the employer's brief page: funded, released to the intern, the platform
fee, refunded and held — the ledger's figures, the four parts summing to what was funded."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_email_figures import ENDINGS, Journey, ledger_figures
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    escrow_of,
    escrow_sandbox_fixture,
    money_fixture,
)
from tests.integration.test_finance_webhooks import (  # noqa: F401 - fixtures
    Finance,
    finance,
    receiver,
)

CARD = re.compile(r'<div data-figure="(\w+)">[^<]*<b>USD ([\d,]+\.\d{2})</b></div>')


def cards(page: str) -> dict[str, int]:
    return {
        name: int(amount.replace(",", "").replace(".", "")) for name, amount in CARD.findall(page)
    }


@pytest.mark.parametrize("ending", ["completed", "dispute-split", "cancelled-after-funding"])
def test_the_escrow_cards_show_the_fee_and_add_up_to_what_was_funded(
    ending: str,
    finance: Finance,  # noqa: F811 - the imported fixture
) -> None:
    journey = Journey(money=finance.money, finance=finance)
    ENDINGS[ending](journey)

    page = finance.money.client.http.get(f"/briefs/{journey.brief_id}?key={journey.token}")

    assert page.status_code == 200
    shown = cards(page.body.decode())
    assert set(shown) == {"funded", "released", "fee", "refunded", "held"}
    assert shown["released"] + shown["fee"] + shown["refunded"] + shown["held"] == shown["funded"]
    books = escrow_of(journey.brief_id)
    assert shown == {
        "funded": books["funded_cents"],
        "released": books["released_cents"],
        "fee": books["fee_cents"],
        "refunded": books["refunded_cents"],
        "held": books["held_cents"],
    }
    ledger = ledger_figures(journey.brief_id)  # and the journal's own account totals
    assert (shown["released"], shown["fee"], shown["refunded"]) == (
        ledger["intern_paid"],
        ledger["fee"],
        ledger["refunded"],
    )
    if ending == "completed":
        assert shown["fee"] == 6_000 and shown["released"] == 54_000

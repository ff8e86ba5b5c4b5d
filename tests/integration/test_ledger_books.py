"""The books: ledger entries are filed by month, so any range exports, however old."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any


def test_entries_from_months_ago_are_in_the_export_and_it_balances(aws_env: Any) -> None:
    from chalicelib.adapters import clock, escrow_store
    from chalicelib.adapters.store import get_store
    from chalicelib.domain import ledger
    from chalicelib.web import finance_views

    store = get_store()
    brief = {"brief_id": "b_old", "currency": "usd"}
    long_ago = clock.now() - timedelta(days=200)
    entries = [
        ledger.fund_entry(50_000, reference="ch_old", at=long_ago),
        ledger.release_entry(50_000, 1000, reference="tr_old", at=long_ago + timedelta(days=40)),
    ]
    for entry in entries:
        store.put(escrow_store.ledger_item(brief, entry))

    since = (clock.now() - timedelta(days=250)).date().isoformat()
    rows = list(csv.DictReader(io.StringIO(finance_views.ledger_csv(since, None))))
    recent = list(
        csv.DictReader(
            io.StringIO(
                finance_views.ledger_csv(
                    (clock.now() - timedelta(days=30)).date().isoformat(), None
                )
            )
        )
    )

    assert {r["entry_id"] for r in rows} == {e.entry_id for e in entries}
    assert sum(int(r["amount_cents"]) for r in rows) == 0
    assert recent == []

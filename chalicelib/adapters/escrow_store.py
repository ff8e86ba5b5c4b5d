"""The escrow's records in DynamoDB: the journal of each engagement and the month's books.

Keys (one table, see infrastructure/):

- ``BRIEF#<id> / LEDGER#<entry id>`` — one journal entry (domain/ledger.py), also indexed on
  gsi1 as ``LEDGER#<yyyy-mm> / <at>#<brief>#<entry>`` so finance reads any range of months;
- the brief's guards: ``escrow_funded_cents`` (set once) and ``escrow_held_cents`` (what an
  outgoing entry must name exactly);
- ``ESCROW#OPEN / BRIEF#<id>`` — one marker per engagement with a PaymentIntent (what the
  reconciler walks); ``money_stuck`` on the brief — a failed payout/refund episode.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import get_store
from chalicelib.domain import ledger

LEDGER_PREFIX = "LEDGER#"
LEDGER_BOOK_PREFIX = "LEDGER#"  # gsi1: the month's books
FUNDED = "escrow_funded_cents"
HELD = "escrow_held_cents"
STUCK = "money_stuck"  # a failed payout/refund episode (services/payout_failures.py)
OPEN_PK = "ESCROW#OPEN"  # one marker per engagement with a PaymentIntent: what reconcile reads
MARKER_LIFETIME = timedelta(days=100)  # "recent": longer than any engagement lives


def journal(items: Iterable[Mapping[str, Any]]) -> list[ledger.JournalEntry]:
    return [ledger.entry_from_dict(i) for i in items if str(i["sk"]).startswith(LEDGER_PREFIX)]


def figures(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The brief's escrow figures (the contract's `escrow` object) from its journal lines."""
    items = list(items)
    balances = ledger.balances(journal(items)).as_dict()
    brief = next((i for i in items if i.get("sk") == "BRIEF"), {})
    return {**balances, "payment_intent_id": brief.get("payment_intent_id")}


def brief_journal(brief_id: str) -> list[ledger.JournalEntry]:
    return journal(get_store().query(f"BRIEF#{brief_id}", LEDGER_PREFIX))


def ledger_item(brief: Mapping[str, Any], entry: ledger.JournalEntry) -> dict[str, Any]:
    """The entry under its engagement, and in the month's books (`LEDGER#<yyyy-mm>` on gsi1)
    so finance exports any date range with one Query per month, whatever the engagement."""
    brief_id = str(brief["brief_id"])
    at = clock.iso(entry.at)
    return {
        "pk": f"BRIEF#{brief_id}",
        "sk": f"{LEDGER_PREFIX}{entry.entry_id}",
        "type": "ledger_entry",
        "brief_id": brief_id,
        "currency": str(brief.get("currency", "usd")),
        **ledger.entry_to_dict(entry),
        "gsi1pk": f"{LEDGER_BOOK_PREFIX}{at[:7]}",
        "gsi1sk": f"{at}#{brief_id}#{entry.entry_id}",
    }

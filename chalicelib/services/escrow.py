"""Escrow as the ledger tells it. (Funding, release and refund through Stripe come with the
escrow issue; this module already answers what a brief holds.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.domain import ledger

LEDGER_PREFIX = "LEDGER#"


def journal(items: Iterable[Mapping[str, Any]]) -> list[ledger.JournalEntry]:
    return [ledger.entry_from_dict(i) for i in items if str(i["sk"]).startswith(LEDGER_PREFIX)]


def figures(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The brief's escrow figures (the contract's `escrow` object) from its journal lines."""
    items = list(items)
    balances = ledger.balances(journal(items)).as_dict()
    brief = next((i for i in items if i.get("sk") == "BRIEF"), {})
    return {**balances, "payment_intent_id": brief.get("payment_intent_id")}

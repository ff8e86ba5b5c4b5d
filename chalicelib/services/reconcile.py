"""The reconciler: every open and recent engagement's ledger against Stripe's own objects.

For each engagement that has a PaymentIntent (the `ESCROW#OPEN` markers `fund_escrow` writes,
kept 100 days), it compares:

- funded   ↔ the PaymentIntent's `amount_received`;
- released ↔ the Transfers listed by `transfer_group` (= the engagement), less reversals;
- refunded ↔ the succeeded Refunds listed by `payment_intent`;
- held     ↔ the brief's guard counter `escrow_held_cents`, and the journal's own invariants.

Each discrepancy is a log line, a metric and a line of the report. Nothing is changed: money
questions are for people. Deployed as an `@app.schedule` function; locally `make reconcile`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.store import get_store
from chalicelib.domain import ledger
from chalicelib.observability import logger, metrics
from chalicelib.services import escrow


@dataclass
class Report:
    checked: int = 0
    discrepancies: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "discrepancies": list(self.discrepancies)}

    def lines(self) -> list[str]:
        head = f"reconciled {self.checked} engagements: {len(self.discrepancies)} discrepancies"
        return [head, *self.discrepancies]


def run() -> Report:
    """Reconcile every open or recent engagement; each discrepancy reported once per run."""
    store = get_store()
    report = Report()
    for marker in store.query(escrow.OPEN_PK, "BRIEF#"):
        brief_id = str(marker["brief_id"])
        report.checked += 1
        for problem in check(brief_id):
            line = f"{brief_id}: {problem}"
            report.discrepancies.append(line)
            logger.warning("escrow discrepancy", extra={"brief_id": brief_id, "problem": problem})
            metrics.add_metric(name="EscrowDiscrepancies", unit="Count", value=1)
    logger.info("reconciled", extra=report.as_dict())
    return report


def check(brief_id: str) -> list[str]:
    """The discrepancies of one engagement (empty when ledger and Stripe agree)."""
    store = get_store()
    items = store.query(f"BRIEF#{brief_id}")
    brief = next((i for i in items if i.get("sk") == "BRIEF"), None)
    if brief is None:
        return ["the brief is missing"]
    problems: list[str] = []
    entries = escrow.journal(items)
    try:
        books = ledger.check_invariants(entries)
    except ledger.LedgerError as exc:
        return [f"the journal is invalid: {exc}"]
    guard = int(brief.get(escrow.HELD, 0))
    if guard != books.held_cents:
        problems.append(f"held: brief says {guard}, journal says {books.held_cents}")

    pi_id = brief.get("payment_intent_id")
    if not pi_id:
        if books.funded_cents:
            problems.append("the journal is funded but the brief has no PaymentIntent")
        return problems
    pi = gateway.retrieve_payment_intent(str(pi_id))
    received = pi.amount_received if pi.status == "succeeded" else 0
    if received != books.funded_cents:
        problems.append(f"funded: Stripe received {received}, ledger says {books.funded_cents}")
    transferred = sum(t.amount - t.reversed_amount for t in gateway.list_transfers(brief_id))
    if transferred != books.released_cents:
        problems.append(
            f"released: Stripe transferred {transferred}, ledger says {books.released_cents}"
        )
    refunded = sum(r.amount for r in gateway.list_refunds(str(pi_id)) if r.status == "succeeded")
    if refunded != books.refunded_cents:
        problems.append(f"refunded: Stripe refunded {refunded}, ledger says {books.refunded_cents}")
    return problems


def main() -> int:
    """`make reconcile`: print the report; exit status 1 when something disagrees."""
    report = run()
    for line in report.lines():
        print(line)
    return 1 if report.discrepancies else 0


if __name__ == "__main__":
    sys.exit(main())

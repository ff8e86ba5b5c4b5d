"""The reconciler: every open and recent engagement's ledger against Stripe's own objects.

For each engagement that has a PaymentIntent (the `ESCROW#OPEN` markers `fund_escrow` writes,
kept 100 days), it compares:

- funded   ↔ the PaymentIntent's `amount_received`;
- released ↔ the Transfers listed by `transfer_group` (= the engagement), less reversals;
- refunded ↔ the succeeded Refunds listed by `payment_intent`;
- held     ↔ the brief's guard counter `escrow_held_cents`, and the journal's own invariants.

Each discrepancy is a log line, a metric (`ReconcileDiscrepancies`) and a line of the report;
an engagement whose check fails (Stripe down, an unknown PaymentIntent) is a line of the
report's `errors` and a `ReconcileErrors` metric, and the others are still checked. Nothing
is changed: money questions are for people.

Bounded work per invocation. A check costs three Stripe calls, each a network round trip
(~0.1–0.3 s at Stripe), so a few thousand open engagements cannot be checked in one 30 s
Lambda, however parallel: Stripe's rate limits (25 requests/s in test mode, 100 in live
mode, shared with the app's own calls) forbid it. So a *pass* over the markers is spread over
invocations: each run checks batches of :data:`BATCH` markers with :data:`WORKERS` threads
(at most that many Stripe requests in flight), stops starting batches when less than
:data:`START_MARGIN_MS` of the Lambda's remaining time is left, stops waiting for checks
still in flight :data:`FINISH_MARGIN_MS` before its timeout (those are checked again next
time), and stores a cursor (the last marker checked in order) for the next run. The schedule
runs every 5 minutes; a new pass starts at most once per :data:`PASS_INTERVAL` (the hourly
reconciliation of old), so idle runs cost one DynamoDB read. A lease on the cursor keeps two
overlapping invocations from working the same pass.

Deployed as an `@app.schedule` function; locally `make reconcile` (one whole pass).
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import clock, escrow_store
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain import ledger
from chalicelib.observability import logger, metrics

BATCH = 25  # markers per DynamoDB page and per round of checks
WORKERS = 6  # engagements checked at once: at most 6 Stripe requests in flight
START_MARGIN_MS = 10_000  # no new batch with less time left (a batch takes ~5 s at Stripe)
FINISH_MARGIN_MS = 5_000  # stop waiting for checks in flight: save the cursor and answer
# (generous: checks still in flight keep running on their threads while the run winds up)
PASS_INTERVAL = timedelta(hours=1)
STATE_KEY = {"pk": "RECONCILE", "sk": "STATE"}

TimeLeft = Callable[[], float]  # milliseconds left in this invocation


@dataclass
class Report:
    checked: int = 0
    discrepancies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stripe_calls: int = 0
    pass_complete: bool = False
    pass_checked: int = 0
    idle: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "discrepancies": list(self.discrepancies),
            "errors": list(self.errors),
            "stripe_calls": self.stripe_calls,
            "pass_complete": self.pass_complete,
            "pass_checked": self.pass_checked,
            "idle": self.idle,
            "seconds": round(self.seconds, 3),
        }

    def lines(self) -> list[str]:
        head = (
            f"reconciled {self.checked} engagements: {len(self.discrepancies)} discrepancies, "
            f"{len(self.errors)} errors"
        )
        return [head, *self.discrepancies, *(f"error: {e}" for e in self.errors)]


@dataclass
class _Checked:
    brief_id: str
    problems: list[str]
    error: str | None
    calls: int


def run(time_left_ms: TimeLeft | None = None) -> Report:
    """Go on with the current pass (or start one when due) for as long as time allows.

    ``time_left_ms`` is the Lambda context's `get_remaining_time_in_millis`; without it (the
    command line) the run has no time limit and finishes its pass.
    """
    started = time.monotonic()
    store = get_store()
    left: TimeLeft = time_left_ms or (lambda: float("inf"))
    lease = uuid.uuid4().hex
    state = _claim(store, lease, left())
    report = Report()
    if state is None:
        report.idle = True
        return report
    after = str(state.get("after") or "")
    if not after and not _pass_due(state):
        _release(store, lease, {})
        report.idle = True
        report.seconds = time.monotonic() - started
        return report
    pass_started = str(state.get("pass_started_at") or "") if after else clock.iso()
    pass_checked = int(state.get("pass_checked") or 0) if after else 0

    after, complete = _check_batches(store, after, left, report)

    report.pass_complete = complete
    report.pass_checked = pass_checked + report.checked
    fields: dict[str, Any] = {
        "after": "" if complete else after,
        "pass_started_at": pass_started,
        "pass_checked": 0 if complete else report.pass_checked,
    }
    if complete:
        fields.update({"last_pass_started_at": pass_started, "last_pass_completed_at": clock.iso()})
    _release(store, lease, fields)
    report.seconds = time.monotonic() - started
    _publish(report)
    return report


def _check_batches(store: Store, after: str, left: TimeLeft, report: Report) -> tuple[str, bool]:
    """Check batches in marker order from `after`; (the last marker checked, pass complete)."""
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="reconcile")
    try:
        while True:
            if report.checked and left() < START_MARGIN_MS:
                return after, False
            markers, end, more = _page(store, after)
            futures = [pool.submit(_check_one, str(m["brief_id"])) for m in markers]
            budget = (left() - FINISH_MARGIN_MS) / 1000
            wait(futures, timeout=None if budget == float("inf") else max(budget, 0.0))
            for marker, future in zip(markers, futures, strict=True):
                if not future.done():  # out of time: checked again next run, from here
                    return after, False
                _add(report, future)
                after = str(marker["sk"])
            after = end or after  # past the page's expired markers too
            if not more:
                return after, True
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _add(report: Report, future: Future[_Checked]) -> None:
    checked = future.result()
    report.checked += 1
    report.stripe_calls += checked.calls
    if checked.error is not None:
        report.errors.append(f"{checked.brief_id}: {checked.error}")
        logger.error(
            "reconcile check failed", extra={"brief_id": checked.brief_id, "error": checked.error}
        )
    for problem in checked.problems:
        report.discrepancies.append(f"{checked.brief_id}: {problem}")
        logger.warning(
            "escrow discrepancy", extra={"brief_id": checked.brief_id, "problem": problem}
        )


def _publish(report: Report) -> None:
    metrics.add_metric(name="ReconcileChecked", unit="Count", value=report.checked)
    metrics.add_metric(name="ReconcileDiscrepancies", unit="Count", value=len(report.discrepancies))
    metrics.add_metric(name="ReconcileErrors", unit="Count", value=len(report.errors))
    logger.info("reconciled", extra=report.as_dict())


def _check_one(brief_id: str) -> _Checked:
    """One engagement's check, its error caught (reported, never stopping the others)."""
    calls = _Calls()
    try:
        return _Checked(brief_id, _check(brief_id, calls), None, calls.count)
    except gateway.StripeRejected as exc:
        error = f"Stripe refused ({exc.code or exc.status}): {exc}"
    except gateway.TransientError as exc:
        error = f"Stripe unavailable: {exc}"
    except Exception as exc:  # a bad record must not stop the pass
        error = f"{type(exc).__name__}: {exc}"
    return _Checked(brief_id, [], error, calls.count)


class _Calls:
    """Counts the Stripe calls of one check (for the report's figure)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return fn(*args)


def _page(store: Store, after: str) -> tuple[list[dict[str, Any]], str, bool]:
    """The next markers after `after` (expired ones skipped: TTL deletes them late), the
    page's last sort key, and whether more may follow."""
    items, more = store.page(escrow_store.OPEN_PK, "BRIEF#", after=after or None, limit=BATCH)
    now = int(clock.now().timestamp())
    live = [i for i in items if int(i.get("expires_at") or now) >= now]
    return live, str(items[-1]["sk"]) if items else "", more


# -- the cursor: one item, leased by the run working on it ------------------------------------


def _claim(store: Store, lease: str, left_ms: float) -> dict[str, Any] | None:
    """Take the lease on the cursor until this invocation's end; None when another run has it."""
    now = clock.now()
    seconds = 900.0 if left_ms == float("inf") else max(left_ms / 1000, 1.0)
    until = clock.iso(now + timedelta(seconds=seconds))
    op = store.update_op(
        STATE_KEY,
        condition="attribute_not_exists(#lease_until) OR #lease_until < :now",
        set_fields={"lease_until": until, "lease_id": lease},
        values={":now": clock.iso(now)},
    )
    try:
        store.transact([op])
    except Conflict:
        logger.info("reconcile skipped: another run holds the cursor")
        return None
    return store.get(STATE_KEY["pk"], STATE_KEY["sk"]) or {}


def _release(store: Store, lease: str, fields: dict[str, Any]) -> None:
    op = store.update_op(
        STATE_KEY,
        condition="#lease_id = :lease",
        set_fields={**fields, "lease_until": ""},
        values={":lease": lease},
    )
    try:
        store.transact([op])
    except Conflict:  # the lease ran out and another run took it: its cursor wins
        logger.warning("reconcile cursor not saved: the lease was taken over")


def _pass_due(state: dict[str, Any]) -> bool:
    last = str(state.get("last_pass_started_at") or "")
    if not last:
        return True
    started = datetime.fromisoformat(last.replace("Z", "+00:00"))
    return clock.now() - started >= PASS_INTERVAL


def check(brief_id: str) -> list[str]:
    """The discrepancies of one engagement (empty when ledger and Stripe agree)."""
    return _check(brief_id, _Calls())


def _check(brief_id: str, stripe: _Calls) -> list[str]:
    store = get_store()
    items = store.query(f"BRIEF#{brief_id}")
    brief = next((i for i in items if i.get("sk") == "BRIEF"), None)
    if brief is None:
        return ["the brief is missing"]
    problems: list[str] = []
    entries = escrow_store.journal(items)
    try:
        books = ledger.check_invariants(entries)
    except ledger.LedgerError as exc:
        return [f"the journal is invalid: {exc}"]
    guard = int(brief.get(escrow_store.HELD, 0))
    if guard != books.held_cents:
        problems.append(f"held: brief says {guard}, journal says {books.held_cents}")

    pi_id = brief.get("payment_intent_id")
    if not pi_id:
        if books.funded_cents:
            problems.append("the journal is funded but the brief has no PaymentIntent")
        return problems
    pi = stripe(gateway.retrieve_payment_intent, str(pi_id))
    received = pi.amount_received if pi.status == "succeeded" else 0
    if received != books.funded_cents:
        problems.append(f"funded: Stripe received {received}, ledger says {books.funded_cents}")
    transferred = sum(
        t.amount - t.reversed_amount for t in stripe(gateway.list_transfers, brief_id)
    )
    if transferred != books.released_cents:
        problems.append(
            f"released: Stripe transferred {transferred}, ledger says {books.released_cents}"
        )
    refunds = stripe(gateway.list_refunds, str(pi_id))
    refunded = sum(r.amount for r in refunds if r.status == "succeeded")
    if refunded != books.refunded_cents:
        problems.append(f"refunded: Stripe refunded {refunded}, ledger says {books.refunded_cents}")
    return problems


def main() -> int:
    """`make reconcile`: one whole pass now; exit status 1 when something disagrees or fails."""
    _forget_last_pass()
    report = run()
    for line in report.lines():
        print(line)
    return 1 if report.discrepancies or report.errors else 0


def _forget_last_pass() -> None:
    """Make a pass due now (the command line asks for one, whatever the schedule did)."""
    store = get_store()
    op = store.update_op(
        STATE_KEY,
        condition="attribute_not_exists(#lease_until) OR #lease_until = :free",
        set_fields={"last_pass_started_at": "", "after": ""},
        values={":free": ""},
    )
    with contextlib.suppress(Conflict):  # a scheduled run holds the cursor: go on with it
        store.transact([op])


if __name__ == "__main__":
    sys.exit(main())

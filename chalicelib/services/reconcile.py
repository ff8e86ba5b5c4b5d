"""The reconciler: every open and recent engagement's ledger against Stripe's own objects.

A pass has two parts. First Stripe's own record (issue 12): every PaymentIntent created since
the stored cursor (paged, newest first) that names a brief in `metadata.brief_id`, funded or
not, whoever created it: a succeeded payment the ledger does not account for (neither the
brief's funded PaymentIntent, nor refunded as a stray, nor refunded at Stripe) is a
discrepancy. The cursor moves to the sweep's start (less :data:`PAYMENTS_OVERLAP`), held back
by any PaymentIntent still open (it may be paid later), at most :data:`OPEN_HORIZON`.

Then each engagement that has a PaymentIntent (the `ESCROW#OPEN` markers `fund_escrow` writes,
kept 100 days); it compares:

- funded   ↔ the PaymentIntent's `amount_received`;
- released ↔ the Transfers listed by `transfer_group` (= the engagement), less reversals;
- refunded ↔ the succeeded Refunds listed by `payment_intent`;
- held     ↔ the brief's guard counter `escrow_held_cents`, and the journal's own invariants.

Each discrepancy is a log line, a metric (`ReconcileDiscrepancies`) and a line of the report;
an engagement whose check fails (Stripe down, an unknown PaymentIntent) is a line of the
report's `errors` and a `ReconcileErrors` metric, and the others are still checked.

Alone, this use case changes nothing. Given :class:`Repairs` (services/reconcile_repairs.py,
an orchestrator: the repairs are other use cases' acts), it first lets them record what Stripe's
objects prove — a payment whose webhook was lost, a stray payment to refund, a Transfer or
Refund applied but never recorded — then checks again: what was repaired is a line of the
report's `repaired` (`ReconcileRepairs`), what still disagrees a discrepancy.

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

import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock, escrow_store
from chalicelib.adapters import reconcile_cursor as cursor
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import FUNDED, MARKER_LIFETIME
from chalicelib.adapters.store import Store, get_store
from chalicelib.domain import ledger
from chalicelib.observability import logger, metrics

BATCH = 25  # markers per DynamoDB page and per round of checks
WORKERS = 6  # engagements checked at once: at most 6 Stripe requests in flight
START_MARGIN_MS = 10_000  # no new batch with less time left (a batch takes ~5 s at Stripe)
FINISH_MARGIN_MS = 5_000  # stop waiting for checks in flight: save the cursor and answer
# (generous: checks still in flight keep running on their threads while the run winds up)
PASS_INTERVAL = timedelta(hours=1)
PAYMENTS_OVERLAP = 300  # s: a sweep reads again the last minutes before the previous one began
OPEN_HORIZON = timedelta(days=7)  # an unpaid PaymentIntent holds the cursor back this long at most
STATE_KEY = cursor.STATE_KEY
REFUNDED = frozenset({"succeeded", "pending"})

TimeLeft = Callable[[], float]  # milliseconds left in this invocation


@dataclass(frozen=True)
class Repairs:
    """What the reconciler may change (the acts of other use cases, so given by an orchestrator).

    ``payment(brief_id, pi)``: a succeeded PaymentIntent naming the brief that the ledger does
    not account for (the funding use case's own decision: fund, or refund as a stray); returns
    its outcome. ``engagement(brief_id)``: whatever Stripe's objects prove about an engagement
    that disagrees; returns what it recorded (empty: nothing proven)."""

    payment: Callable[[str, gateway.PaymentIntent], str]
    engagement: Callable[[str], list[str]]


@dataclass
class Report:
    checked: int = 0
    payments: int = 0
    discrepancies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    stripe_calls: int = 0
    pass_complete: bool = False
    pass_checked: int = 0
    idle: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "payments": self.payments,
            "discrepancies": list(self.discrepancies),
            "errors": list(self.errors),
            "repaired": list(self.repaired),
            "stripe_calls": self.stripe_calls,
            "pass_complete": self.pass_complete,
            "pass_checked": self.pass_checked,
            "idle": self.idle,
            "seconds": round(self.seconds, 3),
        }

    def lines(self) -> list[str]:
        head = (
            f"reconciled {self.checked} engagements: {len(self.discrepancies)} discrepancies, "
            f"{len(self.errors)} errors; {self.payments} payments, {len(self.repaired)} repaired"
        )
        errors = (f"error: {e}" for e in self.errors)
        return [head, *(f"repaired: {r}" for r in self.repaired), *self.discrepancies, *errors]


@dataclass
class _Checked:
    brief_id: str
    problems: list[str]
    error: str | None
    calls: int
    repaired: list[str] = field(default_factory=list)


def run(time_left_ms: TimeLeft | None = None, repairs: Repairs | None = None) -> Report:
    """Go on with the current pass (or start one when due) for as long as time allows.

    ``time_left_ms`` is the Lambda context's `get_remaining_time_in_millis`; without it (the
    command line) the run has no time limit and finishes its pass. Without ``repairs`` it only
    reports.
    """
    started = time.monotonic()
    store = get_store()
    left: TimeLeft = time_left_ms or (lambda: float("inf"))
    lease = uuid.uuid4().hex
    state = cursor.claim(store, lease, left())
    report = Report()
    if state is None:
        report.idle = True
        return report
    after = str(state.get("after") or "")
    phase = str(state.get("phase") or ("markers" if after else ""))
    if not phase and not cursor.pass_due(state, PASS_INTERVAL):
        cursor.release(store, lease, {})
        report.idle = True
        report.seconds = time.monotonic() - started
        return report
    pass_started = str(state.get("pass_started_at") or "") if phase else clock.iso()
    pass_checked = int(state.get("pass_checked") or 0) if phase else 0
    fields: dict[str, Any] = {}
    if phase in ("", "payments"):
        swept = _sweep_payments(
            state if phase else {**state, "payments_after": ""}, left, report, repairs, fields
        )
        phase, after = ("markers", "") if swept else ("payments", "")
    complete = False
    if phase == "markers":
        after, complete = _check_batches(store, after, left, report, repairs)

    report.pass_complete = complete
    report.pass_checked = pass_checked + report.checked
    fields.update(
        {
            "after": "" if complete else after,
            "phase": "" if complete else phase,
            "pass_started_at": pass_started,
            "pass_checked": 0 if complete else report.pass_checked,
        }
    )
    if complete:
        fields.update({"last_pass_started_at": pass_started, "last_pass_completed_at": clock.iso()})
    cursor.release(store, lease, fields)
    report.seconds = time.monotonic() - started
    _publish(report)
    return report


def _check_batches(
    store: Store, after: str, left: TimeLeft, report: Report, repairs: Repairs | None
) -> tuple[str, bool]:
    """Check batches in marker order from `after`; (the last marker checked, pass complete)."""
    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="reconcile")
    try:
        while True:
            if report.checked and left() < START_MARGIN_MS:
                return after, False
            markers, end, more = _page(store, after)
            futures = [pool.submit(_check_one, str(m["brief_id"]), repairs) for m in markers]
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
    for note in checked.repaired:
        report.repaired.append(f"{checked.brief_id}: {note}")
        logger.warning("escrow repaired", extra={"brief_id": checked.brief_id, "repair": note})
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
    metrics.add_metric(name="ReconcileRepairs", unit="Count", value=len(report.repaired))
    logger.info("reconciled", extra=report.as_dict())


def _check_one(brief_id: str, repairs: Repairs | None = None) -> _Checked:
    """One engagement's check (repaired first when `repairs` can prove what disagrees, then
    checked again), its error caught (reported, never stopping the others)."""
    calls = _Calls()
    try:
        problems, repaired = _repaired_check(brief_id, calls, repairs)
        return _Checked(brief_id, problems, None, calls.count, repaired)
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


# -- Stripe's own record: every PaymentIntent that names a brief ------------------------------


def _sweep_payments(
    state: dict[str, Any],
    left: TimeLeft,
    report: Report,
    repairs: Repairs | None,
    fields: dict[str, Any],
) -> bool:
    """Page through the PaymentIntents created since the cursor (from `payments_after` when a
    sweep was interrupted); True when the sweep is complete. `fields`: the cursor to store."""
    now = int(clock.now().timestamp())
    after = str(state.get("payments_after") or "")
    since = int(state.get("payments_since") or now - MARKER_LIFETIME.total_seconds())
    started = int(state.get("payments_started") or now) if after else now
    oldest_open = int(state.get("payments_open") or started) if after else started
    done = False
    while not done:
        if (report.payments or report.checked) and left() < START_MARGIN_MS:
            break
        try:
            page, more = gateway.list_payment_intents(created_gte=since, starting_after=after)
        except (gateway.TransientError, gateway.StripeRejected) as exc:
            report.errors.append(f"listing PaymentIntents: {exc}")
            logger.error("reconcile could not list payments", extra={"error": str(exc)})
            break
        report.stripe_calls += 1
        for pi in page:
            if pi.status not in ("succeeded", "canceled"):
                oldest_open = min(oldest_open, pi.created)
            elif pi.status == "succeeded" and pi.metadata.get("brief_id"):
                _settle(pi, report, repairs)
        report.payments += len(page)
        after = page[-1].id if page else after
        done = not more or not page
    if done:
        floor = now - int(OPEN_HORIZON.total_seconds())
        since = max(min(oldest_open, started - PAYMENTS_OVERLAP), floor)
        after = ""
    fields.update(
        payments_after=after,
        payments_since=since,
        payments_started=started,
        payments_open=oldest_open,
    )
    return done


def _settle(pi: gateway.PaymentIntent, report: Report, repairs: Repairs | None) -> None:
    """One succeeded PaymentIntent naming a brief: accounted for, repaired, or reported."""
    brief_id = str(pi.metadata["brief_id"])
    calls = _Calls()
    try:
        problem, repairable = _unaccounted(brief_id, pi, calls)
        if problem and repairable and repairs is not None:
            outcome = repairs.payment(brief_id, pi)
            report.repaired.append(f"{brief_id}: payment {pi.id} {outcome}")
            logger.warning(
                "payment repaired",
                extra={"brief_id": brief_id, "payment_intent_id": pi.id, "outcome": outcome},
            )
            problem, _ = _unaccounted(brief_id, pi, calls)
    except Exception as exc:  # one payment's failure must not stop the sweep
        report.errors.append(f"{brief_id}: payment {pi.id}: {type(exc).__name__}: {exc}")
        logger.error("reconcile payment failed", extra={"brief_id": brief_id, "error": str(exc)})
        problem = ""
    report.stripe_calls += calls.count
    if problem:
        report.discrepancies.append(f"{brief_id}: {problem}")
        logger.warning("escrow discrepancy", extra={"brief_id": brief_id, "problem": problem})


def _unaccounted(brief_id: str, pi: gateway.PaymentIntent, stripe: _Calls) -> tuple[str, bool]:
    """Why the ledger does not account for the succeeded `pi` ("" when it does), and whether
    the funding use case can settle it (a brief to fund or to refund the payment against)."""
    brief = get_store().get_brief(brief_id)
    shown = f"{pi.amount_received} {pi.currency}"
    if brief is None:
        return f"payment {pi.id} of {shown} names a brief that does not exist", False
    own = pi.id == brief.get("payment_intent_id")
    if own and brief.get(FUNDED) is not None:
        return "", False
    if escrow_store.get_escrow_store().stray_refunded(brief_id, pi.id):
        return "", False
    refunds = stripe(gateway.list_refunds, pi.id)
    if sum(r.amount for r in refunds if r.status in REFUNDED) >= pi.amount_received:
        return "", False  # refunded at Stripe: nothing of it is held
    if own:
        return f"payment {pi.id} of {shown} succeeded but the ledger has not funded it", True
    return f"payment {pi.id} of {shown} is not this brief's own and is not refunded", True


def _page(store: Store, after: str) -> tuple[list[dict[str, Any]], str, bool]:
    """The next markers after `after` (expired ones skipped: TTL deletes them late), the
    page's last sort key, and whether more may follow."""
    items, more = store.page(escrow_store.OPEN_PK, "BRIEF#", after=after or None, limit=BATCH)
    now = int(clock.now().timestamp())
    live = [i for i in items if int(i.get("expires_at") or now) >= now]
    return live, str(items[-1]["sk"]) if items else "", more


def check(brief_id: str, repairs: Repairs | None = None) -> list[str]:
    """The discrepancies of one engagement (empty when ledger and Stripe agree), after
    `repairs` recorded what Stripe's objects prove (when given); errors raise."""
    return _repaired_check(brief_id, _Calls(), repairs)[0]


def _repaired_check(
    brief_id: str, calls: _Calls, repairs: Repairs | None
) -> tuple[list[str], list[str]]:
    """(discrepancies, repairs made): checked, repaired when something disagrees, checked again."""
    problems = _check(brief_id, calls)
    repaired = repairs.engagement(brief_id) if problems and repairs else []
    return (_check(brief_id, calls) if repaired else problems), repaired


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


def main(repairs: Repairs | None = None) -> int:
    """`make reconcile`: one whole pass now; exit status 1 when something disagrees or fails."""
    cursor.forget_last_pass()
    report = run(repairs=repairs)
    for line in report.lines():
        print(line)
    return 1 if report.discrepancies or report.errors else 0


if __name__ == "__main__":
    sys.exit(main())

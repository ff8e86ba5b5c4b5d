"""The reconciler in bounded batches (issue 10, item 7): every open engagement is checked
against Stripe (the sandbox, over HTTP) within the function's 30 s timeout per invocation,
resuming from a stored cursor; one engagement's Stripe error is reported, the rest checked.

Given/When/Then; engagements are written to moto the way `fund_escrow` leaves them (brief with
its PaymentIntent, the `ESCROW#OPEN` marker), PaymentIntents created in the sandbox over HTTP.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import stripe

from local.stripe_sandbox import StripeSandbox

API_KEY = "sk_test_reconcile"
TIMEOUT_MS = 30_000  # the reconcile function's timeout (.chalice/config.json lambda_timeout)


@pytest.fixture
def sandbox() -> Iterator[StripeSandbox]:
    with StripeSandbox(port=0, webhook_url=None) as running:
        yield running


@pytest.fixture
def books(
    aws_env: dict[str, str],
    sandbox: StripeSandbox,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[StripeSandbox]:
    from chalicelib.adapters import stripe_gateway
    from local import moto_speed

    # moto answers a Query by listing the whole table (thousands of engagements here: each
    # check's Query cost grew with the table, the test with its square); the twin's workaround
    # hands it the partition, as DynamoDB reads it (local/moto_speed.py, docs/twin.md).
    moto_speed.index_queries()
    request.addfinalizer(moto_speed.unindex_queries)
    from chalicelib.observability import metrics
    from chalicelib.settings import get_settings

    monkeypatch.setenv("STRIPE_API_BASE", sandbox.url)
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    get_settings.cache_clear()
    stripe_gateway.reset_client()
    metrics.clear_metrics()
    yield sandbox
    metrics.clear_metrics()
    get_settings.cache_clear()
    stripe_gateway.reset_client()


def _payment_intents(sandbox: StripeSandbox, count: int) -> list[str]:
    """`count` PaymentIntents created in the sandbox over HTTP (as `fund_escrow` creates them)."""
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": sandbox.url}, max_network_retries=0
    )

    def create(_: int) -> str:
        params: dict[str, Any] = {"amount": 60_000, "currency": "usd"}
        return str(client.v1.payment_intents.create(params=params).id)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(create, range(count)))


def _open_engagements(payment_intents: list[str], *, held: int = 0) -> list[str]:
    """Briefs awaiting funding with a PaymentIntent and an open-escrow marker; their ids."""
    from chalicelib.adapters import clock, escrow_store
    from chalicelib.adapters.store import get_store

    items: list[dict[str, Any]] = []
    ids = []
    for pi in payment_intents:
        brief_id = f"b_{uuid.uuid4().hex[:16]}"
        ids.append(brief_id)
        items.append(
            {
                "pk": f"BRIEF#{brief_id}",
                "sk": "BRIEF",
                "type": "brief",
                "brief_id": brief_id,
                "status": "AWAITING_FUNDING",
                "budget_cents": 60_000,
                "currency": "usd",
                "payment_intent_id": pi,
                escrow_store.HELD: held,
            }
        )
        items.append(
            {
                "pk": escrow_store.OPEN_PK,
                "sk": f"BRIEF#{brief_id}",
                "type": "escrow_marker",
                "brief_id": brief_id,
                "payment_intent_id": pi,
                "created_at": clock.iso(),
                "expires_at": int(time.time()) + 86_400,
            }
        )
    get_store().batch_put(items)
    return ids


def _invoke(context: Any) -> dict[str, Any]:
    """The scheduled function as EventBridge invokes it (event, Lambda context)."""
    from app import reconcile_escrow

    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/reconcile"],
        "detail": {},
    }
    result: dict[str, Any] = reconcile_escrow(event, context)
    return result


def _context(clock: Any = None) -> Any:
    from chalice.local import LambdaContext

    return LambdaContext("reconcile", 512, max_runtime_ms=TIMEOUT_MS, time_source=clock)


class _VirtualClock:
    """Lambda time that passes `step` seconds each time it is read (a run reads it between
    batches): a deterministic short budget, whatever the machine's speed."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def time(self) -> float:
        self.now += self.step
        return self.now


def _run_pass(make_context: Any, limit: int = 40) -> list[dict[str, Any]]:
    """Invoke the schedule until a pass completes; every invocation's report."""
    reports = []
    for _ in range(limit):
        reports.append(_invoke(make_context()))
        if reports[-1]["pass_complete"]:
            return reports
    raise AssertionError(f"no complete pass in {limit} invocations: {reports[-1]}")


def test_two_thousand_engagements_are_reconciled_within_the_timeout_by_batching(
    books: StripeSandbox,
) -> None:
    # Given 2,000 open engagements, one whose PaymentIntent Stripe does not know, one whose
    # Stripe calls fail (the sandbox answers 500), and one whose books disagree
    count = 2_000
    intents = _payment_intents(books, count - 1)
    ids = _open_engagements(intents[:-2])
    unknown = _open_engagements(["pi_unknown_to_stripe"])[0]
    faulty = _open_engagements([intents[-2]])[0]
    books.fail(count=1_000, kind="500", path_prefix=f"/v1/payment_intents/{intents[-2]}")
    wrong = _open_engagements([intents[-1]], held=500)[0]
    assert len(ids) + 3 == count

    # When the hourly schedule invokes the reconciler (each invocation a 30 s Lambda)
    started = time.monotonic()
    reports = []
    for _ in range(100):  # each invocation ends in time; how many it takes depends on the machine
        context = _context()
        before = time.monotonic()
        reports.append(_invoke(context))
        elapsed = time.monotonic() - before
        # Then every invocation answers within its timeout
        assert elapsed < TIMEOUT_MS / 1000, (elapsed, reports[-1])
        if reports[-1]["pass_complete"]:
            break
    total = time.monotonic() - started

    # Then the pass covers every engagement once, reports the errors and the discrepancy
    assert reports[-1]["pass_complete"], reports[-1]
    assert sum(r["checked"] for r in reports) == count
    errors = [line for r in reports for line in r["errors"]]
    assert [line.split(":")[0] for line in errors] == sorted([unknown, faulty])
    assert any("resource_missing" in line or "No such" in line for line in errors)
    discrepancies = [line for r in reports for line in r["discrepancies"]]
    assert discrepancies == [f"{wrong}: held: brief says 500, journal says 0"]
    calls = sum(r["stripe_calls"] for r in reports)
    print(
        f"\nreconciled {count} engagements in {total:.1f} s over {len(reports)} invocations "
        f"(max {max(r['seconds'] for r in reports):.1f} s each), {calls} Stripe calls"
    )


def test_a_short_budget_resumes_from_the_cursor_and_checks_each_engagement_once(
    books: StripeSandbox,
) -> None:
    # Given 120 open engagements and Lambda invocations that run out of time after a batch
    ids = set(_open_engagements(_payment_intents(books, 120)))

    # When the schedule invokes the reconciler until its pass completes
    reports = _run_pass(lambda: _context(_VirtualClock(step=5.0)))

    # Then it took several invocations, each resuming where the last stopped, once each
    assert len(reports) > 1
    assert all(r["checked"] > 0 for r in reports)
    assert sum(r["checked"] for r in reports) == len(ids)
    assert all(not r["errors"] and not r["discrepancies"] for r in reports)
    assert reports[-1]["pass_checked"] == len(ids)


def test_a_new_pass_starts_only_an_hour_after_the_last_one_started(
    books: StripeSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from chalicelib.adapters import clock

    _open_engagements(_payment_intents(books, 3))
    first = _run_pass(_context)
    assert sum(r["checked"] for r in first) == 3

    idle = _invoke(_context())  # five minutes later: the hour is not over
    assert idle["checked"] == 0 and not idle["pass_complete"] and idle["idle"]

    later = clock.now() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    again = _run_pass(_context)
    assert sum(r["checked"] for r in again) == 3


def test_the_run_publishes_discrepancies_and_errors_as_metrics(books: StripeSandbox) -> None:
    from chalicelib.observability import metrics
    from chalicelib.services import reconcile

    _open_engagements(_payment_intents(books, 1), held=700)
    _open_engagements(["pi_unknown_to_stripe"])

    report = reconcile.run()

    assert report.pass_complete and len(report.discrepancies) == 1 and len(report.errors) == 1
    recorded = metrics.metric_set
    assert recorded["ReconcileDiscrepancies"]["Value"] == [1.0]
    assert recorded["ReconcileErrors"]["Value"] == [1.0]


def test_make_reconcile_runs_one_whole_pass_now(
    books: StripeSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    from chalicelib.services import reconcile

    _open_engagements(_payment_intents(books, 3))
    _run_pass(_context)  # the schedule's pass just ran

    status = reconcile.main()  # `make reconcile` asks for a pass now all the same

    assert status == 0
    assert "reconciled 3 engagements: 0 discrepancies, 0 errors" in capsys.readouterr().out

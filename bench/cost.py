"""What one engagement costs on AWS: run 20 happy-path engagements on the twin and read back
what they used — state transitions (from the executions' histories), Lambda invocations and
their time, DynamoDB requests, emails, API requests — then price them at list prices.

    python -m bench.cost [--engagements 20]

Everything goes through the public HTTP contract (register, submit, the offer email's task
link, accept, sign, fund through the Stripe sandbox, deliver, approve); payouts are
auto-approved (FINANCE_AUTO_APPROVE_CENTS) so no webhook sender is needed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

# us-east-1 list prices (USD), November 2026.
PRICES = {
    "sfn_transition": 0.025 / 1_000,  # Standard workflows, per state transition
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second": 0.0000166667,
    "dynamodb_write": 0.625 / 1_000_000,  # on-demand, per write request unit
    "dynamodb_read": 0.125 / 1_000_000,  # on-demand, per read request unit
    "ses_email": 0.10 / 1_000,
    "api_request": 3.50 / 1_000_000,  # API Gateway REST API
}
LAMBDA_MEMORY_GB = 0.5
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
READS = ("GetItem", "Query", "BatchGetItem")
PATIENT = {
    "OFFER_WINDOW_SECONDS": "600",
    "NDA_WINDOW_SECONDS": "600",
    "FUNDING_WINDOW_SECONDS": "600",
    "DEADLINE_DECISION_WINDOW_SECONDS": "600",
    "REVIEW_WINDOW_SECONDS": "600",
    "PAYOUT_REMINDER_SECONDS": "600",
    "WORK_WINDOW_SECONDS": "600",
    "FINANCE_AUTO_APPROVE_CENTS": "100000000",
}


def one_engagement(twin: Any, number: int) -> str:
    from tests.e2e.flow import (
        act,
        employer,
        fund,
        offered_to,
        onboard,
        register,
        submit,
        unique_skill,
        wait_status,
    )

    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    title = f"Cost study {number}"
    brief_id, token, _ = submit(twin, skill, title=title, nda_required=True)
    _, link = offered_to(twin, [intern], title)
    assert act(twin, link, "accept").ok
    wait_status(twin, brief_id, token, "NDA")
    assert act(twin, link, "nda", {"full_name": intern["name"], "agree": True}).ok
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")
    assert fund(twin, brief_id, token).ok
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    delivered = act(twin, link, "deliver", {"summary": "The finished analysis and deck."})
    assert delivered.ok, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).ok
    wait_status(twin, brief_id, token, "COMPLETED", timeout=60)
    return brief_id


def history_counts(twin: Any, brief_id: str) -> tuple[int, int]:
    """(state transitions, Lambda task invocations) from the execution's history."""
    sfn = twin.client("stepfunctions")
    arn = f"arn:aws:states:us-east-1:123456789012:execution:microintern-local-engagement:{brief_id}"
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    transitions = sum(1 for e in events if e["type"].endswith("StateEntered"))
    tasks = sum(1 for e in events if e["type"] == "TaskScheduled")
    return transitions, tasks


def main(argv: list[str] | None = None) -> int:
    from tests.e2e.conftest import running_twin

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engagements", type=int, default=20)
    args = parser.parse_args(argv)
    count = args.engagements

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_twin(Path(tmp) / "twin.log", PATIENT) as twin,
    ):
        requests.post(f"{twin.url}/_local/stats/reset", timeout=10)
        outbox_before = len(twin.outbox())
        started = time.perf_counter()
        briefs = [one_engagement(twin, n) for n in range(count)]
        elapsed = time.perf_counter() - started
        time.sleep(1)  # let the last settle step's emails land
        stats = requests.get(f"{twin.url}/_local/stats.json", timeout=10).json()
        emails = len(twin.outbox()) - outbox_before
        histories = [history_counts(twin, b) for b in briefs]

    transitions = statistics.mean(t for t, _ in histories)
    step_tasks = statistics.mean(n for _, n in histories)
    lambda_calls = sum(stats["lambda_calls"].values()) / count
    lambda_seconds = sum(stats["lambda_seconds"].values()) / count
    api = stats["http_requests"] / count
    aws = stats["aws_calls"]
    ddb = {op: n / count for op, n in aws.items() if op.startswith("dynamodb.")}
    writes = sum(n for op, n in ddb.items() if op.split(".")[1] in WRITES)
    transact = sum(n for op, n in ddb.items() if op.endswith("TransactWriteItems"))
    reads = sum(n for op, n in ddb.items() if op.split(".")[1] in READS)
    per_email = emails / count
    # API requests run in Lambda too (the API handler): price their time like the steps'.
    api_lambda_seconds = 0.05 * api  # measured locally they take ~10–50 ms; 50 ms is generous

    cost = {
        "Step Functions": transitions * PRICES["sfn_transition"],
        "Lambda": (lambda_calls + api) * PRICES["lambda_request"]
        + (lambda_seconds + api_lambda_seconds) * LAMBDA_MEMORY_GB * PRICES["lambda_gb_second"],
        # a transaction writes ~2 items at twice the unit cost
        "DynamoDB": (writes + transact * 4) * PRICES["dynamodb_write"]
        + reads * PRICES["dynamodb_read"],
        "SES": per_email * PRICES["ses_email"],
        "API Gateway": api * PRICES["api_request"],
    }
    total = sum(cost.values())

    print(
        f"{count} happy-path engagements on the twin in {elapsed:.1f} s "
        f"({elapsed / count:.2f} s each, driven over HTTP)\n"
    )
    print("per engagement")
    print(f"  state transitions      {transitions:8.1f}")
    print(
        f"  Lambda task states     {step_tasks:8.1f}   (invocations of steps: {lambda_calls:.1f}, "
        f"{lambda_seconds * 1000:.0f} ms in total)"
    )
    print(f"  API requests           {api:8.1f}")
    print(
        f"  DynamoDB requests      {sum(ddb.values()):8.1f}   (writes {writes:.1f}, "
        f"transactions {transact:.1f}, reads {reads:.1f})"
    )
    print(f"  emails                 {per_email:8.1f}")
    print("\nAWS cost per engagement at list prices (USD)")
    for name, value in cost.items():
        print(f"  {name:<20} {value:.6f}")
    print(f"  {'total':<20} {total:.6f}   goal ≤ 0.002: {'met' if total <= 0.002 else 'NOT met'}")
    print("\nStripe's fees (2.9 % + 30¢ on the charge) are not AWS cost and are not included.")
    top = sorted(ddb.items(), key=lambda kv: -kv[1])[:6]
    print(
        "busiest DynamoDB operations per engagement: "
        + ", ".join(f"{op.split('.', 1)[1]} {n:.1f}" for op, n in top)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

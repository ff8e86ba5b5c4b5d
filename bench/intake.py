"""Intake benchmark: `POST /api/briefs` over HTTP against the local twin.

Run from the repository root:  python -m bench.intake [--count 500] [--baseline 50]

Starts the twin in this process (moto's server, the Stripe sandbox and the Chalice app on free
ports), then sends `--count` sequential submissions — distinct valid briefs, each with its own
`Idempotency-Key` — and prints p50/p95/max latency as the client sees it. `--baseline`
submissions without a key (plain `submit_brief`) are interleaved with them, so both kinds
meet the same table size. All come from one employer who confirmed the address once, through
the emailed link, after the warm-up submission (a returning employer: the common case).

AWS requests are counted in the app, on the app's own boto3 clients
(`chalicelib.adapters.aws.client(...)`): `before-call` / `after-call` handlers count and time
API operations, and a `before-send` handler counts HTTP attempts (retries included). The
Powertools idempotency layer uses the same DynamoDB client, so its reads and writes count.
Submissions are sequential, so the difference of the counters around one request is exactly
what that request did. "App time" is the client-seen latency minus the time spent waiting on
AWS calls: the app's own CPU plus HTTP overheads.

Two properties of the twin are set aside, because they are not the app's:

- moto's state-machine execution is off for the run, so `StartExecution` records an execution
  and no step runs: deployed, the workflow's steps run in their own Lambda functions, while
  in the twin they would share this interpreter with the API and blur the latency and count;
- Nagle's algorithm is off on the dev server's sockets: it writes headers and body in two
  sends, and the body would wait for the client's delayed ACK (~40 ms a response on Linux).

One remains and shows in the per-block medians: moto's `TransactWriteItems` deep-copies the
whole table (to roll back on failure), so its cost grows with the table — DynamoDB's does not.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("dynamodb", "stepfunctions", "sesv2")
BLOCK = 100


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Probe:
    """Counts and times the app's AWS operations (by service.operation) and HTTP attempts."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.sends = 0
        self.aws_seconds = 0.0
        self._started: dict[tuple[int, str], float] = {}
        self._lock = threading.Lock()

    def attach(self) -> None:
        from chalicelib.adapters import aws

        for service in SERVICES:
            events = aws.client(service).meta.events
            events.register(f"before-call.{service}", self._before_call)
            events.register(f"after-call.{service}", self._after_call)
            events.register(f"before-send.{service}", self._before_send)

    def _before_call(self, model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.calls[name] += 1
            self._started[(threading.get_ident(), name)] = time.perf_counter()

    def _after_call(self, model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            started = self._started.pop((threading.get_ident(), name), None)
            if started is not None:
                self.aws_seconds += time.perf_counter() - started

    def _before_send(self, **_: Any) -> None:
        with self._lock:
            self.sends += 1

    def snapshot(self) -> tuple[Counter[str], int, float]:
        with self._lock:
            return Counter(self.calls), self.sends, self.aws_seconds


@dataclass
class Series:
    """What one kind of submission did: latency, AWS wait, operations and HTTP attempts."""

    label: str
    latency: list[float] = field(default_factory=list)
    aws_wait: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    sends: int = 0


def brief(n: int, run: str) -> dict[str, Any]:
    """A distinct valid brief (hours 5–40, budget ≥ USD 20/hour, deadline 7–29 days)."""
    deadline = (date.today() + timedelta(days=7 + n % 23)).isoformat()
    hours = 5 + n % 36
    return {
        "title": f"Market scan #{n}: three meal-kit apps compared",
        "description": (
            "We are a small meal-kit startup. Compare onboarding, pricing and retention tactics "
            f"of three competitors and recommend changes we could ship this quarter (brief {n})."
        ),
        "deliverables": ["Comparison spreadsheet", f"Slide deck of {5 + n % 10} slides"],
        "skills": ["market research", "Excel"] if n % 2 else ["SQL", "data analysis"],
        "nice_to_have_skills": ["PowerPoint"],
        "estimated_hours": hours,
        "budget_cents": hours * 2_000 + (n % 7) * 1_000,
        "currency": "usd",
        "deadline": deadline,
        "nda_required": n % 3 != 0,
        "employer_name": f"Employer {n}",
        "employer_email": employer_email(run),
        "company": f"Company {n % 40}",
    }


def employer_email(run: str) -> str:
    return f"employer-{run}@intake-bench.example"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Client:
    def __init__(self, url: str, probe: Probe) -> None:
        import requests

        self.url = url
        self.probe = probe
        self.session = requests.Session()
        self.run = uuid.uuid4().hex[:8]

    def submit(self, n: int, series: Series, *, keyed: bool) -> None:
        headers = {"Idempotency-Key": f"bench-{self.run}-{n}"} if keyed else {}
        calls, sends, waited = self.probe.snapshot()
        started = time.perf_counter()
        response = self.session.post(
            f"{self.url}/api/briefs", json=brief(n, self.run), headers=headers, timeout=30
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise SystemExit(f"submission {n}: {response.status_code} {response.text}")
        calls_after, sends_after, waited_after = self.probe.snapshot()
        series.latency.append(elapsed)
        series.aws_wait.append(waited_after - waited)
        series.calls.update(calls_after - calls)
        series.sends += sends_after - sends

    def confirm(self) -> None:
        from tests.e2e.flow import confirm_address

        confirm_address(self, employer_email(self.run))  # type: ignore[arg-type]

    def outbox(self) -> list[dict[str, Any]]:
        """The twin's outbox, as `tests.e2e.flow` reads it from a running twin."""
        return list(self.session.get(f"{self.url}/_local/outbox.json", timeout=10).json())


def report(series: Series) -> None:
    n = len(series.latency)
    ms = [s * 1000 for s in series.latency]
    own = [(total - aws) * 1000 for total, aws in zip(series.latency, series.aws_wait, strict=True)]
    aws_ms = [s * 1000 for s in series.aws_wait]
    dynamo = sum(v for k, v in series.calls.items() if k.startswith("dynamodb."))
    print(f"\n{series.label}: {n} sequential submissions")
    print(
        f"  latency   p50 {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms"
        f"   max {max(ms):7.1f} ms"
    )
    print(
        f"  of which  AWS calls p50 {statistics.median(aws_ms):6.1f} ms;"
        f"  app time p50 {statistics.median(own):6.1f} ms, p95 {percentile(own, 0.95):6.1f} ms"
    )
    if n > BLOCK:
        blocks = [ms[i : i + BLOCK] for i in range(0, n, BLOCK)]
        print(
            f"  p50 per block of {BLOCK} (ms): "
            + "  ".join(f"{statistics.median(b):.0f}" for b in blocks)
        )
    print(f"  DynamoDB requests per submission: {dynamo / n:.2f}")
    for name, value in sorted(series.calls.items()):
        print(f"    {name:36} {value / n:5.2f}")
    print(f"  HTTP attempts to AWS per submission (retries included): {series.sends / n:.2f}")


def start_twin(twin: Any) -> None:
    """`Twin.start` without the workflow's execution and without Nagle (see the docstring)."""
    import requests
    from chalice.local import ChaliceRequestHandler

    twin.configure_environment()
    twin.start_moto()
    # Before provisioning: the state machine is created in the backend that the setting picks.
    requests.post(
        f"{twin.aws_url}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": False}},
        timeout=10,
    ).raise_for_status()
    twin.provision()
    twin.start_stripe()
    ChaliceRequestHandler.disable_nagle_algorithm = True  # the twin's handler subclasses it
    twin.start_app()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="POST /api/briefs latency and AWS requests.")
    parser.add_argument("--count", type=int, default=500, help="submissions with a key")
    parser.add_argument("--baseline", type=int, default=50, help="interleaved, without a key")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    for name in ("RATE_LIMIT_PER_IP_PER_HOUR", "RATE_LIMIT_PER_ADDRESS_PER_HOUR"):
        os.environ.setdefault(name, "1000000")  # one sender, hundreds of briefs: not abuse here
    from local.twin import Twin

    started = time.perf_counter()
    twin = Twin(port=free_port(), aws_port=free_port(), stripe_port=free_port())
    keyed = Series("POST /api/briefs with Idempotency-Key (submit_brief_once)")
    plain = Series("baseline: POST /api/briefs without a key (submit_brief)")
    try:
        start_twin(twin)
        probe = Probe()
        probe.attach()
        client = Client(twin.app_url, probe)
        print(f"twin up in {time.perf_counter() - started:.1f} s at {twin.app_url}")
        every = max(1, args.count // args.baseline) if args.baseline else 0
        # Powertools Metrics prints a batch to stdout every 100 values (routes never flush it).
        with contextlib.redirect_stdout(io.StringIO()):
            client.submit(-1, Series("warm-up"), keyed=True)  # lazy imports and clients
            client.confirm()  # the employer's address, once, through the emailed link
            for n in range(args.count):
                client.submit(n, keyed, keyed=True)
                if every and n % every == every - 1 and len(plain.latency) < args.baseline:
                    client.submit(100_000 + n, plain, keyed=False)
    finally:
        twin.stop()
    report(keyed)
    if plain.latency:
        report(plain)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown of the twin's in-memory state (tens of seconds after
    # 500 submissions, all spent freeing moto's copies); nothing is left to write.
    os._exit(code)

"""Money under faults at volume (issue 16): N engagements at once on the local twin, each to a
seeded ending, while Stripe fails under them; then the books are checked from the outside.

    python -m bench.chaos --engagements 200 --seed 7 [--concurrency 12] [--outage-seconds 25]

- Starts a twin as the e2e tests do (`tests/e2e/conftest.py running_twin`: windows shrunk to
  seconds, the abuse limits raised) and drives every engagement through the public HTTP API and
  the Stripe sandbox (bench/chaos_drive.py): approve and release; changes then approve; dispute
  then release, refund or a random split (finance's signed `dispute.resolved`, sent 3× at
  once); cancel before funding (half of them racing the payment); missed deadline then extend
  or cancel. Employers double-click (fund, review, cancel, extend), interns too (accept,
  deliver), finance repeats every decision three times at once.
- Meanwhile (bench/chaos_faults.py) Stripe's money endpoints fail one fault at a time — 500,
  429, a dropped connection, or the same after the call took effect — and outages longer than
  the steps' retry budget take transfers or refunds down; every Stripe event is delivered
  again, some batches also reordered, and at the end all of them once more, newest first.
- Then (bench/chaos_checks.py) the ledger, Stripe's record, the executions and the reconciler
  must agree. One table is printed; the exit status is 1 on any violation, stuck engagement or
  script error.

Seeded: the endings, faults, orders and splits follow `--seed` (ids and timings do not).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench.chaos_checks import Verdict, check
from bench.chaos_drive import ENDINGS, TERMINAL, Driver, Engagement, Mailroom
from bench.chaos_faults import FaultInjector, Redeliverer
from local.app_workers import worker_pids
from tests.e2e.conftest import FAST_WINDOWS, RunningTwin, running_twin
from tests.e2e.flow import view

# FAST_WINDOWS, widened where many engagements at once would lose races to the timers that the
# script does not mean to lose (a delivery inside a 10 s work window under load).
WINDOWS = {
    **FAST_WINDOWS,
    "OFFER_WINDOW_SECONDS": "30",
    "NDA_WINDOW_SECONDS": "30",
    "FUNDING_WINDOW_SECONDS": "30",
    "WORK_WINDOW_SECONDS": "25",
    "DEADLINE_DECISION_WINDOW_SECONDS": "30",
    "REVIEW_WINDOW_SECONDS": "30",
    "PAYOUT_RETRY_SECONDS": "3",
}
RETRY_BUDGET_SECONDS = 2 + 4 + 8  # Release/Refund's Retry in statemachines/engagement.asl.json


class HttpTally:
    """Counts the app's 5xx answers to this process (every `requests` call goes through
    `Session.send`)."""

    def __init__(self, app_url: str) -> None:
        self.app_url = app_url
        self.by_status: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        self._original = requests.Session.send

    def install(self) -> None:
        tally, original = self, self._original

        def send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            response = original(session, request, **kwargs)
            if str(request.url).startswith(tally.app_url):
                with tally._lock:
                    tally.requests += 1
                    if response.status_code >= 500:
                        path = str(request.url)[len(tally.app_url) :].split("?")[0]
                        route = "/".join(p if len(p) < 20 else "{id}" for p in path.split("/"))
                        key = f"{response.status_code} {request.method} {route}"
                        tally.by_status[f"{key}: {cause(response)}"] += 1
            return response

        requests.Session.send = send  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        requests.Session.send = self._original  # type: ignore[method-assign]


def cause(response: requests.Response) -> str:
    """What a 5xx answer says went wrong (the contract's `errors[0].message`, or Chalice's
    `Message` for an unhandled exception), ids and figures blanked so that causes count."""
    try:
        body = response.json()
    except ValueError:
        return "(no JSON body)"
    text = ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            text = str(errors[0].get("message", ""))
        text = text or str(body.get("Message") or body.get("message") or "")
    text = re.sub(r"\b(req|evt|pi|re|tr|ch)_\w+", "…", text)
    text = re.sub(r"\d+", "N", text)
    return (text or "(no message)")[:70]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """The process's resident set now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Progress:
    """A line on stderr every `every` seconds while the engagements run (finished, the rate,
    the twin's RSS and CPU time), and the twin's RSS and CPU time as the finished count passes
    each checkpoint: the per-engagement cost curve of one run."""

    def __init__(self, pid: int, engagements: list[Engagement], every: float) -> None:
        self.pid = pid
        self.engagements = engagements
        self.every = every
        n = len(engagements)
        self.checkpoints = sorted(
            {c for c in (10, 50, 100, 200, 500, n // 4, n // 2, n) if 0 < c <= n}
        )
        self.at: dict[int, tuple[float, float, float]] = {}  # done -> (seconds, RSS, CPU)
        self._started = time.monotonic()
        self._cpu0 = cpu_seconds(pid) + sum(cpu_seconds(p) for p in worker_pids(pid))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-progress", daemon=True)

    def start(self) -> Progress:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.sample(report=True)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(1.0):
            report = time.monotonic() - last >= self.every
            if report:
                last = time.monotonic()
            self.sample(report=report)

    def sample(self, *, report: bool) -> None:
        done = sum(1 for e in self.engagements if e.seconds)
        try:
            workers = sum(cpu_seconds(p) for p in worker_pids(self.pid))
            rss, cpu = rss_mib(self.pid), cpu_seconds(self.pid) + workers - self._cpu0
        except OSError:
            return
        elapsed = time.monotonic() - self._started
        for c in self.checkpoints:
            if done >= c and c not in self.at:
                self.at[c] = (elapsed, rss, cpu)
        if report:
            print(
                f"[{elapsed:6.0f} s] {done}/{len(self.engagements)} finished, twin RSS "
                f"{rss:.0f} MiB, twin CPU {cpu:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    def rows(self) -> list[tuple[str, str, str]]:
        rows: list[tuple[str, str, str]] = []
        previous = (0, 0.0, 0.0)
        for c, (elapsed, rss, cpu) in sorted(self.at.items()):
            span = c - previous[0]
            per = (elapsed - previous[1]) / span if span else 0.0
            cpu_per = (cpu - previous[2]) / span if span else 0.0
            rows.append(
                (
                    "" if rows else "as they finished",
                    f"{c:>5} done at {elapsed:.0f} s: RSS {rss:.0f} MiB, CPU {cpu:.0f} s",
                    f"{per:.2f} s, {cpu_per:.2f} CPU-s each",
                )
            )
            previous = (c, elapsed, cpu)
        return rows


def settle(twin: RunningTwin, engagements: list[Engagement], timeout: float) -> None:
    """Wait (bounded) for every started engagement to reach a terminal status."""
    deadline = time.monotonic() + timeout
    open_ = [e for e in engagements if e.brief_id]
    while open_ and time.monotonic() < deadline:
        open_ = [e for e in open_ if view(twin, e.brief_id, e.token)["status"] not in TERMINAL]
        if open_:
            time.sleep(2)


@dataclass
class Result:
    engagements: list[Engagement]
    verdict: Verdict
    faults: Counter[str]
    peak_rss_mib: float

    @property
    def failed(self) -> bool:
        errors = [e for e in self.engagements if e.error]
        return bool(self.verdict.violations or self.verdict.stuck or errors)

    @property
    def incomplete(self) -> bool:
        """Some engagements were never started (the run's --start-budget passed)."""
        return any(e.skipped for e in self.engagements)


def run(args: argparse.Namespace) -> Result:
    rng = random.Random(args.seed)
    endings = [ENDINGS[i % len(ENDINGS)] for i in range(args.engagements)]
    rng.shuffle(endings)
    engagements = [Engagement(index=i, ending=ending) for i, ending in enumerate(endings)]
    log = Path(args.log) if args.log else Path(tempfile.mkdtemp(prefix="chaos-")) / "twin.log"
    started = time.monotonic()
    overrides = dict(w.split("=", 1) for w in args.window)
    unknown = set(overrides) - set(WINDOWS)
    if unknown:
        raise SystemExit(f"--window: unknown {sorted(unknown)} (known: {sorted(WINDOWS)})")
    settings = {**WINDOWS, **overrides, "TWIN_APP_WORKERS": str(args.app_workers)}
    with running_twin(log, settings) as twin:
        tally = HttpTally(twin.url)
        tally.install()
        from local.twin import twin_secrets

        mail = Mailroom(twin, every=args.mail_every).start()
        faults = FaultInjector(
            twin.stripe_url,
            random.Random(f"{args.seed}:faults"),
            outage_seconds=args.outage_seconds,
            outage_every=args.outage_every,
            first_outage_after=args.first_outage_after,
        ).start()
        redeliver = Redeliverer(
            twin.url,
            twin.stripe_url,
            twin_secrets()["STRIPE_WEBHOOK_SECRET"],
            random.Random(f"{args.seed}:events"),
        ).start()
        driver = Driver(
            twin,
            mail,
            stage_timeout=args.stage_timeout,
            poll_max=args.poll_max,
            start_until=started + (args.start_budget or float("inf")),
        )
        progress = Progress(twin.process.pid, engagements, args.progress_every).start()
        try:
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                for e in engagements:
                    pool.submit(driver.run, e, random.Random(f"{args.seed}:{e.index}"))
        finally:
            progress.stop()
            faults.stop()  # Stripe answers again from here on
        settle(twin, engagements, timeout=args.outage_seconds + 90)
        redeliver.stop()
        redeliver.round(reorder_all=True)
        redeliver.everything_again()
        settle(twin, engagements, timeout=30)
        time.sleep(3)  # the sandbox's own re-deliveries drain
        mail.stop()
        verdict = check(twin, engagements)
        peak = peak_rss_mib(twin.process.pid)
        workers = worker_pids(twin.process.pid)
        worker_peak = max((peak_rss_mib(p) for p in workers), default=0.0)
        cpu = cpu_seconds(twin.process.pid) + sum(cpu_seconds(p) for p in workers)
        tally.uninstall()
    wall = time.monotonic() - started
    print_table(
        args,
        engagements,
        faults,
        redeliver,
        tally,
        verdict,
        (peak, worker_peak),
        wall,
        cpu,
        progress,
    )
    return Result(engagements, verdict, faults.hits, peak)


def print_table(
    args: argparse.Namespace,
    engagements: list[Engagement],
    faults: FaultInjector,
    redeliver: Redeliverer,
    tally: HttpTally,
    verdict: Verdict,
    peaks: tuple[float, float],
    wall: float,
    cpu: float,
    progress: Progress,
) -> None:
    rows: list[tuple[str, str, str]] = []

    def section(name: str, counts: Counter[str] | dict[str, int]) -> None:
        if not counts:
            rows.append((name, "(none)", "0"))
        for i, (key, value) in enumerate(sorted(counts.items())):
            rows.append((name if i == 0 else "", key, str(value)))

    done = Counter(
        f"{e.ending}: {'script error' if e.error else 'deviated' if e.deviation else 'as scripted'}"
        for e in engagements
        if not e.skipped
    )
    section("endings", done)
    section("final status", verdict.finals)
    section("faults hit", faults.hits)
    section(
        "webhooks",
        {**redeliver.counts, **{f"app answered {k}": v for k, v in redeliver.statuses.items()}},
    )
    section("violations", verdict.violations)
    rows.append(("stuck", "not terminal, nothing visible", str(len(verdict.stuck))))
    rows.append(("", "waiting visibly (attention, the intern)", str(len(verdict.waiting))))
    section("app 5xx", tally.by_status)
    rows.append(("", f"of {tally.requests} requests", str(sum(tally.by_status.values()))))
    rows.append(("reconciler", verdict.reconciler, ""))
    rows.append(("wall time", f"{wall:.0f} s", ""))
    rows.append(("twin peak RSS", f"{peaks[0]:.0f} MiB", ""))
    if args.app_workers:
        rows.append(("", f"each of {args.app_workers} app workers: at most {peaks[1]:.0f} MiB", ""))
    rows.append(("twin CPU time", f"{cpu:.0f} s", "(workers included)" if args.app_workers else ""))
    rows.extend(progress.rows())
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    workers = f", {args.app_workers} app workers" if args.app_workers else ""
    started = sum(1 for e in engagements if not e.skipped)
    count = (
        f"{started} of {args.engagements} engagements started (time budget "
        f"{args.start_budget:.0f} s)"
        if started < args.engagements
        else f"{args.engagements} engagements"
    )
    title = (
        f"chaos: {count}, seed {args.seed}, concurrency "
        f"{args.concurrency}{workers}, outages of {args.outage_seconds:.0f} s "
        f"(retry budget {RETRY_BUDGET_SECONDS} s)"
    )
    print(title)
    print("-" * len(title))
    for a, b, c in rows:
        print(f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}")
    for e in engagements:
        if e.error or e.deviation:
            what = e.error or e.deviation
            print(
                f"  engagement {e.index} ({e.ending}{', ' + e.variant if e.variant else ''}) "
                f"brief {e.brief_id or '-'}: {'ERROR ' if e.error else ''}{what}"
            )
    for line in verdict.details[:200]:
        print(f"  violation {line}")
    for line in verdict.stuck:
        print(f"  stuck {line}")
    for line in verdict.waiting:
        print(f"  waiting {line}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engagements", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument(
        "--outage-seconds",
        type=float,
        default=RETRY_BUDGET_SECONDS + 11,
        help="how long each outage lasts (longer than the steps' retry budget)",
    )
    parser.add_argument("--outage-every", type=float, default=60.0)
    parser.add_argument("--first-outage-after", type=float, default=20.0)
    parser.add_argument("--stage-timeout", type=float, default=90.0)
    parser.add_argument(
        "--poll-max",
        type=float,
        default=3.0,
        help="longest pause between a waiting engagement's status polls (0.5 s, 1 s, ... up to it)",
    )
    parser.add_argument(
        "--window",
        action="append",
        default=[],
        metavar="NAME=SECONDS",
        help="a window other than the run's (e.g. WORK_WINDOW_SECONDS=15); repeatable",
    )
    parser.add_argument(
        "--mail-every", type=float, default=1.0, help="seconds between the mail poller's reads"
    )
    parser.add_argument(
        "--app-workers",
        type=int,
        default=0,
        help="app processes serving the twin's HTTP port (local/app_workers.py); 0: in-process",
    )
    parser.add_argument(
        "--start-budget",
        type=float,
        default=0.0,
        help="seconds after which no further engagement starts (those started run to the end "
        "and are checked; the run then reports how many started and exits 2); 0: none",
    )
    parser.add_argument(
        "--progress-every", type=float, default=30.0, help="seconds between progress lines"
    )
    parser.add_argument("--log", help="where the twin's log goes (default: a temporary file)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    result = run(parse(argv))
    return 1 if result.failed else 2 if result.incomplete else 0


if __name__ == "__main__":
    sys.exit(main())

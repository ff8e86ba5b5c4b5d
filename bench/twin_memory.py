"""The twin's memory under sustained load: drive N complete engagements through the public HTTP
contract as fast as a few concurrent clients can, sampling the twin process's resident set.

    python -m bench.twin_memory [--engagements 100] [--workers 6] [--tracemalloc FRAMES]

Each engagement: register an intern (onboarded with Stripe), submit a brief needing an NDA, the
offer email's task link → accept → sign the NDA → fund through the Stripe sandbox → deliver →
approve → finance approves the payout through its signed webhook → COMPLETED, with one transfer
of the intern's share. The twin is `python -m local.twin` in its own process (as the e2e tests
start it, windows long enough that no timer fires); its RSS is read from /proc every 0.25 s and
printed at 10 %, 25 %, 50 % and 100 % of the engagements (current, and peak so far).

`--tracemalloc FRAMES` starts the twin with `TWIN_TRACEMALLOC=FRAMES` and prints, at each
checkpoint, the allocation sites that grew most since the previous one (slower: a diagnosis).

Emails and finance requests are read incrementally (`/_local/outbox.json?since=N`), by one
poller for all clients, so the driver's own cost does not grow with the outbox.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import requests

MiB = 1024 * 1024
# No window fires during the run: every step is driven by the clients.
PATIENT = {
    "OFFER_WINDOW_SECONDS": "3600",
    "NDA_WINDOW_SECONDS": "3600",
    "FUNDING_WINDOW_SECONDS": "3600",
    "DEADLINE_DECISION_WINDOW_SECONDS": "3600",
    "REVIEW_WINDOW_SECONDS": "3600",
    "PAYOUT_REMINDER_SECONDS": "3600",
    "WORK_WINDOW_SECONDS": "3600",
}
CHECKPOINTS = (0.1, 0.25, 0.5, 1.0)


def rss(pid: int) -> int:
    from local.memory import rss_bytes

    return rss_bytes(pid)


class Sampler:
    """Reads the twin's RSS every `every` seconds on a thread; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid = pid
        self.every = every
        self.peak = rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, rss(self.pid))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()


class Inboxes:
    """One poller for the twin's outbox and finance inbox, read with `?since=`, indexed by
    recipient (emails) and brief (finance requests); clients wait on a condition."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.emails: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.finance: dict[str, dict[str, Any]] = {}
        self._seen = {"outbox": 0, "finance": 0}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, daemon=True, name="inbox-poller")

    def start(self) -> Inboxes:
        self._seen["outbox"] = len(self._get("/_local/outbox.json", 0))
        self._seen["finance"] = len(self._get("/_local/finance-inbox.json", 0))
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _get(self, path: str, since: int) -> list[dict[str, Any]]:
        response = self._session.get(f"{self.url}{path}", params={"since": since}, timeout=30)
        response.raise_for_status()
        return list(response.json())

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                emails = self._get("/_local/outbox.json", self._seen["outbox"])
                finance = self._get("/_local/finance-inbox.json", self._seen["finance"])
            except requests.RequestException:
                continue
            with self._cond:
                self._seen["outbox"] += len(emails)
                self._seen["finance"] += len(finance)
                for message in emails:
                    for address in message["to"]:
                        self.emails[address].append(message)
                for delivery in finance:
                    body = delivery["body"]
                    if isinstance(body, dict) and "brief_id" in body.get("data", {}):
                        self.finance[body["data"]["brief_id"]] = delivery
                self._cond.notify_all()

    def wait(self, find: Any, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = find()
                if found:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("not received in time")
                self._cond.wait(remaining)

    def offer_link(self, address: str, title: str) -> str:
        from tests.e2e.flow import task_token

        def find() -> str | None:
            for message in self.emails.get(address, []):
                if (
                    message["subject"].startswith("Paid project for you")
                    and title in (message["subject"])
                ):
                    return task_token(message)
            return None

        return str(self.wait(find))

    def payout_id(self, brief_id: str) -> str:
        delivery = self.wait(lambda: self.finance.get(brief_id))
        return str(delivery["body"]["data"]["payout_id"])


def one_engagement(twin: Any, inboxes: Inboxes, number: int) -> None:
    from tests.e2e.flow import (
        act,
        employer,
        fund,
        onboard,
        register,
        submit,
        unique_skill,
        wait_status,
    )
    from tests.e2e.test_finance_twin import SUMMARY, send_finance

    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    title = f"Memory study {number} {skill}"
    brief_id, token, _ = submit(twin, skill, title=title, nda_required=True)
    link = inboxes.offer_link(intern["email"], title)
    assert act(twin, link, "accept").status_code == 200
    wait_status(twin, brief_id, token, "NDA", timeout=60)
    assert act(twin, link, "nda", {"full_name": intern["name"], "agree": True}).ok
    wait_status(twin, brief_id, token, "AWAITING_FUNDING", timeout=60)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS", timeout=60)
    delivered = act(twin, link, "deliver", {"summary": SUMMARY, "url": "https://example.org/d"})
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW", timeout=60)
    review = employer(twin, brief_id, token, "review", {"decision": "approve"})
    assert review.status_code == 200, review.text
    payout_id = inboxes.payout_id(brief_id)
    decision = send_finance(
        twin, "payout.approved", {"payout_id": payout_id, "approved_by": "ada@finance.example"}
    )
    assert decision.status_code == 200, decision.text
    final = wait_status(twin, brief_id, token, "COMPLETED", timeout=60)
    escrow = final["escrow"]
    assert escrow["held_cents"] == 0 and escrow["released_cents"] > 0, escrow
    transfers = requests.get(
        f"{twin.stripe_url}/v1/transfers",
        params={"transfer_group": brief_id},
        headers={"Authorization": "Bearer sk_test_local_twin"},
        timeout=30,
    ).json()["data"]
    assert [t["amount"] for t in transfers] == [escrow["released_cents"]], transfers


def print_growth(twin: Any, top: int, census: bool = False, owners: bool = False) -> None:
    params: dict[str, Any] = {"top": top}
    if census:
        params["census"] = 1
    if owners:
        params["owners"] = 1
    data = requests.get(f"{twin.url}/_local/memory.json", params=params, timeout=300).json()
    for name, size in data.get("owners", {}).items():
        print(f"    {size / MiB:10.2f} MiB  {name}")
    for name, number in data.get("census", []):
        print(f"    {number:>10}  {name}")
    if not data.get("tracing"):
        return
    print(f"    traced {data['traced_bytes'] / MiB:.1f} MiB; top growth since the last checkpoint:")
    for row in data["top"]:
        print(
            f"    {row['growth_bytes'] / MiB:+8.2f} MiB  {row['size_bytes'] / MiB:8.2f} MiB"
            f"  {row['count']:>8}  {' <- '.join(row['where'][:3])}"
        )


def main(argv: list[str] | None = None) -> int:
    from tests.e2e.conftest import running_twin

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engagements", type=int, default=100)
    parser.add_argument("--workers", type=int, default=6, help="concurrent clients")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="FRAMES")
    parser.add_argument(
        "--census", action="store_true", help="count live objects by type at each checkpoint"
    )
    parser.add_argument(
        "--owners",
        action="store_true",
        help="bytes held by each owner of the twin's state (moto's tables, executions, emails; "
        "the sandbox's objects and events) at each checkpoint",
    )
    parser.add_argument("--top", type=int, default=12, help="allocation sites per checkpoint")
    args = parser.parse_args(argv)
    count = args.engagements
    windows = dict(PATIENT)
    if args.tracemalloc:
        windows["TWIN_TRACEMALLOC"] = str(args.tracemalloc)
    marks = sorted({max(1, round(count * share)) for share in CHECKPOINTS})

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_twin(Path(tmp) / "twin.log", windows) as twin,
    ):
        pid = twin.process.pid
        baseline = rss(pid)
        print(
            f"twin pid {pid}, RSS at start {baseline / MiB:.0f} MiB; {count} engagements, "
            f"{args.workers} clients"
        )
        print_growth(twin, args.top, args.census, args.owners)
        inboxes = Inboxes(twin.url).start()
        started = time.perf_counter()
        done = failed = 0
        with Sampler(pid) as sampler, ThreadPoolExecutor(args.workers) as pool:
            futures = [pool.submit(one_engagement, twin, inboxes, n) for n in range(count)]
            try:
                for future in as_completed(futures):
                    try:
                        future.result()
                    except Exception as exc:
                        failed += 1
                        print(f"  engagement failed: {type(exc).__name__}: {exc}"[:300])
                    done += 1
                    if done in marks:
                        now = rss(pid)
                        elapsed = time.perf_counter() - started
                        print(
                            f"after {done:5} engagements ({elapsed:6.0f} s, "
                            f"{done / elapsed * 60:5.1f}/min): RSS {now / MiB:7.0f} MiB, "
                            f"peak {sampler.peak / MiB:7.0f} MiB"
                            + (f", {failed} failed" if failed else ""),
                            flush=True,
                        )
                        print_growth(twin, args.top, args.census, args.owners)
            except KeyboardInterrupt:  # Ctrl-C: the engagements not started are not started
                pool.shutdown(wait=False, cancel_futures=True)
                print(f"interrupted after {done} engagements", flush=True)
        inboxes.stop()
        settled = rss(pid)
        print(f"RSS when idle again: {settled / MiB:.0f} MiB; peak {sampler.peak / MiB:.0f} MiB")
        # Ctrl-C under load is its own test (tests/e2e/test_twin_shutdown.py); here, time it.
        stop_started = time.perf_counter()
        twin.process.terminate()
        try:
            twin.process.wait(timeout=30)
            print(f"twin stopped {time.perf_counter() - stop_started:.1f} s after SIGTERM")
        except subprocess.TimeoutExpired:
            print("twin still running 30 s after SIGTERM: killed")
            twin.process.kill()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

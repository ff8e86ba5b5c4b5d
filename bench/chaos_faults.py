"""The chaos run's adversaries (bench/chaos.py): Stripe faults, and Stripe's events re-delivered
and reordered. Both are seeded and run on their own threads until stopped.

- :class:`FaultInjector` arms one fault at a time through the sandbox's `POST /_sandbox/fail`
  (500, 429, a dropped connection, and "applied but the response was lost" — `process: true` —
  on the money endpoints), waits for it to be used or to lapse, and counts the faults that hit.
  Now and then it opens an *outage*: every POST to transfers or refunds answers 500 for longer
  than the steps' retry budget, then `DELETE /_sandbox/fail` ends it (Stripe comes back).
- :class:`Redeliverer` finds every new Stripe event (`GET /v1/events`) and delivers it again:
  a fifth through the sandbox (`POST /_sandbox/events/{id}/resend`), the rest itself, signed
  like Stripe; half the batches newest first — a payment's `succeeded` after its refund, say.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from typing import Any

import requests

from local.stripe_sandbox import sign_payload

STRIPE_KEY = {"Authorization": "Bearer sk_test_local_twin"}
MONEY_PATHS = ("/v1/transfers", "/v1/refunds", "/v1/payment_intents")
# (label, sandbox kind, process): `process` lets the call take effect before it fails.
FAULTS = (
    ("500", "500", False),
    ("rate_limit", "rate_limit", False),
    ("timeout", "timeout", False),
    ("applied_500", "500", True),  # Stripe did it, the app saw a 500
    ("applied_timeout", "timeout", True),  # Stripe did it, the connection dropped
)


class FaultInjector:
    def __init__(
        self,
        stripe_url: str,
        rng: random.Random,
        *,
        outage_seconds: float,
        outage_every: float,
        first_outage_after: float,
    ) -> None:
        self.stripe_url = stripe_url
        self.rng = rng
        self.outage_seconds = outage_seconds
        self.outage_every = outage_every
        self.first_outage_after = first_outage_after
        self.hits: Counter[str] = Counter()
        self.outages: list[tuple[str, float, float]] = []  # (path, started, ended) monotonic
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-faults", daemon=True)

    def start(self) -> FaultInjector:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.outage_seconds + 15)
        self._clear()

    def _fail(self, body: dict[str, Any]) -> None:
        requests.post(f"{self.stripe_url}/_sandbox/fail", json=body, timeout=10).raise_for_status()

    def _armed(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.stripe_url}/_sandbox/fail", timeout=10)
        return list(response.json()["faults"])

    def _clear(self) -> None:
        requests.delete(f"{self.stripe_url}/_sandbox/fail", timeout=10).raise_for_status()

    def _run(self) -> None:
        started = time.monotonic()
        next_outage = started + self.first_outage_after
        while not self._stop.is_set():
            if time.monotonic() >= next_outage:
                self._outage()
                next_outage = time.monotonic() + self.outage_every
                continue
            self._one_fault()
            self._stop.wait(self.rng.uniform(0.2, 1.5))

    def _one_fault(self) -> None:
        label, kind, process = self.rng.choice(FAULTS)
        path = self.rng.choice(MONEY_PATHS)
        count = self.rng.randint(1, 3)
        body = {"count": count, "kind": kind, "path_prefix": path, "method": "POST"}
        if process:
            body["process"] = True
        if kind == "timeout":
            body["seconds"] = round(self.rng.uniform(0.5, 3.0), 2)
        self._fail(body)
        deadline = time.monotonic() + self.rng.uniform(2.0, 6.0)
        left = count
        while time.monotonic() < deadline and not self._stop.is_set():
            left = sum(int(f["count"]) for f in self._armed())
            if left == 0:
                break
            self._stop.wait(0.2)
        left = sum(int(f["count"]) for f in self._armed())
        self._clear()  # an unused fault lapses (one armed at a time, so nothing else is lost)
        self.hits[f"{label} {path.removeprefix('/v1/')}"] += count - left

    def _outage(self) -> None:
        path = self.rng.choice(("/v1/transfers", "/v1/refunds"))
        body = {"count": 1_000_000, "kind": "500", "path_prefix": path, "method": "POST"}
        self._fail(body)
        began = time.monotonic()
        self._stop.wait(self.outage_seconds)
        hit = 1_000_000 - sum(int(f["count"]) for f in self._armed())
        self._clear()
        self.outages.append((path, began, time.monotonic()))
        self.hits[f"outage {self.outage_seconds:.0f}s {path.removeprefix('/v1/')}"] += 1
        self.hits[f"outage 500s {path.removeprefix('/v1/')}"] += hit


class Redeliverer:
    """Every Stripe event delivered again; some batches also delivered by hand, reordered."""

    def __init__(
        self, app_url: str, stripe_url: str, webhook_secret: str, rng: random.Random
    ) -> None:
        self.app_url = app_url
        self.stripe_url = stripe_url
        self.secret = webhook_secret
        self.rng = rng
        self.seen: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-redeliver", daemon=True)

    def start(self) -> Redeliverer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.wait(1.5):
            try:
                self.round()
            except requests.RequestException as exc:  # the next round catches up
                self.counts[f"redeliver error {type(exc).__name__}"] += 1

    def new_events(self) -> list[dict[str, Any]]:
        """Events not seen yet, oldest first."""
        fresh: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = requests.get(
                f"{self.stripe_url}/v1/events", params=params, headers=STRIPE_KEY, timeout=30
            ).json()
            data = page["data"]
            unseen = [e for e in data if e["id"] not in self.seen]
            fresh.extend(unseen)
            if not page["has_more"] or len(unseen) < len(data) or not data:
                break
            params["starting_after"] = data[-1]["id"]
        fresh.reverse()
        self.seen.update(e["id"] for e in fresh)
        return fresh

    def round(self, *, reorder_all: bool = False) -> int:
        events = self.new_events()
        if not events:
            return 0
        # The sandbox delivers on one thread, in order: re-sending everything through it would
        # queue the originals behind the copies (a payment's event late by the funding window).
        # So a fifth go through the sandbox's resend; the rest are delivered here.
        reorder = reorder_all or self.rng.random() < 0.5
        for event in reversed(events) if reorder else events:
            if self.rng.random() < 0.2:
                requests.post(
                    f"{self.stripe_url}/_sandbox/events/{event['id']}/resend", timeout=10
                ).raise_for_status()
                self.counts["resent by the sandbox"] += 1
            else:
                self.deliver(event)
                self.counts["delivered again, reordered" if reorder else "delivered again"] += 1
        return len(events)

    def deliver(self, event: dict[str, Any]) -> None:
        payload = json.dumps(event)
        response = requests.post(
            f"{self.app_url}/webhooks/stripe",
            data=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(payload, self.secret),
            },
            timeout=30,
        )
        self.statuses[response.status_code] += 1

    def everything_again(self) -> int:
        """At the end: every event there is, delivered once more by hand, newest first."""
        self.seen.clear()
        events = self.new_events()
        for event in reversed(events):
            self.deliver(event)
        self.counts["delivered again at the end"] += len(events)
        return len(events)

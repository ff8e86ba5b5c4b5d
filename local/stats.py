"""Counters of what the twin served (read by bench/cost at /_local/stats.json)."""

from __future__ import annotations

import threading
from typing import Any


class Stats:
    """What the twin served, for `bench/cost`: Lambda invocations and time, the app's AWS calls
    by service and operation, HTTP requests to the app. Read at /_local/stats.json."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.lambda_calls: dict[str, int] = {}
            self.lambda_seconds: dict[str, float] = {}
            self.aws_calls: dict[str, int] = {}
            self.http_requests = 0

    def lambda_invocation(self, name: str, seconds: float) -> None:
        with self._lock:
            self.lambda_calls[name] = self.lambda_calls.get(name, 0) + 1
            self.lambda_seconds[name] = self.lambda_seconds.get(name, 0.0) + seconds

    def aws_call(self, event_name: str, **_: Any) -> None:
        # event_name is "before-call.<service>.<Operation>"
        key = event_name.removeprefix("before-call.")
        with self._lock:
            self.aws_calls[key] = self.aws_calls.get(key, 0) + 1

    def http_request(self) -> None:
        with self._lock:
            self.http_requests += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "lambda_calls": dict(self.lambda_calls),
                "lambda_seconds": {k: round(v, 4) for k, v in self.lambda_seconds.items()},
                "aws_calls": dict(self.aws_calls),
                "http_requests": self.http_requests,
            }


STATS = Stats()

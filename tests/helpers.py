"""Shared test helpers: free ports, sample events, polling without fixed sleeps."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

EVENTS = Path(__file__).parent / "events"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """A sample event from tests/events; `__DEADLINE__` becomes a valid deadline (today + 14)."""
    from datetime import date, timedelta

    text = (EVENTS / f"{name}.json").read_text()
    text = text.replace("__DEADLINE__", (date.today() + timedelta(days=14)).isoformat())
    return {**json.loads(text), **overrides}


def eventually(probe: Callable[[], T | None], *, timeout: float = 30.0, every: float = 0.1) -> T:
    """Poll `probe` until it returns something truthy; fail with the last value after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")

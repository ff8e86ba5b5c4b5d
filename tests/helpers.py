"""Shared test helpers: free ports, sample events, polling without fixed sleeps."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

EVENTS = Path(__file__).parent / "events"
T = TypeVar("T")

# A complete configuration for code that reads settings without the twin. Secrets are local
# test values, as the twin's live in local/twin.py: the app itself has no defaults for them.
TEST_SETTINGS = {
    "STAGE": "test",
    "BASE_URL": "http://testserver",
    "TABLE_NAME": "microintern-test",
    "DELIVERABLES_BUCKET": "microintern-test-deliverables",
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:microintern-test",
    "MAIL_FROM": "microintern <no-reply@microintern.test>",
    "FINANCE_EMAIL": "finance@microintern.test",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_tests",
    "CERTIFICATE_KEY_ID": "alias/microintern-test-certificates",
    "STRIPE_API_KEY": "sk_test_tests",
    "STRIPE_WEBHOOK_SECRET": "whsec_tests",
    "FINANCE_WEBHOOK_SECRET": "whsec_dW5pdC10ZXN0cy1maW5hbmNlLXNlY3JldA==",
    "CSRF_SECRET": "tests-csrf-secret-0123",
    "FINANCE_API_KEY_SHA256": hashlib.sha256(b"tests-finance-key").hexdigest(),
}


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


_NONCE = re.compile(rb' nonce="[^"]+"')


def without_nonce(html: bytes) -> bytes:
    """A page's body without its CSP nonce (new in every response), to compare two pages."""
    return _NONCE.sub(b"", html)


def confirm_addresses(*addresses: str) -> None:
    """Returning users: these addresses were confirmed before (by a confirmation link, in real
    life), recorded through the app's own adapter. Needs the app's settings and table (the
    integration layer's `aws_env`); the twins confirm through the emailed link instead."""
    from chalicelib.adapters import address_confirmations

    for address in addresses:
        address_confirmations.confirm(address_confirmations.address_hash(address))

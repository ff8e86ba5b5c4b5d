"""Stripe webhook verification: only Stripe's signature, fresh in both directions, gets in."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.services import stripe_webhooks
from chalicelib.services.errors import AppError
from local.stripe_sandbox import sign_payload

SECRET = "whsec_unit_tests"
EVENT = {"id": "evt_123", "object": "event", "type": "payment_intent.succeeded", "data": {}}
PAYLOAD = json.dumps(EVENT)


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def applied(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What reaches the apply stage (nothing, for every refused delivery)."""
    calls: list[dict[str, Any]] = []

    def record(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event)
        return {"received": True}

    monkeypatch.setattr(stripe_webhooks, "apply", record)
    return calls


def _status(payload: str | bytes | None, signature: str | None) -> int:
    with pytest.raises(AppError) as refused:
        stripe_webhooks.handle(payload, signature)
    return refused.value.status


def test_a_fresh_signature_by_the_secret_is_accepted(applied: list[dict[str, Any]]) -> None:
    stripe_webhooks.handle(PAYLOAD.encode(), sign_payload(PAYLOAD, SECRET))

    assert applied == [EVENT]


@pytest.mark.parametrize("skew", [-290, 290])
def test_timestamps_within_five_minutes_either_way_are_accepted(
    applied: list[dict[str, Any]], skew: int
) -> None:
    stripe_webhooks.handle(PAYLOAD, sign_payload(PAYLOAD, SECRET, int(time.time()) + skew))

    assert len(applied) == 1


def _signature(case: str) -> str | None:
    now = int(time.time())
    return {
        "missing": None,
        "empty": "",
        "other secret": sign_payload(PAYLOAD, "whsec_someone_else"),
        "stale": sign_payload(PAYLOAD, SECRET, now - 301),
        "future": sign_payload(PAYLOAD, SECRET, now + 301),
        "malformed": "this is not a signature",
        "no v1": f"t={now},v0=abc",
    }[case]


@pytest.mark.parametrize(
    "case", ["missing", "empty", "other secret", "stale", "future", "malformed", "no v1"]
)
def test_bad_signatures_are_refused_and_nothing_is_applied(
    applied: list[dict[str, Any]], case: str
) -> None:
    assert _status(PAYLOAD, _signature(case)) == 401, case
    assert applied == []


def test_a_tampered_body_is_refused(applied: list[dict[str, Any]]) -> None:
    signature = sign_payload(PAYLOAD, SECRET)
    tampered = PAYLOAD.replace("evt_123", "evt_999")

    assert _status(tampered, signature) == 401
    assert applied == []


def test_a_signed_body_that_is_not_an_event_is_a_bad_request(
    applied: list[dict[str, Any]],
) -> None:
    for body in ("not json", "[1, 2]", ""):
        assert _status(body, sign_payload(body, SECRET)) == 400
    assert applied == []

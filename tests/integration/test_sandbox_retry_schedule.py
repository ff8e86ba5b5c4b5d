"""The Stripe sandbox retries a failed webhook on Stripe's schedule — exponential backoff for up to
three days — compressed by a scale; checked against an injected clock, without waiting."""

from __future__ import annotations

import itertools

import pytest

from local.stripe_sandbox import (
    STRIPE_MAX_RETRY_INTERVAL_SECONDS,
    STRIPE_RETRY_HORIZON_SECONDS,
    StripeSandbox,
    stripe_retry_schedule,
)

DAY = 86_400.0


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_schedule_backs_off_exponentially_for_up_to_three_days() -> None:
    delays = stripe_retry_schedule(1.0)
    assert delays[0] == 60.0
    doubling = [b / a for a, b in itertools.pairwise(delays) if b < max(delays)]
    assert doubling and all(ratio == 2.0 for ratio in doubling)
    assert max(delays) == STRIPE_MAX_RETRY_INTERVAL_SECONDS
    assert list(delays) == sorted(delays)
    total = sum(delays)
    assert 2.5 * DAY < total <= STRIPE_RETRY_HORIZON_SECONDS  # the last retry ~3 days in
    assert total + min(2 * delays[-1], STRIPE_MAX_RETRY_INTERVAL_SECONDS) > 3 * DAY


@pytest.mark.parametrize("scale", [1 / 1_440, 1 / 86_400, 0.5])
def test_a_scale_compresses_the_same_shape(scale: float) -> None:
    assert stripe_retry_schedule(scale) == pytest.approx(
        [delay * scale for delay in stripe_retry_schedule(1.0)]
    )
    with pytest.raises(ValueError):
        stripe_retry_schedule(0)


def test_a_failing_endpoint_is_retried_on_the_scaled_schedule() -> None:
    scale = 1 / 1_440  # 3 days -> 3 minutes
    clock = FakeClock()
    sandbox = StripeSandbox(  # never started: deliveries are driven here, by the clock
        port=0,
        webhook_url="http://127.0.0.1:9/unreachable",
        webhook_secret="whsec_schedule",
        webhook_retry_scale=scale,
        clock=clock,
    )
    expected = stripe_retry_schedule(scale)
    assert sandbox.webhook_retry_delays == expected
    event = sandbox._emit("account.updated", {"id": "acct_schedule", "object": "account"})

    attempted_at = []
    while (due := sandbox.next_delivery_due()) is not None:
        clock.now = due - 1e-6
        assert sandbox.deliver_due() == 0  # not a moment early
        clock.now = due
        assert sandbox.deliver_due() == 1
        attempted_at.append(clock.now)

    waits = [later - earlier for earlier, later in itertools.pairwise(attempted_at)]
    assert waits == pytest.approx(list(expected))
    attempts = sandbox.deliveries(event["id"])
    assert [a["attempt"] for a in attempts] == list(range(1, len(expected) + 2))
    assert not any(a["ok"] for a in attempts)
    assert [a["final"] for a in attempts] == [False] * len(expected) + [True]
    span = attempted_at[-1] - attempted_at[0]
    assert 2.5 * DAY * scale < span <= 3 * DAY * scale  # Stripe's 3 days, in 3 minutes

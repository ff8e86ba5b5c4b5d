"""adapters/concurrent.gather: independent calls at once, results in order, errors raised."""

from __future__ import annotations

import threading

import pytest

from chalicelib.adapters import concurrent


def test_calls_run_at_the_same_time_and_return_in_order() -> None:
    barrier = threading.Barrier(3, timeout=5)  # breaks unless all three wait together

    def call(n: int) -> int:
        barrier.wait()
        return n * 10

    assert concurrent.gather([lambda n=n: call(n) for n in range(3)]) == [0, 10, 20]


def test_the_first_error_is_raised_after_every_call_finished() -> None:
    done: list[str] = []

    def ok() -> str:
        done.append("ok")
        return "ok"

    def fails(message: str) -> str:
        raise ValueError(message)

    with pytest.raises(ValueError, match="first"):
        concurrent.gather([lambda: fails("first"), ok, lambda: fails("second")])
    assert done == ["ok"]


def test_one_call_runs_on_the_callers_thread() -> None:
    assert concurrent.gather([threading.get_ident]) == [threading.get_ident()]
    assert concurrent.gather([]) == []

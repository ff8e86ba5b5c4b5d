"""adapters/concurrent.gather: independent calls at once, results in order, errors raised."""

from __future__ import annotations

import threading
import time

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


# -- start / background: one call beside the caller's own work --------------------------------


def test_a_started_call_runs_beside_the_caller_and_joins_with_its_result() -> None:
    release = threading.Event()

    def call() -> int:
        assert release.wait(5)  # the caller goes on while it waits
        return threading.get_ident()

    future = concurrent.start(call)
    assert not future.done()
    release.set()
    assert future.result(timeout=5) != threading.get_ident()


def test_a_started_call_runs_in_a_copy_of_the_callers_context() -> None:
    import contextvars

    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
    who.set("caller")

    def call() -> str:
        seen = who.get()
        who.set("worker")  # a copy: the caller's value stays
        return seen

    assert concurrent.start(call).result(timeout=5) == "caller"
    with concurrent.background(call) as lane:
        assert lane.result(timeout=5) == "caller"
    assert who.get() == "caller"


def test_the_background_calls_exception_is_raised_at_the_join() -> None:
    def fails() -> None:
        raise ValueError("email")

    with pytest.raises(ValueError, match="email"), concurrent.background(fails) as lane:
        lane.result(timeout=5)
        pytest.fail("the join raises")  # pragma: no cover


def test_leaving_the_block_waits_for_the_call_and_raises_its_exception() -> None:
    done: list[str] = []

    def slow_failure() -> None:
        time.sleep(0.2)
        done.append("finished")
        raise ValueError("email")

    with pytest.raises(ValueError, match="email"), concurrent.background(slow_failure):
        pass  # never joined: leaving the block does
    assert done == ["finished"]


def test_the_background_calls_exception_wins_over_the_blocks_own() -> None:
    """Run in sequence, the call's failure would have stopped the block before it began."""
    done: list[str] = []

    def slow_failure() -> None:
        time.sleep(0.2)
        done.append("finished")
        raise ValueError("email")

    with pytest.raises(ValueError, match="email") as raised, concurrent.background(slow_failure):
        raise KeyError("read")
    assert done == ["finished"]
    assert isinstance(raised.value.__context__, KeyError)


def test_the_blocks_own_exception_is_raised_when_the_call_succeeded() -> None:
    done: list[str] = []

    def slow() -> None:
        time.sleep(0.2)
        done.append("finished")

    with pytest.raises(KeyError), concurrent.background(slow):
        raise KeyError("read")
    assert done == ["finished"]  # waited for, even so


def test_workers_trace_under_the_callers_xray_entity():
    """With X-Ray on, a worker's calls nest under the caller's (sub)segment (the SDK keeps the
    entity per thread); with it off, nothing is carried."""
    from aws_xray_sdk import global_sdk_config
    from aws_xray_sdk.core import xray_recorder

    from chalicelib.adapters import concurrent

    was_enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    xray_recorder.configure(context_missing="LOG_ERROR", sampling=False)  # no daemon here
    try:
        xray_recorder.begin_segment("step")
        sub = xray_recorder.begin_subsegment("## match")
        assert concurrent.gather([xray_recorder.get_trace_entity] * 3) == [sub, sub, sub]
        assert concurrent.start(xray_recorder.get_trace_entity).result() is sub
        xray_recorder.end_subsegment()
        xray_recorder.end_segment()
        global_sdk_config.set_sdk_enabled(False)
        assert concurrent._trace_entity() is None
        assert concurrent.gather([lambda: 1, lambda: 2]) == [1, 2]
    finally:
        xray_recorder.clear_trace_entities()
        global_sdk_config.set_sdk_enabled(was_enabled)

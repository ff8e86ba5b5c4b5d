"""The cyclic garbage collector is off inside a paused block and restored after it."""

from __future__ import annotations

import gc
import threading

import pytest

from chalicelib.adapters import collector


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_off_inside_and_on_after():
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_blocks_restore_once_the_outer_ends():
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer holder still holds it
    assert gc.isenabled()


def test_left_off_when_it_was_off_before():
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


def test_restored_when_the_block_raises():
    @collector.paused_during
    def step() -> None:
        assert not gc.isenabled()
        raise RuntimeError("step failed")

    with pytest.raises(RuntimeError):
        step()
    assert gc.isenabled()


def test_overlapping_steps_on_threads_restore_when_the_last_ends():
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector.paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())  # the second step ended: still off for this one

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(5)
    with collector.paused():
        pass
    second_done.set()
    worker.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_the_match_step_runs_without_cyclic_collection(monkeypatch):
    from chalicelib.services import steps

    seen: list[bool] = []

    def first_read(*_args: object) -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("stop here")

    monkeypatch.setattr(steps, "get_store", lambda: None)
    monkeypatch.setattr(steps, "_brief", first_read)
    with pytest.raises(RuntimeError):
        steps.match(steps.StepEvent(brief_id="b1"))
    assert seen == [False]
    assert gc.isenabled()

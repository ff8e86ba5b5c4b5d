"""Python's cyclic garbage collector kept out of a latency-bound step.

The match step allocates a few hundred thousand short-lived objects (2,000 postings parsed,
scored, dropped). With CPython's default thresholds that is ~70 young-generation collections
per match (~10 % of its CPU, `bench/matching.py`), and now and then a full collection, which
walks every object the warm Lambda holds (botocore's models, pydantic, Jinja: hundreds of
thousands) and costs more than the match itself. Nearly all of the step's garbage is freed by
reference counting the moment it is dropped; the few cycles wait for the first collection
after the step. Memory is bounded by what one step allocates.

Re-entrant and thread-safe: the collector is switched off by the first holder and on again by
the last (a twin or a test runs several steps in one process), and only if it was on.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting still frees garbage)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


def paused_during(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`paused`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)

    return wrapper

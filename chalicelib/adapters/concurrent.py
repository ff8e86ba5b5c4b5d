"""Independent requests issued together: one round trip's wait instead of one per request.

A small process-wide thread pool (created on first use, kept for the warm container). The
calls share the process's boto3 clients (``aws.client``: created once under a lock; botocore
clients are thread-safe), so no client is made per thread. Each call runs in a copy of the
caller's context (context variables). Use it only for requests that do not depend on each
other: their order is not defined.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use: a step that never gathers does not pay for it
    from concurrent.futures import Future, ThreadPoolExecutor

MAX_WORKERS = 8  # the widest wave a request makes (a brief's required skills + 2 reads)

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    from concurrent.futures import ThreadPoolExecutor

    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="wave")
        return _pool


def gather(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run the calls concurrently and return their results in the calls' order; the first
    call's exception (in that order) is raised once every call has finished. A single call
    runs on the caller's thread. Calls must not call ``gather`` themselves."""
    if len(calls) <= 1:
        return [call() for call in calls]
    pool = _executor()
    futures: list[Future[Any]] = [
        pool.submit(contextvars.copy_context().run, call) for call in calls
    ]
    errors = [f.exception() for f in futures]  # waits for every call
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]

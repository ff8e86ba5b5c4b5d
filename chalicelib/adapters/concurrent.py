"""Independent requests issued together: one round trip's wait instead of one per request.

A small process-wide thread pool (created on first use, kept for the warm container). The
calls share the process's boto3 clients (``aws.client``: created once under a lock; botocore
clients are thread-safe), so no client is made per thread. Each call runs in a copy of the
caller's context (context variables) and, when X-Ray tracing is on, under the caller's trace
entity: the X-Ray SDK keeps it per thread, so without it a worker's AWS calls would hang off the
invocation's segment instead of the step's subsegment. Use it only for requests that do not
depend on each other: their order is not defined.

``start`` runs one call in the background while the caller goes on (a *lane* beside the
caller's own requests); ``background`` is the same as a block that never leaves with the call
still running.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported on first use: a step that never gathers does not pay for it
    from concurrent.futures import Future, ThreadPoolExecutor

# The match step's email lane beside its first wave (3 lanes + a brief's required skills, up
# to 10: wider waves queue). No more than botocore's connection pool (max_pool_connections,
# 10): more requests at once would open connections it then discards.
MAX_WORKERS = 10

T = TypeVar("T")

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
    futures: list[Future[Any]] = [pool.submit(_carried(call)) for call in calls]
    errors = [f.exception() for f in futures]  # waits for every call
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def start(call: Callable[[], T]) -> Future[T]:
    """Start ``call`` on a worker thread, in a copy of the caller's context, and return at
    once; ``.result()`` joins it (its result, or its exception raised there). The call must
    not wait for the pool itself (``gather``, ``start``): it could wait for its own thread."""
    return _executor().submit(_carried(call))


def _carried(call: Callable[[], T]) -> Callable[[], T]:
    """``call`` as a worker thread runs it: in a copy of the caller's context, under the
    caller's X-Ray entity when tracing is on."""
    context, entity = contextvars.copy_context(), _trace_entity()
    if entity is None:
        return lambda: context.run(call)
    return lambda: context.run(_traced, entity, call)


def _trace_entity() -> Any:
    """The caller's X-Ray segment or subsegment, or None when nothing traces: the SDK is only
    looked at if Powertools' Tracer has imported it (never imported here) and left it on."""
    sdk, core = sys.modules.get("aws_xray_sdk"), sys.modules.get("aws_xray_sdk.core")
    if sdk is None or core is None or not sdk.global_sdk_config.sdk_enabled():
        return None
    return core.xray_recorder.get_trace_entity()


def _traced(entity: Any, call: Callable[[], T]) -> T:
    from aws_xray_sdk.core import xray_recorder

    xray_recorder.set_trace_entity(entity)  # the AWS calls below nest under the caller's
    try:
        return call()
    finally:
        xray_recorder.clear_trace_entities()  # the pool's thread carries nothing on


@contextmanager
def background(call: Callable[[], T]) -> Iterator[Future[T]]:
    """``start(call)`` for the block; the block joins it where its result is needed
    (``.result()``), and leaving the block always waits for it — nothing runs on after the
    caller returns (a Lambda's invocation would freeze it half done). When the call failed,
    its exception is raised on leaving, even over the block's own (the call was started
    first: run in sequence, its failure would have stopped the block before it began)."""
    future = start(call)
    try:
        yield future
    finally:
        error = future.exception()  # waits
        if error is not None:
            raise error

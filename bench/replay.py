"""The match step timed against a stand-in for DynamoDB that answers in a set time.

Moto answers a 400-posting Query with tens of milliseconds of Python (serialising, projecting,
copying): its time says nothing about DynamoDB's, and subtracting it from the step's
wall-clock leaves the app's work but not how that work overlaps the waits (waves on worker
threads, a background lane, the GIL). So the bench runs each match twice:

1. **recording**: moto answers every request, and each DynamoDB answer (status, headers, body)
   is kept with the request that asked for it;
2. **replay**: the same step on the same brief again, each DynamoDB request answered from the
   recording after sleeping a modelled service time — ``ms_per_request`` + ``ms_per_mb`` per MB
   of the answer — on the thread that asked (``time.sleep`` releases the GIL, as a socket wait
   does). The app's code, its threads and its parsing are real; only DynamoDB's servers are
   modelled. Other services (SES) are answered by moto and then wait ``ms_per_request`` too.
   The replay runs on one CPU (every thread of the process pinned to it), as the match
   Lambda has one vCPU (1,769 MB).

The replay never reaches moto's table, so the step sees exactly the world of the recording
(the brief as submitted, the same postings), and its writes change nothing. Reads are matched
to their recording by operation and request body; writes (whose bodies carry fresh tokens and
timestamps) by operation, in order. A request with no recording is answered by moto and
counted (``unmatched``): the bench prints it, so a replay that drifted from its recording
shows.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

READS = {"Query", "GetItem", "BatchGetItem", "Scan"}


def _operation(request: Any) -> str | None:
    target = request.headers.get("X-Amz-Target") or b""
    if isinstance(target, bytes):
        target = target.decode()
    service, _, op = str(target).partition(".")
    return op if service.startswith("DynamoDB_") else None


def _body_key(request: Any) -> str:
    body = request.body or b""
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode()
    try:
        return json.dumps(json.loads(body), sort_keys=True)
    except ValueError:
        return str(body)


@dataclass
class Tape:
    """What one recording run answered, and how the replay of it went."""

    reads: dict[tuple[str, str], deque[tuple[int, Any, bytes]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    writes: dict[str, deque[tuple[int, Any, bytes]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    recorded: int = 0
    replayed: int = 0
    unmatched: int = 0
    slept_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, op: str, key: str, answer: tuple[int, Any, bytes]) -> None:
        with self.lock:
            self.recorded += 1
            if op in READS:
                self.reads[(op, key)].append(answer)
            else:
                self.writes[op].append(answer)

    def take(self, op: str, key: str) -> tuple[int, Any, bytes] | None:
        with self.lock:
            queue = self.reads.get((op, key)) if op in READS else self.writes.get(op)
            if not queue:
                self.unmatched += 1
                return None
            self.replayed += 1
            return queue.popleft()


@contextmanager
def recording() -> Iterator[Tape]:
    """Moto answers; every DynamoDB answer is kept on the tape."""
    from unittest import mock

    from moto.core.botocore_stubber import BotocoreStubber

    tape = Tape()
    answer = BotocoreStubber.__call__

    def record(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        response = answer(self, event_name, request, **kwargs)
        op = _operation(request)
        if op and response is not None:
            body = response.content  # read once; botocore reads the cached copy
            tape.keep(op, _body_key(request), (response.status_code, dict(response.headers), body))
        return response

    with mock.patch.object(BotocoreStubber, "__call__", record):
        yield tape


@contextmanager
def replaying(tape: Tape, ms_per_request: float, ms_per_mb: float) -> Iterator[Tape]:
    """DynamoDB answered from the tape after the modelled service time; the rest by moto."""
    from unittest import mock

    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

    answer = BotocoreStubber.__call__

    def replay(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        op = _operation(request)
        kept = tape.take(op, _body_key(request)) if op else None
        if kept is None:  # another service (SES), or a request with no recording: moto
            response = answer(self, event_name, request, **kwargs)
            time.sleep(ms_per_request / 1000)
            return response
        status, headers, body = kept
        wait = (ms_per_request + len(body) / 2**20 * ms_per_mb) / 1000
        time.sleep(wait)
        with tape.lock:
            tape.slept_s += wait
        return AWSResponse(request.url, status, headers, MockRawResponse(body))

    with mock.patch.object(BotocoreStubber, "__call__", replay), one_core():
        yield tape


@contextmanager
def one_core() -> Iterator[None]:
    """Every thread of this process on one CPU for the block (threads started inside inherit
    it), then back on all of them: a Lambda with one vCPU."""
    import os

    everything = os.sched_getaffinity(0)
    tasks = [int(t) for t in os.listdir("/proc/self/task")]
    one = {min(everything)}
    for tid in tasks:
        _pin(tid, one)
    try:
        yield
    finally:
        for tid in [int(t) for t in os.listdir("/proc/self/task")]:
            _pin(tid, everything)


def _pin(tid: int, cpus: set[int]) -> None:
    import os

    with suppress(OSError):  # the thread ended meanwhile
        os.sched_setaffinity(tid, cpus)

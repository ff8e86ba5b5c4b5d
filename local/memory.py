"""What the twin's memory holds, for `bench/twin_memory` (never deployed).

`TWIN_TRACEMALLOC=<frames>` in the twin's environment starts `tracemalloc` once it is up, keeping
that many frames per allocation (1 is cheap enough for a run of hundreds of engagements; more frames
find the caller behind a library's allocation). `GET /_local/memory.json` then answers the
process's resident set and, when tracing, the top allocation sites: `?top=N` of them grouped by
line (or `?group=traceback`), with the growth since the previous call.
"""

from __future__ import annotations

import os
import tracemalloc
from typing import Any

_previous: list[tracemalloc.Snapshot] = []


def start_tracing() -> None:
    frames = int(os.environ.get("TWIN_TRACEMALLOC") or 0)
    if frames > 0 and not tracemalloc.is_tracing():
        tracemalloc.start(frames)


def rss_bytes(pid: int | str = "self") -> int:
    """The resident set of a process now (VmRSS), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def census(top: int = 25) -> list[tuple[str, int]]:
    """The most numerous live objects by type (after a full collection)."""
    import gc
    from collections import Counter

    gc.collect()
    counts = Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
    return counts.most_common(top)


def deep_size(roots: list[Any], seen: set[int]) -> int:
    """Bytes held by `roots` and everything they reach that `seen` does not already hold
    (modules, classes and functions are not followed: they are the program, not its data)."""
    import gc
    import sys
    import types

    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType)
    total = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj, 0)
        stack.extend(gc.get_referents(obj))
    return total


def owners(twin: Any = None) -> dict[str, int]:
    """Approximate bytes held by each owner of the twin's state (a diagnosis: it walks
    everything, under no lock). Each object is counted once, for the first owner reaching it."""
    import gc

    found: dict[str, list[Any]] = {}
    with _suppress():
        from moto.dynamodb.models import dynamodb_backends

        found["moto dynamodb tables"] = [
            t for b in _backends(dynamodb_backends) for t in b.tables.values()
        ]
    with _suppress():
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        executions: list[Any] = []
        for b in _backends(stepfunctions_parser_backends):
            for machine in b.state_machines:
                executions.extend(getattr(machine, "executions", None) or [])
            executions.extend(getattr(b, "executions", None) or [])
        found["moto stepfunctions executions"] = executions
    with _suppress():
        from moto.ses.models import ses_backends

        found["moto ses messages"] = [
            (b.sent_messages, getattr(b, "sent_message_count", 0)) for b in _backends(ses_backends)
        ]
    for server in getattr(twin, "_servers", []):
        if type(server).__name__ != "StripeSandbox":
            continue
        for name in sorted(vars(server)):
            if name.startswith("_") and isinstance(getattr(server, name), (dict, list)):
                found[f"sandbox {name}"] = [getattr(server, name)]
        dispatcher = getattr(server, "_dispatcher", None)
        if dispatcher is not None:
            found["sandbox deliveries"] = [dispatcher.deliveries]
            found["sandbox delivery queue"] = [dispatcher._heap]
    if twin is not None:
        found["twin finance inbox"] = [getattr(twin, "finance_inbox", None)]
    gc.collect()
    seen: set[int] = set()
    return {name: deep_size(roots, seen) for name, roots in found.items()}


def _backends(backend_dict: Any) -> list[Any]:
    return [b for regions in backend_dict.values() for b in regions.values()]


def _suppress() -> Any:
    import contextlib

    return contextlib.suppress(Exception)


def freeze_startup_heap() -> None:
    """Move every object that exists once the twin has started (modules, moto's service models,
    the seed data) out of the garbage collector's generations (`gc.freeze`).

    CPython runs a full collection once the objects that survived into the oldest generation
    have grown by a quarter of it since the last one. The twin starts with a few hundred
    thousand long-lived objects, so the cyclic garbage of requests (frames, tracebacks,
    classes, executions' environments) piled up for that long before being freed; frozen,
    the startup heap no longer counts, full collections follow the run's own growth and are
    cheaper (frozen objects are not scanned). Frozen objects are still freed by reference
    counting; only cycles among them are kept."""
    import gc

    gc.collect()
    gc.freeze()


def gc_state() -> dict[str, Any]:
    import gc

    return {
        "counts": gc.get_count(),
        "frozen": gc.get_freeze_count(),
        "collections": [s["collections"] for s in gc.get_stats()],
        "collected": [s["collected"] for s in gc.get_stats()],
    }


def report(
    top: int = 25,
    group: str = "lineno",
    with_census: bool = False,
    with_owners: bool = False,
    twin: Any = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {"rss_bytes": rss_bytes(), "tracing": tracemalloc.is_tracing()}
    if with_census:
        result["census"] = census(top)
    if with_owners:
        result["gc"] = gc_state()  # before owners(), which collects
        result["owners"] = owners(twin)
    if not tracemalloc.is_tracing():
        return result
    key = "traceback" if group == "traceback" else "lineno"
    snapshot = tracemalloc.take_snapshot().filter_traces(
        (tracemalloc.Filter(False, tracemalloc.__file__),)
    )
    current, peak = tracemalloc.get_traced_memory()
    result.update(traced_bytes=current, traced_peak_bytes=peak)
    stats = snapshot.compare_to(_previous[-1], key) if _previous else snapshot.statistics(key)
    rows = []
    for stat in stats[:top]:
        rows.append(
            {
                "where": [f"{frame.filename}:{frame.lineno}" for frame in stat.traceback],
                "size_bytes": stat.size,
                "count": stat.count,
                "growth_bytes": getattr(stat, "size_diff", stat.size),
            }
        )
    result["top"] = rows
    _previous[:] = [snapshot]
    return result


# -- glibc's allocator: a few arenas, and free pages handed back ------------------------------

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
ARENAS = 2
TRIM_EVERY_SECONDS = 30.0


def _libc() -> Any:
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def tame_malloc(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (`MALLOC_ARENA_MAX`) before the twin starts its threads.

    glibc gives threads their own arenas, up to 8 per core; CPython takes every block over
    512 bytes from malloc. The twin runs dozens of threads (HTTP servers, Step Functions
    executions, webhook deliveries), so long-lived blocks (items, emails, Stripe objects) were
    scattered over 16 arenas among short-lived ones, and each arena kept pages that were
    mostly free: 14 arenas of 25–70 MiB after 170 engagements of the chaos run. False where
    the C library is not glibc (nothing changes)."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas) == 1)


def trim() -> None:
    """Hand the allocator's free pages back to the system (`malloc_trim(0)`), in every arena."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def trim_periodically(stop: Any, every: float = TRIM_EVERY_SECONDS) -> None:
    """`trim()` every `every` seconds until `stop` (a threading.Event) is set; on a daemon
    thread. (A trim of a few hundred MiB takes milliseconds.)"""
    import threading

    def loop() -> None:
        while not stop.wait(every):
            trim()

    threading.Thread(target=loop, name="twin-malloc-trim", daemon=True).start()

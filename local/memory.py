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


def report(top: int = 25, group: str = "lineno", with_census: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"rss_bytes": rss_bytes(), "tracing": tracemalloc.is_tracing()}
    if with_census:
        result["census"] = census(top)
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

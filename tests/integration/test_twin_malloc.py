"""The twin caps glibc's malloc arenas before it starts its threads (local/memory.py
`tame_malloc`; docs/twin.md, "Memory"): threads that allocate at once share 2 arenas instead of
getting one each (up to 8 per core), which held mostly-free pages in the chaos run. Checked in a
fresh interpreter, by glibc's own account (`malloc_info`)."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import ctypes, sys, tempfile, threading
from local import memory

if sys.argv[1] == "capped":
    assert memory.tame_malloc()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
together = threading.Barrier(16)

def work():
    together.wait()  # all at once: each thread contends for an arena
    blocks = [libc.malloc(4096) for _ in range(200)]
    together.wait()
    for block in blocks:
        libc.free(block)

threads = [threading.Thread(target=work) for _ in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
memory.trim()
with tempfile.NamedTemporaryFile("r") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(out.read().count("<heap nr="))
"""

glibc = pytest.mark.skipif(
    sys.platform != "linux" or "libc.so.6" not in str(ctypes.util.find_library("c")),
    reason="glibc's allocator only",
)


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(done.stdout.strip())


@glibc
def test_threads_allocating_at_once_share_two_arenas_once_capped() -> None:
    assert arenas("default") > 2  # glibc's default: an arena per contending thread
    assert arenas("capped") <= 2

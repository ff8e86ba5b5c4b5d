"""The app's HTTP side on several processes (`TWIN_APP_WORKERS=N`), for runs too big for one.

Deployed, every request has a Lambda container to itself; the twin serves them all from one
Python process, so one core (the interpreter lock) bounds it however many arrive. With N
workers, the twin's main process keeps what must be one (moto's server with its executions and
the step Lambdas they invoke, the Stripe sandbox, the scheduler, the outbox and finance inbox)
and serves the app only on a private port, for the `/_local/` pages; N worker processes serve
the app's public port together (`SO_REUSEPORT`: the kernel spreads the connections), each the
same Chalice app with the same settings, reaching the same twin the way the main process's app
does — over HTTP, through `AWS_ENDPOINT_URL` and the Stripe API base. A worker forwards
`/_local/...` to the main process. Every request still runs the same code against the same
table, state machines and sandbox; only where the Python runs changes.

    python -m local.twin ... with TWIN_APP_WORKERS=2   (0, the default: the app in-process)

A worker ends with the main process (the kernel signals it when its parent dies) and on
SIGTERM/SIGINT, like the twin itself.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from local.twin import Twin

PR_SET_PDEATHSIG = 1


def reuse_port_server() -> type:
    """Chalice's threaded server, bound with SO_REUSEPORT (every worker binds the same port)."""
    from chalice.local import ThreadedHTTPServer

    class ReusePortServer(ThreadedHTTPServer):
        def server_bind(self) -> None:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            super().server_bind()

    return ReusePortServer


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def spawn(twin: Twin, count: int, local_url: str) -> list[subprocess.Popen[bytes]]:
    """Start `count` workers serving `twin`'s public port; `/_local/` goes to `local_url`."""
    env = {**os.environ, "TWIN_LOCAL_URL": local_url}
    args = [
        sys.executable,
        "-m",
        "local.app_workers",
        "--port",
        str(twin.port),
        "--aws-port",
        str(twin.aws_port),
        "--stripe-port",
        str(twin.stripe_port),
        "--base-path",
        twin.base_path,
    ]
    return [subprocess.Popen(args, env=env, preexec_fn=_die_with_parent) for _ in range(count)]


def forward(
    local_url: str, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, str, bytes, dict[str, str]]:
    """A `/_local/` request answered by the main process (with its own headers, e.g. the
    outbox's CSP)."""
    response = requests.request(
        method,
        f"{local_url}{path}",
        data=body or None,
        headers={k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")},
        timeout=120,
    )
    content_type = response.headers.get("Content-Type", "application/json")
    skip = {"content-type", "content-length", "connection", "date", "server", "transfer-encoding"}
    extra = {k: v for k, v in response.headers.items() if k.lower() not in skip}
    return response.status_code, content_type, response.content, extra


def main(argv: list[str] | None = None) -> int:
    from local.twin import (
        STOP_GRACE_SECONDS,
        Twin,
        _connection_pools_for_threads,
        stop_within,
        wait_for_stop,
    )

    parser = argparse.ArgumentParser(description="One app worker of a running twin.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--aws-port", type=int, required=True)
    parser.add_argument("--stripe-port", type=int, required=True)
    parser.add_argument("--base-path", default="")
    args = parser.parse_args(argv)
    from local import memory

    memory.tame_malloc()  # before any thread, as the twin's main process does
    twin = Twin(
        port=args.port,
        aws_port=args.aws_port,
        stripe_port=args.stripe_port,
        base_path=args.base_path,
        local_url=os.environ["TWIN_LOCAL_URL"],
    )
    _connection_pools_for_threads()
    twin.configure_environment()
    twin.start_app(reuse_port=True)
    memory.trim_periodically(threading.Event())  # a daemon thread, for the worker's life
    wait_for_stop()
    stop_within(STOP_GRACE_SECONDS, twin)
    return 0


def worker_pids(pid: int) -> list[int]:
    """The twin's worker processes (its children), for benches that measure them."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(p) for p in children.read().split())
        except OSError:
            continue
    return found


if __name__ == "__main__":
    sys.exit(main())

"""The local twin, started the way `make run` starts it, for tests over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.helpers import eventually, free_port

ROOT = Path(__file__).resolve().parents[2]

# Windows shrunk to seconds: the flow's timers run for real, just short.
FAST_WINDOWS = {
    "OFFER_WINDOW_SECONDS": "6",
    "NDA_WINDOW_SECONDS": "6",
    "FUNDING_WINDOW_SECONDS": "8",
    "DEADLINE_DECISION_WINDOW_SECONDS": "6",
    "REVIEW_WINDOW_SECONDS": "8",
    "PAYOUT_REMINDER_SECONDS": "30",
    "PAYOUT_RETRY_SECONDS": "3",
    "WORK_WINDOW_SECONDS": "10",
}


# Production defaults: a twin started with no window variables at all (not even inherited).
PRODUCTION_WINDOWS: dict[str, str] = {}

# Every test twin serves many briefs from 127.0.0.1: the abuse limits (web/limits.py) are
# raised, not switched off (tests/integration/test_rate_limits.py runs them at their size).
TEST_LIMITS = {
    "RATE_LIMIT_PER_IP_PER_HOUR": "100000",
    "RATE_LIMIT_PER_ADDRESS_PER_HOUR": "100000",
    # One twin serves the whole session: its seeded interns are offered many briefs a week.
    "OFFERS_PER_INTERN_PER_WEEK": "100000",
}


@dataclass
class RunningTwin:
    url: str  # the app's public base (BASE_URL): the path prefix included, if any
    aws_url: str
    stripe_url: str
    process: subprocess.Popen[str]
    log: Path
    base_path: str = ""  # e.g. "/api", as on API Gateway's execute-api URL

    @property
    def origin(self) -> str:
        """Scheme, host and port: the URL without the path prefix."""
        return self.url.removesuffix(self.base_path)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.aws_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def outbox(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.url}/_local/outbox.json", timeout=10).json())


@contextmanager
def running_twin(
    log: Path, windows: dict[str, str], *, base_path: str = ""
) -> Iterator[RunningTwin]:
    """`python -m local.twin` on free ports with the given windows, until the block ends;
    with `base_path` the app is served under that prefix (API Gateway's stage).

    Only `windows` shortens anything: window variables of the calling shell are dropped.
    """
    port, aws_port, stripe_port = free_port(), free_port(), free_port()
    inherited = {k: v for k, v in os.environ.items() if k not in FAST_WINDOWS}
    env = {**inherited, **TEST_LIMITS, **windows, "PORT": str(port)}
    args = ["--port", str(port), "--aws-port", str(aws_port), "--stripe-port", str(stripe_port)]
    if base_path:
        args += ["--base-path", base_path]
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.twin", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}{base_path}"

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"twin exited:\n{log.read_text()}")
        try:  # the first request loads the settings: slow on a loaded machine, not an error
            return requests.get(f"{url}/health", timeout=5).ok
        except (requests.ConnectionError, requests.Timeout):
            return False

    try:
        eventually(ready, timeout=60, every=0.2)
        yield RunningTwin(
            url=url,
            aws_url=f"http://127.0.0.1:{aws_port}",
            stripe_url=f"http://127.0.0.1:{stripe_port}",
            process=process,
            log=log,
            base_path=base_path,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    with running_twin(tmp_path_factory.mktemp("twin") / "twin.log", FAST_WINDOWS) as running:
        yield running

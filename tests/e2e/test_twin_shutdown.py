"""Ctrl-C stops a busy twin: SIGINT while clients drive engagements, and the process is gone
within 5 s (it used to hang, still burning CPU)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import TEST_LIMITS, RunningTwin, running_twin
from tests.e2e.flow import (
    act,
    fund,
    offered_to,
    onboard,
    register,
    submit,
    unique_skill,
    wait_status,
)

pytestmark = pytest.mark.e2e

PATIENT = {"OFFER_WINDOW_SECONDS": "3600", "FUNDING_WINDOW_SECONDS": "3600", **TEST_LIMITS}


def drive(twin: RunningTwin, stop: threading.Event, progress: list[str]) -> None:
    """Engagements as fast as one client can: register, submit, accept, fund; until `stop`."""
    while not stop.is_set():
        try:
            skill = unique_skill()
            intern = register(twin, skill)
            onboard(intern["onboarding_url"])
            title = f"Shutdown study {skill}"
            brief_id, token, _ = submit(twin, skill, title=title, nda_required=False)
            progress.append("submitted")
            _, link = offered_to(twin, [intern], title)
            act(twin, link, "accept")
            wait_status(twin, brief_id, token, "AWAITING_FUNDING")
            fund(twin, brief_id, token)
            progress.append("funded")
        except (requests.RequestException, AssertionError):
            if stop.is_set():
                return  # the twin went away under us: expected


def test_ctrl_c_stops_the_twin_under_load_within_5_seconds(tmp_path: Path) -> None:
    stop = threading.Event()
    progress: list[str] = []
    with running_twin(tmp_path / "twin.log", PATIENT) as twin:
        clients = [
            threading.Thread(target=drive, args=(twin, stop, progress), daemon=True)
            for _ in range(4)
        ]
        for client in clients:
            client.start()
        deadline = time.monotonic() + 120
        while progress.count("funded") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "funded" in progress, "the load never got going"

        twin.process.send_signal(signal.SIGINT)  # Ctrl-C
        sent = time.monotonic()
        try:
            code = twin.process.wait(timeout=5)
        finally:
            stop.set()
        assert time.monotonic() - sent < 5
        assert code == 0
        assert "stopping" in twin.log.read_text()
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{twin.url}/health", timeout=2)

"""A twin whose app runs in worker processes (TWIN_APP_WORKERS, local/app_workers.py) serves the
same flow: the public port answers from the workers, each worker's /_local/ pages come from the
main process (the one outbox and finance inbox), and the workers end with the twin."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from local.app_workers import worker_pids
from tests.e2e.conftest import FAST_WINDOWS, running_twin
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

PATIENT = {**FAST_WINDOWS, "OFFER_WINDOW_SECONDS": "3600", "FUNDING_WINDOW_SECONDS": "3600"}


def test_two_app_workers_serve_the_flow_and_end_with_the_twin(tmp_path: Path) -> None:
    with running_twin(tmp_path / "twin.log", {**PATIENT, "TWIN_APP_WORKERS": "2"}) as twin:
        workers = worker_pids(twin.process.pid)
        assert len(workers) == 2

        skill = unique_skill()
        intern = register(twin, skill)
        onboard(intern["onboarding_url"])
        title = f"Workers study {skill}"
        brief_id, token, _ = submit(twin, skill, title=title, nda_required=False)
        _, link = offered_to(twin, [intern], title)  # the outbox, through a worker
        assert act(twin, link, "accept").status_code == 200
        wait_status(twin, brief_id, token, "AWAITING_FUNDING")
        fund(twin, brief_id, token)  # Stripe's webhook reaches a worker; the step resumes
        wait_status(twin, brief_id, token, "IN_PROGRESS")

        # Many connections: the kernel spreads them over both workers, and every answer is the
        # one outbox of the main process (it may grow meanwhile: the flow goes on).
        answers = [
            requests.get(f"{twin.url}/_local/outbox.json", timeout=10).json() for _ in range(20)
        ]
        shortest = min(len(a) for a in answers)
        assert shortest >= 1
        assert all(a[:shortest] == answers[0][:shortest] for a in answers)
        twin.process.terminate()
        twin.process.wait(timeout=15)

    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{p}") for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in workers if os.path.exists(f"/proc/{p}")]

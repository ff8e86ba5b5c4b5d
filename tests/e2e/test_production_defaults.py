"""The whole journey on production defaults: a twin started with no window variables.

Every other e2e test shrinks the windows; this one runs the branches production runs (the
work window derived from the deadline, 48 h offers, a 7-day review...). Brief → match →
accept → NDA → funded with Stripe → deliver → approve → finance approval → COMPLETED, and
the money exact in the ledger view and at Stripe.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import PRODUCTION_WINDOWS, RunningTwin, running_twin
from tests.e2e.flow import act, employer, engaged, fund, view, wait_email, wait_status
from tests.e2e.test_finance_twin import finance_approves_until_completed

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def production_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    log: Path = tmp_path_factory.mktemp("production-twin") / "twin.log"
    with running_twin(log, PRODUCTION_WINDOWS) as running:
        yield running


def test_the_whole_journey_completes_on_production_defaults(production_twin: RunningTwin) -> None:
    twin = production_twin
    brief_id, token, _, intern, link = engaged(twin, "Production defaults study", nda=True)
    paid = fund(twin, brief_id, token)
    assert paid.status_code == 200, paid.text
    working = wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert working["escrow"]["funded_cents"] == 60_000

    delivered = act(
        twin, link, "deliver", {"summary": "Spreadsheet and deck.", "url": "https://example.org/d"}
    )
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    approved = employer(twin, brief_id, token, "review", {"decision": "approve"})
    assert approved.status_code == 200, approved.text
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")

    finance_approves_until_completed(twin, brief_id, token)
    wait_email(twin, intern["email"], "is on its way to you")
    statuses = [e["status"] for e in view(twin, brief_id, token)["timeline"]]
    assert "DEADLINE_MISSED" not in statuses and statuses[-1] == "COMPLETED"

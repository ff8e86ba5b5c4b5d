"""A payout due to an intern who has not finished Stripe onboarding waits, reminds, and is
released the moment Stripe says the account is ready — on the twin, over HTTP."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import act, employer, engaged, fund, timeline, wait_email, wait_status
from tests.e2e.test_finance_twin import approval_request, send_finance

pytestmark = pytest.mark.e2e


def test_release_waits_for_the_interns_payout_account(twin: RunningTwin) -> None:
    brief_id, token, _, intern, link = engaged(twin, "Unonboarded intern study", onboarded=False)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert act(twin, link, "deliver", {"summary": "Finished deck and sources."}).ok
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).ok
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]

    assert send_finance(
        twin, "payout.approved", {"payout_id": payout_id, "approved_by": "cfo@example"}
    ).ok

    waiting = wait_status(twin, brief_id, token, "RELEASING")
    assert waiting["escrow"]["held_cents"] == 60_000
    reminder = wait_email(twin, intern["email"], "Connect")
    assert "Waiting for the intern to finish Stripe onboarding before paying out" in timeline(
        twin, brief_id, token
    )

    opened = requests.get(intern["onboarding_url"], timeout=10, allow_redirects=False)
    assert opened.status_code in (200, 302, 303)

    final = wait_status(twin, brief_id, token, "COMPLETED", timeout=40)
    assert final["escrow"]["released_cents"] == 54_000
    assert final["escrow"]["held_cents"] == 0
    assert "/_sandbox/onboard/" in reminder["text"] or "onboard" in reminder["text"].lower()

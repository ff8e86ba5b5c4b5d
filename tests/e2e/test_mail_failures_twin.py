"""On the twin: SES refuses the employer's first email (and every later one), and the
engagement still runs to COMPLETED, with each refusal on the timeline and on the brief page.
The employer confirmed the address before SES began refusing it (a mailbox that went away);
an address SES refuses from the start cannot be confirmed, and its brief waits (second test).

The twin's SES refuses recipients at `unverified.example` as the SES sandbox refuses an
unverified recipient (local/ses_faults.py); the app cannot tell it from SES itself.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    emails_to,
    employer,
    fund,
    offered_to,
    onboard,
    register,
    timeline,
    unique_skill,
    view,
    wait_status,
)
from tests.helpers import eventually, load_event

pytestmark = pytest.mark.e2e
TABLE = "microintern-local"


def _approve_payout(twin: RunningTwin, brief_id: str) -> None:
    """Finance's approval: resume the payout wait (as finance's webhook would)."""
    from chalicelib.adapters.store import from_item

    ddb = twin.client("dynamodb")
    key = {"pk": {"S": f"BRIEF#{brief_id}"}, "sk": {"S": "TASKTOKEN#payout"}}

    def waiting() -> str | None:
        item = ddb.get_item(TableName=TABLE, Key=key).get("Item")
        return str(from_item(item)["token"]) if item else None

    twin.client("stepfunctions").send_task_success(
        taskToken=eventually(waiting, timeout=30), output=json.dumps({"decision": "approved"})
    )


def _confirmed_before(twin: RunningTwin, address: str) -> None:
    """The address was confirmed in the past: its record, as the app's adapter writes it."""
    from chalicelib.adapters import address_confirmations as records
    from chalicelib.adapters.store import to_item

    item = records.confirmed_item(records.address_hash(address))
    twin.client("dynamodb").put_item(TableName=TABLE, Item=to_item(item))


def test_an_engagement_whose_employer_ses_refuses_still_completes(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    refused = f"employer-{uuid.uuid4().hex[:8]}@unverified.example"
    _confirmed_before(twin, refused)
    title = "Refused mail: market sizing for a bike-repair app"
    body = load_event(
        "brief", skills=[skill], employer_email=refused, title=title, nda_required=False
    )
    created = requests.post(f"{twin.url}/api/briefs", json=body, timeout=10)
    assert created.status_code == 201, created.text
    brief_id, token = created.json()["brief_id"], created.json()["manage_token"]

    # The first email (the employer's confirmation) is refused; matching goes on to the offer
    # (accepted at once: the twin's offer window is a few seconds).
    _, link = offered_to(twin, [intern], title)
    assert act(twin, link, "accept").status_code == 200
    assert (
        "Email to the employer could not be delivered (brief received): "
        "SES rejected the message (MessageRejected)"
    ) in timeline(twin, brief_id, token)
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    delivered = act(twin, link, "deliver", {"summary": "Sizing model", "url": "https://x.example"})
    assert delivered.status_code == 200, delivered.text
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).status_code == 200
    _approve_payout(twin, brief_id)
    done = wait_status(twin, brief_id, token, "COMPLETED", timeout=60)

    budget = int(body["budget_cents"])
    assert done["escrow"]["released_cents"] == budget - budget // 10
    assert emails_to(twin, refused) == []
    assert any(m["subject"] for m in emails_to(twin, intern["email"]))
    refusals = [d for d in timeline(twin, brief_id, token) if "could not be delivered" in d]
    assert len(refusals) >= 3  # confirmation, funding request, delivery received, released…
    assert all(d.startswith("Email to the employer") for d in refusals)
    page = requests.get(f"{twin.url}/briefs/{brief_id}", params={"key": token}, timeout=10)
    assert "Email to the employer could not be delivered" in page.text
    assert view(twin, brief_id, token)["status"] == "COMPLETED"


def test_an_address_ses_refuses_from_the_start_leaves_its_brief_waiting(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    refused = f"employer-{uuid.uuid4().hex[:8]}@unverified.example"
    body = load_event("brief", skills=[skill], employer_email=refused)

    created = requests.post(f"{twin.url}/api/briefs", json=body, timeout=10)

    assert created.status_code == 201 and created.json()["confirmation_required"] is True
    brief_id, token = created.json()["brief_id"], created.json()["manage_token"]
    seen = view(twin, brief_id, token)
    assert seen["status"] == "SUBMITTED" and seen["awaiting_confirmation"] is True
    assert seen["shortlist"] == []
    assert (
        "Email to the employer could not be delivered (confirm address): "
        "SES rejected the message (MessageRejected)"
    ) in timeline(twin, brief_id, token)
    assert emails_to(twin, refused) == []
    assert not [m for m in emails_to(twin, intern["email"]) if "Paid project" in m["subject"]]

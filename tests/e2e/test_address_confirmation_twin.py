"""On the twin, through the public contract only: a brief from an address nobody confirmed
waits, its address gets one email (a confirmation without the poster's text), no execution
exists; opening the emailed link and pressing its button starts matching once, and the usual
"brief received" email and the intern's offer follow."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    CONFIRM_LINK,
    confirm_address,
    emails_to,
    offered_to,
    register,
    unique_skill,
    view,
    wait_email,
)
from tests.helpers import load_event

pytestmark = pytest.mark.e2e
TITLE = "Unconfirmed poster: churn analysis for a meal-kit app"


def executions(twin: RunningTwin, brief_id: str) -> list[str]:
    sfn = twin.client("stepfunctions")
    (machine,) = sfn.list_state_machines()["stateMachines"]
    runs = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    return [run["name"] for run in runs if run["name"] == brief_id]


def test_a_brief_waits_for_its_address_and_the_emailed_link_starts_it_once(
    twin: RunningTwin,
) -> None:
    skill = unique_skill()
    intern = register(twin, skill)  # a confirmed, matchable intern who fits the brief
    poster = f"poster-{uuid.uuid4().hex[:8]}@company.example"
    body = load_event("brief", skills=[skill], employer_email=poster, title=TITLE)

    created = requests.post(f"{twin.url}/api/briefs", json=body, timeout=10)

    assert created.status_code == 201 and created.json()["confirmation_required"] is True
    brief_id, token = created.json()["brief_id"], created.json()["manage_token"]
    mail = wait_email(twin, poster, "Confirm your email address")
    for typed in (TITLE, "churn", "Dana", "FreshBox", skill):
        assert typed not in mail["subject"] + mail["text"] + mail["html"]
    assert "ignore this email" in mail["text"]
    assert executions(twin, brief_id) == []  # nothing runs: no offer can go to anyone
    assert view(twin, brief_id, token)["shortlist"] == []
    link = CONFIRM_LINK.findall(mail["text"])[-1]
    assert requests.get(link, timeout=10).status_code == 200  # a scanner's GET: nothing changes
    assert executions(twin, brief_id) == []

    confirm_address(twin, poster)
    again = requests.get(link, timeout=10)

    assert again.status_code == 409  # the link worked once
    assert executions(twin, brief_id) == [brief_id]
    assert wait_email(twin, poster, "We received your brief")
    offered, _ = offered_to(twin, [intern], TITLE)
    assert offered["email"] == intern["email"]
    assert next(m["subject"] for m in emails_to(twin, poster)).startswith("Confirm your email")

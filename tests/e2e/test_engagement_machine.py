"""The twin runs statemachines/engagement.asl.json with the app's own steps, in-process.

Given a brief stored in the twin's table, when an execution of the engagement machine starts,
then it walks the flow through the real step functions to a terminal state, and the twin's
execution history and the brief's timeline show every step it took.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import RunningTwin
from tests.helpers import eventually

pytestmark = pytest.mark.e2e

TABLE = "microintern-local"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:microintern-local-engagement"
WINDOWS = {
    "offer_seconds": 2,
    "nda_seconds": 2,
    "funding_seconds": 2,
    "deadline_decision_seconds": 2,
    "review_seconds": 2,
    "payout_reminder_seconds": 30,
    "payout_retry_seconds": 3,
    "work_seconds": 30,
}


def _put(twin: RunningTwin, item: dict[str, Any]) -> None:
    from chalicelib.adapters.store import to_item

    twin.client("dynamodb").put_item(TableName=TABLE, Item=to_item(item))


def _get(twin: RunningTwin, pk: str, sk: str) -> dict[str, Any] | None:
    from chalicelib.adapters.store import from_item

    item = twin.client("dynamodb").get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    return from_item(item["Item"]) if "Item" in item else None


def _start(twin: RunningTwin, brief_id: str, *, candidates: list[str], nda: bool = True) -> str:
    """Store a brief and interns who share its (test-unique) skill, then start the run."""
    from datetime import date, timedelta

    from chalicelib.adapters.intern_profiles import profile_items

    skill = f"skill-{brief_id}"
    _put(
        twin,
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "BRIEF",
            "type": "brief",
            "brief_id": brief_id,
            "status": "SUBMITTED",
            "version": 1,
            "skills": [skill],
            "title": "Data study",
            "description": "Analyse churn in a subscription business and report findings.",
            "deliverables": ["Report"],
            "nice_to_have_skills": [],
            "estimated_hours": 10,
            "deadline": (date.today() + timedelta(days=14)).isoformat(),
            "budget_cents": 40_000,
            "currency": "usd",
            "fee_bps": 1000,
            "nda_required": nda,
            "company": "Acme",
            "employer_name": "Eve",
            "employer_email": "eve@acme.example",
        },
    )
    for intern_id in candidates:
        profile = {
            "skills": [skill],
            "bio": "I analyse churn data.",
            "hours_per_week": 20,
            "timezone": "UTC",
            "name": "N",
            "email": f"{intern_id}@example.com",
        }
        for item in profile_items(intern_id, profile):
            _put(twin, item)
    sfn = twin.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=MACHINE,
        name=brief_id,
        input=json.dumps({"brief_id": brief_id, "nda_required": nda, "windows": WINDOWS}),
    )["executionArn"]
    return str(arn)


def _finished(twin: RunningTwin, arn: str, timeout: float = 60) -> dict[str, Any]:
    sfn = twin.client("stepfunctions")

    def done() -> dict[str, Any] | None:
        desc = sfn.describe_execution(executionArn=arn)
        return desc if desc["status"] != "RUNNING" else None

    return eventually(done, timeout=timeout, every=0.2)


def _states_entered(twin: RunningTwin, arn: str) -> list[str]:
    events = twin.client("stepfunctions").get_execution_history(executionArn=arn)["events"]
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")
    ]


def _resume(twin: RunningTwin, brief_id: str, kind: str, output: dict[str, Any]) -> None:
    """Act like the API will: wait for the step to register its token, then resume it."""
    token = eventually(
        lambda: (_get(twin, f"BRIEF#{brief_id}", f"TASKTOKEN#{kind}") or {}).get("token"),
        timeout=30,
    )
    twin.client("stepfunctions").send_task_success(taskToken=token, output=json.dumps(output))
    _put(twin, {**(_get(twin, f"BRIEF#{brief_id}", f"TASKTOKEN#{kind}") or {}), "consumed": True})
    # the next wait of the same kind registers a new token; drop this one so we never reuse it
    twin.client("dynamodb").delete_item(
        TableName=TABLE, Key={"pk": {"S": f"BRIEF#{brief_id}"}, "sk": {"S": f"TASKTOKEN#{kind}"}}
    )


def _status(twin: RunningTwin, brief_id: str) -> str:
    return str((_get(twin, f"BRIEF#{brief_id}", "BRIEF") or {})["status"])


def test_no_candidate_ends_unmatched(twin: RunningTwin) -> None:
    brief_id = f"b_{uuid.uuid4().hex[:12]}"
    arn = _start(twin, brief_id, candidates=[])

    assert _finished(twin, arn)["status"] == "SUCCEEDED"
    assert _states_entered(twin, arn) == [
        "Match",
        "NextCandidate",
        "HasCandidate",
        "SettleUnmatched",
        "Unmatched",
    ]
    assert _status(twin, brief_id) == "UNMATCHED"


def test_offer_timeout_walks_the_shortlist_then_unmatched(twin: RunningTwin) -> None:
    brief_id = f"b_{uuid.uuid4().hex[:12]}"
    arn = _start(twin, brief_id, candidates=[f"i_first_{brief_id}"])

    assert _finished(twin, arn)["status"] == "SUCCEEDED"
    entered = _states_entered(twin, arn)
    assert entered[:5] == ["Match", "NextCandidate", "HasCandidate", "Offer", "OfferExpired"]
    assert entered[-2:] == ["SettleUnmatched", "Unmatched"]
    assert _status(twin, brief_id) == "UNMATCHED"


def test_happy_path_reaches_completed(twin: RunningTwin) -> None:
    brief_id = f"b_{uuid.uuid4().hex[:12]}"
    arn = _start(twin, brief_id, candidates=[f"i_star_{brief_id}"])

    _resume(twin, brief_id, "offer", {"decision": "accepted"})
    _resume(twin, brief_id, "nda", {"signed": True})
    _resume(twin, brief_id, "funding", {"payment_intent_id": "pi_test", "work_seconds": 30})
    _resume(twin, brief_id, "work", {"delivered": True})
    _resume(twin, brief_id, "review", {"decision": "approve"})
    _resume(twin, brief_id, "payout", {"decision": "approved"})

    assert _finished(twin, arn)["status"] == "SUCCEEDED"
    entered = _states_entered(twin, arn)
    for state in [
        "Offer",
        "Nda",
        "Funding",
        "Work",
        "Review",
        "PayoutApproval",
        "Release",
        "SettleCompleted",
        "Completed",
    ]:
        assert state in entered
    assert _status(twin, brief_id) == "COMPLETED"
    from chalicelib.adapters.store import from_item

    events = twin.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :e)",
        ExpressionAttributeValues={":pk": {"S": f"BRIEF#{brief_id}"}, ":e": {"S": "EVENT#"}},
    )["Items"]
    statuses = [from_item(e)["status"] for e in events]
    assert statuses == [
        "MATCHING",
        "OFFERED",
        "NDA",
        "AWAITING_FUNDING",
        "IN_PROGRESS",
        "IN_REVIEW",
        "PAYOUT_APPROVAL",
        "RELEASING",
        "COMPLETED",
    ]

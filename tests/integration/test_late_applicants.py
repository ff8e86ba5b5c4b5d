"""Late applicants (issue 17) on moto, through the steps: an intern who applies after matching
made the shortlist is placed into it and offered next; an UNMATCHED brief reopens for them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import confirm_addresses, load_event

STRONG = (
    "Market research on pricing and retention for meal-kit start-ups: competitor analysis in "
    "Excel spreadsheets, survey design, slide decks of recommendations."
)


def _intern(name: str, bio: str, hours: int = 20) -> str:
    from chalicelib.services.intern_signup import register_intern

    email = f"{name.lower()}@uni.example"
    confirm_addresses(email)
    return str(
        register_intern(
            {
                "name": name,
                "email": email,
                "skills": ["market research", "Excel"],
                "bio": bio,
                "hours_per_week": hours,
                "timezone": "UTC",
            }
        )["intern_id"]
    )


def _brief(client: Any, **overrides: Any) -> dict[str, Any]:
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief", **overrides)),
    )
    assert response.status_code == 201
    return dict(response.json_body)


def _view(client: Any, brief: dict[str, Any]) -> dict[str, Any]:
    response = client.http.get(
        f"/api/briefs/{brief['brief_id']}",
        headers={"Authorization": f"Bearer {brief['manage_token']}"},
    )
    assert response.status_code == 200
    return dict(response.json_body)


def _shortlist(client: Any, brief: dict[str, Any]) -> list[dict[str, Any]]:
    return list(_view(client, brief)["shortlist"])


def _token_of(intern_id: str, brief_id: str) -> str:
    from chalicelib.services import access

    return access.issue_task_link(brief_id, intern_id).rsplit("/", 1)[-1]


def _apply(client: Any, brief: dict[str, Any], token: str, note: str = "Keen") -> Any:
    return client.http.post(
        f"/api/open-briefs/{brief['brief_id']}/interest",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps({"note": note}),
    )


def _execution(brief_id: str, name: str | None = None) -> str:
    import os

    machine = os.environ["STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:")
    return f"{machine}:{name or brief_id}"


def _offer(brief_id: str, intern_id: str, execution: str) -> None:
    """The Offer wait: what the state machine does after NextCandidate picked `intern_id`."""
    from chalicelib.services import steps

    steps.await_party(
        steps.StepEvent(
            brief_id=brief_id,
            kind="offer",
            task_token=f"sfn-{intern_id}",
            intern_id=intern_id,
            execution=execution,
        )
    )


def _decline(client: Any, brief_id: str, intern_id: str) -> None:
    response = client.http.post(
        f"/api/tasks/{_token_of(intern_id, brief_id)}/decline",
        headers={"Content-Type": "application/json"},
        body="{}",
    )
    assert response.status_code == 200, response.body


@pytest.fixture
def resumed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from chalicelib.adapters import workflow

    calls: list[Any] = []
    monkeypatch.setattr(workflow, "resume", lambda token, output: calls.append((token, output)))
    return calls


@pytest.fixture
def offered(client: Any, returning_employer: str, resumed: list[Any]) -> dict[str, Any]:
    """A brief matched to Bo alone (the only intern then) and offered to him; an earlier brief
    whose task link will identify Ada, who registers only after matching ran."""
    from chalicelib.services import steps

    bo = _intern("Bo", "Some market research for a student society, in Excel.")
    earlier = _brief(client, title="An earlier pricing study")
    brief = _brief(client)
    steps.match(steps.StepEvent(brief_id=brief["brief_id"]))
    assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == {"intern_id": bo}
    _offer(brief["brief_id"], bo, _execution(brief["brief_id"]))
    ada = _intern("Ada", STRONG)
    return {"bo": bo, "ada": ada, "brief": brief, "ada_token": _token_of(ada, earlier["brief_id"])}


def test_an_application_after_matching_is_placed_and_offered_after_a_decline(
    client: Any, offered: dict[str, Any]
) -> None:
    from chalicelib.services import steps

    brief, ada, bo = offered["brief"], offered["ada"], offered["bo"]
    assert [c["intern_id"] for c in _shortlist(client, brief)] == [bo]
    assert _apply(client, brief, offered["ada_token"]).status_code == 201
    assert _apply(client, brief, offered["ada_token"]).status_code == 201  # idempotent

    shortlist = _shortlist(client, brief)
    assert [(c["intern_id"], c["offer_status"]) for c in shortlist] == [
        (bo, "offered"),
        (ada, "pending"),
    ]
    late = shortlist[1]
    assert late["applied"] is True and late["note"] == "Keen"
    assert late["factors"]["applied"] == 0.05 and late["reason"].startswith("applied (+0.05)")
    assert late["score"] > shortlist[0]["score"]  # the better profile, placed after the offer

    _decline(client, brief["brief_id"], bo)
    assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == {"intern_id": ada}
    _offer(brief["brief_id"], ada, _execution(brief["brief_id"]))
    statuses = [(c["intern_id"], c["offer_status"]) for c in _shortlist(client, brief)]
    assert statuses == [(bo, "declined"), (ada, "offered")]
    assert _view(client, brief)["status"] == "OFFERED"


def test_the_late_score_is_the_score_matching_gives(client: Any, offered: dict[str, Any]) -> None:
    """The same blind scorer and reference: Ada placed late scores what the match step gives
    her on an identical brief she applied to before matching."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import late_applicants, steps

    assert _apply(client, offered["brief"], offered["ada_token"]).status_code == 201
    late = next(c for c in _shortlist(client, offered["brief"]) if c["intern_id"] == offered["ada"])
    twin = _brief(client)
    get_store().update_brief(twin["brief_id"], {"status": "MATCHING"})  # as the step does first
    assert _apply(client, twin, offered["ada_token"]).status_code == 201
    assert late_applicants.consider(offered["ada"], twin["brief_id"]) == "matching"
    steps.match(steps.StepEvent(brief_id=twin["brief_id"]))
    matched = next(c for c in _shortlist(client, twin) if c["intern_id"] == offered["ada"])
    assert late["score"] == pytest.approx(matched["score"], abs=1e-4)
    assert late["factors"] == pytest.approx(matched["factors"], abs=1e-4)


def test_a_withdrawal_removes_a_late_applicant_not_yet_offered(
    client: Any, offered: dict[str, Any]
) -> None:
    from chalicelib.services import steps

    brief = offered["brief"]
    assert _apply(client, brief, offered["ada_token"]).status_code == 201
    assert len(_shortlist(client, brief)) == 2
    gone = client.http.delete(
        f"/api/open-briefs/{brief['brief_id']}/interest",
        headers={"Authorization": f"Bearer {offered['ada_token']}"},
    )
    assert gone.status_code == 200
    assert [c["intern_id"] for c in _shortlist(client, brief)] == [offered["bo"]]  # Bo stays
    _decline(client, brief["brief_id"], offered["bo"])
    assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == {"intern_id": None}


def test_an_applicant_at_the_weekly_cap_waits_and_is_placed_when_a_slot_frees(
    client: Any, offered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from chalicelib.adapters import clock, exposure_store
    from chalicelib.services import steps

    brief, ada = offered["brief"], offered["ada"]
    for n in range(3):  # three offers this week: the production cap
        assert exposure_store.record_offer(ada, f"b_other{n}", clock.now(), 3)
    assert _apply(client, brief, offered["ada_token"]).status_code == 201
    assert [c["intern_id"] for c in _shortlist(client, brief)] == [offered["bo"]]
    assert [a["intern_id"] for a in _view(client, brief)["applicants"]] == [ada]

    _decline(client, brief["brief_id"], offered["bo"])
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(days=8))  # a week later
    assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == {"intern_id": ada}


def test_an_unmatched_brief_reopens_for_a_feasible_applicant(
    client: Any, offered: dict[str, Any]
) -> None:
    import boto3

    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    brief, ada, bo = offered["brief"], offered["ada"], offered["bo"]
    brief_id = brief["brief_id"]
    _decline(client, brief_id, bo)
    assert steps.next_candidate(steps.StepEvent(brief_id=brief_id)) == {"intern_id": None}
    steps.settle(steps.StepEvent(brief_id=brief_id, status="UNMATCHED"))
    assert _view(client, brief)["status"] == "UNMATCHED"

    # Without the hours before the deadline: applied, listed for the employer, nothing reopens.
    cy = _intern("Cy", STRONG, hours=1)
    cy_token = _token_of(cy, brief_id)
    assert _apply(client, brief, cy_token).status_code == 201
    assert _view(client, brief)["status"] == "UNMATCHED"

    # Holding another offer: a reopened run could not offer it to her; nothing reopens yet.
    store = get_store()
    assert store.hold_intern(ada, "b_elsewhere")
    assert _apply(client, brief, offered["ada_token"]).status_code == 201
    assert _view(client, brief)["status"] == "UNMATCHED"
    store.release_intern(ada, "b_elsewhere")

    assert _apply(client, brief, offered["ada_token"]).status_code == 201
    assert _apply(client, brief, offered["ada_token"]).status_code == 201  # starts nothing twice
    view = _view(client, brief)
    assert view["status"] == "MATCHING"
    assert view["timeline"][-1]["detail"].startswith("Reopened: an intern applied")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    import os

    runs = sfn.list_executions(stateMachineArn=os.environ["STATE_MACHINE_ARN"])["executions"]
    reopened = [r for r in runs if r["name"].startswith(f"{brief_id}-reopen")]
    assert [r["name"] for r in reopened] == [f"{brief_id}-reopen-1"]
    run_input = json.loads(
        sfn.describe_execution(executionArn=reopened[0]["executionArn"])["input"]
    )
    assert run_input["brief_id"] == brief_id and run_input["windows"]["offer_seconds"] > 0

    # The reopened run: Match keeps the shortlist (Bo declined: not offered again); the
    # applicants are placed (Cy below Ada: no time); NextCandidate offers Ada.
    execution = reopened[0]["executionArn"]
    assert steps.match(steps.StepEvent(brief_id=brief_id, execution=execution)) == {"count": 1}
    assert steps.next_candidate(steps.StepEvent(brief_id=brief_id, execution=execution)) == {
        "intern_id": ada
    }
    _offer(brief_id, ada, execution)
    statuses = [(c["intern_id"], c["offer_status"]) for c in _shortlist(client, brief)]
    assert statuses == [(bo, "declined"), (ada, "offered"), (cy, "pending")]
    assert _view(client, brief)["status"] == "OFFERED"

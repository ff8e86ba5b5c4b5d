"""Late applicants (issue 17) on moto, through the steps: an intern who applies after matching
made the shortlist is placed into it and offered next; an UNMATCHED brief reopens for them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration import matching_fixtures as mf


@pytest.fixture
def resumed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from chalicelib.adapters import workflow

    calls: list[Any] = []
    monkeypatch.setattr(workflow, "resume", lambda token, output: calls.append((token, output)))
    return calls


@pytest.fixture
def offered(client: Any, returning_employer: str, resumed: list[Any]) -> dict[str, Any]:
    """A brief matched to Bo alone and offered to him; Ada registers only after matching ran."""
    return mf.offered_to_bo(client)


def test_an_application_after_matching_is_placed_and_offered_after_a_decline(
    client: Any, offered: dict[str, Any]
) -> None:
    from chalicelib.services import steps

    brief, ada, bo = offered["brief"], offered["ada"], offered["bo"]
    assert [c["intern_id"] for c in mf.shortlist(client, brief)] == [bo]
    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201
    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201  # idempotent

    shortlist = mf.shortlist(client, brief)
    assert [(c["intern_id"], c["offer_status"]) for c in shortlist] == [
        (bo, "offered"),
        (ada, "pending"),
    ]
    late = shortlist[1]
    assert late["applied"] is True and late["note"] == "Keen"
    assert late["factors"]["applied"] == 0.05 and late["reason"].startswith("applied (+0.05)")
    assert late["score"] > shortlist[0]["score"]  # the better profile, placed after the offer

    mf.decline(client, brief["brief_id"], bo)
    assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == {"intern_id": ada}
    mf.offer(brief["brief_id"], ada, mf.execution(brief["brief_id"]))
    statuses = [(c["intern_id"], c["offer_status"]) for c in mf.shortlist(client, brief)]
    assert statuses == [(bo, "declined"), (ada, "offered")]
    assert mf.view(client, brief)["status"] == "OFFERED"


def test_the_late_score_is_the_score_matching_gives(client: Any, offered: dict[str, Any]) -> None:
    """The same blind scorer and reference: Ada placed late scores what the match step gives
    her on an identical brief she applied to before matching."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import late_applicants, steps

    assert mf.apply(client, offered["brief"], offered["ada_token"]).status_code == 201
    shortlist = mf.shortlist(client, offered["brief"])
    late = next(c for c in shortlist if c["intern_id"] == offered["ada"])
    twin = mf.brief(client)
    get_store().update_brief(twin["brief_id"], {"status": "MATCHING"})  # as the step does first
    assert mf.apply(client, twin, offered["ada_token"]).status_code == 201
    assert late_applicants.consider(offered["ada"], twin["brief_id"]) == "matching"
    steps.match(steps.StepEvent(brief_id=twin["brief_id"]))
    matched = next(c for c in mf.shortlist(client, twin) if c["intern_id"] == offered["ada"])
    assert late["score"] == pytest.approx(matched["score"], abs=1e-4)
    assert late["factors"] == pytest.approx(matched["factors"], abs=1e-4)


def test_a_withdrawal_removes_a_late_applicant_not_yet_offered(
    client: Any, offered: dict[str, Any]
) -> None:
    from chalicelib.services import steps

    brief = offered["brief"]
    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201
    assert len(mf.shortlist(client, brief)) == 2
    gone = client.http.delete(
        f"/api/open-briefs/{brief['brief_id']}/interest",
        headers={"Authorization": f"Bearer {offered['ada_token']}"},
    )
    assert gone.status_code == 200
    assert [c["intern_id"] for c in mf.shortlist(client, brief)] == [offered["bo"]]  # Bo stays
    mf.decline(client, brief["brief_id"], offered["bo"])
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
    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201
    assert [c["intern_id"] for c in mf.shortlist(client, brief)] == [offered["bo"]]
    assert [a["intern_id"] for a in mf.view(client, brief)["applicants"]] == [ada]

    mf.decline(client, brief["brief_id"], offered["bo"])
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
    brief_id = mf.unmatched(client, offered)  # Bo declined, nobody pending: UNMATCHED

    # Without the hours before the deadline: applied, listed for the employer, nothing reopens.
    cy = mf.intern("Cy", mf.STRONG, hours=1)
    cy_token = mf.task_token(cy, brief_id)
    assert mf.apply(client, brief, cy_token).status_code == 201
    assert mf.view(client, brief)["status"] == "UNMATCHED"

    # Holding another offer: a reopened run could not offer it to her; nothing reopens yet.
    store = get_store()
    assert store.hold_intern(ada, "b_elsewhere")
    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201
    assert mf.view(client, brief)["status"] == "UNMATCHED"
    store.release_intern(ada, "b_elsewhere")

    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201
    assert mf.apply(client, brief, offered["ada_token"]).status_code == 201  # starts nothing twice
    view = mf.view(client, brief)
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
    mf.offer(brief_id, ada, execution)
    statuses = [(c["intern_id"], c["offer_status"]) for c in mf.shortlist(client, brief)]
    assert statuses == [(bo, "declined"), (ada, "offered"), (cy, "pending")]
    assert mf.view(client, brief)["status"] == "OFFERED"


# -- the sweep: a reopened brief whose run never started ---------------------------------------


def _runs(brief_id: str) -> list[str]:
    """The names of the brief's reopened runs Step Functions knows."""
    import os

    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    runs = sfn.list_executions(stateMachineArn=os.environ["STATE_MACHINE_ARN"])["executions"]
    return sorted(r["name"] for r in runs if r["name"].startswith(f"{brief_id}-reopen"))


def _later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    from datetime import timedelta

    from chalicelib.adapters import clock

    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(seconds=seconds))


def test_a_reopened_brief_whose_start_failed_is_started_by_the_sweep_once(
    client: Any, offered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from chalicelib.adapters import workflow
    from chalicelib.services import late_applicants, open_briefs
    from chalicelib.settings import get_settings

    grace = get_settings().reopen_start_grace_seconds
    assert grace == 300  # the production default is what this test runs
    brief_id = mf.unmatched(client, offered)
    start = workflow.start_engagement

    def throttled(*args: Any) -> str:
        raise ClientError({"Error": {"Code": "ThrottlingException"}}, "StartExecution")

    monkeypatch.setattr(workflow, "start_engagement", throttled)
    open_briefs.express_interest(offered["ada"], brief_id, "Keen")
    with pytest.raises(ClientError):
        late_applicants.consider(offered["ada"], brief_id)  # reopened, then the start fails
    monkeypatch.setattr(workflow, "start_engagement", start)
    assert mf.view(client, offered["brief"])["status"] == "MATCHING"
    assert _runs(brief_id) == []

    # Within the grace period the applicant's own start may still be under way: left alone.
    _later(monkeypatch, grace - 30)
    found = late_applicants.start_stalled_runs()
    assert found == {"started": 0, "running": 0, "moved_on": 0, "errors": 0}
    assert _runs(brief_id) == []

    _later(monkeypatch, 60)  # grace + 30 s after the reopen
    assert late_applicants.start_stalled_runs()["started"] == 1
    assert _runs(brief_id) == [f"{brief_id}-reopen-1"]
    found = late_applicants.start_stalled_runs()  # a second sweep starts nothing
    assert found == {"started": 0, "running": 0, "moved_on": 0, "errors": 0}
    assert _runs(brief_id) == [f"{brief_id}-reopen-1"]

    # The run the sweep started is the reopened run: its Match keeps the shortlist, Ada next.
    from chalicelib.services import steps

    run = mf.execution(brief_id, f"{brief_id}-reopen-1")
    assert steps.match(steps.StepEvent(brief_id=brief_id, execution=run)) == {"count": 1}
    assert steps.next_candidate(steps.StepEvent(brief_id=brief_id, execution=run)) == {
        "intern_id": offered["ada"]
    }


def test_the_sweep_leaves_a_reopened_brief_whose_run_exists_alone(
    client: Any, offered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import workflow
    from chalicelib.services import late_applicants

    brief_id = mf.unmatched(client, offered)
    assert mf.apply(client, offered["brief"], offered["ada_token"]).status_code == 201
    assert _runs(brief_id) == [f"{brief_id}-reopen-1"]
    assert mf.view(client, offered["brief"])["status"] == "MATCHING"  # its Match not run yet

    starts: list[Any] = []
    monkeypatch.setattr(workflow, "start_engagement", lambda *a: starts.append(a))
    _later(monkeypatch, 600)
    found = late_applicants.start_stalled_runs()
    assert found == {"started": 0, "running": 1, "moved_on": 0, "errors": 0}
    assert starts == []
    assert late_applicants.start_stalled_runs()["running"] == 0  # its marker is gone


def test_the_scheduled_function_runs_the_sweep(
    client: Any, offered: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployed path (and the twin's scheduler, which runs every `@app.schedule`)."""
    from chalicelib.adapters import workflow
    from chalicelib.services import late_applicants, open_briefs

    brief_id = mf.unmatched(client, offered)
    start = workflow.start_engagement
    monkeypatch.setattr(workflow, "start_engagement", lambda *a: 1 / 0)
    open_briefs.express_interest(offered["ada"], brief_id, "Keen")
    with pytest.raises(ZeroDivisionError):
        late_applicants.consider(offered["ada"], brief_id)
    monkeypatch.setattr(workflow, "start_engagement", start)
    _later(monkeypatch, 600)

    event = client.events.generate_cw_event("", "", {}, [])
    answer = client.lambda_.invoke("start_reopened_runs", event)
    assert answer.payload["started"] == 1
    assert _runs(brief_id) == [f"{brief_id}-reopen-1"]

"""Interns, briefs and their shortlists for the matching tests on moto (open briefs, late
applicants, fair exposure, the reopened-run sweep): one set of helpers, each a real call
through the app's own service or route."""

from __future__ import annotations

import json
import os
from typing import Any

from tests.helpers import confirm_addresses, load_event

STRONG = (
    "Market research on pricing and retention for meal-kit start-ups: competitor analysis in "
    "Excel spreadsheets, survey design, slide decks of recommendations."
)


def intern(name: str, bio: str, *, hours: int = 20, skills: list[str] | None = None) -> str:
    """A registered intern (address confirmed: matchable at once); their id."""
    from chalicelib.services.intern_signup import register_intern

    email = f"{name.lower()}@uni.example"
    confirm_addresses(email)
    return str(
        register_intern(
            {
                "name": name,
                "email": email,
                "skills": skills or ["market research", "Excel"],
                "bio": bio,
                "hours_per_week": hours,
                "timezone": "UTC",
            }
        )["intern_id"]
    )


def brief(client: Any, **overrides: Any) -> dict[str, Any]:
    """The sample brief (with ``overrides``) posted to the JSON API: its 201 answer."""
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief", **overrides)),
    )
    assert response.status_code == 201
    return dict(response.json_body)


def match(posted: dict[str, Any]) -> None:
    """The Match step on a posted brief."""
    from chalicelib.services import steps

    steps.match(steps.StepEvent(brief_id=posted["brief_id"]))


def view(client: Any, posted: dict[str, Any]) -> dict[str, Any]:
    """The employer's view of the brief (`GET /api/briefs/{id}` with its manage token)."""
    response = client.http.get(
        f"/api/briefs/{posted['brief_id']}",
        headers={"Authorization": f"Bearer {posted['manage_token']}"},
    )
    assert response.status_code == 200
    return dict(response.json_body)


def shortlist(client: Any, posted: dict[str, Any]) -> list[dict[str, Any]]:
    return list(view(client, posted)["shortlist"])


def task_token(intern_id: str, brief_id: str) -> str:
    """A task link's token for ``intern_id`` on ``brief_id``: it identifies the intern."""
    from chalicelib.services import access

    return access.issue_task_link(brief_id, intern_id).rsplit("/", 1)[-1]


def apply(client: Any, posted: dict[str, Any], token: str, note: str = "Keen") -> Any:
    return client.http.post(
        f"/api/open-briefs/{posted['brief_id']}/interest",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps({"note": note}),
    )


def execution(brief_id: str, name: str | None = None) -> str:
    """The ARN of the brief's run (named by the brief id, or ``name``)."""
    machine = os.environ["STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:")
    return f"{machine}:{name or brief_id}"


def offer(brief_id: str, intern_id: str, run: str) -> None:
    """The Offer wait: what the state machine does after NextCandidate picked `intern_id`."""
    from chalicelib.services import steps

    steps.await_party(
        steps.StepEvent(
            brief_id=brief_id,
            kind="offer",
            task_token=f"sfn-{intern_id}",
            intern_id=intern_id,
            execution=run,
        )
    )


def decline(client: Any, brief_id: str, intern_id: str) -> None:
    response = client.http.post(
        f"/api/tasks/{task_token(intern_id, brief_id)}/decline",
        headers={"Content-Type": "application/json"},
        body="{}",
    )
    assert response.status_code == 200, response.body


def offered_to_bo(client: Any) -> dict[str, Any]:
    """A brief matched to Bo alone (the only intern then) and offered to him; an earlier brief
    whose task link will identify Ada, who registers only after matching ran. (Needs the
    returning employer, and `workflow.resume` replaced: the offer's wait is not a real one.)"""
    from chalicelib.services import steps

    bo = intern("Bo", "Some market research for a student society, in Excel.")
    earlier = brief(client, title="An earlier pricing study")
    posted = brief(client)
    match(posted)
    assert steps.next_candidate(steps.StepEvent(brief_id=posted["brief_id"])) == {"intern_id": bo}
    offer(posted["brief_id"], bo, execution(posted["brief_id"]))
    ada = intern("Ada", STRONG)
    token = task_token(ada, earlier["brief_id"])
    return {"bo": bo, "ada": ada, "brief": posted, "ada_token": token}


def unmatched(client: Any, offered: dict[str, Any]) -> str:
    """Bo declines, nobody else is pending: the brief's run ends UNMATCHED. Its id."""
    from chalicelib.services import steps

    brief_id = offered["brief"]["brief_id"]
    decline(client, brief_id, offered["bo"])
    assert steps.next_candidate(steps.StepEvent(brief_id=brief_id)) == {"intern_id": None}
    steps.settle(steps.StepEvent(brief_id=brief_id, status="UNMATCHED"))
    assert view(client, offered["brief"])["status"] == "UNMATCHED"
    return str(brief_id)

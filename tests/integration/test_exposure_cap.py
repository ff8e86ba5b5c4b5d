"""Fair exposure through the match and next-candidate steps on moto: the weekly cap holds."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import confirm_addresses, load_event


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


def _brief(client: Any) -> dict[str, Any]:
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief")),
    )
    assert response.status_code == 201
    return dict(response.json_body)


def _shortlist(client: Any, brief: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.http.get(
        f"/api/briefs/{brief['brief_id']}",
        headers={"Authorization": f"Bearer {brief['manage_token']}"},
    )
    return list(response.json_body["shortlist"])


def test_no_intern_is_offered_more_than_the_weekly_cap(
    client: Any, aws_env: dict[str, str], returning_employer: str
) -> None:
    from chalicelib.adapters import exposure_store
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps
    from chalicelib.settings import get_settings

    cap = get_settings().offers_per_intern_per_week
    assert cap == 3  # the production default is what this test runs
    star = _intern(
        "Star",
        "Market research on pricing and retention; competitor analysis in Excel spreadsheets "
        "for meal-kit and grocery startups, slide decks of recommendations.",
    )
    other = _intern("Other", "Some market research for a student society, in Excel.")
    briefs = [_brief(client) for _ in range(cap + 1)]
    for brief in briefs:  # every brief ranks the star first
        steps.match(steps.StepEvent(brief_id=brief["brief_id"]))
        assert _shortlist(client, brief)[0]["intern_id"] == star

    offered = []
    for brief in briefs:
        result = steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"]))
        offered.append(result["intern_id"])
        assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == result
        get_store().release_intern(str(result["intern_id"]), brief["brief_id"])  # declined

    assert offered == [star] * cap + [other]
    skipped = _shortlist(client, briefs[-1])[0]
    assert skipped["intern_id"] == star and skipped["offer_status"] == "capped"
    assert skipped["reason"].startswith(f"skipped: {cap} offers this week; covers 2/2")
    exposure = exposure_store.read(star)
    assert exposure is not None and len(exposure.offers) == cap  # the retries counted once

    later = _brief(client)
    steps.match(steps.StepEvent(brief_id=later["brief_id"]))
    assert [c["intern_id"] for c in _shortlist(client, later)] == [other]
    assert steps.next_candidate(steps.StepEvent(brief_id=later["brief_id"])) == {"intern_id": other}

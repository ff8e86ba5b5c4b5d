"""Ratings after completion: once per party, 1–5 with text, double-blind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.helpers import confirm_addresses, load_event


@pytest.fixture
def completed(client: Any) -> dict[str, str]:
    """A completed engagement: the brief (through the API), its intern, a task link."""
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    confirm_addresses("dana@freshbox.example", "ada@uni.example")  # returning employer, intern
    body = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=__import__("json").dumps(load_event("brief")),
    ).json_body
    intern = register_intern(
        {
            "name": "Ada Analyst",
            "email": "ada@uni.example",
            "skills": ["Excel", "market research"],
            "bio": "I love market research and spreadsheets.",
            "hours_per_week": 15,
            "timezone": "Europe/Berlin",
        }
    )
    store = get_store()
    store.update_brief(
        body["brief_id"],
        {"status": "COMPLETED", "intern_id": intern["intern_id"], "completed_at": clock.iso()},
    )
    link = access.issue_task_link(body["brief_id"], intern["intern_id"])
    return {
        "brief_id": body["brief_id"],
        "manage": body["manage_token"],
        "task": link.rsplit("/", 1)[1],
        "intern_id": intern["intern_id"],
    }


def employer_rates(client: Any, c: dict[str, str], body: dict[str, Any]) -> Any:
    return client.http.post(
        f"/api/briefs/{c['brief_id']}/rate",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {c['manage']}"},
        body=__import__("json").dumps(body),
    )


def intern_rates(client: Any, c: dict[str, str], body: dict[str, Any]) -> Any:
    return client.http.post(
        f"/api/tasks/{c['task']}/rate",
        headers={"Content-Type": "application/json"},
        body=__import__("json").dumps(body),
    )


def brief(client: Any, c: dict[str, str]) -> dict[str, Any]:
    return client.http.get(
        f"/api/briefs/{c['brief_id']}", headers={"Authorization": f"Bearer {c['manage']}"}
    ).json_body


def test_ratings_stay_hidden_until_both_rated(client: Any, completed: dict[str, str]) -> None:
    assert employer_rates(client, completed, {"score": 5, "text": "Superb work"}).status_code == 200

    mine = brief(client, completed)["ratings"]
    assert mine["by_employer"] == {"score": 5, "text": "Superb work"}
    assert mine["by_intern"] is None

    assert intern_rates(client, completed, {"score": 4, "text": "Clear brief"}).status_code == 200

    both = brief(client, completed)["ratings"]
    assert both["by_intern"] == {"score": 4, "text": "Clear brief"}
    assert both["can_rate"] is False


def test_the_other_rating_is_hidden_from_the_intern_until_they_rate(
    client: Any, completed: dict[str, str]
) -> None:
    from chalicelib.services import queries

    employer_rates(client, completed, {"score": 2, "text": "Late"})

    view = queries.task_view(completed["task"])["ratings"]
    assert view["by_employer"] == "hidden until you rate (or 7 days pass)"
    assert view["can_rate"] is True


def test_ratings_are_revealed_after_seven_days(
    client: Any, completed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import clock
    from chalicelib.services import queries

    employer_rates(client, completed, {"score": 3, "text": "OK"})
    later = clock.now() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)

    assert queries.task_view(completed["task"])["ratings"]["by_employer"] == {
        "score": 3,
        "text": "OK",
    }


def test_each_party_rates_once_with_a_valid_score(client: Any, completed: dict[str, str]) -> None:
    for bad in [0, 6, "five", True, None]:
        response = employer_rates(client, completed, {"score": bad})
        assert response.status_code == 422, bad
    assert employer_rates(client, completed, {"score": 4}).status_code == 200
    assert employer_rates(client, completed, {"score": 5}).status_code == 409


def test_employer_rating_feeds_the_interns_track_record(
    client: Any, completed: dict[str, str]
) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.domain.retrieval import posting_fields

    employer_rates(client, completed, {"score": 5})

    store = get_store()
    profile = store.get(f"INTERN#{completed['intern_id']}", "PROFILE")
    stored = store.get("SKILL#excel", profile["postings"]["excel"])  # keyed by rank (issue 17)
    posting = posting_fields(stored)  # its scoring fields (packed in one attribute)
    assert profile["rating_sum"] == 5 and profile["rating_count"] == 1
    assert posting["rating_sum"] == 5 and posting["rating_count"] == 1


def test_rating_before_completion_is_refused(client: Any, completed: dict[str, str]) -> None:
    from chalicelib.adapters.store import get_store

    get_store().update_brief(completed["brief_id"], {"status": "IN_REVIEW"})

    assert employer_rates(client, completed, {"score": 5}).status_code == 409


def test_a_declined_candidates_link_cannot_rate_the_employer(
    client: Any, completed: dict[str, str]
) -> None:
    """Issue 12, finding 3: the link of a candidate who declined opened the rating to them,
    and the real intern then got 409."""
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    other = register_intern(
        {
            "name": "Ben Declined",
            "email": "ben@uni.example",
            "skills": ["Excel"],
            "bio": "I declined this offer earlier, but kept the email.",
            "hours_per_week": 10,
            "timezone": "Europe/Berlin",
        }
    )
    link = access.issue_task_link(completed["brief_id"], other["intern_id"])
    declined = {**completed, "task": link.rsplit("/", 1)[1]}

    refused = intern_rates(client, declined, {"score": 1, "text": "Never worked with them"})

    assert refused.status_code == 403
    assert intern_rates(client, completed, {"score": 5, "text": "Clear brief"}).status_code == 200

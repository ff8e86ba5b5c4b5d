"""The work window on production defaults (no WORK_WINDOW_SECONDS): it ends at the deadline
as stored in DynamoDB (an ISO string), for the Work wait's reminder, a revision and funding."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from tests.helpers import load_event


@pytest.fixture
def stored_brief(client: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from chalicelib.adapters.store import get_store
    from chalicelib.settings import get_settings

    monkeypatch.delenv("WORK_WINDOW_SECONDS", raising=False)
    get_settings.cache_clear()
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=__import__("json").dumps(load_event("brief")),
    )
    assert response.status_code == 201, response.body
    brief = get_store().get_brief(response.json_body["brief_id"])
    assert brief is not None and isinstance(brief["deadline"], str)
    return brief


def _until_end_of(deadline: str) -> float:
    end = datetime.combine(date.fromisoformat(deadline), time.max, tzinfo=UTC)
    return (end - datetime.now(UTC)).total_seconds()


def test_the_work_wait_reminder_is_scheduled_from_the_stored_deadline(
    stored_brief: dict[str, Any],
) -> None:
    from chalicelib.services.reminders import remind_at, window_seconds

    seconds = window_seconds("work", stored_brief)
    assert seconds is not None
    assert abs(seconds - _until_end_of(stored_brief["deadline"])) < 60
    assert remind_at("work", stored_brief, datetime.now(UTC)) is not None


def test_a_revision_runs_to_the_stored_deadline(stored_brief: dict[str, Any]) -> None:
    from chalicelib.services.engagement import revision_seconds

    assert abs(revision_seconds(stored_brief) - _until_end_of(stored_brief["deadline"])) < 60


def test_a_configured_work_window_only_caps_the_deadline(
    stored_brief: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services.reminders import window_seconds
    from chalicelib.settings import get_settings

    monkeypatch.setenv("WORK_WINDOW_SECONDS", str(60 * 86400))  # longer than the brief allows
    get_settings.cache_clear()
    seconds = window_seconds("work", stored_brief)
    assert seconds is not None
    assert seconds <= timedelta(days=15).total_seconds()
    monkeypatch.setenv("WORK_WINDOW_SECONDS", "10")
    get_settings.cache_clear()
    assert window_seconds("work", stored_brief) == 10

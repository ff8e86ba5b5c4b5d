"""The work window always ends at the brief's deadline; a configured cap only shortens it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.engagement import work_window_seconds

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# The end of 2026-03-10 (UTC) is 8 days and 12 hours (less a microsecond) after NOW.
UNTIL_DEADLINE = 8 * 86400 + 12 * 3600 - 1


@pytest.mark.parametrize("deadline", [date(2026, 3, 10), "2026-03-10"])
def test_the_window_runs_to_the_end_of_the_deadline_day(deadline: date | str) -> None:
    # DynamoDB gives the deadline back as an ISO string: both forms give the same window.
    assert work_window_seconds(deadline, NOW) == UNTIL_DEADLINE


def test_a_cap_only_shortens_the_window() -> None:
    assert work_window_seconds("2026-03-10", NOW, cap=10) == 10
    assert work_window_seconds("2026-03-10", NOW, cap=10 * 86400) == UNTIL_DEADLINE


def test_a_passed_deadline_leaves_the_floor() -> None:
    assert work_window_seconds("2026-03-01", NOW) == 1
    assert work_window_seconds("2026-03-01", NOW, floor=3600) == 3600
    assert work_window_seconds("2026-03-01", NOW, floor=3600, cap=60) == 60


def test_garbage_deadline_is_an_error() -> None:
    with pytest.raises(ValueError):
        work_window_seconds("next tuesday", NOW)

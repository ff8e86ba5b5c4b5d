"""The rules of messages and sealed details (domain/collaboration.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import collaboration as rules
from chalicelib.domain.brief import BriefInvalid, parse_brief
from tests.helpers import load_event

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_message_text_is_trimmed_and_bounded() -> None:
    assert rules.message_text("  hello\r\nthere  ") == "hello\nthere"
    assert rules.message_text("x" * 5000) == "x" * 5000
    for bad, words in (
        ("x" * 5001, "at most 5,000 characters (you wrote 5,001)"),
        ("   ", "Write a message"),
        (None, "must be text"),
        ("bell\x07", "control characters"),
        ("evil\u202etxt", "text-direction"),
    ):
        with pytest.raises(rules.TextInvalid, match=re.escape(words)):
            rules.message_text(bad)


def test_markup_is_kept_as_text_for_the_pages_to_escape() -> None:
    assert rules.message_text("<b>hi</b>") == "<b>hi</b>"


@pytest.mark.parametrize(
    ("status", "intern", "ended", "expected"),
    [
        ("OFFERED", None, None, "none"),
        ("MATCHING", "i_1", None, "none"),
        ("UNMATCHED", "i_1", None, "none"),
        ("NDA", "i_1", None, "open"),
        ("IN_PROGRESS", "i_1", None, "open"),
        ("DISPUTED", "i_1", None, "open"),
        ("COMPLETED", "i_1", NOW - timedelta(days=29), "open"),
        ("COMPLETED", "i_1", NOW - timedelta(days=30, seconds=1), "read_only"),
        ("CANCELLED", "i_1", NOW - timedelta(days=45), "read_only"),
    ],
)
def test_the_thread_opens_at_acceptance_and_closes_30_days_after_the_end(
    status: str, intern: str | None, ended: datetime | None, expected: str
) -> None:
    assert rules.thread_state(status, intern, ended, NOW) == expected


@pytest.mark.parametrize(
    ("status", "nda_required", "signed", "visible"),
    [
        ("NDA", True, False, False),
        ("NDA", True, True, True),
        ("AWAITING_FUNDING", True, False, False),
        ("AWAITING_FUNDING", False, False, True),
        ("IN_PROGRESS", True, True, True),
        ("DISPUTED", True, True, True),
        ("COMPLETED", True, True, False),
        ("CANCELLED", False, False, False),
        ("REFUNDED", True, True, False),
        ("MATCHING", False, False, False),
    ],
)
def test_sealed_details_open_after_the_nda_until_the_end(
    status: str, nda_required: bool, signed: bool, visible: bool
) -> None:
    assert rules.sealed_visible(status, nda_required=nda_required, nda_signed=signed) is visible


def test_one_email_per_quiet_period() -> None:
    assert rules.notify_due(None, NOW) == NOW
    assert rules.notify_due(NOW - timedelta(minutes=3), NOW) == NOW + timedelta(minutes=7)
    assert rules.notify_due(NOW - timedelta(minutes=30), NOW) == NOW


def test_the_other_party() -> None:
    assert rules.other("employer") == "intern" and rules.other("intern") == "employer"
    with pytest.raises(ValueError):
        rules.other("finance")


def test_a_brief_takes_confidential_details_up_to_20000_characters() -> None:
    today = datetime.now(UTC).date()
    brief = parse_brief(load_event("brief", confidential_details="  secret\nplan  "), today)
    assert brief.confidential_details == "secret\nplan"
    assert parse_brief(load_event("brief"), today).confidential_details == ""
    with pytest.raises(BriefInvalid) as refused:
        parse_brief(load_event("brief", confidential_details="x" * 20_001), today)
    assert refused.value.errors == [
        {
            "field": "confidential_details",
            "message": "Confidential details must be at most 20,000 characters (you wrote 20,001)",
        }
    ]
    with pytest.raises(BriefInvalid):
        parse_brief(load_event("brief", confidential_details=["not", "text"]), today)

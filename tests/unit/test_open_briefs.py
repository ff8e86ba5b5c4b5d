"""Open briefs' rules (domain/open_briefs.py) and the applicant bonus in the scorer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.matching import INFEASIBLE_SCALE, BriefProfile, InternProfile, rank
from chalicelib.domain.open_briefs import (
    APPLICANT_BONUS,
    NOTE_MAX,
    check_note,
    is_open,
    public_summary,
)

TODAY = date(2026, 3, 2)
BRIEF = {
    "brief_id": "b1",
    "title": "Pricing study",
    "skills": ["market research"],
    "skills_as_written": ["Market Research"],
    "estimated_hours": 10,
    "budget_cents": 30_000,
    "currency": "usd",
    "deadline": "2026-03-20",
    "fee_bps": 1000,
    "status": "OFFERED",
    "company": "Secret Co",
    "description": "confidential",
    "employer_email": "x@example.com",
}


@pytest.mark.parametrize(
    ("change", "open_"),
    [
        ({}, True),
        ({"status": "UNMATCHED"}, True),
        ({"status": "MATCHING"}, True),
        ({"status": "SUBMITTED"}, False),
        ({"status": "NDA"}, False),
        ({"status": "CANCELLED"}, False),
        ({"intern_id": "i1"}, False),
        ({"cancel_requested": True}, False),
        ({"deadline": TODAY.isoformat()}, False),
    ],
)
def test_which_briefs_are_open(change: dict[str, object], open_: bool) -> None:
    assert is_open({**BRIEF, **change}, TODAY) is open_


def test_the_summary_is_public_only_and_pays_after_the_fee() -> None:
    assert public_summary(BRIEF) == {
        "brief_id": "b1",
        "title": "Pricing study",
        "skills": ["Market Research"],
        "estimated_hours": 10,
        "pay_cents": 27_000,
        "currency": "usd",
        "deadline": "2026-03-20",
    }


@pytest.mark.parametrize(
    ("note", "ok"),
    [
        (None, True),
        ("", True),
        ("  I did this before  ", True),
        ("x" * NOTE_MAX, True),
        ("x" * (NOTE_MAX + 1), False),
        ("two\nlines", False),
        ("tab\there", False),
        ("bidi \u202e trick", False),
        (42, False),
    ],
)
def test_a_note_is_one_short_line_of_text(note: object, ok: bool) -> None:
    assert (check_note(note) is None) is ok


def _profile(intern_id: str, hours: int, bio: str) -> InternProfile:
    return InternProfile(intern_id, ("market research",), bio, hours, "UTC")


def test_the_bonus_never_lifts_an_infeasible_candidate_above_a_feasible_one() -> None:
    brief = BriefProfile(
        "b1",
        "Market research",
        "Market research on pricing for a retail start-up.",
        (),
        ("market research",),
        (),
        30,
        TODAY + timedelta(days=7),
    )
    strong_but_busy = _profile("busy", 4, "Market research on pricing for a retail start-up.")
    weak = _profile("weak", 30, "Student.")
    plain = rank(brief, [strong_but_busy, weak], TODAY)
    boosted = rank(brief, [strong_but_busy, weak], TODAY, bonus={"busy": 10 * APPLICANT_BONUS})
    assert [c.intern_id for c in plain] == [c.intern_id for c in boosted] == ["weak", "busy"]
    assert boosted[1].score <= INFEASIBLE_SCALE < boosted[0].score
    lifted = rank(brief, [strong_but_busy, weak], TODAY, bonus={"weak": APPLICANT_BONUS})
    assert lifted[0].score == pytest.approx(plain[0].score + APPLICANT_BONUS)
    assert lifted[0].reason.startswith("applied (+0.05); ")

"""Open briefs and applications: the rules. Pure.

- **Open**: a brief is open to applicants while no intern has accepted it (no ``intern_id``),
  it is not cancelled (nor being cancelled), its deadline has not passed, and it is looking
  for someone — MATCHING, OFFERED or UNMATCHED (``OPEN_STATUSES``). The index of open briefs
  is only the access path; every read checks the brief itself with ``is_open``.
- **Public summary** (``public_summary``): title, skills as the employer wrote them, hours,
  the intern's pay after the platform fee, the deadline — nothing else: never the
  description's confidential details, the company, the employer's name or email.
- **Note**: optional, one line (no control characters), at most ``NOTE_MAX`` characters after
  trimming; shown escaped (templates autoescape).
- **Bonus**: an applicant's score gets ``APPLICANT_BONUS`` (``matching.rank(bonus=…)``), which
  never lifts a candidate without the hours above one with them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chalicelib.domain.money import fee_bps_of, intern_payout

__all__ = [
    "APPLICANT_BONUS",
    "NOTE_MAX",
    "OPEN_STATUSES",
    "check_note",
    "fit",
    "is_open",
    "public_summary",
]

OPEN_STATUSES = frozenset({"MATCHING", "OFFERED", "UNMATCHED"})
NOTE_MAX = 200
APPLICANT_BONUS = 0.05


def is_open(brief: Mapping[str, Any], today: date) -> bool:
    return (
        str(brief.get("status")) in OPEN_STATUSES
        and not brief.get("intern_id")
        and not brief.get("cancel_requested")
        and not brief.get("awaiting_confirmation")
        and date.fromisoformat(str(brief["deadline"])) > today
    )


def public_summary(brief: Mapping[str, Any]) -> dict[str, Any]:
    """What any intern may see of an open brief."""
    return {
        "brief_id": str(brief["brief_id"]),
        "title": str(brief["title"]),
        "skills": list(brief.get("skills_as_written") or brief["skills"]),
        "estimated_hours": int(brief["estimated_hours"]),
        "pay_cents": intern_payout(int(brief["budget_cents"]), fee_bps_of(brief)),
        "currency": str(brief["currency"]),
        "deadline": str(brief["deadline"]),
    }


def fit(brief_skills: Iterable[str], intern_skills: Iterable[str]) -> int:
    """How many of the brief's (canonical) required skills the intern is credited with."""
    have = set(intern_skills)
    return sum(1 for s in brief_skills if s in have)


def check_note(value: object) -> str | None:
    """The note, trimmed; None when it is fine, else what is wrong (a message)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "The note must be text."
    text = value.strip()
    if len(text) > NOTE_MAX:
        return f"Keep the note to {NOTE_MAX} characters or fewer (it has {len(text)})."
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        return "The note must be one line of plain text."
    return None

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
- **Late applicants** (applied after matching made the shortlist): placed into it by score
  (``late_sort_key``) without moving anyone, so the next offer after a decline or a lapse can
  go to them; at most ``LATE_PENDING_MAX`` of them wait for an offer at once. An UNMATCHED
  brief that receives a feasible applicant (``is_feasible``) is reopened for them: a new run
  of the same state machine, named ``REOPEN_RUN`` (services/late_applicants.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from chalicelib.domain.money import fee_bps_of, intern_payout

__all__ = [
    "APPLICANT_BONUS",
    "LATE_PENDING_MAX",
    "NOTE_MAX",
    "OPEN_STATUSES",
    "REOPEN_RUN",
    "check_note",
    "fit",
    "is_feasible",
    "is_open",
    "late_sort_key",
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


# -- late applicants: placed into a shortlist that matching already made ----------------------

LATE_PENDING_MAX = 10  # late applicants waiting for an offer in one shortlist, at most
REOPEN_RUN = "{brief_id}-reopen-{n}"  # the execution an applicant starts on an UNMATCHED brief


def is_feasible(factors: Mapping[str, float]) -> bool:
    """Has the hours before the deadline (the scorer's availability factor is 1)."""
    return float(factors.get("availability", 1.0)) >= 1.0


def late_sort_key(entries: Sequence[Mapping[str, Any]], score: float, intern_id: str) -> str:
    """The sort key that places an applicant scoring ``score`` into a shortlist (``entries``:
    its ``CANDIDATE#`` items in sort-key order) without moving anyone: right before the first
    entry still waiting for an offer (``pending``) that scores lower, else at the end. An
    invited entry (no score) counts as above everyone; entries already offered keep their
    place (they are history). The key extends the sort key just before that place, so it sorts
    between the two; applicants placed after the same entry sort by score, best first."""
    score = round(score, 4)  # as the shortlist stores scores
    ordered = sorted(entries, key=lambda e: str(e["sk"]))
    place = len(ordered)
    for i, entry in enumerate(ordered):
        theirs = entry.get("score")
        pending = entry.get("offer_status", "pending") == "pending"
        if pending and theirs is not None and float(theirs) < score:
            place = i
            break
    before = str(ordered[place - 1]["sk"]) if place else "CANDIDATE#!"
    inverted = max(0, 99_999 - round(score * 10_000))
    return f"{before}#L{inverted:05d}#{intern_id}"

"""The intern's records in DynamoDB: the profile and its skill postings, and the track record
both carry.

Keys: ``INTERN#<id> / PROFILE`` (the profile) and one posting per normalised skill,
``SKILL#<skill> / INTERN#<id>``, holding only what the scorer reads — never name, email or
school — so a match queries the brief's skills and reads exactly the interns who share one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import get_store
from chalicelib.domain.skills import normalise_skills

SCORING_FIELDS = (
    "skills",
    "bio",
    "hours_per_week",
    "timezone",
    "completed",
    "rating_sum",
    "rating_count",
)


def profile_items(intern_id: str, profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The profile item and its skill postings."""
    skills = normalise_skills(list(profile["skills"]))
    now = clock.iso()
    scoring = {
        "intern_id": intern_id,
        "skills": skills,
        "bio": profile["bio"],
        "hours_per_week": int(profile["hours_per_week"]),
        "timezone": profile["timezone"],
        "completed": int(profile.get("completed", 0)),
        "rating_sum": int(profile.get("rating_sum", 0)),
        "rating_count": int(profile.get("rating_count", 0)),
    }
    item = {
        "pk": f"INTERN#{intern_id}",
        "sk": "PROFILE",
        "type": "intern",
        **scoring,
        "skills_as_written": list(profile["skills"]),
        "name": profile["name"],
        "email": profile["email"],
        "portfolio_url": profile.get("portfolio_url"),
        "payout_ready": bool(profile.get("payout_ready", False)),
        "created_at": now,
    }
    postings = [
        {"pk": f"SKILL#{skill}", "sk": f"INTERN#{intern_id}", "type": "skill_posting", **scoring}
        for skill in skills
    ]
    return [item, *postings]


def add_track_record(intern_id: str, *, completed: int = 0, rating: int | None = None) -> None:
    """Add a completed engagement and/or a rating to the profile and every skill posting, so
    the scorer's track-record factor sees it on the next match."""
    store = get_store()
    profile = store.get(f"INTERN#{intern_id}", "PROFILE")
    if profile is None:
        return
    add = {"completed": completed, "rating_sum": rating or 0, "rating_count": 1 if rating else 0}
    keys = [("INTERN#" + intern_id, "PROFILE")] + [
        (f"SKILL#{skill}", f"INTERN#{intern_id}") for skill in profile.get("skills", [])
    ]
    for pk, sk in keys:
        store.add_counters(pk, sk, add)

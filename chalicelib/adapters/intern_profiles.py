"""The intern's records in DynamoDB: the profile and its skill postings, and the track record
both carry.

Keys: ``INTERN#<id> / PROFILE`` (the profile) and one posting per normalised skill,
``SKILL#<skill> / INTERN#<id>``, holding only what the scorer reads — never name, email or
school — so a match queries the brief's skills and reads exactly the interns who share one.

A profile whose address is not confirmed yet has no postings (``awaiting_confirmation`` on the
profile): matching, which reads only postings, cannot offer it anything. ``activate`` writes
them once the address is confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, get_store
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


def profile_items(
    intern_id: str, profile: Mapping[str, Any], *, matchable: bool = True
) -> list[dict[str, Any]]:
    """The profile item and its skill postings (none, and the profile flagged as awaiting its
    address's confirmation, when not `matchable`)."""
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
    if not matchable:
        return [{**item, "awaiting_confirmation": True}]
    postings = [
        {"pk": f"SKILL#{skill}", "sk": f"INTERN#{intern_id}", "type": "skill_posting", **scoring}
        for skill in skills
    ]
    return [item, *postings]


def activate(intern_id: str) -> bool:
    """Make a profile waiting for its address's confirmation matchable: write its skill
    postings, then clear the flag (a conditional write). True for the one call that cleared it;
    False when there is no such profile or it was matchable already. Safe to race: the
    postings are the same whoever writes them."""
    store = get_store()
    profile = store.get(f"INTERN#{intern_id}", "PROFILE")
    if profile is None or not profile.get("awaiting_confirmation"):
        return False
    scoring = {name: profile[name] for name in SCORING_FIELDS if name in profile}
    store.batch_put(
        [
            {"pk": f"SKILL#{skill}", "sk": f"INTERN#{intern_id}", "type": "skill_posting"}
            | {"intern_id": intern_id, **scoring}
            for skill in profile.get("skills", [])
        ]
    )
    op = store.update_op(
        {"pk": f"INTERN#{intern_id}", "sk": "PROFILE"},
        condition="#awaiting_confirmation = :yes",
        remove_fields=["awaiting_confirmation"],
        set_fields={"confirmed_at": clock.iso()},
        values={":yes": True},
    )
    try:
        store.transact([op])
    except Conflict:
        return False
    return True


def add_track_record(intern_id: str, *, completed: int = 0, rating: int | None = None) -> None:
    """Add a completed engagement and/or a rating to the profile and every skill posting, so
    the scorer's track-record factor sees it on the next match."""
    store = get_store()
    profile = store.get(f"INTERN#{intern_id}", "PROFILE")
    if profile is None:
        return
    add = {"completed": completed, "rating_sum": rating or 0, "rating_count": 1 if rating else 0}
    keys = [("INTERN#" + intern_id, "PROFILE")]
    if not profile.get("awaiting_confirmation"):  # else no postings yet: `activate` copies these
        keys += [(f"SKILL#{skill}", f"INTERN#{intern_id}") for skill in profile.get("skills", [])]
    for pk, sk in keys:
        store.add_counters(pk, sk, add)

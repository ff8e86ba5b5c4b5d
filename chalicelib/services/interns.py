"""The intern pool matching draws from: the skill index it retrieves candidates through, and
the bulk load of demo profiles.

Registration is `intern_signup`; the records themselves (profile, skill postings, track
record) are `adapters/intern_profiles.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.adapters.intern_profiles import profile_items
from chalicelib.adapters.store import get_store
from chalicelib.domain.matching import InternProfile
from chalicelib.domain.skills import normalise_skills


def import_profiles(profiles: Iterable[Mapping[str, Any]]) -> int:
    """Bulk-load demo profiles (local twin and benchmarks): batch writes, no conditions."""
    store = get_store()
    count = 0
    batch: list[dict[str, Any]] = []
    for profile in profiles:
        batch.extend(profile_items(str(profile["intern_id"]), profile))
        count += 1
    store.batch_put(batch)
    return count


def candidates_for(skills: Iterable[str]) -> list[InternProfile]:
    """Every intern sharing at least one of `skills`: one query per skill, never a scan."""
    store = get_store()
    seen: dict[str, InternProfile] = {}
    for skill in normalise_skills(list(skills)):
        for posting in store.query(f"SKILL#{skill}", "INTERN#"):
            intern_id = str(posting["intern_id"])
            if intern_id not in seen:
                seen[intern_id] = InternProfile(
                    intern_id=intern_id,
                    skills=tuple(posting["skills"]),
                    bio=str(posting["bio"]),
                    hours_per_week=int(posting["hours_per_week"]),
                    timezone=str(posting["timezone"]),
                    completed=int(posting.get("completed", 0)),
                    rating_sum=int(posting.get("rating_sum", 0)),
                    rating_count=int(posting.get("rating_count", 0)),
                )
    return list(seen.values())

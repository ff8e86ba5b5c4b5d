"""Intern registration and the skill index matching retrieves candidates through.

Each profile is written with one posting per normalised skill (`SKILL#<skill>` /
`INTERN#<id>`) holding only what the scorer reads — never name, email or school — so a
match queries the brief's skills and reads exactly the interns who share one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.adapters import clock, tokens
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.intern import InternInput, InternInvalid, parse_intern
from chalicelib.domain.matching import InternProfile
from chalicelib.domain.skills import normalise_skills
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import Invalid, NotAllowed

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


def register_intern(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        intern: InternInput = parse_intern(data)
    except InternInvalid as exc:
        raise Invalid(exc.errors) from None
    store = get_store()
    intern_id = tokens.new_id("i")
    email_claim = {"pk": f"INTERNEMAIL#{intern.email}", "sk": "INTERNEMAIL", "intern_id": intern_id}
    items = profile_items(intern_id, intern.model_dump())
    try:
        store.transact([store.put_op(i) for i in (email_claim, *items)])
    except Conflict:
        raise NotAllowed("An intern with this email is already registered.", "email") from None
    metrics.add_metric(name="InternsRegistered", unit="Count", value=1)
    logger.info("intern registered", extra={"intern_id": intern_id})
    return {"intern_id": intern_id, "onboarding_url": _connect(intern_id, intern.email)}


def _connect(intern_id: str, email: str) -> str | None:
    """The intern's Stripe Connect express account and its onboarding link.

    Stripe being unavailable does not undo the registration: the link comes later, with the
    reminder a waiting payout sends (see `escrow.release_escrow`).
    """
    from chalicelib.adapters.stripe_gateway import StripeRejected, TransientError
    from chalicelib.services import payout_accounts

    try:
        account = payout_accounts.connect_account(intern_id, email)
        return payout_accounts.onboarding_link(intern_id, account)
    except (TransientError, StripeRejected):
        logger.exception("Stripe Connect onboarding unavailable", extra={"intern_id": intern_id})
        return None


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


def record_track_record(intern_id: str, *, completed: int = 0, rating: int | None = None) -> None:
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

"""Open briefs and applications (issue 17): what an intern sees and does, and what matching
takes from it.

    list_for_intern(intern_id)                 # public summaries of open briefs that fit
    express_interest(intern_id, brief_id, note)  # 201, once per intern and brief
    withdraw_interest(intern_id, brief_id)
    applicant_bonus(brief_id) / applicant_profiles(...)  # for the match step (steps.py)
    publish / close                            # keep the index in step with the brief

Rules: ``domain/open_briefs.py``; records: ``adapters/open_briefs.py``. Who the intern is comes
from the web layer (``web/intern_identity.current_intern``): these functions take an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters import open_briefs as index
from chalicelib.adapters.rate_limits import RateLimited, hit
from chalicelib.adapters.store import get_store
from chalicelib.domain import open_briefs as rules
from chalicelib.domain.matching import InternProfile
from chalicelib.domain.skills import normalise_skills
from chalicelib.services.errors import Invalid, NotAllowed, NotFound, TooManyRequests
from chalicelib.settings import get_settings

LIST_MAX = 50  # summaries in one answer, best fit first
APPLICANTS_SCORED = 200  # applicants a match reads beyond its retrieval, at most
HOUR = 3600
NOT_OPEN = "This brief is no longer open to applicants."


def _credited_skills(intern_id: str) -> list[str]:
    """The skills the intern's postings are under (listed, implied, shown in the bio)."""
    profile = get_store().get(f"INTERN#{intern_id}", "PROFILE")
    if profile is None:
        raise NotFound("No intern with this id.")
    return [str(s) for s in (profile.get("postings") or {})]


def list_for_intern(intern_id: str) -> list[dict[str, Any]]:
    """Open briefs that fit the intern (at least one required skill credited), most required
    skills covered first, then soonest deadline; each a public summary, with whether (and
    what) the intern applied."""
    skills = _credited_skills(intern_id)
    today = clock.today()
    candidates = index.open_brief_ids(skills, today)
    briefs = get_store().get_briefs(list(candidates))
    applied = index.applied_briefs(intern_id) if briefs else {}
    rows = []
    for brief_id, brief in briefs.items():
        if not rules.is_open(brief, today):
            continue
        fit = rules.fit(normalise_skills(list(brief["skills"])), skills)
        if fit:
            rows.append((-fit, str(brief["deadline"]), brief_id, brief))
    rows.sort(key=lambda r: r[:3])
    out = []
    for _fit, _deadline, brief_id, brief in rows[:LIST_MAX]:
        application = applied.get(brief_id)
        out.append(
            {
                **rules.public_summary(brief),
                "applied": application is not None,
                "note": str(application.get("note", "")) if application else None,
            }
        )
    return out


def express_interest(intern_id: str, brief_id: str, note: Any) -> dict[str, Any]:
    """Apply to an open brief that fits, with an optional one-line note. Once per intern and
    brief: a repeated call answers the first application and changes nothing."""
    problem = rules.check_note(note)
    if problem:
        raise Invalid([{"field": "note", "message": problem}])
    text = str(note or "").strip()
    try:
        hit(
            "interest:intern",
            intern_id,
            limit=get_settings().rate_limit_per_address,
            window_seconds=HOUR,
        )
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        raise TooManyRequests(
            f"You applied to many briefs in the last hour: try again in about {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        ) from None
    brief = get_store().get_brief(brief_id)
    if brief is None:
        raise NotFound("No brief with this id.", "brief_id")
    if not rules.is_open(brief, clock.today()):
        raise NotAllowed(NOT_OPEN)
    if not rules.fit(normalise_skills(list(brief["skills"])), _credited_skills(intern_id)):
        raise NotAllowed("This brief needs skills your profile does not show.")
    application, _created = index.apply(brief_id, intern_id, text)
    return _answer(application)


def withdraw_interest(intern_id: str, brief_id: str) -> dict[str, Any]:
    """Withdraw the intern's application (nothing to withdraw is fine: the same answer)."""
    index.withdraw(brief_id, intern_id)
    return {"brief_id": brief_id, "applied": False, "note": None, "at": None}


def _answer(application: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "brief_id": str(application["brief_id"]),
        "applied": True,
        "note": str(application.get("note", "")),
        "at": str(application["at"]),
    }


# -- matching ---------------------------------------------------------------------------------


def applicant_bonus(brief_id: str) -> dict[str, float]:
    """Intern id → the bonus the scorer adds, for the brief's applicants (the first
    ``APPLICANTS_SCORED`` to apply)."""
    found = sorted(index.applications(brief_id).values(), key=lambda a: str(a["at"]))
    return {str(a["intern_id"]): rules.APPLICANT_BONUS for a in found[:APPLICANTS_SCORED]}


def applicant_profiles(intern_ids: Iterable[str]) -> list[InternProfile]:
    """The scorer's view of applicants the retrieval did not read (matchable profiles only:
    confirmed, with postings), read in one BatchGetItem per 100."""
    from chalicelib.domain.retrieval import to_intern_profile

    return [
        to_intern_profile(p)
        for p in index.profiles(intern_ids)
        if p.get("postings") and not p.get("awaiting_confirmation")
    ]


def publish(brief: Mapping[str, Any]) -> None:
    index.publish(brief)


def close(brief: Mapping[str, Any]) -> None:
    index.unpublish(brief)

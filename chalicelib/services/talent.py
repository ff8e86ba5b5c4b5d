"""The talent pool after a project: the employer's "interested in hiring", the intern's consent.

    flag_interest   the employer, on a COMPLETED brief (once: a repeat changes nothing); the
                    intern is emailed and sees it on the task page
    share_contact   the engaged intern, only after the employer's interest; the employer gets
                    the intern's name and email then, never before
    employer_view   what the brief page shows (the contact only once shared)
    intern_view     what the task page shows
    invite_link     the brief page's "Invite <intern> to a new brief" (the form, prefilled)

Item: BRIEF#<brief> / HIRE_INTEREST — {at, shared_at}. Who may invite whom is
adapters/talent_pool (checked in services/briefs.validate); the offer order is steps.match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock, links
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.engagement import Status
from chalicelib.services import notify
from chalicelib.services.access import NOT_FOUND, intern_profile, note, open_task, require
from chalicelib.services.errors import NotAllowed, NotFound


def _interest(brief_id: str) -> dict[str, Any] | None:
    return get_store().get(f"BRIEF#{brief_id}", "HIRE_INTEREST")


def flag_interest(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The employer is interested in hiring the intern who completed the brief."""
    require(brief, {Status.COMPLETED}, "flag hiring interest")
    brief_id, intern_id = str(brief["brief_id"]), str(brief.get("intern_id") or "")
    if not intern_id:
        raise NotAllowed("Nobody completed this project.")
    try:
        get_store().put_new(
            {
                "pk": f"BRIEF#{brief_id}",
                "sk": "HIRE_INTEREST",
                "type": "hire_interest",
                "intern_id": intern_id,
                "at": clock.iso(),
            }
        )
    except Conflict:
        return {"status": "interested", "already": True}
    note(brief, "employer", "You said you are interested in hiring the intern")
    notify.to_party(
        brief,
        "intern",
        "hiring_interest",
        key=f"hiring_interest:{brief_id}",
        company=str(brief["company"]),
    )
    return {"status": "interested", "already": False}


def share_contact(token: str) -> dict[str, Any]:
    """The intern's consent: the employer who said it is interested gets their contact."""
    brief, intern_id = open_task(token)
    interest = _interest(str(brief["brief_id"]))
    if brief.get("intern_id") != intern_id or interest is None:
        raise NotFound(NOT_FOUND)  # as an unknown task link
    if interest.get("shared_at"):
        return {"status": "shared", "already": True}
    get_store().set_fields(
        f"BRIEF#{brief['brief_id']}", "HIRE_INTEREST", {"shared_at": clock.iso()}
    )
    intern = intern_profile(intern_id)
    note(brief, "intern", "The intern shared their contact details with you")
    notify.to_party(
        brief,
        "employer",
        "contact_shared",
        key=f"contact_shared:{brief['brief_id']}",
        intern_name=str(intern.get("name") or ""),
        intern_email=str(intern["email"]),
    )
    return {"status": "shared", "already": False}


def employer_view(brief: Mapping[str, Any]) -> dict[str, Any] | None:
    """The brief page's panel on a COMPLETED brief: interest, the contact once shared, and the
    re-invite link."""
    if brief.get("status") != Status.COMPLETED or not brief.get("intern_id"):
        return None
    intern_id = str(brief["intern_id"])
    interest = _interest(str(brief["brief_id"]))
    try:
        profile = intern_profile(intern_id)
    except NotFound:
        profile = {}
    shared = bool(interest and interest.get("shared_at"))
    return {
        "intern_id": intern_id,
        "intern_name": str(profile.get("name") or "the intern"),
        "interested": interest is not None,
        "contact": {"name": str(profile.get("name") or ""), "email": str(profile.get("email"))}
        if shared and profile
        else None,
        "invite_url": links.href("/briefs/new", invite=intern_id),
    }


def intern_view(brief: Mapping[str, Any], intern_id: str) -> dict[str, Any] | None:
    if brief.get("intern_id") != intern_id:
        return None
    interest = _interest(str(brief["brief_id"]))
    if interest is None:
        return None
    return {"company": str(brief["company"]), "shared": bool(interest.get("shared_at"))}

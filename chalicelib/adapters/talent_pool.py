"""The talent pool's records: which interns completed a project for which employer.

    TALENT#<employer address, lower-cased> / INTERN#<intern id>

Written when a certificate is issued (services/certificates.py); read by one GetItem when a
brief invites an intern (services/briefs.validate), by one Query for an employer's list.
"The same employer" is the same employer email address, case-insensitively: the address is
what the manage links and the confirmation prove.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.store import get_store


def _pk(employer_email: str) -> str:
    return f"TALENT#{employer_email.strip().lower()}"


def record_alumnus(
    employer_email: str, intern_id: str, *, intern_name: str, brief: Mapping[str, Any], at: str
) -> None:
    get_store().put(
        {
            "pk": _pk(employer_email),
            "sk": f"INTERN#{intern_id}",
            "type": "alumnus",
            "intern_id": intern_id,
            "intern_name": intern_name,
            "brief_id": str(brief["brief_id"]),
            "title": str(brief["title"]),
            "completed_at": at,
        }
    )


def alumnus(employer_email: str, intern_id: str) -> dict[str, Any] | None:
    """The record of `intern_id` having completed a project for this employer, if any."""
    if not intern_id or not employer_email:
        return None
    return get_store().get(_pk(employer_email), f"INTERN#{intern_id}")


def first_candidate(brief_id: str, intern_id: str) -> dict[str, Any]:
    """The shortlist's first entry for an intern the employer invited back (offered first;
    the ranked candidates follow it, so a decline or a lapse falls back to matching)."""
    return {
        "pk": f"BRIEF#{brief_id}",
        "sk": "CANDIDATE#00",
        "type": "candidate",
        "intern_id": intern_id,
        "score": None,
        "factors": {},
        "reason": "Invited back by the employer: completed a project for them before",
        "offer_status": "pending",
        "invited": True,
    }

"""Ratings after completion, double-blind: each party rates the other once, 1–5 with a short
text; what each sees of the other's rating is `queries.ratings_view`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.intern_profiles import add_track_record
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.engagement import Status
from chalicelib.services.access import note, open_task, require
from chalicelib.services.errors import Forbidden, Invalid, NotAllowed


def rate_employer(token: str, *, score: Any, text: str = "") -> dict[str, Any]:
    """The intern's rating of the employer: only the intern engaged on the brief may give it
    (a declined or lapsed candidate's task link opens the page, but rates nothing)."""
    brief, intern_id = open_task(token)
    if brief.get("intern_id") != intern_id:
        raise Forbidden("Only the intern who did this project can rate the employer.")
    return rate(brief, party="intern", score=score, text=text)


def rate(brief: Mapping[str, Any], *, party: str, score: Any, text: str = "") -> dict[str, Any]:
    """Each party rates the other once, 1–5 with a short text, after completion."""
    errors = []
    if isinstance(score, bool) or not isinstance(score, int | str):
        errors.append({"field": "score", "message": "Give a score from 1 to 5."})
    else:
        try:
            value = int(score)
        except ValueError:
            value = 0
        if not 1 <= value <= 5:
            errors.append({"field": "score", "message": "Give a score from 1 to 5."})
    text = (text or "").strip()
    if len(text) > 1_000:
        errors.append({"field": "text", "message": "Keep the text under 1,000 characters."})
    if errors:
        raise Invalid(errors)  # type: ignore[arg-type]
    require(brief, {Status.COMPLETED}, "rate")
    brief_id = str(brief["brief_id"])
    try:
        get_store().put_new(
            {
                "pk": f"BRIEF#{brief_id}",
                "sk": f"RATING#{party}",
                "type": "rating",
                "party": party,
                "score": value,
                "text": text,
                "at": clock.iso(),
            }
        )
    except Conflict:
        raise NotAllowed("You already rated this engagement.") from None
    if party == "employer" and brief.get("intern_id"):
        add_track_record(str(brief["intern_id"]), rating=value)
    note(brief, party, f"The {party} left a rating")
    return {"status": "rated"}

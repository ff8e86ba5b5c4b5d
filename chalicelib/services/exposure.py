"""Fair exposure in the workflow: the shortlist after the weekly cap and the near-equal band,
and the offer's slot in the intern's week (rules: ``domain/exposure.py``; records:
``adapters/exposure_store.py``). Called by the match and next-candidate steps only."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.adapters import clock, exposure_store
from chalicelib.domain.exposure import apply_exposure, offers_in_week, skipped_reason
from chalicelib.domain.matching import Candidate
from chalicelib.settings import get_settings

# Candidates ranked beyond the shortlist so capped ones can be replaced and the band can
# reach past the fifth place.
LOOKAHEAD = 10


def shortlist(ranked: Sequence[Candidate], *, limit: int = 5) -> list[Candidate]:
    """The scorer's order (``limit + LOOKAHEAD`` of it) after the exposure rules."""
    exposures = exposure_store.read_many(c.intern_id for c in ranked)
    cap = get_settings().offers_per_intern_per_week
    return apply_exposure(ranked, exposures, clock.now(), cap=cap, limit=limit)


def take_offer_slot(intern_id: str, brief_id: str) -> str | None:
    """Count the offer in the intern's week: None when it may be made, else the reason it is
    skipped ("skipped: 3 offers this week"). A conditional write: the cap holds under races."""
    cap = get_settings().offers_per_intern_per_week
    now = clock.now()
    if exposure_store.record_offer(intern_id, brief_id, now, cap):
        return None
    return skipped_reason(offers_in_week(exposure_store.read(intern_id), now))

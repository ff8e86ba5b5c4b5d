"""Fair exposure in the workflow: the shortlist after the weekly cap and the near-equal band,
and the offer's slot in the intern's week (rules: ``domain/exposure.py``; records:
``adapters/exposure_store.py``). Called by the match and next-candidate steps only."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

from chalicelib.adapters import clock, concurrent, exposure_store
from chalicelib.domain.exposure import Exposure, apply_exposure, offers_in_week, skipped_reason
from chalicelib.domain.matching import Candidate
from chalicelib.settings import get_settings

# Candidates ranked beyond the shortlist so capped ones can be replaced and the band can
# reach past the fifth place.
LOOKAHEAD = 10

BiosReader = Callable[[Sequence[str]], Mapping[str, str]]


def with_exposures(bios: BiosReader, known: dict[str, Exposure | None]) -> BiosReader:
    """``bios`` that also reads the same interns' exposure records into ``known`` (for
    ``shortlist``), concurrently: the scorer asks for the bios of the candidates it ranked
    (those without one), whose records ``shortlist`` reads next — one wave instead of two."""

    def read(intern_ids: Sequence[str]) -> Mapping[str, str]:
        ids = list(intern_ids)
        found_bios, found = concurrent.gather(
            [partial(bios, ids), partial(exposure_store.read_many, ids)]
        )
        known.update({i: found.get(i) for i in ids})
        return found_bios  # type: ignore[no-any-return]

    return read


def shortlist(
    ranked: Sequence[Candidate],
    *,
    limit: int = 5,
    known: Mapping[str, Exposure | None] | None = None,
) -> list[Candidate]:
    """The scorer's order (``limit + LOOKAHEAD`` of it) after the exposure rules. ``known``:
    records already read (None: the intern has none; ``with_exposures``); the others are read."""
    known = known or {}
    exposures = {i: e for i, e in known.items() if e is not None}
    exposures.update(
        exposure_store.read_many(c.intern_id for c in ranked if c.intern_id not in known)
    )
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

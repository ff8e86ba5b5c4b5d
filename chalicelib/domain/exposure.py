"""Fair exposure: who gets offers when several interns are about equally good. Pure.

Invariants:

- **Weekly cap.** No intern is offered more than ``cap`` briefs in any rolling ``WEEK``
  (``offers_in_week``). An intern at the cap is skipped, at match time and again when the
  offer is made (``record_offer`` refuses a write that would exceed it; the store makes that
  write conditional, so two briefs racing for the last slot cannot both take it).
- **Band.** Candidates whose scores lie within ``BAND`` of the best remaining candidate,
  *and who are equally feasible* (the availability factor is 1 for all or below 1 for all),
  are near-equal: among them the least recently offered goes first (never offered counts as
  longest ago; ties keep the score order). A band never mixes a feasible and an infeasible
  candidate, so exposure never lifts someone without the hours above someone with them, and
  never moves anyone by more than ``BAND`` of score.
- **Explained.** A candidate exposure moved up says so ("moved up: not offered work for 12
  days" / "moved up: never offered work yet"); a candidate who entered the shortlist because
  one above was at the cap says so ("moved up: 1 intern above skipped (3 offers this week)");
  a candidate skipped when the offer is made gets "skipped: 3 offers this week".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.matching import Candidate

__all__ = [
    "BAND",
    "WEEK",
    "Exposure",
    "apply_exposure",
    "is_capped",
    "offers_in_week",
    "record_offer",
    "skipped_reason",
]

BAND = 0.02  # scores within this of the band's best are near-equal
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Exposure:
    """The offers an intern received recently: ``(brief_id, at)``, oldest first."""

    intern_id: str
    offers: tuple[tuple[str, datetime], ...] = ()
    last_offered_at: datetime | None = None


def offers_in_week(exposure: Exposure | None, now: datetime) -> int:
    """Offers made in the rolling week that ends at ``now``."""
    if exposure is None:
        return 0
    since = now - WEEK
    return sum(1 for _brief, at in exposure.offers if at > since)


def is_capped(exposure: Exposure | None, now: datetime, cap: int) -> bool:
    return offers_in_week(exposure, now) >= cap


def skipped_reason(count: int) -> str:
    return f"skipped: {count} offer{'s' if count != 1 else ''} this week"


def record_offer(
    exposure: Exposure | None, intern_id: str, brief_id: str, now: datetime, cap: int
) -> Exposure | None:
    """The exposure after offering ``brief_id``: offers older than a week dropped, this one
    added. The same brief twice (a retried step) is one offer: the exposure comes back
    unchanged. None when the intern is at the cap (the offer must not be made)."""
    current = exposure or Exposure(intern_id)
    if any(b == brief_id for b, _at in current.offers):
        return current
    since = now - WEEK
    recent = tuple((b, at) for b, at in current.offers if at > since)
    if len(recent) >= cap:
        return None
    return Exposure(intern_id, (*recent, (brief_id, now)), now)


def _feasible(c: Candidate) -> bool:
    return c.factors.get("availability", 1.0) >= 1.0


def _idle_days(exposure: Exposure | None, now: datetime) -> float:
    if exposure is None or exposure.last_offered_at is None:
        return float("inf")
    return (now - exposure.last_offered_at).total_seconds() / 86400


def apply_exposure(
    ranked: Sequence[Candidate],
    exposures: Mapping[str, Exposure],
    now: datetime,
    *,
    cap: int,
    limit: int = 5,
    band: float = BAND,
) -> list[Candidate]:
    """The shortlist after the exposure rules (see the module doc): ``ranked`` is the scorer's
    order (best first, more than ``limit`` of them so capped ones can be replaced)."""
    skipped = 0
    skip_count = 0
    # (candidate, interns skipped above it, the most offers this week among those)
    eligible: list[tuple[Candidate, int, int]] = []
    for c in ranked:
        count = offers_in_week(exposures.get(c.intern_id), now)
        if count >= cap:
            skipped += 1
            skip_count = max(skip_count, count)
            continue
        eligible.append((c, skipped, skip_count))
    out: list[Candidate] = []
    i = 0
    while i < len(eligible) and len(out) < limit:
        top = eligible[i][0]
        j = i
        while (
            j < len(eligible)
            and top.score - eligible[j][0].score <= band + 1e-12
            and _feasible(eligible[j][0]) == _feasible(top)
        ):
            j += 1
        block = eligible[i:j]
        order = sorted(
            range(len(block)),
            key=lambda k: (-_idle_days(exposures.get(block[k][0].intern_id), now), k),
        )
        for pos, k in enumerate(order):
            c, above, count = block[k]
            notes = []
            if pos < k:
                idle = _idle_days(exposures.get(c.intern_id), now)
                notes.append(
                    "moved up: never offered work yet"
                    if idle == float("inf")
                    else f"moved up: not offered work for {int(idle)} days"
                )
            rank_before = i + k + above  # where the scorer put it
            if above and rank_before >= limit:  # in the shortlist only because of the cap
                notes.append(
                    f"moved up: {above} intern{'s' if above != 1 else ''} above skipped "
                    f"({skipped_reason(count).removeprefix('skipped: ')})"
                )
            out.append(replace(c, reason="; ".join([*notes, c.reason])) if notes else c)
        i = j
    return out[:limit]

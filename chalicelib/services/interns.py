"""The intern pool matching draws from: the skill postings it retrieves candidates through
(bounded: `bounded_candidates`; every posting: `candidates_for`), and the bulk load of demo
profiles.

Registration is `intern_signup`; the records themselves (profile, skill postings, track
record) are `adapters/intern_profiles.py`; the retrieval rule is `domain/retrieval.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import Any, TypeVar

from chalicelib.adapters import concurrent, intern_profiles
from chalicelib.adapters.intern_accounts import paused_interns
from chalicelib.adapters.intern_profiles import postings_page, profile_items
from chalicelib.adapters.store import get_store
from chalicelib.domain.matching import BriefProfile, Candidate, PreparedProfile
from chalicelib.domain.retrieval import (
    PAGE,
    Page,
    Retrieval,
    bounded_pool,
    first_pages,
    to_prepared,
)
from chalicelib.domain.skills import normalise_skills

T = TypeVar("T")


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


def match_reads(
    brief: BriefProfile, today: date, also: Callable[[], T], opening: Callable[[], object]
) -> tuple[Retrieval, frozenset[str], T]:
    """The match step's reads: the interns paused today ("not available until", issue 14:
    left out), ``also`` (the caller's read, e.g. the applicants) and the first page of every
    required skill's postings are independent, so they are issued together (one wave: one
    round trip's wait instead of one per request), with ``opening`` (the caller's writes in
    sequence, e.g. the transition then the open-brief index) as one more lane of the wave,
    first in order: when it fails, its exception is the one raised, once the reads are done,
    and nothing is read or written after it. Then the rest of the retrieval
    (``bounded_candidates``, the paused excluded). The first pages are the retrieval's first
    wave, read before any decision, so the result is the one it gives reading them itself."""
    skills = first_pages(brief)
    _opened, paused, extra, *pages = concurrent.gather(
        [
            opening,
            partial(paused_interns, today),
            also,
            *(partial(postings_page, skill, None, PAGE) for skill in skills),
        ]
    )
    prefetched = dict(zip(skills, pages, strict=True))
    return bounded_candidates(brief, today, exclude=paused, prefetched=prefetched), paused, extra


def bounded_candidates(
    brief: BriefProfile,
    today: date,
    *,
    exclude: frozenset[str] = frozenset(),
    prefetched: Mapping[str, Page] | None = None,
) -> Retrieval:
    """The interns worth scoring for a brief: each required skill's postings read best first
    with a Limit, until no unread intern can enter the top 5 (or the read budget is spent);
    the pages of a wave (the next page of every list) are read together.
    Rank them with ``rank(brief, found.index, today, reference=found.ref(), bios=bios)``.
    ``prefetched``: the first pages ``match_reads`` read together (the same result)."""
    return bounded_pool(
        brief,
        postings_page,
        today,
        exclude=exclude,
        prefetched=prefetched,
        together=concurrent.gather,
    )


def store_shortlist(
    brief_id: str, first: Sequence[dict[str, Any]], shortlist: Sequence[Candidate]
) -> None:
    """The match step's shortlist in one batch write: ``first`` (the entry of an intern the
    employer invited back, ready-made) then the ranked candidates, ``CANDIDATE#<position>``."""
    get_store().batch_put(
        [
            *first,
            *(
                {
                    "pk": f"BRIEF#{brief_id}",
                    "sk": f"CANDIDATE#{position:02d}",
                    "type": "candidate",
                    "intern_id": c.intern_id,
                    "score": round(c.score, 4),
                    "factors": {k: round(v, 4) for k, v in c.factors.items()},
                    "reason": c.reason,
                    "offer_status": "pending",
                }
                for position, c in enumerate(shortlist, start=len(first))
            ),
        ]
    )


def bios(intern_ids: Sequence[str]) -> Mapping[str, str]:
    """The bios of the candidates a match explains (postings carry features, not the bio)."""
    return intern_profiles.bios(intern_ids)


def candidates_for(skills: Iterable[str]) -> list[PreparedProfile]:
    """Every intern credited with at least one of `skills` (every posting of each skill: the
    exhaustive reference the bounded retrieval is measured against)."""
    seen: dict[str, PreparedProfile] = {}
    for skill in normalise_skills(list(skills)):
        cursor: Any = None
        while True:
            page, cursor = postings_page(skill, cursor, 1_000)
            for posting in page:
                seen.setdefault(str(posting["intern_id"]), to_prepared(posting))
            if not cursor:
                break
    return list(seen.values())

"""Bounded retrieval: which interns a match scores, read from impact-ordered skill postings.

Pure — the storage reads one page of a skill's postings through a callable; no boto3 here.

**Postings.** One per skill a profile is credited with (``matching.skill_credits``: listed,
implied by a listed tool, or shown in the bio/portfolio), at most ``MAX_POSTINGS`` (the
strongest credits). A posting's rank key orders a skill's postings best first::

    <tier><prior:03d>#<yymm>#<intern_id>

- ``tier`` (0–9) — the evidence credit of *this* skill for this intern, ``floor(credit × 9)``:
  listed and shown = 9, shown only in the bio = 7, a bare claim = 4 or less;
- ``prior`` (000–999) — the intern's static quality, independent of any brief
  (``static_prior``): track record (``PRIOR_TRACK_SHARE``) and hours a week, capped at
  ``PRIOR_FULL_HOURS``;
- ``yymm`` — the month the posting was written (recency, the tie-break within a bucket).

Read in descending key order, a skill's postings come strongest evidence first and, within
it, best static quality first.

**Top-k with threshold-style early termination** (``bounded_pool``, Fagin's threshold
algorithm over the per-skill lists, with sorted access in parallel): the required skills'
lists are read in *waves*, each the next page (a DynamoDB ``Limit``: ``PAGE`` for a list's
first page, then doubling up to ``PAGE_MAX``) of every list not yet exhausted — independent
reads, which the caller issues together (``together``) — the budget left shared out in
frontier order (last key read, highest first). The first wave is the first page of every
list (``first_pages``: the caller may read them with its own reads, ``prefetched``), and its
interns are the *reference* that fixes the text statistics (``matching.rank(reference=…)``),
so an intern's score does not depend on how much else was read. After each wave the interns
seen are scored in full, and the most an intern not yet seen could score is bounded from the
frontiers: it lies below the frontier of every list, so its credit for each skill is at
most the frontier's tier (0 for an exhausted list), and when it sits at the top tier
everywhere its track record is at most what the lowest frontier prior allows; availability,
text relevance and nice-to-have count at their maximum. Reading stops when the k-th best
score seen reaches that bound (``threshold``: the top k is then exactly the exhaustive
one), when every list is exhausted (``exhausted``: likewise exact), or at ``BUDGET``
postings read (``budget``: the best of what the evidence-then-quality order put first).

On a very large pool a popular skill has far more top-tier postings than the budget, so the
budget is what stops a match there: reads per match are bounded by construction, and how
close the result stays to exhaustive scoring is measured (tests/unit/test_retrieval.py,
``python -m bench.matching``), not guaranteed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from chalicelib.domain.matching import (
    WEIGHTS,
    BriefProfile,
    InternProfile,
    MatchIndex,
    PreparedProfile,
    prepare,
    prepare_profile,
    rank,
    skill_credits,
    track_record_score,
)
from chalicelib.domain.skills import normalise_skills

__all__ = [
    "BUDGET",
    "MAX_POSTINGS",
    "PAGE",
    "RESERVE",
    "Retrieval",
    "bounded_pool",
    "first_pages",
    "pack_scoring",
    "posting_fields",
    "posting_ranks",
    "postings_of",
    "rank_key",
    "static_prior",
    "to_intern_profile",
    "to_prepared",
]

PAGE = 100  # postings of a list's first Query (DynamoDB Limit): the reference interns
PAGE_MAX = 400  # later Queries of a list double their Limit up to this (fewer round trips)
BUDGET = 2_000  # postings read per match, at most
RESERVE = 8  # × k interns whose exact part beats any unseen one before reading stops
MAX_POSTINGS = 40  # postings per intern (the strongest credits); keeps an update one transaction
PRIOR_TRACK_SHARE = 0.6  # of the static prior; the rest is hours a week
PRIOR_FULL_HOURS = 30  # hours a week at which the hours part of the prior is full
TOP_TIER = 9

# Up to `limit` of one skill's postings after a cursor, best first, each with its "rank"
# key: (postings, the next cursor or None when the list is exhausted).
Page = tuple[Sequence[Mapping[str, Any]], Any]
PageReader = Callable[[str, Any, int], Page]
# Issues a wave's reads (each a call) and returns their pages in the same order.
Together = Callable[[Sequence[Callable[[], Page]]], Sequence[Page]]


def static_prior(completed: int, rating_sum: int, rating_count: int, hours_per_week: int) -> int:
    """The intern's brief-independent quality, 0..999: track record and hours a week."""
    track = track_record_score(completed, rating_sum, rating_count)
    hours = min(max(hours_per_week, 0), PRIOR_FULL_HOURS) / PRIOR_FULL_HOURS
    value = PRIOR_TRACK_SHARE * track + (1.0 - PRIOR_TRACK_SHARE) * hours
    return min(999, max(0, math.floor(value * 1000)))


def _tier(credit: float) -> int:
    return min(TOP_TIER, max(0, math.floor(credit * TOP_TIER + 1e-9)))


def _tier_credit(tier: int) -> float:
    """The largest credit a posting of this tier can carry."""
    return 1.0 if tier >= TOP_TIER else (tier + 1) / TOP_TIER


def _track_bound(prior: int) -> float:
    """The largest track record an intern with this static prior can have."""
    return min(1.0, (prior + 1) / 1000 / PRIOR_TRACK_SHARE)


def rank_key(credit: float, prior: int, yymm: str, intern_id: str) -> str:
    return f"{_tier(credit)}{prior:03d}#{yymm}#{intern_id}"


def posting_ranks(
    scoring: Mapping[str, Any], yymm: str, credit: Mapping[str, float] | None = None
) -> dict[str, str]:
    """Skill → rank key of every posting of a profile (the ``MAX_POSTINGS`` strongest);
    ``credit``: the profile's evidence credits when already computed (``skill_credits``)."""
    if credit is None:
        credit = skill_credits(
            scoring["skills"],
            str(scoring["bio"]),
            str(scoring.get("portfolio_url") or ""),
            int(scoring.get("completed", 0)),
        )
    prior = static_prior(
        int(scoring.get("completed", 0)),
        int(scoring.get("rating_sum", 0)),
        int(scoring.get("rating_count", 0)),
        int(scoring["hours_per_week"]),
    )
    strongest = sorted(credit.items(), key=lambda kv: -kv[1])[:MAX_POSTINGS]
    intern_id = str(scoring["intern_id"])
    return {skill: rank_key(c, prior, yymm, intern_id) for skill, c in strongest}


@dataclass
class Retrieval:
    """What a match read: the interns (posting fields by id, prepared for the scorer), the
    reference interns (the first page of every list), and what it cost."""

    postings: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    index: MatchIndex = field(default_factory=lambda: prepare(()))
    reference: set[str] = field(default_factory=set)
    items_read: int = 0
    pages: int = 0
    waves: int = 0  # rounds of reads: the pages of one wave are independent of each other
    stopped_by: str = ""  # "threshold", "exhausted" or "budget"

    def ref(self) -> frozenset[str]:
        return frozenset(self.reference)


@dataclass
class _List:
    skill: str
    cursor: Any = None
    done: bool = False
    tier: int = TOP_TIER
    prior: int = 999
    pages: int = 0


def _unseen_bound(lists: list[_List]) -> float:
    """The most an intern below every list's frontier can score."""
    n = len(lists)
    credits = [0.0 if lst.done else _tier_credit(lst.tier) for lst in lists]
    w = WEIGHTS
    rest = w["availability"] + w["text_relevance"] + w["nice_to_have"]
    live = [lst for lst in lists if not lst.done]
    # At the frontier's tier in every live list: track bounded by the lowest frontier prior.
    at_top = bool(live) and all(lst.tier >= TOP_TIER for lst in live)
    track = min(_track_bound(lst.prior) for lst in live) if at_top else 1.0
    best = w["required_skills"] * sum(credits) / n + w["track_record"] * track
    if at_top:  # or one tier lower in one list, with any track record
        for j, lst in enumerate(lists):
            if not lst.done:
                lower = sum(credits) - credits[j] + _tier_credit(TOP_TIER - 1)
                best = max(best, w["required_skills"] * lower / n + w["track_record"])
    return best + rest


def first_pages(brief: BriefProfile, budget: int = BUDGET) -> list[str]:
    """The skills whose first page (``PAGE`` postings, no cursor) ``bounded_pool`` reads
    before any decision — every required skill's, when they all fit the budget (else none):
    the caller may read them together, concurrently, and pass them as ``prefetched``."""
    required = normalise_skills(list(brief.skills))
    return required if len(required) * PAGE <= budget else []


def bounded_pool(
    brief: BriefProfile,
    read_page: PageReader,
    today: date,
    *,
    k: int = 5,
    budget: int = BUDGET,
    exclude: frozenset[str] = frozenset(),
    prefetched: Mapping[str, Page] | None = None,
    together: Together | None = None,
) -> Retrieval:
    """The interns worth scoring for a brief (see the module doc); rank the result with
    ``rank(brief, found.index, today, reference=found.reference)``. ``prefetched``: skill → its
    first page (``read_page(skill, None, PAGE)``), already read (``first_pages``); used in
    place of those reads, so the result is the same. ``together``: how a wave's reads are
    issued (concurrently, by the caller's adapter; by default one after the other) — the
    result does not depend on it."""
    required = normalise_skills(list(brief.skills))
    out = Retrieval()
    if not required:
        return out
    lists = [_List(skill) for skill in required]
    ready = dict(prefetched or {}) if len(required) * PAGE <= budget else {}
    while True:
        live = [lst for lst in lists if not lst.done]
        if not live:
            out.stopped_by = "exhausted"
            return out
        if out.items_read >= budget:
            out.stopped_by = "budget"
            return out
        wave = _wave(lists, budget - out.items_read)
        pages: list[Page | None] = [
            ready.pop(lst.skill) if lst.pages == 0 and size == PAGE and lst.skill in ready else None
            for lst, size in wave
        ]
        reads = [
            partial(read_page, lst.skill, lst.cursor, size)
            for (lst, size), page in zip(wave, pages, strict=True)
            if page is None
        ]
        answers = iter((together or _in_turn)(reads))
        out.waves += 1
        for (lst, _size), page in zip(wave, pages, strict=True):
            _take(out, lst, page if page is not None else next(answers))
        if any(x.pages == 0 for x in lists):
            continue
        bound = _unseen_bound(lists)
        if bound >= 1.0:
            continue  # nobody seen can reach it: no need to score yet
        ranked = rank(brief, out.index, today, limit=k, exclude=exclude, reference=out.ref())
        if len(ranked) == k and ranked[-1].score >= bound:
            out.stopped_by = "threshold"
            return out


def _wave(lists: list[_List], left: int) -> list[tuple[_List, int]]:
    """The next page of every live list, each its own size (``PAGE``, then doubling up to
    ``PAGE_MAX``), the budget ``left`` shared out in frontier order: lists not read yet
    first, then the highest frontier (tier, then prior)."""
    wave = []
    for lst in sorted(
        (x for x in lists if not x.done),
        key=lambda x: (x.pages == 0, x.tier, x.prior, -lists.index(x)),
        reverse=True,
    ):
        size = min(PAGE << lst.pages, PAGE_MAX, left)
        if size <= 0:
            break
        wave.append((lst, size))
        left -= size
    return wave


def _in_turn(reads: Sequence[Callable[[], Page]]) -> list[Page]:
    return [read() for read in reads]


def _take(out: Retrieval, lst: _List, answer: Page) -> None:
    """One page of ``lst`` read: its frontier moves, its new interns join the index."""
    page, cursor = answer
    first = lst.pages == 0
    lst.pages += 1
    out.pages += 1
    out.items_read += len(page)
    lst.cursor, lst.done = cursor, cursor is None or not page
    new: list[PreparedProfile] = []
    for posting in page:
        key = str(posting["rank"])
        lst.tier, lst.prior = int(key[0]), int(key[1:4])
        intern_id = str(posting["intern_id"])
        if first:
            out.reference.add(intern_id)
        if intern_id not in out.postings:
            out.postings[intern_id] = posting
            new.append(to_prepared(posting))
    out.index.extend(new)


def postings_of(scoring: Mapping[str, Any], yymm: str) -> tuple[dict[str, str], str]:
    """A profile's postings: skill → rank key, and the packed ``scoring`` they all carry —
    the profile prepared once for both."""
    pp = prepare_profile(to_intern_profile(scoring))
    return posting_ranks(scoring, yymm, pp.credit), _pack(pp, scoring)


def pack_scoring(scoring: Mapping[str, Any]) -> str:
    """A posting's ``scoring`` attribute: one compact JSON string holding the profile's
    prepared features — what the scorer derives from a profile independently of any brief
    (``matching.prepare_profile``: canonical skills, evidence credit per skill, the bio's and
    skills' term counts, the track-record factor) and the plain fields it reads (hours a week,
    time zone, completed, ratings). Computed once here, at write time, so a match only reads
    them: no tokenising, no evidence search per posting read. The bio and the portfolio address
    are not copied: the features replace them for scoring, and a reason's bio phrases are read
    from the profile items of the few candidates explained (``matching.rank(bios=…)``)."""
    return _pack(prepare_profile(to_intern_profile(scoring)), scoring)


def _pack(pp: PreparedProfile, scoring: Mapping[str, Any]) -> str:
    fields = {
        FEATURES: FEATURES_FORMAT,
        "skills": list(pp.skills),
        "hours_per_week": pp.hours_per_week,
        "timezone": str(scoring.get("timezone") or "UTC"),
        "completed": pp.completed,
        "rating_sum": pp.rating_sum,
        "rating_count": pp.rating_count,
        "credit": pp.credit,
        "terms": pp.term_counts,
        "track": pp.track,
    }
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


FEATURES = "f"  # key of the packed features' format in a ``scoring`` attribute
FEATURES_FORMAT = 2  # 2: prepared features; absent: the fields (bio included) as written


def posting_fields(posting: Mapping[str, Any]) -> Mapping[str, Any]:
    """A posting's scoring fields, packed (``scoring``: prepared features, or the fields with
    the bio as packed before features) or, as written before packing, as attributes of their
    own (a profile item has them so too)."""
    packed = posting.get("scoring")
    if isinstance(packed, str):
        return {**json.loads(packed), "intern_id": posting["intern_id"]}
    return posting


def to_prepared(posting: Mapping[str, Any]) -> PreparedProfile:
    """The scorer's prepared view of a posting: its packed features as they are, or — a
    posting written before features were packed, or a profile item — prepared now."""
    fields = posting_fields(posting)
    if fields.get(FEATURES) != FEATURES_FORMAT:
        return prepare_profile(to_intern_profile(fields))
    skills = tuple(fields["skills"])
    terms: dict[str, int] = fields["terms"]
    return PreparedProfile(
        intern_id=str(fields["intern_id"]),
        skills=skills,
        skill_set=frozenset(skills),
        credit=fields["credit"],
        bio=None,
        hours_per_week=int(fields["hours_per_week"]),
        completed=int(fields["completed"]),
        rating_count=int(fields["rating_count"]),
        rating_sum=int(fields["rating_sum"]),
        term_counts=terms,
        length=sum(terms.values()),
        track=float(fields["track"]),
    )


def to_intern_profile(posting: Mapping[str, Any]) -> InternProfile:
    """The scorer's view of a posting that carries the bio (written before features were
    packed) or of a profile item."""
    posting = posting_fields(posting)
    return InternProfile(
        intern_id=str(posting["intern_id"]),
        skills=tuple(posting["skills"]),
        bio=str(posting["bio"]),
        hours_per_week=int(posting["hours_per_week"]),
        timezone=str(posting.get("timezone") or "UTC"),
        completed=int(posting.get("completed", 0)),
        rating_sum=int(posting.get("rating_sum", 0)),
        rating_count=int(posting.get("rating_count", 0)),
        portfolio_url=str(posting.get("portfolio_url") or ""),
    )

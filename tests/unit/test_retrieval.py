"""Bounded retrieval (domain/retrieval.py): impact-ordered postings read with a Limit, a
threshold stop, and the same top 5 as exhaustive scoring on the eval set — each eval pool
embedded in a Zipf-distributed background pool, so the lists are longer than the budget."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest

from chalicelib.domain.matching import BriefProfile, rank
from chalicelib.domain.retrieval import (
    MAX_POSTINGS,
    PAGE,
    Retrieval,
    bounded_pool,
    first_pages,
    pack_scoring,
    posting_ranks,
    rank_key,
    static_prior,
    to_prepared,
)
from chalicelib.domain.skills import normalise_skills
from local.zipf_pool import generate_pool
from tests.unit.test_matching_eval import K, _brief, _load, ndcg_at_k

BACKGROUND = 6_000
YYMM = "2503"
TODAY = date(2025, 3, 3)


def sql_brief() -> BriefProfile:
    return BriefProfile(
        brief_id="b",
        title="SQL reports",
        description="Write SQL reports of monthly sales for the finance team.",
        deliverables=("SQL queries",),
        skills=("sql",),
        nice_to_have_skills=(),
        estimated_hours=10,
        deadline=date(2025, 3, 24),
    )


Lists = dict[str, list[tuple[str, Mapping[str, Any]]]]  # skill → (rank key, posting), best first


def postings(profile: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """A profile's postings as the app writes them: rank, intern id, packed features."""
    fields = {
        "intern_id": str(profile["intern_id"]),
        "skills": normalise_skills(list(profile["skills"])),
        "bio": profile["bio"],
        "hours_per_week": int(profile["hours_per_week"]),
        "timezone": profile.get("timezone", "UTC"),
        "portfolio_url": profile.get("portfolio_url") or "",
        "completed": int(profile.get("completed", 0)),
        "rating_sum": int(profile.get("rating_sum", 0)),
        "rating_count": int(profile.get("rating_count", 0)),
    }
    packed = pack_scoring(fields)
    return {
        s: {"rank": r, "intern_id": fields["intern_id"], "scoring": packed}
        for s, r in posting_ranks(fields, YYMM).items()
    }


def build_lists(profiles: Sequence[Mapping[str, Any]]) -> Lists:
    lists: Lists = {}
    for profile in profiles:
        for skill, posting in postings(profile).items():
            lists.setdefault(skill, []).append((str(posting["rank"]), posting))
    for entries in lists.values():
        entries.sort(key=lambda e: e[0], reverse=True)
    return lists


@functools.cache
def background() -> Lists:
    return build_lists(generate_pool(BACKGROUND, seed=99))


class Reader:
    """Pages of in-memory lists, counting what is read (a stand-in for the Query)."""

    def __init__(self, lists: Lists) -> None:
        self.lists = lists
        self.read = 0

    def __call__(self, skill: str, cursor: Any, limit: int) -> tuple[list[Any], Any]:
        entries = self.lists.get(skill, [])
        start = cursor or 0
        page = [p for _r, p in entries[start : start + limit]]
        self.read += len(page)
        end = start + len(page)
        return page, (end if end < len(entries) else None)


def merged(brief: dict[str, Any]) -> Lists:
    """The background's lists of the brief's skills with the eval pool's postings merged in."""
    own = build_lists(brief["candidates"])
    out: Lists = {}
    for skill in normalise_skills(brief["skills"]):
        entries = background().get(skill, []) + own.get(skill, [])
        out[skill] = sorted(entries, key=lambda e: e[0], reverse=True)
    return out


def top(brief: dict[str, Any], today: date, lists: Lists, budget: int) -> tuple[list[str], Any]:
    b = _brief(brief, today)
    found: Retrieval = bounded_pool(b, Reader(lists), today, budget=budget)
    ranked = rank(b, found.index, today, limit=K, reference=found.ref())
    return [c.intern_id for c in ranked], found


def exhaustive(brief: dict[str, Any], today: date, lists: Lists) -> list[str]:
    """Every intern of the brief's lists scored (text statistics from the same list heads)."""
    everyone = {p["intern_id"]: p for entries in lists.values() for _r, p in entries}
    heads = frozenset(p["intern_id"] for entries in lists.values() for _r, p in entries[:PAGE])
    profiles = [to_prepared(p) for p in everyone.values()]
    ranked = rank(_brief(brief, today), profiles, today, limit=K, reference=heads)
    return [c.intern_id for c in ranked]


def test_rank_keys_order_by_evidence_then_static_quality_then_recency() -> None:
    veteran = static_prior(completed=12, rating_sum=58, rating_count=12, hours_per_week=20)
    newcomer = static_prior(completed=0, rating_sum=0, rating_count=0, hours_per_week=20)
    assert 0 <= newcomer < veteran <= 999
    shown_new = rank_key(1.0, newcomer, "2503", "a")
    claim_veteran = rank_key(0.5, veteran, "2503", "b")
    assert shown_new > claim_veteran  # evidence first
    assert rank_key(1.0, veteran, "2503", "c") > shown_new  # then static quality
    assert rank_key(1.0, newcomer, "2504", "a") > shown_new  # then recency


def test_a_profile_has_a_posting_per_credited_skill_bio_and_tools_included() -> None:
    profile = {
        "intern_id": "i1",
        "skills": ["Jupyter", "teamwork"],
        "bio": "I keep the books in QuickBooks for a bakery.",
        "hours_per_week": 10,
    }
    skills = set(postings(profile))
    assert {"jupyter", "python", "data analysis", "quickbooks", "bookkeeping"} <= skills
    many = {**profile, "skills": [f"skill {n}" for n in range(20)], "bio": "SQL " * 40}
    assert len(postings(many)) <= MAX_POSTINGS


def test_reading_stops_on_the_threshold_when_the_rest_cannot_enter() -> None:
    strong = [
        {
            "intern_id": f"s{n:03d}",
            "skills": ["sql"],
            "bio": "I write SQL reports of monthly sales for a finance team.",
            "hours_per_week": 30,
            "completed": 10,
            "rating_sum": 50,
            "rating_count": 10,
        }
        for n in range(60)
    ]
    weak = [
        {
            "intern_id": f"w{n:04d}",
            "skills": ["sql", "python"],
            "bio": "Student.",
            "hours_per_week": 2,
        }
        for n in range(3_000)
    ]
    reader = Reader(build_lists(strong + weak))
    found = bounded_pool(sql_brief(), reader, TODAY)
    assert found.stopped_by == "threshold"
    assert found.items_read == reader.read <= 100  # one page: the strong ones came first


def test_reading_never_passes_the_budget() -> None:
    weak = [
        {"intern_id": f"w{n:04d}", "skills": ["sql"], "bio": "SQL.", "hours_per_week": 20}
        for n in range(5_000)
    ]
    reader = Reader(build_lists(weak))
    found = bounded_pool(sql_brief(), reader, TODAY, budget=750)
    assert found.stopped_by == "budget"
    assert reader.read == found.items_read == 750


def compare(budget: int) -> dict[str, Any]:
    """Bounded vs exhaustive over the eval set, each pool embedded in the Zipf background
    (also printed by ``python -m bench.matching``)."""
    today, briefs = _load()
    same, n_bounded, n_exhaustive, reads, stops, longest = 0, [], [], [], [], 0
    for brief in briefs:
        lists = merged(brief)
        longest = max(longest, *(len(v) for v in lists.values()))
        grades = {c["intern_id"]: int(c["grade"]) for c in brief["candidates"]}
        want = exhaustive(brief, today, lists)
        got, found = top(brief, today, lists, budget)
        same += got == want
        n_bounded.append(ndcg_at_k(got, grades))
        n_exhaustive.append(ndcg_at_k(want, grades))
        reads.append(found.items_read)
        stops.append(found.stopped_by)
    return {
        "briefs": len(briefs),
        "same": same,
        "bounded": sum(n_bounded) / len(briefs),
        "exhaustive": sum(n_exhaustive) / len(briefs),
        "max_read": max(reads),
        "mean_read": sum(reads) / len(reads),
        "longest": longest,
        "stops": {s: stops.count(s) for s in sorted(set(stops))},
    }


def describe(budget: int, r: dict[str, Any]) -> str:
    return (
        f"budget {budget}: NDCG@{K} bounded {r['bounded']:.3f} vs exhaustive "
        f"{r['exhaustive']:.3f}; same top {K} in {r['same']}/{r['briefs']} briefs; items read "
        f"per match max {r['max_read']}, mean {r['mean_read']:.0f}; longest list "
        f"{r['longest']}; stopped by " + ", ".join(f"{s} {n}" for s, n in r["stops"].items())
    )


@pytest.mark.parametrize(("budget", "exact"), [(2_000, True), (600, False)])
def test_bounded_gives_the_exhaustive_top_five_on_the_eval_set(budget: int, exact: bool) -> None:
    """At the real budget: the exhaustive top 5 in every brief. At a budget well below the
    longest lists (to show what the budget costs): within 0.05 of exhaustive NDCG."""
    r = compare(budget)
    print("\n" + describe(budget, r))
    assert r["max_read"] <= budget
    gap = r["exhaustive"] - r["bounded"]
    if exact:
        assert r["same"] == r["briefs"]
        assert abs(gap) <= 0.01
    else:
        assert gap <= 0.05


def test_first_pages_read_together_give_the_same_retrieval() -> None:
    """The match step reads every required skill's first page at once (one wave) and passes
    them in: every eval brief retrieves, references and ranks exactly as read a page at a
    time, and no first page is read again."""
    today, briefs = _load()
    for brief in briefs:
        b, lists = _brief(brief, today), merged(brief)
        alone = bounded_pool(b, Reader(lists), today)
        skills = first_pages(b)
        assert skills == normalise_skills(list(b.skills))
        ahead = Reader(lists)
        prefetched = {s: ahead(s, None, PAGE) for s in skills}
        rest = Reader(lists)
        together = bounded_pool(b, rest, today, prefetched=prefetched)
        assert list(together.postings) == list(alone.postings)
        assert together.reference == alone.reference
        assert (together.items_read, together.pages, together.stopped_by) == (
            alone.items_read,
            alone.pages,
            alone.stopped_by,
        )
        assert rest.read == alone.items_read - ahead.read  # the first pages not read again
        want = rank(b, alone.index, today, limit=K, reference=alone.ref())
        got = rank(b, together.index, today, limit=K, reference=together.ref())
        assert [(c.intern_id, c.score) for c in got] == [(c.intern_id, c.score) for c in want]


def test_first_pages_beyond_the_budget_are_read_one_at_a_time() -> None:
    b = BriefProfile(
        brief_id="b",
        title="Data",
        description="SQL and Python.",
        deliverables=("Report",),
        skills=("sql", "python", "excel"),
        nice_to_have_skills=(),
        estimated_hours=10,
        deadline=date(2025, 3, 24),
    )
    assert first_pages(b, budget=3 * PAGE) == ["sql", "python", "excel"]
    assert first_pages(b, budget=3 * PAGE - 1) == []
    lists = background()
    reader = Reader(lists)
    stale = {"sql": ([], None)}  # would exhaust the list if it were used
    found = bounded_pool(b, reader, TODAY, budget=250, prefetched=stale)
    assert found.items_read == reader.read == 250  # read as without it: budget first


def test_each_wave_reads_the_next_page_of_every_list_however_it_is_issued() -> None:
    """A wave's reads are independent of each other: issued in any order (here the last
    first), the retrieval is the same; every wave reads each live list's next page, so a
    match makes fewer rounds of reads than pages, and never passes the budget."""
    today, briefs = _load()
    fewer = 0
    for brief in briefs:
        b, lists = _brief(brief, today), merged(brief)
        in_turn = bounded_pool(b, Reader(lists), today)
        batches: list[int] = []

        def backwards(reads: Sequence[Any], batches: list[int] = batches) -> list[Any]:
            batches.append(len(reads))
            return [read() for read in reads[::-1]][::-1]

        reader = Reader(lists)
        found = bounded_pool(b, reader, today, together=backwards)
        assert list(found.postings) == list(in_turn.postings)
        assert found.reference == in_turn.reference
        assert (found.items_read, found.pages, found.waves, found.stopped_by) == (
            in_turn.items_read,
            in_turn.pages,
            in_turn.waves,
            in_turn.stopped_by,
        )
        assert reader.read == found.items_read <= 2_000
        assert len(batches) == found.waves and sum(batches) == found.pages
        skills = len(normalise_skills(list(b.skills)))
        assert batches[0] == skills  # the first wave: every list's first page
        assert all(n <= skills for n in batches)
        fewer += found.waves < found.pages
    assert fewer >= 20  # most briefs read several lists in a wave

"""The matching engine: factors, fairness, ordering, explanations."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.matching import (
    INFEASIBLE_SCALE,
    PRIOR_MEAN,
    WEIGHTS,
    BriefProfile,
    InternProfile,
    availability_score,
    prepare,
    rank,
    skill_overlap_baseline,
    tokenize,
    track_record_score,
)
from local.seed import generate_profiles, to_intern_profile

TODAY = date(2025, 3, 3)

BRIEF = BriefProfile(
    brief_id="b-churn",
    title="Customer churn analysis for a subscription app",
    description=(
        "We run a meal-kit subscription and want to know why customers cancel. Analyse twelve "
        "months of orders and cancellations and find the drivers of churn."
    ),
    deliverables=("SQL queries and cleaned data", "Churn drivers report", "Retention dashboard"),
    skills=("SQL", "Python", "data analysis"),
    nice_to_have_skills=("Tableau",),
    estimated_hours=20,
    deadline=TODAY + timedelta(days=14),
)


def intern(intern_id: str, **kw: Any) -> InternProfile:
    base: dict[str, Any] = {
        "skills": ("sql", "python", "data analysis"),
        "bio": "Economics student; built a churn analysis of subscription cancellations.",
        "hours_per_week": 20,
        "timezone": "Europe/London",
    }
    base.update(kw)
    return InternProfile(intern_id=intern_id, **base)


def pool() -> list[InternProfile]:
    return [
        intern("ideal", skills=("SQL", "python", "Data Analysis", "tableau")),
        intern("no-time", hours_per_week=3),
        intern("partial", skills=("sql",), bio="I write SQL reports for a retailer."),
        intern(
            "stuffer",
            skills=("sql", "python", "data analysis", "figma", "seo", "react"),
            bio="Fashion photographer and stylist.",
            hours_per_week=5,
        ),
        intern(
            "designer", skills=("figma", "tableau"), bio="Churn analysis dashboards in Tableau."
        ),
        intern("generic", bio="Hard-working student, quick learner."),
        intern(
            "veteran",
            skills=("python",),
            bio="Django developer building web apps.",
            completed=20,
            rating_sum=98,
            rating_count=20,
        ),
    ]


# --- factors ------------------------------------------------------------------------------
def test_weights_live_in_one_mapping_and_sum_to_one() -> None:
    assert set(WEIGHTS) == {
        "required_skills",
        "nice_to_have",
        "text_relevance",
        "availability",
        "track_record",
    }
    assert math.isclose(sum(WEIGHTS.values()), 1.0)
    with pytest.raises(TypeError):
        WEIGHTS["availability"] = 1.0  # type: ignore[index]


def test_availability_boundary() -> None:
    deadline = TODAY + timedelta(days=14)  # two weeks
    assert availability_score(10, 20, TODAY, deadline) == 1.0  # 10 h × 2 weeks = 20 h: enough
    assert availability_score(11, 20, TODAY, deadline) == 1.0
    below = availability_score(9, 20, TODAY, deadline)  # 18 h of 20
    assert 0.0 < below < 1.0
    assert below == pytest.approx((18 / 20) ** 2)
    assert availability_score(5, 20, TODAY, deadline) < below
    assert availability_score(40, 20, TODAY, TODAY) == 0.0  # deadline today
    assert availability_score(40, 20, TODAY, TODAY - timedelta(days=1)) == 0.0
    assert availability_score(0, 20, TODAY, deadline) == 0.0


def test_track_record_prior_for_newcomers() -> None:
    newcomer = track_record_score(0, 0, 0)
    assert newcomer == pytest.approx(0.8 * (PRIOR_MEAN - 1) / 4)
    assert 0.5 < newcomer < 1.0
    # One bad rating moves a newcomer only part of the way: the prior holds.
    assert track_record_score(1, 1, 1) > 0.3
    # Many good ratings beat the prior; many poor ones fall below it.
    assert track_record_score(20, 98, 20) > newcomer
    assert track_record_score(10, 20, 10) < newcomer


def test_newcomer_with_perfect_fit_outranks_veteran_with_poor_fit() -> None:
    newcomer = intern("newcomer")
    veteran = intern(
        "veteran",
        skills=("python", "excel"),
        bio="Django web developer.",
        completed=25,
        rating_sum=125,
        rating_count=25,
        hours_per_week=30,
    )
    ranked = rank(BRIEF, [veteran, newcomer], TODAY)
    assert [c.intern_id for c in ranked] == ["newcomer", "veteran"]
    assert ranked[1].factors["track_record"] > ranked[0].factors["track_record"]


def test_factors_are_in_range_and_score_is_their_weighted_sum() -> None:
    for c in rank(BRIEF, pool(), TODAY, limit=10):
        assert set(c.factors) == set(WEIGHTS)
        assert all(0.0 <= v <= 1.0 for v in c.factors.values()), c
        # Issue 17: without the hours before the deadline, the sum is scaled down (hard
        # feasibility); with them, the score is the weighted sum itself.
        scale = 1.0 if c.factors["availability"] == 1.0 else INFEASIBLE_SCALE
        weighted = sum(WEIGHTS[k] * v for k, v in c.factors.items())
        assert c.score == pytest.approx(scale * weighted)


def test_recruiter_sense_on_a_small_pool() -> None:
    ids = [c.intern_id for c in rank(BRIEF, pool(), TODAY, limit=10)]
    assert ids[0] == "ideal"
    assert ids.index("ideal") < ids.index("generic") < ids.index("stuffer")
    assert ids.index("no-time") > ids.index("ideal")
    assert "designer" not in ids  # lists no required skill


def test_aliases_count_as_the_skill() -> None:
    brief = replace(BRIEF, skills=("javascript", "machine learning"), nice_to_have_skills=())
    p = intern("a", skills=("JS", "ML"), bio="I build ML models and JS front ends.")
    (c,) = rank(brief, [p], TODAY)
    assert c.factors["required_skills"] == 1.0
    assert "covers 2/2 required skills" in c.reason


def test_bio_abbreviations_match_spelled_out_brief() -> None:
    assert "machin" in tokenize("ML") and "learn" in tokenize("ML")
    brief = replace(BRIEF, description=BRIEF.description + " Machine learning welcome.")
    a = intern("a", bio="I trained ML models on subscription data.")
    b = intern("b", bio="I cooked pasta on subscription data.")
    ranked = rank(brief, [a, b], TODAY)
    assert ranked[0].intern_id == "a"
    assert ranked[0].factors["text_relevance"] > ranked[1].factors["text_relevance"]


# --- fairness -----------------------------------------------------------------------------
class _IdentityTrap:
    """Looks like an InternProfile, but reading an identity field fails the test."""

    def __init__(self, p: InternProfile) -> None:
        self._p = p

    def __getattr__(self, attr: str) -> Any:
        if attr in {"name", "email", "school", "photo_url"}:
            raise AssertionError(f"the scorer read {attr}")
        return getattr(self._p, attr)


def test_scorer_never_reads_identity_fields() -> None:
    trapped = [_IdentityTrap(p) for p in pool()]
    assert rank(BRIEF, trapped, TODAY)  # type: ignore[arg-type]
    assert skill_overlap_baseline(BRIEF, trapped, TODAY)  # type: ignore[arg-type]


identity = st.fixed_dictionaries(
    {
        "name": st.text(max_size=30),
        "email": st.emails(),
        "school": st.text(max_size=30),
        "photo_url": st.text(max_size=40),
    }
)
skill_names = st.sampled_from(
    ["sql", "SQL", "python", "data analysis", "tableau", "figma", "excel", "seo", "js", "r"]
)


@settings(max_examples=60, deadline=None)
@given(
    skills=st.lists(skill_names, min_size=1, max_size=6),
    bio=st.text(max_size=200),
    hours=st.integers(min_value=0, max_value=40),
    completed=st.integers(min_value=0, max_value=30),
    ratings=st.integers(min_value=0, max_value=30),
    first=identity,
    second=identity,
)
def test_identical_profiles_differing_only_in_identity_score_identically(
    skills: list[str],
    bio: str,
    hours: int,
    completed: int,
    ratings: int,
    first: dict[str, str],
    second: dict[str, str],
) -> None:
    base = InternProfile("x", tuple(skills), bio, hours, "UTC", completed, 4 * ratings, ratings)
    a = replace(base, intern_id="a", **first)
    b = replace(base, intern_id="b", **second)
    ranked = {c.intern_id: c for c in rank(BRIEF, [*pool(), b, a], TODAY, limit=20)}
    if "a" not in ranked:
        assert "b" not in ranked
        return
    assert ranked["a"].score == ranked["b"].score
    assert ranked["a"].factors == ranked["b"].factors
    assert ranked["a"].reason == ranked["b"].reason


# --- ordering, limits, exclusion ------------------------------------------------------------
def test_deterministic_and_order_independent() -> None:
    first = rank(BRIEF, pool(), TODAY, limit=10)
    assert rank(BRIEF, pool(), TODAY, limit=10) == first
    assert rank(BRIEF, list(reversed(pool())), TODAY, limit=10) == first
    assert rank(BRIEF, prepare(pool()), TODAY, limit=10) == first


def test_ties_broken_by_intern_id() -> None:
    twins = [intern("ca"), intern("ab"), intern("ba")]
    ranked = rank(BRIEF, twins, TODAY)
    assert [c.intern_id for c in ranked] == ["ab", "ba", "ca"]
    assert len({c.score for c in ranked}) == 1


def test_limit_defaults_to_five() -> None:
    many = [intern(f"i{n:02d}") for n in range(12)]
    assert len(rank(BRIEF, many, TODAY)) == 5
    assert len(rank(BRIEF, many, TODAY, limit=3)) == 3
    assert rank(BRIEF, many, TODAY, limit=0) == []
    assert len(skill_overlap_baseline(BRIEF, many, TODAY)) == 5


def test_exclusion_set_is_honoured() -> None:
    ids = [c.intern_id for c in rank(BRIEF, pool(), TODAY, exclude=frozenset({"ideal", "generic"}))]
    assert "ideal" not in ids and "generic" not in ids
    assert ids  # the others are still there
    all_ids = frozenset(p.intern_id for p in pool())
    assert rank(BRIEF, pool(), TODAY, exclude=all_ids) == []
    baseline = skill_overlap_baseline(BRIEF, pool(), TODAY, exclude=frozenset({"ideal"}))
    assert "ideal" not in [c.intern_id for c in baseline]


def test_zero_required_coverage_is_never_shortlisted() -> None:
    perfect_bio_wrong_skills = intern(
        "writer", skills=("copywriting", "tableau"), bio=BRIEF.description, hours_per_week=40
    )
    assert rank(BRIEF, [perfect_bio_wrong_skills], TODAY) == []
    ranked = rank(BRIEF, [perfect_bio_wrong_skills, intern("ok")], TODAY)
    assert [c.intern_id for c in ranked] == ["ok"]
    assert rank(replace(BRIEF, skills=()), pool(), TODAY) == []


def test_baseline_ranks_by_overlap_only() -> None:
    ranked = skill_overlap_baseline(BRIEF, pool(), TODAY, limit=10)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    assert ranked[-1].score == pytest.approx(1 / 3)
    full = [c.intern_id for c in ranked if c.score == 1.0]
    assert full == sorted(full)  # ties by id, blind to bio and availability


# --- explanations ---------------------------------------------------------------------------
def test_reason_is_one_readable_line() -> None:
    (c,) = rank(
        BRIEF, [intern("ideal", skills=("SQL", "python", "data analysis", "tableau"))], TODAY
    )
    assert "\n" not in c.reason
    assert c.reason.startswith("covers 3/3 required skills")
    assert "1/1 nice-to-have (tableau)" in c.reason
    assert "20 h/week available" in c.reason
    assert "bio mentions" in c.reason and "churn analysis" in c.reason
    assert "new to the platform" in c.reason


def test_reason_names_gaps_and_track_record() -> None:
    p = intern("p", skills=("sql",), hours_per_week=5, completed=4, rating_sum=18, rating_count=4)
    (c,) = rank(BRIEF, [p], TODAY)
    assert "covers 1/3 required skills (missing python, data analysis)" in c.reason
    assert "only 5 h/week" in c.reason and "20 h of work" in c.reason
    assert "4 completed, rated 4.5/5" in c.reason


# --- demo data ------------------------------------------------------------------------------
def test_seed_profiles_are_deterministic_and_plausible() -> None:
    a = generate_profiles(200, seed=3)
    assert a == generate_profiles(200, seed=3)
    assert a != generate_profiles(200, seed=4)
    assert len({d["intern_id"] for d in a}) == 200
    for d in a:
        assert 5 <= d["hours_per_week"] <= 30
        assert "/" in d["timezone"] and d["portfolio_url"].startswith("https://")
        assert d["bio"].count(".") + d["bio"].count("!") >= 1 and len(d["skills"]) >= 3
        assert d["rating_count"] <= d["completed"]
        assert d["rating_count"] <= d["rating_sum"] <= 5 * d["rating_count"]
    p = to_intern_profile(a[0])
    assert p.intern_id == a[0]["intern_id"] and p.email == a[0]["email"]
    assert rank(BRIEF, [to_intern_profile(d) for d in a], TODAY)

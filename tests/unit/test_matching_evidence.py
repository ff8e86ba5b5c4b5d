"""Issue 17: evidence over claims, availability as a hard feasibility factor, tools and
synonyms standing for skills — the scorer's rules, one behaviour per test."""

from __future__ import annotations

import json
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest

from chalicelib.domain.matching import (
    BIO_CREDIT,
    CLAIM_CREDIT,
    BriefProfile,
    InternProfile,
    rank,
    skill_credits,
)
from chalicelib.domain.skills import implied_skills, normalise_skill, skills_in_text

TODAY = date(2025, 3, 3)
BRIEF = BriefProfile(
    brief_id="b",
    title="Customer churn analysis for a subscription app",
    description="Analyse twelve months of orders and cancellations and find the drivers of churn.",
    deliverables=("SQL queries", "Churn drivers report"),
    skills=("SQL", "Python", "data analysis"),
    nice_to_have_skills=(),
    estimated_hours=20,
    deadline=TODAY + timedelta(days=14),
)
RELEVANT = "Built a churn analysis in SQL and pandas for a subscription start-up."


def intern(intern_id: str, **kw: Any) -> InternProfile:
    base: dict[str, Any] = {
        "skills": ("sql", "python", "data analysis"),
        "bio": RELEVANT,
        "hours_per_week": 20,
        "timezone": "Europe/London",
    }
    base.update(kw)
    return InternProfile(intern_id=intern_id, **base)


@pytest.mark.parametrize(
    ("written", "canonical", "implies"),
    [
        ("SMM", "social media marketing", None),
        ("QBO", "quickbooks", "bookkeeping"),
        ("a11y", "accessibility", None),
        ("GSC", "google search console", "search engine optimization"),
        ("user testing", "usability testing", "user research"),
        ("Jupyter", "jupyter", "python"),
        ("Jupyter notebooks", "jupyter", "data analysis"),
        ("Canva", "canva", "graphic design"),
        ("Postgres", "postgresql", "sql"),
    ],
)
def test_synonyms_and_tools_stand_for_skills(
    written: str, canonical: str, implies: str | None
) -> None:
    assert normalise_skill(written) == canonical
    if implies:
        assert implies in implied_skills(canonical)


def test_the_table_cites_its_source_honestly() -> None:
    raw = resources.files("chalicelib.domain").joinpath("data", "skills.json").read_text()
    doc = json.loads(raw)
    assert "ESCO" in doc["source"] and "O*NET" in doc["source"]
    assert "not copied" in doc["source"]
    assert len(doc["skills"]) >= 300
    assert sum(len(e["aliases"]) for e in doc["skills"]) >= 800


def test_skills_are_found_in_free_text_but_not_common_words() -> None:
    found = skills_in_text("I keep the books in QuickBooks Online and write a word or two.")
    assert "quickbooks" in found
    assert "microsoft word" not in found  # "word" alone is no evidence


def test_a_listed_skill_with_evidence_counts_fully_and_a_bare_claim_counts_less() -> None:
    credit = skill_credits(["sql", "figma"], "I write SQL reports for a retailer.")
    assert credit["sql"] == 1.0
    assert credit["figma"] == CLAIM_CREDIT


def test_a_skill_shown_only_in_the_bio_counts() -> None:
    credit = skill_credits(["communication"], "Built dashboards in Tableau from SQL exports.")
    assert credit["sql"] == BIO_CREDIT
    assert credit["tableau"] == BIO_CREDIT
    ranked = rank(BRIEF, [intern("bio", skills=("teamwork",), bio=RELEVANT)], TODAY)
    assert [c.intern_id for c in ranked] == ["bio"]
    assert "shown in the bio, not listed" in ranked[0].reason


def test_many_unsupported_claims_dilute_each_claim() -> None:
    few = skill_credits(["sql", "react"], "Fashion stylist.")
    known = ["figma", "seo", "react", "tableau", "photoshop", "wordpress", "excel", "canva"]
    many = skill_credits(["sql", *known, "python", "copywriting", "video editing"], "Stylist.")
    assert many["sql"] < few["sql"] == CLAIM_CREDIT


def test_keyword_stuffers_drop_out_of_the_top_five() -> None:
    stuffing = ("figma", "seo", "react", "tableau", "photoshop", "wordpress", "excel", "canva")
    pool = [
        intern(f"stuffer-{n}", skills=("sql", "python", "data analysis", *stuffing), bio=bio)
        for n, bio in enumerate(["Hard-working student, quick learner.", "Fashion stylist."])
    ]
    pool += [intern(f"real-{n}") for n in range(3)]
    pool += [intern("tools", skills=("Jupyter", "MySQL"))]
    pool += [intern("bio-only", skills=("teamwork",))]
    top = [c.intern_id for c in rank(BRIEF, pool, TODAY, limit=5)]
    assert not [i for i in top if i.startswith("stuffer")], top
    stuffer = next(c for c in rank(BRIEF, pool, TODAY, limit=10) if c.intern_id == "stuffer-1")
    assert "listed without evidence in the bio" in stuffer.reason


def test_without_the_hours_a_candidate_ranks_below_every_feasible_one() -> None:
    star = intern("star", hours_per_week=4, completed=12, rating_sum=60, rating_count=12)
    weak = intern("weak", skills=("sql",), bio="Retail assistant.", hours_per_week=10)
    ranked = rank(BRIEF, [star, weak], TODAY)
    assert [c.intern_id for c in ranked] == ["weak", "star"]
    assert ranked[1].factors["required_skills"] > ranked[0].factors["required_skills"]
    assert "only 4 h/week: about 8 h before the deadline for 20 h of work" in ranked[1].reason
    assert "ranked below everyone who has the time" in ranked[1].reason


def test_the_portfolio_address_is_evidence() -> None:
    credit = skill_credits(["python"], "Student.", "https://github.com/x/python-churn-analysis")
    assert credit["python"] == 1.0


def test_a_skill_the_table_does_not_know_is_taken_as_written() -> None:
    credit = skill_credits(["quantum basket-weaving", "sql"], "Fashion stylist.")
    assert credit["quantum basket-weaving"] == 1.0  # nothing to look for in the text
    assert credit["sql"] == CLAIM_CREDIT

"""Quality evidence: NDCG@5 of the scorer vs a skill-overlap-only baseline.

The graded set is ``tests/data/matching_eval.json`` (built by ``build_matching_eval.py``).
Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.matching import (
    BriefProfile,
    Candidate,
    InternProfile,
    prepare,
    rank,
    skill_overlap_baseline,
)

EVAL = Path(__file__).resolve().parents[1] / "data" / "matching_eval.json"
K = 5

Ranker = Callable[..., list[Candidate]]


def ndcg_at_k(ranked_ids: list[str], grades: dict[str, int], k: int = K) -> float:
    def dcg(gains: list[int]) -> float:
        return math.fsum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(i, 0) for i in ranked_ids]) / ideal if ideal else 0.0


def _load() -> tuple[date, list[dict[str, Any]]]:
    doc = json.loads(EVAL.read_text("utf-8"))
    return date.fromisoformat(doc["today"]), doc["briefs"]


def _brief(b: dict[str, Any], today: date) -> BriefProfile:
    return BriefProfile(
        brief_id=b["brief_id"],
        title=b["title"],
        description=b["description"],
        deliverables=tuple(b["deliverables"]),
        skills=tuple(b["skills"]),
        nice_to_have_skills=tuple(b["nice_to_have_skills"]),
        estimated_hours=b["estimated_hours"],
        deadline=today + timedelta(days=b["deadline_days"]),
    )


def _profiles(b: dict[str, Any]) -> list[InternProfile]:
    return [
        InternProfile(
            intern_id=c["intern_id"],
            skills=tuple(c["skills"]),
            bio=c["bio"],
            hours_per_week=c["hours_per_week"],
            timezone=c["timezone"],
            completed=c["completed"],
            rating_sum=c["rating_sum"],
            rating_count=c["rating_count"],
            portfolio_url=c.get("portfolio_url") or "",
        )
        for c in b["candidates"]
    ]


def mean_ndcg(ranker: Ranker) -> tuple[float, list[float]]:
    today, briefs = _load()
    per_brief = []
    for b in briefs:
        grades = {c["intern_id"]: int(c["grade"]) for c in b["candidates"]}
        ranked = ranker(_brief(b, today), prepare(_profiles(b)), today, limit=K)
        per_brief.append(ndcg_at_k([c.intern_id for c in ranked], grades))
    return sum(per_brief) / len(per_brief), per_brief


PATTERNS = ("keyword_stuffer", "low_availability", "synonyms_tools", "evidence_in_bio")


def top5_rates(ranker: Ranker) -> dict[str, float]:
    """Per issue-17 pattern: the share of pools where someone of that pattern is in the top 5."""
    today, briefs = _load()
    hits = dict.fromkeys(PATTERNS, 0)
    for b in briefs:
        pattern_of = {c["intern_id"]: c.get("pattern") for c in b["candidates"]}
        ranked = ranker(_brief(b, today), prepare(_profiles(b)), today, limit=K)
        for p in {pattern_of[c.intern_id] for c in ranked} & set(PATTERNS):
            hits[p] += 1
    return {p: n / len(briefs) for p, n in hits.items()}


def test_eval_set_is_big_enough_and_graded() -> None:
    _today, briefs = _load()
    assert len(briefs) >= 40
    for b in briefs:
        grades = [c["grade"] for c in b["candidates"]]
        assert len(grades) >= 8, b["brief_id"]
        assert set(grades) <= {0, 1, 2, 3}
        assert max(grades) == 3 and min(grades) <= 1, b["brief_id"]
        assert len({c["intern_id"] for c in b["candidates"]}) == len(grades)
        patterns = {c.get("pattern") for c in b["candidates"]}
        assert set(PATTERNS) <= patterns, b["brief_id"]  # every pool has the four patterns


def test_ndcg_helper() -> None:
    grades = {"a": 3, "b": 2, "c": 0}
    assert ndcg_at_k(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "b", "a"], grades) < ndcg_at_k(["a", "c", "b"], grades) < 1.0
    assert ndcg_at_k([], grades) == 0.0


def test_scorer_beats_skill_overlap_baseline() -> None:
    scorer, per_scorer = mean_ndcg(rank)
    baseline, per_baseline = mean_ndcg(skill_overlap_baseline)
    wins = sum(s > b for s, b in zip(per_scorer, per_baseline, strict=True))
    losses = sum(s < b for s, b in zip(per_scorer, per_baseline, strict=True))
    print(
        f"\nNDCG@{K} over {len(per_scorer)} briefs: scorer {scorer:.3f}, "
        f"skill-overlap baseline {baseline:.3f} (scorer better on {wins}, worse on {losses})"
    )
    for name, ranker in (("scorer", rank), ("baseline", skill_overlap_baseline)):
        rates = top5_rates(ranker)
        print(
            f"  {name:>8}: pools with one in the top {K}: "
            + ", ".join(f"{p} {r:.0%}" for p, r in rates.items())
        )
    assert scorer > baseline + 0.05
    assert wins > 2 * losses

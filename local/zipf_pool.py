"""A realistic intern pool for the matching benchmark: skill popularity follows Zipf's law.

Skill frequencies on CVs and in job postings are heavily skewed — a handful of skills
(communication, Excel, Python, research, social media) are on a large share of profiles,
and most skills on very few. The published frequency tables of job-posting skills (Lightcast
Open Skills, formerly Burning Glass/EMSI; ESCO's "skills in demand" counts; O*NET's "hot
technologies") show a rank–frequency curve close to Zipf's law with an exponent near 1.
This generator uses that shape, ``ZIPF_EXPONENT = 1.0``, over the project's own skills table
ordered by the head of ``POPULAR`` (hand-ordered from those public rankings) and then the
table's order. It is not fitted to a downloaded table (this work had no network access);
with the exponent at 1 and ~320 skills (3–8 per profile), the most popular skill is on about
60 % of the profiles, python on about 22 % and the median skill on about 0.6 %.

Each profile lists 3–8 skills drawn by popularity; the bio shows about 60 % of them (a
sentence about work done with the skill), so the pool holds evidenced skills, bare claims
and keyword stuffers alike. Hours a week and the track record are drawn as in
``local/seed.py``. Deterministic for a seed; profiles are generated lazily (``iter_pool``),
so a million never sit in memory as dicts at once.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import random
from collections.abc import Iterator
from importlib import resources
from typing import Any

__all__ = ["POPULAR", "ZIPF_EXPONENT", "generate_pool", "iter_pool", "skill_popularity"]

ZIPF_EXPONENT = 1.0
EVIDENCE_SHARE = 0.6  # of a profile's listed skills, the share its bio shows
# The head of the popularity ranking, most common first.
POPULAR = (
    "communication",
    "excel",
    "microsoft office",
    "python",
    "market research",
    "social media marketing",
    "data analysis",
    "project management",
    "sql",
    "teamwork",
    "content writing",
    "canva",
    "customer service",
    "powerpoint",
    "leadership",
    "problem solving",
    "public speaking",
    "sales",
    "adobe photoshop",
    "javascript",
    "copywriting",
    "html",
    "google workspace",
    "graphic design",
    "statistics",
    "research",
    "figma",
    "event planning",
    "search engine optimization",
    "digital marketing",
    "accounting",
    "java",
    "data visualization",
    "tableau",
    "react",
    "video editing",
    "user research",
    "email marketing",
    "financial modeling",
    "machine learning",
)
_HOURS = (5, 8, 10, 10, 12, 15, 15, 20, 20, 25, 30)
_TOPICS = (
    "a student society",
    "a local charity",
    "a retail start-up",
    "my university's careers office",
    "a food delivery company",
    "a research group",
    "a family business",
    "a fintech internship",
)
_EVIDENCE = (
    "I used {skill} on a project for {topic}.",
    "Last term I did {skill} work for {topic}.",
    "My {skill} work for {topic} is in my portfolio.",
    "At {topic} I was responsible for {skill}.",
)
_FILLER = (
    "Motivated student who enjoys solving problems.",
    "I like clear deadlines and clear briefs.",
    "Looking for short projects alongside my studies.",
)


@functools.cache
def skill_popularity() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Skills by popularity rank and their cumulative Zipf weights."""
    raw = resources.files("chalicelib.domain").joinpath("data", "skills.json").read_text("utf-8")
    table = [e["name"] for e in json.loads(raw)["skills"] if e["category"] != "languages"]
    ordered = [s for s in POPULAR if s in table] + [s for s in table if s not in POPULAR]
    weights = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(ordered))]
    return tuple(ordered), tuple(itertools.accumulate(weights))


def _draw_skills(rng: random.Random, count: int) -> list[str]:
    skills, cumulative = skill_popularity()
    total = cumulative[-1]
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        chosen[skills[bisect.bisect_left(cumulative, rng.random() * total)]] = None
    return list(chosen)


def _profile(rng: random.Random, n: int) -> dict[str, Any]:
    skills = _draw_skills(rng, rng.randint(3, 8))
    shown = [s for s in skills if rng.random() < EVIDENCE_SHARE][:4]
    sentences = [rng.choice(_EVIDENCE).format(skill=s, topic=rng.choice(_TOPICS)) for s in shown]
    bio = " ".join(sentences) or rng.choice(_FILLER)
    completed = rating_count = rating_sum = 0
    if rng.random() < 0.35:
        completed = rng.randint(1, 15)
        rating_count = rng.randint(0, completed)
        rating_sum = sum(rng.choices((3, 4, 4, 5, 5, 5), k=rating_count))
    return {
        "intern_id": f"z{n:07d}",
        "name": f"Zipf Intern {n}",
        "email": f"zipf{n}@example.edu",
        "skills": skills,
        "bio": bio,
        "hours_per_week": rng.choice(_HOURS),
        "timezone": "Europe/London",
        "portfolio_url": None,
        "completed": completed,
        "rating_sum": rating_sum,
        "rating_count": rating_count,
    }


def iter_pool(n: int, seed: int = 17) -> Iterator[dict[str, Any]]:
    """``n`` profiles, one at a time; the same seed gives the same pool."""
    rng = random.Random(seed)
    for i in range(n):
        yield _profile(rng, i)


def generate_pool(n: int, seed: int = 17) -> list[dict[str, Any]]:
    return list(iter_pool(n, seed))

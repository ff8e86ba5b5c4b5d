"""Exposure simulation: how offers spread over the interns, without and with fair exposure.

Run from the repository root:  python -m bench.exposure  [--briefs 1000] [--pool 2000]

A Zipf pool (``local/zipf_pool.py``, in memory) receives ``--briefs`` briefs over four weeks
(one every ~40 minutes), their required skills (1–3) drawn by the same Zipf popularity as the
profiles, hours 5–40, deadlines 7–30 days out. Each brief is ranked by the production scorer
(``matching.rank``) and offered to its first candidate — every offer counts, whatever the
answer:

- **without** exposure: the scorer's first candidate;
- **with** exposure: the scorer's top 15 through ``exposure.apply_exposure`` (the weekly cap
  at the production default, the near-equal band), the offer recorded as the store does.

Printed: offers made, interns offered at least once, the share of offers held by the top 1 %
of interns (by offers received), the Gini coefficient of offers over the whole pool, the most
offers one intern received in any rolling week, and what fairness cost: the mean score gap
between the scorer's first candidate and the one offered.

Then NDCG@5 on the eval set (``tests/data/matching_eval.json``) without and with exposure.
The eval pools share no intern, so the history is drawn: each candidate was last offered work
0–30 days ago (or never, 30 %), and holds 0–3 offers this week — 10 % of them at the cap
(3) — seeded, averaged over 20 draws.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from chalicelib.domain.exposure import WEEK, Exposure, apply_exposure, record_offer
from chalicelib.domain.matching import BriefProfile, Candidate, InternProfile, prepare, rank
from chalicelib.settings import Settings
from local.zipf_pool import generate_pool, skill_popularity

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
SPAN = timedelta(days=28)
LOOKAHEAD = 10  # as services/exposure.py
CAP = int(Settings.model_fields["offers_per_intern_per_week"].default)  # production default
_TOPICS = ("a coffee roaster", "a charity", "a fintech start-up", "a bike shop", "a museum")


def gini(values: list[int]) -> float:
    """Gini coefficient of non-negative counts (0: all equal; → 1: one holds everything)."""
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def top_share(values: list[int], share: float = 0.01) -> float:
    """The share of all offers held by the top ``share`` of interns."""
    total = sum(values)
    top = max(1, round(len(values) * share))
    return sum(sorted(values, reverse=True)[:top]) / total if total else 0.0


def _skills(rng: random.Random, count: int) -> tuple[str, ...]:
    names, cumulative = skill_popularity()
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        chosen[names[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]] = None
    return tuple(chosen)


def briefs(n: int, seed: int = 23) -> list[tuple[datetime, BriefProfile]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = START + SPAN * i / n
        skills = _skills(rng, rng.choice((1, 2, 2, 3)))
        topic = rng.choice(_TOPICS)
        out.append(
            (
                at,
                BriefProfile(
                    brief_id=f"sim{i:05d}",
                    title=f"{skills[0].title()} project for {topic}",
                    description=f"We need help with {', '.join(skills)} for {topic}: "
                    "a short, well-scoped piece of work with a clear deliverable.",
                    deliverables=("A short report",),
                    skills=skills,
                    nice_to_have_skills=(),
                    estimated_hours=rng.randint(5, 40),
                    deadline=(at + timedelta(days=rng.randint(7, 30))).date(),
                ),
            )
        )
    return out


def simulate(pool: list[InternProfile], n_briefs: int, *, fair: bool) -> dict[str, float]:
    index = prepare(pool)
    exposures: dict[str, Exposure] = {}
    offers: Counter[str] = Counter()
    gaps: list[float] = []
    times: dict[str, list[datetime]] = {}  # offers per intern, to find the busiest week
    week_max = 0
    for at, brief in briefs(n_briefs):
        ranked = rank(brief, index, at.date(), limit=5 + LOOKAHEAD if fair else 1)
        if not ranked:
            continue
        chosen: Candidate | None = ranked[0]
        if fair:
            shortlist = apply_exposure(ranked, exposures, at, cap=CAP, limit=5)
            chosen = shortlist[0] if shortlist else None
            if chosen is None:
                continue
            after = record_offer(
                exposures.get(chosen.intern_id), chosen.intern_id, brief.brief_id, at, CAP
            )
            assert after is not None, "the shortlist offered an intern at the cap"
            exposures[chosen.intern_id] = after
        assert chosen is not None
        offers[chosen.intern_id] += 1
        gaps.append(ranked[0].score - chosen.score)
        seen = times.setdefault(chosen.intern_id, [])
        seen.append(at)
        week_max = max(week_max, sum(1 for t in seen if t > at - WEEK))
    counts = [offers.get(p.intern_id, 0) for p in pool]
    return {
        "offers": sum(counts),
        "offered": sum(1 for c in counts if c),
        "top1": top_share(counts),
        "gini": gini(counts),
        "week_max": week_max,
        "gap": sum(gaps) / len(gaps) if gaps else 0.0,
    }


def eval_ndcg(draws: int = 20) -> tuple[float, float, float]:
    """NDCG@5 on the eval set: the scorer, and the scorer + exposure under drawn histories
    (band only; band and cap)."""
    from tests.unit.test_matching_eval import K, _brief, _load, _profiles, ndcg_at_k

    today, eval_briefs = _load()
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    plain: list[float] = []
    band_only: list[float] = []
    with_cap: list[float] = []
    for b in eval_briefs:
        grades = {c["intern_id"]: int(c["grade"]) for c in b["candidates"]}
        ranked = rank(_brief(b, today), prepare(_profiles(b)), today, limit=K + LOOKAHEAD)
        plain.append(ndcg_at_k([c.intern_id for c in ranked[:K]], grades))
        for draw in range(draws):
            rng = random.Random(f"{b['brief_id']}/{draw}")
            history: dict[str, Exposure] = {}
            capped: dict[str, Exposure] = {}
            for c in ranked:
                last = None if rng.random() < 0.3 else now - timedelta(days=rng.uniform(0, 30))
                history[c.intern_id] = Exposure(c.intern_id, (), last)
                week = CAP if rng.random() < 0.1 else rng.randint(0, CAP - 1)
                offers = tuple((f"x{j}", now - timedelta(days=j + 0.5)) for j in range(week))
                capped[c.intern_id] = Exposure(c.intern_id, offers, last)
            band_only.append(
                ndcg_at_k(
                    [c.intern_id for c in apply_exposure(ranked, history, now, cap=CAP)], grades
                )
            )
            with_cap.append(
                ndcg_at_k(
                    [c.intern_id for c in apply_exposure(ranked, capped, now, cap=CAP)], grades
                )
            )
    return (
        sum(plain) / len(plain),
        sum(band_only) / len(band_only),
        sum(with_cap) / len(with_cap),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exposure", description=__doc__)
    parser.add_argument("--briefs", type=int, default=1_000)
    parser.add_argument("--pool", type=int, default=2_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from chalicelib.domain.retrieval import to_intern_profile

    pool = [to_intern_profile(p) for p in generate_pool(args.pool)]
    print(
        f"Exposure simulation: {args.briefs:,} briefs over {SPAN.days} days, "
        f"Zipf pool of {args.pool:,} interns, cap {CAP} offers per rolling week"
    )
    print(
        f"  {'':8} {'offers':>7} {'interns offered':>16} {'top-1 % share':>14} {'Gini':>6}"
        f" {'max/week':>9} {'score gap':>10}"
    )
    for label, fair in (("without", False), ("with", True)):
        r = simulate(pool, args.briefs, fair=fair)
        print(
            f"  {label:8} {r['offers']:>7,.0f} {r['offered']:>16,.0f} {r['top1']:>13.1%}"
            f" {r['gini']:>6.3f} {r['week_max']:>9.0f} {r['gap']:>10.4f}"
        )
    plain, band, capped = eval_ndcg()
    print("NDCG@5 on the eval set (46 briefs; drawn offer histories, 20 draws each):")
    print(f"  scorer alone                      {plain:.3f}")
    print(f"  + exposure band (nobody capped)   {band:.3f}")
    print(f"  + band and weekly cap (10 % capped) {capped:.3f}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

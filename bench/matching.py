"""Benchmark of the matching engine: score and rank 1k, 10k and 100k synthetic profiles.

Run from the repository root:  python -m bench.matching

For each pool size: how many profiles share a required skill with the brief (the ones the
inverted index hands to the scorer), the time to prepare the index (once, at load), the
median time to score and rank (the per-match cost), the peak memory of a match and the size
of the prepared index (tracemalloc), and the skill-overlap baseline on the same pool.
Goals (issue 4): 10k ≤ 50 ms and 100k ≤ 500 ms.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from chalicelib.domain.matching import (
    BriefProfile,
    InternProfile,
    MatchIndex,
    prepare,
    rank,
    skill_overlap_baseline,
)
from chalicelib.domain.skills import normalise_skills
from local.seed import generate_profiles, to_intern_profile

SIZES = (1_000, 10_000, 100_000)
GOALS_MS = {10_000: 50.0, 100_000: 500.0}
RUNS = 7
TODAY = date(2025, 3, 3)
BRIEF = BriefProfile(
    brief_id="bench",
    title="Customer churn analysis for a meal-kit subscription",
    description=(
        "We are a meal-kit subscription with 8,000 customers. Analyse twelve months of orders "
        "and cancellations, find what drives churn (plan type, delivery delays, discounts) and "
        "recommend two retention experiments."
    ),
    deliverables=(
        "Cleaned dataset and SQL queries",
        "Churn drivers report with charts",
        "Two retention experiment proposals",
    ),
    skills=("SQL", "Python", "data analysis"),
    nice_to_have_skills=("Tableau", "statistics"),
    estimated_hours=25,
    deadline=TODAY + timedelta(days=21),
)


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm caches (tokeniser, alias table)
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def index_mb(profiles: list[InternProfile]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = prepare(profiles)
        size = tracemalloc.get_traced_memory()[0] - before
        del index
        return size / 2**20
    finally:
        tracemalloc.stop()


def candidates(index: MatchIndex) -> int:
    required = normalise_skills(BRIEF.skills)
    return len({i for s in required for i in index.by_skill.get(s, ())})


def main() -> int:
    started = time.perf_counter()
    print(f"matching benchmark: brief requires {', '.join(BRIEF.skills)}; median of {RUNS} runs")
    header = (
        f"{'profiles':>9} {'scored':>7} {'prepare s':>9} {'index MB':>9} {'rank ms':>8} "
        f"{'peak MB':>8} {'baseline ms':>11} {'rank/base':>9}  goal"
    )
    print(header)
    print("-" * len(header))
    ok = True
    all_dicts = generate_profiles(max(SIZES))
    for size in SIZES:
        profiles = [to_intern_profile(d) for d in all_dicts[:size]]
        t0 = time.perf_counter()
        index = prepare(profiles)
        prep_s = time.perf_counter() - t0
        rank_ms = median_ms(partial(rank, BRIEF, index, TODAY))
        base_ms = median_ms(partial(skill_overlap_baseline, BRIEF, index, TODAY))
        peak = peak_mb(partial(rank, BRIEF, index, TODAY))
        mem = index_mb(profiles)
        goal = GOALS_MS.get(size)
        verdict = "-" if goal is None else ("ok" if rank_ms <= goal else "MISSED")
        if goal is not None:
            verdict += f" (≤ {goal:.0f} ms)"
            ok = ok and rank_ms <= goal
        print(
            f"{size:>9,} {candidates(index):>7,} {prep_s:>9.2f} {mem:>9.1f} {rank_ms:>8.1f} "
            f"{peak:>8.1f} {base_ms:>11.1f} {rank_ms / base_ms:>8.1f}x  {verdict}"
        )
        del index, profiles
    top = rank(BRIEF, prepare([to_intern_profile(d) for d in all_dicts[:1000]]), TODAY, limit=1)
    if top:
        print(f"\nbest of 1k: {top[0].intern_id} {top[0].score:.3f} — {top[0].reason}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

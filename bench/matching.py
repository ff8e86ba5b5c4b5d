"""Benchmark of the matching engine: score and rank 1k, 10k and 100k synthetic profiles.

Run from the repository root:  python -m bench.matching

For each pool size: how many profiles share a required skill with the brief (the ones the
inverted index hands to the scorer), the time to prepare the index (once, at load), the
median time to score and rank (the per-match cost), the peak memory of a match and the size
of the prepared index (tracemalloc), and the skill-overlap baseline on the same pool.
Goals (issue 4): 10k ≤ 50 ms and 100k ≤ 500 ms.

Then the DynamoDB requests one match makes when the table holds 1k and 100k interns of whom
200 share a skill with the brief (moto in-process, the table provisioned from the same
template as every stage): retrieval is one Query per required skill on its `SKILL#` postings,
so the count must not grow with the table. Goal: the same at 1k and 100k (± 10 %).

    python -m bench.matching                  # both parts
    python -m bench.matching --requests-only  # only the DynamoDB requests per match
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from typing import Any

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


def ranking(all_dicts: list[dict[str, Any]]) -> bool:
    print(f"matching benchmark: brief requires {', '.join(BRIEF.skills)}; median of {RUNS} runs")
    header = (
        f"{'profiles':>9} {'scored':>7} {'prepare s':>9} {'index MB':>9} {'rank ms':>8} "
        f"{'peak MB':>8} {'baseline ms':>11} {'rank/base':>9}  goal"
    )
    print(header)
    print("-" * len(header))
    ok = True
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
    return ok


# ---------------------------------------------------------------------------------------
# DynamoDB requests per match (moto in-process)
# ---------------------------------------------------------------------------------------
TABLE_SIZES = (1_000, 100_000)
SHARED = 200  # interns who share a skill with the brief, at every table size
REQUESTS_TOLERANCE = 0.10
BULK_LIMIT_S = 120.0  # above this (estimated), the extra non-sharing interns are written directly
FILLER_SKILL = "public speaking"  # for a generated intern left without skills once stripped
AWS_ENV = {  # as tests/integration/conftest.py sets it
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "BASE_URL": "http://bench.local",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",  # secrets: the twin's, from its secret in moto
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def reset_app_caches() -> None:
    """Forget settings, clients, idempotency layers and the store (as the tests do)."""
    from chalicelib.adapters import aws, idempotency, store
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()
    idempotency.reset()
    store._store = None


@contextmanager
def moto_table() -> Iterator[dict[str, str]]:
    """moto in-process with the template's resources; the environment restored afterwards."""
    import boto3
    from moto import mock_aws

    saved = dict(os.environ)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ENV)
    try:
        with mock_aws():
            from local.twin import provision

            env = provision(boto3.session.Session(region_name="us-east-1"))
            os.environ.update(env)
            reset_app_caches()
            from chalicelib.observability import logger

            logger.setLevel("WARNING")  # the app's INFO lines would drown the table
            yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_app_caches()


class RequestCounter:
    """A botocore `before-call` handler: one count per DynamoDB API call, by operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.calls[getattr(model, "name", "?")] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def summary(self) -> str:
        return ", ".join(f"{n} {op}" for op, n in sorted(self.calls.items()))


@contextmanager
def counting() -> Iterator[RequestCounter]:
    from chalicelib.adapters import aws

    counter = RequestCounter()
    events = aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb", counter, unique_id="bench-request-counter")
    try:
        yield counter
    finally:
        events.unregister("before-call.dynamodb", unique_id="bench-request-counter")


def split_pool(
    profiles: list[dict[str, Any]], required: set[str], brief_skills: set[str], shared: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`shared` profiles that list a required skill; every other one stripped of the brief's
    skills (required and nice-to-have), so it shares none."""
    sharing: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for profile in profiles:
        listed = set(normalise_skills(profile["skills"]))
        if listed & required and len(sharing) < shared:
            sharing.append(profile)
            continue
        kept = [s for s in profile["skills"] if not set(normalise_skills([s])) & brief_skills]
        others.append({**profile, "skills": kept or [FILLER_SKILL]})
    if len(sharing) < shared:
        raise SystemExit(f"only {len(sharing)} generated profiles share a brief skill")
    return sharing, others


def _attribute_value(value: Any) -> dict[str, Any]:
    """DynamoDB JSON of the plain values a profile item holds (what `to_item` would give)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_attribute_value(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: _attribute_value(v) for k, v in value.items() if v is not None}}
    raise TypeError(f"unexpected {type(value).__name__} in a profile item")


def write_directly(profiles: list[dict[str, Any]]) -> None:
    """Put the profiles' items (from `profile_items`, as the app writes them) straight into
    moto's table: no request is made, and moto's per-attribute size bookkeeping is skipped.
    An intern's postings share the attribute objects of its scoring fields (moto copies what
    a query returns, so nothing downstream can change them)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    from chalicelib.adapters.intern_profiles import profile_items
    from chalicelib.settings import get_settings

    settings = get_settings()
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region].get_table(settings.table_name)
    for profile in profiles:
        shared: dict[int, Any] = {}  # id(value) -> DynamoType, for this intern's items
        for item in profile_items(str(profile["intern_id"]), profile):
            attrs = LimitedSizeDict()
            for name, value in item.items():
                if value is None:
                    continue
                typed = shared.get(id(value))
                if typed is None:
                    typed = shared[id(value)] = DynamoType(_attribute_value(value))
                dict.__setitem__(attrs, name, typed)
            stored = Item(attrs["pk"], attrs["sk"], {})
            stored.attrs = attrs
            table.items[attrs["pk"]][attrs["sk"]] = stored


@contextmanager
def moto_at_scale() -> Iterator[None]:
    """Take two costs of the mock, not of DynamoDB, out of a match on a big table.

    moto answers every table Query by sorting the whole table and keeping the queried
    partition, and deep-copies every table a TransactWriteItems touches (to roll back on
    failure): both O(table) per request, minutes at 100k interns. Here a table Query sees
    only its partition, and the rollback copy is skipped (the bench's transactions do not
    fail). The requests the app makes, which the bench counts, are unchanged.
    """
    import copy
    import inspect
    from collections import defaultdict
    from types import SimpleNamespace
    from unittest import mock

    from moto.dynamodb.models.table import Table

    query = Table.query
    signature = inspect.signature(query)

    def partition_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, hash_key, *args, **kwargs).arguments
        if bound.get("index_name") or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        everything = self.items
        self.items = defaultdict(dict)
        if hash_key in everything:
            self.items[hash_key] = everything[hash_key]
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            self.items = everything

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    with (
        mock.patch.object(Table, "query", partition_query),
        mock.patch("moto.dynamodb.models.copy", SimpleNamespace(deepcopy=deepcopy)),
    ):
        yield


def submit_bench_brief(n: int) -> str:
    from chalicelib.adapters import clock
    from chalicelib.services.briefs import submit_brief

    data = {
        "title": BRIEF.title,
        "description": BRIEF.description,
        "deliverables": list(BRIEF.deliverables),
        "skills": list(BRIEF.skills),
        "nice_to_have_skills": list(BRIEF.nice_to_have_skills),
        "estimated_hours": BRIEF.estimated_hours,
        "budget_cents": BRIEF.estimated_hours * 2_000,
        "currency": "usd",
        "deadline": (clock.today() + timedelta(days=21)).isoformat(),
        "employer_name": "Bench Employer",
        "employer_email": f"employer{n}@bench.example",
        "company": "Bench Meals",
    }
    return submit_brief(data).brief_id


def requests_per_match(brief_id: str) -> dict[str, Any]:
    """DynamoDB requests of retrieval alone, then of the whole match step, for a stored brief."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps
    from chalicelib.services.interns import candidates_for

    brief = get_store().get_brief(brief_id)
    assert brief is not None
    with counting() as retrieval, moto_at_scale():
        t0 = time.perf_counter()
        pool = candidates_for(brief["skills"])
        retrieval_ms = (time.perf_counter() - t0) * 1000
    with counting() as match, moto_at_scale():
        t0 = time.perf_counter()
        result = steps.match(steps.StepEvent(brief_id=brief_id, execution="bench"))
        match_ms = (time.perf_counter() - t0) * 1000
    return {
        "pool": len(pool),
        "shortlist": int(result.get("count", 0)),
        "retrieval": retrieval,
        "match": match,
        "retrieval_ms": retrieval_ms,
        "match_ms": match_ms,
    }


def dynamodb_requests(all_dicts: list[dict[str, Any]], *, through_api: bool = False) -> bool:
    """Requests per match at 1k and 100k interns (200 sharing a brief skill); True on goal."""
    small, large = TABLE_SIZES
    required = set(normalise_skills(BRIEF.skills))
    brief_skills = required | set(normalise_skills(BRIEF.nice_to_have_skills))
    sharing, others = split_pool(all_dicts[:large], required, brief_skills, SHARED)
    print(
        f"\nDynamoDB requests per match (moto in-process): {SHARED} interns list a required "
        f"skill of the brief ({', '.join(sorted(required))}); the rest list none of its skills"
    )
    rows: dict[int, dict[str, Any]] = {}
    with moto_table():
        from chalicelib.services.interns import import_profiles

        t0 = time.perf_counter()
        import_profiles(sharing + others[: small - SHARED])
        load_s = time.perf_counter() - t0
        print(f"  {small:,} interns bulk-loaded with import_profiles in {load_s:.1f} s")
        rows[small] = requests_per_match(submit_bench_brief(small))

        extra = others[small - SHARED : large - SHARED]
        estimate = load_s / small * len(extra)
        t0 = time.perf_counter()
        if through_api or estimate <= BULK_LIMIT_S:
            import_profiles(extra)
            how = "bulk-loaded with import_profiles"
        else:
            write_directly(extra)
            how = (
                f"written directly into moto's table (import_profiles would take about "
                f"{estimate / 60:.0f} min at the rate above, over the ~{BULK_LIMIT_S / 60:.0f} min "
                f"budget); only interns who share no skill with the brief were written this way"
            )
        print(f"  {len(extra):,} more interns {how}: {time.perf_counter() - t0:.1f} s")
        rows[large] = requests_per_match(submit_bench_brief(large))

    header = (
        f"  {'interns':>8} {'sharing':>8} {'pool':>5} {'shortlist':>9} {'retrieval req':>13} "
        f"{'match req':>9} {'moto ms':>8}  requests by operation (match step)"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for size, row in rows.items():
        print(
            f"  {size:>8,} {SHARED:>8,} {row['pool']:>5,} {row['shortlist']:>9} "
            f"{row['retrieval'].total:>13} {row['match'].total:>9} {row['match_ms']:>8.0f}  "
            f"{row['match'].summary()}"
        )
    small_n, large_n = rows[small]["match"].total, rows[large]["match"].total
    ratio = large_n / small_n
    ok = bool(
        abs(ratio - 1.0) <= REQUESTS_TOLERANCE
        and rows[small]["retrieval"].total == rows[large]["retrieval"].total
        and rows[small]["pool"] == rows[large]["pool"] == SHARED
    )
    print(
        f"  requests per match {large:,} / {small:,}: {large_n} / {small_n} = {ratio:.2f} "
        f"(goal 1.00 ± {REQUESTS_TOLERANCE:.2f}) — {'ok' if ok else 'MISSED'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__)
    parser.add_argument(
        "--requests-only", action="store_true", help="only the DynamoDB requests per match"
    )
    parser.add_argument(
        "--through-api",
        action="store_true",
        help="load all 100k interns with import_profiles, however long it takes",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    all_dicts = generate_profiles(max(max(SIZES), max(TABLE_SIZES)))
    ok = True
    if not args.requests_only:
        ok = ranking(all_dicts)
    ok = dynamodb_requests(all_dicts, through_api=args.through_api) and ok
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The fault-injection simulation (bench/chaos.py, issue 16) in a small seeded run: engagements
to every ending at once on a twin of their own, with Stripe failing under them (an outage
longer than the steps' retry budget among the faults), every event re-delivered and some
reordered, finance decisions repeated and raced, employers double-clicking. The books must come
out exact: no violation, nothing stuck, no script error (the table is printed either way)."""

from __future__ import annotations

from collections import Counter

import pytest

from bench import chaos
from bench.chaos_drive import ENDINGS

pytestmark = pytest.mark.e2e

ENGAGEMENTS = 16  # two of each ending


def test_a_small_chaos_run_ends_with_no_violation() -> None:
    result = chaos.run(
        chaos.parse(["--engagements", str(ENGAGEMENTS), "--seed", "16", "--concurrency", "12"])
    )

    assert {e.ending for e in result.engagements} == set(ENDINGS)
    hit = {kind for kind, count in result.faults.items() if count}
    assert any(kind.startswith("outage 500s") for kind in hit), result.faults  # calls failed
    assert len(hit) >= 4, result.faults  # Stripe really failed under them, in several ways
    assert result.verdict.violations == Counter(), result.verdict.details
    assert result.verdict.stuck == []
    assert [e for e in result.engagements if e.error] == []
    assert not result.failed

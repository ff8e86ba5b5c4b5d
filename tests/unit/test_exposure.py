"""Fair exposure rules (domain/exposure.py): the weekly cap, the near-equal band, the words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.exposure import (
    BAND,
    WEEK,
    Exposure,
    apply_exposure,
    is_capped,
    offers_in_week,
    record_offer,
)
from chalicelib.domain.matching import Candidate

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def cand(intern_id: str, score: float, availability: float = 1.0) -> Candidate:
    return Candidate(intern_id, score, {"availability": availability}, f"reason of {intern_id}")


def offered(intern_id: str, *days_ago: float) -> Exposure:
    offers = tuple((f"b{i}", NOW - timedelta(days=d)) for i, d in enumerate(sorted(days_ago)[::-1]))
    return Exposure(intern_id, offers, offers[-1][1] if offers else None)


def test_the_week_is_rolling() -> None:
    exposure = offered("a", 8, 6.9, 1)
    assert offers_in_week(exposure, NOW) == 2
    assert offers_in_week(exposure, NOW + timedelta(days=2)) == 1
    assert offers_in_week(None, NOW) == 0
    assert is_capped(offered("a", 1, 2, 3), NOW, cap=3)
    assert not is_capped(offered("a", 1, 2, 7.5), NOW, cap=3)


def test_an_offer_past_the_cap_is_refused_and_a_repeated_one_counted_once() -> None:
    exposure: Exposure | None = None
    for i in range(3):
        exposure = record_offer(exposure, "a", f"brief-{i}", NOW + timedelta(hours=i), cap=3)
        assert exposure is not None
    assert record_offer(exposure, "a", "brief-9", NOW + timedelta(hours=5), cap=3) is None
    again = record_offer(exposure, "a", "brief-1", NOW + timedelta(hours=5), cap=3)
    assert again is exposure  # a retried step: nothing new
    later = record_offer(exposure, "a", "brief-9", NOW + WEEK + timedelta(minutes=1), cap=3)
    assert later is not None and [b for b, _ in later.offers] == ["brief-1", "brief-2", "brief-9"]


def test_capped_interns_are_skipped_and_the_one_who_moves_in_says_why() -> None:
    ranked = [cand("a", 0.9), cand("b", 0.8), cand("c", 0.7), cand("d", 0.6), cand("e", 0.5)]
    ranked += [cand("f", 0.4), cand("g", 0.3)]
    out = apply_exposure(ranked, {"b": offered("b", 1, 2, 3)}, NOW, cap=3, limit=5)
    assert [c.intern_id for c in out] == ["a", "c", "d", "e", "f"]
    assert out[-1].reason.startswith("moved up: 1 intern above skipped (3 offers this week)")
    assert all(c.reason.startswith("reason of") for c in out[:4])


def test_among_near_equal_scores_the_least_recently_offered_goes_first() -> None:
    ranked = [cand("a", 0.80), cand("b", 0.79), cand("c", 0.785), cand("d", 0.70)]
    exposures = {"a": offered("a", 1), "b": offered("b", 12), "c": offered("c", 3)}
    out = apply_exposure(ranked, exposures, NOW, cap=3, limit=5)
    assert [c.intern_id for c in out] == ["b", "c", "a", "d"]
    assert out[0].reason == "moved up: not offered work for 12 days; reason of b"
    assert out[1].reason == "moved up: not offered work for 3 days; reason of c"
    assert out[2].reason == "reason of a" and out[3].reason == "reason of d"


def test_never_offered_counts_as_longest_ago() -> None:
    ranked = [cand("a", 0.80), cand("b", 0.79), cand("c", 0.60)]
    out = apply_exposure(ranked, {"a": offered("a", 20)}, NOW, cap=3, limit=5)
    assert [c.intern_id for c in out] == ["b", "a", "c"]
    assert out[0].reason == "moved up: never offered work yet; reason of b"


def test_a_score_gap_wider_than_the_band_is_kept() -> None:
    ranked = [cand("a", 0.80), cand("b", 0.80 - BAND - 0.001)]
    out = apply_exposure(ranked, {"a": offered("a", 0.5)}, NOW, cap=3, limit=5)
    assert [c.intern_id for c in out] == ["a", "b"]


def test_exposure_never_lifts_an_infeasible_candidate_above_a_feasible_one() -> None:
    ranked = [cand("a", 0.205), cand("b", 0.199, availability=0.5)]
    out = apply_exposure(ranked, {"a": offered("a", 0.1)}, NOW, cap=3, limit=5)
    assert [c.intern_id for c in out] == ["a", "b"]


def test_nothing_changes_without_exposure_history_among_unequal_scores() -> None:
    ranked = [cand(x, 0.9 - 0.05 * i) for i, x in enumerate("abcdefg")]
    assert apply_exposure(ranked, {}, NOW, cap=3, limit=5) == ranked[:5]


def test_the_simulation_measures_inequality_as_defined() -> None:
    from bench.exposure import gini, top_share

    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)  # (n - 1) / n: one holds everything
    assert gini([]) == gini([0, 0]) == 0.0
    assert top_share([5] + [1] * 99) == pytest.approx(5 / 104)  # the top 1 % of 100: one
    assert top_share([0] * 10) == 0.0

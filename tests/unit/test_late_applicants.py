"""Where a late applicant goes in a shortlist matching already made (domain/open_briefs.py)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.open_briefs import is_feasible, late_sort_key


def entry(sk: str, score: float | None, status: str = "pending", **extra: Any) -> dict[str, Any]:
    return {"sk": sk, "intern_id": f"i_{sk[-2:]}", "score": score, "offer_status": status, **extra}


def order(entries: list[dict[str, Any]], score: float, intern_id: str = "i_new") -> list[str]:
    """The intern ids in offer order once the applicant is placed."""
    key = late_sort_key(entries, score, intern_id)
    placed = [*entries, {"sk": key, "intern_id": intern_id}]
    return [str(e["intern_id"]) for e in sorted(placed, key=lambda e: str(e["sk"]))]


SHORTLIST = [
    entry("CANDIDATE#00", 0.9, "declined"),
    entry("CANDIDATE#01", 0.8),
    entry("CANDIDATE#02", 0.6),
    entry("CANDIDATE#03", 0.4),
]


def test_placed_before_the_first_waiting_candidate_who_scores_lower() -> None:
    assert order(SHORTLIST, 0.7) == ["i_00", "i_01", "i_new", "i_02", "i_03"]
    assert order(SHORTLIST, 0.5) == ["i_00", "i_01", "i_02", "i_new", "i_03"]


def test_a_tie_goes_after_the_candidate_matching_placed() -> None:
    assert order(SHORTLIST, 0.6) == ["i_00", "i_01", "i_02", "i_new", "i_03"]


def test_below_everyone_it_goes_last_and_above_everyone_waiting_first_among_them() -> None:
    assert order(SHORTLIST, 0.1) == ["i_00", "i_01", "i_02", "i_03", "i_new"]
    # Above the offered/declined first entry's score too: history keeps its place.
    assert order(SHORTLIST, 0.95) == ["i_00", "i_new", "i_01", "i_02", "i_03"]


def test_before_everyone_when_nothing_was_offered_yet() -> None:
    fresh = [entry("CANDIDATE#00", 0.5), entry("CANDIDATE#01", 0.4)]
    assert order(fresh, 0.6) == ["i_new", "i_00", "i_01"]


def test_an_invited_intern_stays_first() -> None:
    invited = [entry("CANDIDATE#00", None, invited=True), entry("CANDIDATE#01", 0.5)]
    assert order(invited, 0.99) == ["i_00", "i_new", "i_01"]


def test_an_empty_shortlist() -> None:
    assert order([], 0.3) == ["i_new"]


def test_keys_stay_under_the_candidate_prefix() -> None:
    assert late_sort_key(SHORTLIST, 0.7, "i_x").startswith("CANDIDATE#")
    assert late_sort_key([entry("CANDIDATE#00", 0.1)], 0.7, "i_x").startswith("CANDIDATE#")


@given(st.lists(st.floats(min_value=0.0, max_value=1.05), min_size=1, max_size=12))
def test_applicants_placed_one_after_another_are_offered_best_first(scores: list[float]) -> None:
    """Whatever the order they apply in, waiting applicants end up sorted by score (ties:
    first come first), around and between the candidates matching placed, who never move."""
    entries = [entry("CANDIDATE#00", 0.7), entry("CANDIDATE#01", 0.3)]
    for n, score in enumerate(scores):
        key = late_sort_key(entries, score, f"a_{n:02d}")
        assert all(key != e["sk"] for e in entries)
        entries.append({"sk": key, "intern_id": f"a_{n:02d}", "score": round(score, 4)})
    ranked = sorted(entries, key=lambda e: str(e["sk"]))
    got = [float(e["score"]) for e in ranked]
    assert got == sorted(got, reverse=True)
    matched = [e["intern_id"] for e in ranked if not str(e["intern_id"]).startswith("a_")]
    assert matched == ["i_00", "i_01"]


def test_feasibility_is_the_availability_factor() -> None:
    assert is_feasible({"availability": 1.0, "required_skills": 0.2})
    assert not is_feasible({"availability": 0.4})

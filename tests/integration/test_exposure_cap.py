"""Fair exposure through the match and next-candidate steps on moto: the weekly cap holds."""

from __future__ import annotations

from typing import Any

from tests.integration import matching_fixtures as mf


def test_no_intern_is_offered_more_than_the_weekly_cap(
    client: Any, aws_env: dict[str, str], returning_employer: str
) -> None:
    from chalicelib.adapters import exposure_store
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps
    from chalicelib.settings import get_settings

    cap = get_settings().offers_per_intern_per_week
    assert cap == 3  # the production default is what this test runs
    star = mf.intern(
        "Star",
        "Market research on pricing and retention; competitor analysis in Excel spreadsheets "
        "for meal-kit and grocery startups, slide decks of recommendations.",
    )
    other = mf.intern("Other", "Some market research for a student society, in Excel.")
    briefs = [mf.brief(client) for _ in range(cap + 1)]
    for brief in briefs:  # every brief ranks the star first
        steps.match(steps.StepEvent(brief_id=brief["brief_id"]))
        assert mf.shortlist(client, brief)[0]["intern_id"] == star

    offered = []
    for brief in briefs:
        result = steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"]))
        offered.append(result["intern_id"])
        assert steps.next_candidate(steps.StepEvent(brief_id=brief["brief_id"])) == result
        get_store().release_intern(str(result["intern_id"]), brief["brief_id"])  # declined

    assert offered == [star] * cap + [other]
    skipped = mf.shortlist(client, briefs[-1])[0]
    assert skipped["intern_id"] == star and skipped["offer_status"] == "capped"
    assert skipped["reason"].startswith(f"skipped: {cap} offers this week; covers 2/2")
    exposure = exposure_store.read(star)
    assert exposure is not None and len(exposure.offers) == cap  # the retries counted once

    later = mf.brief(client)
    steps.match(steps.StepEvent(brief_id=later["brief_id"]))
    assert [c["intern_id"] for c in mf.shortlist(client, later)] == [other]
    assert steps.next_candidate(steps.StepEvent(brief_id=later["brief_id"])) == {"intern_id": other}

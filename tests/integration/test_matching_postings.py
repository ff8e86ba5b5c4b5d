"""The match step reads prepared features from the postings (issue 17): through DynamoDB (a
projected Query, the ranked candidates' bios in one BatchGetItem) it stores the shortlist that
scoring the profiles themselves gives — scores, factors, reasons with bio phrases — and reads
postings written in the older formats alike."""

from __future__ import annotations

import json

import pytest

from chalicelib.services.steps import StepEvent
from tests.integration.test_escrow_support import put_brief

BIOS = (
    "Built Excel pricing models and competitor spreadsheets for a meal-kit start-up.",
    "Compared onboarding and retention of three apps in Excel for a student society.",
    "Kept the café's stock spreadsheets in Excel; curious about pricing.",
    "Excel pivot tables for a charity's retention analysis of donors.",
    "History student; some Excel.",
)


def register(n: int, bio: str) -> str:
    from chalicelib.services.intern_signup import register_intern
    from tests.helpers import confirm_addresses

    email = f"intern{n}@uni.example"
    confirm_addresses(email)
    return str(
        register_intern(
            {
                "name": f"Intern {n}",
                "email": email,
                "skills": ["excel", "market research"],
                "bio": bio,
                "hours_per_week": 10 + 3 * n,
                "timezone": "Europe/Berlin",
            }
        )["intern_id"]
    )


def rewrite_in_older_format(intern_id: str, *, with_attributes: bool) -> None:
    """Turn the intern's excel posting back into a format written before features were packed:
    the fields packed with the bio, or as attributes of their own."""
    from chalicelib.adapters.intern_profiles import scoring_fields
    from chalicelib.adapters.store import get_store

    store = get_store()
    profile = store.get(f"INTERN#{intern_id}", "PROFILE")
    assert profile is not None
    sk = profile["postings"]["excel"]
    posting = store.get("SKILL#excel", sk)
    assert posting is not None and "bio" not in posting["scoring"]
    fields = scoring_fields(intern_id, profile)
    del posting["scoring"]
    if with_attributes:
        store.put({**posting, **fields})
    else:
        rest = {k: v for k, v in fields.items() if k != "intern_id"}
        store.put({**posting, "scoring": json.dumps(rest, sort_keys=True)})


def test_the_match_step_stores_what_scoring_the_profiles_gives(
    aws_env: dict[str, str], returning_employer: str
) -> None:
    from chalicelib.adapters import aws, clock
    from chalicelib.adapters.store import get_store
    from chalicelib.domain.matching import brief_profile_of, rank
    from chalicelib.domain.retrieval import to_intern_profile
    from chalicelib.services import steps

    ids = [register(n, bio) for n, bio in enumerate(BIOS)]
    rewrite_in_older_format(ids[1], with_attributes=False)
    rewrite_in_older_format(ids[3], with_attributes=True)
    brief_id, _ = put_brief("SUBMITTED")
    store = get_store()
    calls: list[str] = []
    events = aws.client("dynamodb").meta.events
    events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name), "t")
    try:
        steps.match(StepEvent(brief_id=brief_id))
    finally:
        events.unregister("before-call.dynamodb", unique_id="t")

    brief = store.get_brief(brief_id)
    assert brief is not None
    profiles = [store.get(f"INTERN#{i}", "PROFILE") for i in ids]
    want = rank(
        brief_profile_of(brief), [to_intern_profile(p) for p in profiles if p], clock.today()
    )
    stored = sorted(store.query(f"BRIEF#{brief_id}", "CANDIDATE#"), key=lambda c: str(c["sk"]))
    assert [c["intern_id"] for c in stored] == [c.intern_id for c in want]
    for got, expected in zip(stored, want, strict=True):
        assert float(got["score"]) == round(expected.score, 4)
        assert got["reason"] == expected.reason
    assert sum("bio mentions" in c.reason for c in want) >= 3  # bios quoted, from the profiles
    assert calls.count("BatchGetItem") >= 1  # the ranked candidates' bios (and exposure)


def test_a_postings_page_read_as_sent_equals_botocores_parse(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The postings Query's answer is taken as DynamoDB sent it (one json.loads): the same
    items, count and cursor as botocore's own parse, page after page; other Queries on the
    shared client and error answers go through botocore as before."""
    from botocore.exceptions import ClientError

    from chalicelib.adapters import aws, intern_profiles
    from chalicelib.adapters.store import Store, get_store

    for n, bio in enumerate(BIOS):
        register(n, bio)

    def pages(limit: int) -> list[tuple[list[dict[str, object]], object]]:
        out, cursor = [], None
        while True:
            items, cursor = intern_profiles.postings_page("excel", cursor, limit)
            out.append((items, cursor))
            if not cursor:
                return out

    seen: list[int] = []
    events = aws.client("dynamodb").meta.events
    events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: seen.append(parsed.get("Count"))
    )
    fast = pages(2)
    # An error answer (no such table) is botocore's ClientError, not a parse of its body.
    with monkeypatch.context() as m:
        m.setattr(intern_profiles, "get_store", lambda: Store("no-such-table"))
        with pytest.raises(ClientError):
            intern_profiles.postings_page("excel", None, 2)
    # Another Query on the same client, after the hook ran: parsed by botocore as before.
    assert len(get_store().query("SKILL#excel", "Q#")) == 5

    events.unregister("before-parse.dynamodb.Query", unique_id="postings-as-sent")
    # postings_page cannot re-install its hook: botocore parses every page.
    monkeypatch.setattr(events, "register", lambda *a, **k: None)
    parsed = pages(2)
    assert fast == parsed and len(fast) == 3  # 5 postings in pages of 2
    assert seen == [2, 2, 1, None, 5, 2, 2, 1]  # fast pages, the error, the store, botocore
    assert len({i["intern_id"] for items, _ in fast for i in items}) == 5

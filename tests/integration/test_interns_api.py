"""Intern registration through the JSON API: Given/When/Then against moto and chalice's client."""

from __future__ import annotations

import email
import email.policy
import json
from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib.domain.matching import prepare_profile
from chalicelib.domain.retrieval import posting_fields, to_intern_profile, to_prepared
from tests.integration.conftest import sent_emails

HOSTILE = '<script>alert("x")</script>'


def intern(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Ada Okafor",
        "email": "ada@example.com",
        "skills": ["JS", "UX", "  Data   Analysis ", "Quantum Basket-Weaving"],
        "bio": "Second-year CS student; built dashboards for a campus food bank.",
        "hours_per_week": 15,
        "timezone": "Europe/Berlin",
        "portfolio_url": "https://github.com/ada",
    }
    body.update(overrides)
    return body


def post(client: Any, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post("/api/interns", headers={"Content-Type": "application/json"}, body=raw)


def table_items(aws_env: dict[str, str]) -> list[dict[str, Any]]:
    from chalicelib.adapters.store import from_item

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    pages = ddb.get_paginator("scan").paginate(TableName=aws_env["TABLE_NAME"])
    return [from_item(i) for page in pages for i in page["Items"]]


def profile_and_postings(aws_env: dict[str, str]) -> list[dict[str, Any]]:
    """Everything registration wrote (the mailer's idempotency records and the abuse limits'
    request counters left out: they count requests, not what was registered)."""
    return [
        i for i in table_items(aws_env) if not str(i["pk"]).startswith(("IDEMPOTENCY#", "LIMIT#"))
    ]


def mails() -> list[dict[str, Any]]:
    out = []
    for message in sent_emails():
        parsed = email.message_from_string(message.raw_data, policy=email.policy.default)
        out.append(
            {
                "to": str(parsed["To"]),
                "subject": str(parsed["Subject"]),
                "text": parsed.get_body(preferencelist=("plain",)).get_content(),
                "html": parsed.get_body(preferencelist=("html",)).get_content(),
            }
        )
    return out


# -- the happy path -----------------------------------------------------------------------


def test_valid_registration_is_stored_with_skills_folded_through_aliases(
    client: Any, aws_env: dict[str, str], returning_intern: str
) -> None:
    response = post(client, intern())

    assert response.status_code == 201
    body = response.json_body
    assert set(body) >= {"intern_id", "onboarding_url"}
    intern_id = body["intern_id"]
    items = {(i["pk"], i["sk"]): i for i in profile_and_postings(aws_env)}
    profile = items[(f"INTERN#{intern_id}", "PROFILE")]
    assert profile["skills"] == [
        "javascript",
        "user experience design",
        "data analysis",
        "quantum basket-weaving",  # unknown: kept, cleaned, not rejected
    ]
    assert profile["hours_per_week"] == 15 and profile["timezone"] == "Europe/Berlin"
    # Postings are keyed SKILL#<skill> / Q#<rank> (issue 17); the profile names each one.
    postings = {pk: i for (pk, _sk), i in items.items() if i.get("type") == "skill_posting"}
    for skill in profile["skills"]:
        posting = postings[f"SKILL#{skill}"]
        assert posting["sk"] == profile["postings"][skill] == "Q#" + posting["rank"]
        assert posting["intern_id"] == intern_id
        fields = posting_fields(posting)  # the scoring fields, packed in one attribute
        # the index the matcher reads is blind to who the intern is
        assert "name" not in posting and "email" not in posting
        assert "name" not in fields and "email" not in fields and "school" not in fields
        # the features the scorer derives from the profile, prepared at write time; no bio
        assert "bio" not in fields and profile["bio"] not in str(posting)
        assert to_prepared(posting) == replace(
            prepare_profile(to_intern_profile(profile)), bio=None
        )
    assert "SKILL#js" not in postings


def test_matching_finds_the_new_intern_by_an_alias_of_their_skill(
    client: Any, returning_intern: str
) -> None:
    from chalicelib.services.interns import candidates_for

    intern_id = post(client, intern(skills=["js"])).json_body["intern_id"]

    assert [c.intern_id for c in candidates_for(["JavaScript"])] == [intern_id]
    assert [c.intern_id for c in candidates_for(["ECMAScript"])] == [intern_id]


def test_a_track_record_update_re_ranks_the_postings_in_one_conditional_write(
    client: Any, aws_env: dict[str, str], returning_intern: str
) -> None:
    from chalicelib.adapters.intern_profiles import add_track_record
    from chalicelib.adapters.store import get_store

    intern_id = post(client, intern()).json_body["intern_id"]
    store = get_store()
    before = store.get(f"INTERN#{intern_id}", "PROFILE")
    assert before is not None

    add_track_record(intern_id, completed=1, rating=5)

    after = store.get(f"INTERN#{intern_id}", "PROFILE")
    assert after is not None
    assert (after["completed"], after["rating_sum"], after["rating_count"]) == (1, 5, 1)
    assert after["postings_version"] == before["postings_version"] + 1
    postings = [i for i in profile_and_postings(aws_env) if i.get("type") == "skill_posting"]
    assert {p["pk"]: p["sk"] for p in postings} == {
        f"SKILL#{s}": k for s, k in after["postings"].items()
    }  # the old keys are gone, one posting per skill
    scoring = [posting_fields(p) for p in postings]
    assert all(p["completed"] == 1 and p["rating_sum"] == 5 for p in scoring)
    assert max(after["postings"].values()) > max(before["postings"].values())  # better prior


def test_the_welcome_email_is_sent_once_with_the_next_step(
    client: Any, returning_intern: str
) -> None:
    body = post(client, intern(name=f"{HOSTILE} Ada")).json_body

    (mail,) = mails()
    assert mail["to"] == "ada@example.com"
    assert "Welcome" in mail["subject"]
    assert body["onboarding_url"].startswith("http")  # Stripe Connect onboarding
    assert f"Set up payouts:\n{body['onboarding_url']}" in mail["text"]
    assert "javascript" in mail["text"] and "15 hours a week" in mail["text"]
    assert HOSTILE not in mail["html"] and "&lt;script&gt;" in mail["html"]

    post(client, intern())  # the same email again: refused, no second welcome
    assert len(mails()) == 1


def test_without_an_onboarding_link_the_welcome_points_to_what_happens_next(
    client: Any, monkeypatch: pytest.MonkeyPatch, returning_intern: str
) -> None:
    from chalicelib.services import intern_signup

    register = intern_signup.register_intern
    monkeypatch.setattr(  # Stripe Connect unavailable: registration returns no link
        intern_signup, "register_intern", lambda data: {**register(data), "onboarding_url": None}
    )

    body = post(client, intern()).json_body

    assert body["onboarding_url"] is None
    (mail,) = mails()
    assert "See what happens next:\nhttp://testserver/interns/new?registered=1" in mail["text"]


def test_the_registered_link_opens_a_page_saying_what_happens_next(client: Any) -> None:
    page = client.http.get("/interns/new?registered=1")

    assert page.status_code == 200
    html = page.body.decode()
    assert "what happens next" in html
    assert "Matching" in html and "task link" in html and "Connect Stripe" in html
    assert 'name="csrf_token"' not in html


# -- every rule, at and beyond its boundary --------------------------------------------------

VALID_EDGES = [
    ("name", "A"),
    ("name", "N" * 120),
    ("email", "  Ada.Okafor+interns@Example.COM "),
    ("skills", ["excel"]),
    ("skills", [f"skill {n}" for n in range(20)]),
    ("skills", "JS, SQL,\nFigma"),
    ("skills", ["s" * 60]),
    ("bio", "b" * 20),
    ("bio", "  " + "b" * 20 + "  "),  # surrounding spaces do not count
    ("bio", "b" * 2000),
    ("hours_per_week", 1),
    ("hours_per_week", 40),
    ("hours_per_week", "12"),
    ("timezone", "America/Argentina/Buenos_Aires"),
    ("timezone", "UTC"),
    ("portfolio_url", None),
    ("portfolio_url", ""),
    ("portfolio_url", "http://example.com/" + "p" * 481),  # 500 characters
]


@pytest.mark.parametrize(("field", "value"), VALID_EDGES)
def test_values_at_the_boundaries_are_accepted(client: Any, field: str, value: Any) -> None:
    response = post(client, intern(**{field: value}))

    assert response.status_code == 201, response.json_body


def test_portfolio_link_may_be_left_out(client: Any) -> None:
    body = intern()
    del body["portfolio_url"]

    assert post(client, body).status_code == 201


INVALID = [
    ("name", ""),
    ("name", "N" * 121),
    ("name", None),
    ("email", "ada-at-example.com"),
    ("email", ""),
    ("skills", []),
    ("skills", " , ,"),
    ("skills", [f"skill {n}" for n in range(21)]),
    ("skills", ["s" * 61]),
    ("skills", [1, 2]),
    ("bio", "b" * 19),
    ("bio", "  " + "b" * 19 + "   "),
    ("bio", "b" * 2001),
    ("hours_per_week", 0),
    ("hours_per_week", 41),
    ("hours_per_week", -5),
    ("hours_per_week", 2.5),
    ("hours_per_week", "ten"),
    ("hours_per_week", True),
    ("timezone", "Mars/Olympus_Mons"),
    ("timezone", "CEST+2"),
    ("timezone", ""),
    ("timezone", "../../etc/passwd"),
    ("portfolio_url", "ftp://example.com/me"),
    ("portfolio_url", "javascript:alert(1)"),
    ("portfolio_url", "https://example.com/my work"),
    ("portfolio_url", "http://example.com/" + "p" * 482),  # 501 characters
]


@pytest.mark.parametrize(("field", "value"), INVALID)
def test_values_beyond_the_boundaries_are_named_and_nothing_is_stored(
    client: Any, aws_env: dict[str, str], field: str, value: Any
) -> None:
    response = post(client, intern(**{field: value}))

    assert response.status_code == 422
    errors = response.json_body["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"]
    assert profile_and_postings(aws_env) == []
    assert sent_emails() == []


def test_every_bad_field_is_named_at_once(client: Any) -> None:
    response = post(
        client, intern(name="", bio="short", hours_per_week=99, timezone="Nowhere", email="x")
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json_body["errors"]}
    assert fields == {"name", "bio", "hours_per_week", "timezone", "email"}


def test_missing_and_unknown_fields_are_named(client: Any) -> None:
    body = intern(school="MIT")
    del body["bio"], body["timezone"]

    response = post(client, body)

    assert response.status_code == 422
    fields = {e["field"] for e in response.json_body["errors"]}
    assert fields == {"bio", "timezone", "school"}


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '"a string"', "null", "{"])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    client: Any, aws_env: dict[str, str], raw: str
) -> None:
    response = post(client, raw)

    assert response.status_code == 400
    assert response.json_body["errors"][0]["message"]
    assert profile_and_postings(aws_env) == []


# -- one registration per email --------------------------------------------------------------


def test_an_email_already_registered_is_a_conflict_and_nothing_changes(
    client: Any, aws_env: dict[str, str]
) -> None:
    first = post(client, intern())
    assert first.status_code == 201
    before = profile_and_postings(aws_env)

    again = post(
        client, intern(email="  ADA@example.com", skills=["python"], bio="Someone else " * 3)
    )

    assert again.status_code == 409
    assert [e["field"] for e in again.json_body["errors"]] == ["email"]
    assert sorted(profile_and_postings(aws_env), key=str) == sorted(before, key=str)
    assert len(sent_emails()) == 1

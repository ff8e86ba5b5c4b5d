"""Brief validation: every rule at and just beyond its boundaries, with readable messages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.domain.brief import (
    BriefInput,
    BriefInvalid,
    FieldError,
    field_errors,
    invalid,
    parse_brief,
)

TODAY = date(2026, 11, 25)


def valid(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Build a KPI dashboard",
        "description": "Turn our sales spreadsheet into a small dashboard with three charts. " * 2,
        "deliverables": ["A hosted dashboard", "A short handover note"],
        "skills": ["python", "sql"],
        "estimated_hours": 10,
        "budget_cents": 20_000,
        "currency": "usd",
        "deadline": (TODAY + timedelta(days=14)).isoformat(),
        "employer_name": "Ada Lovelace",
        "employer_email": "ada@example.com",
        "company": "Analytical Engines Ltd",
    }
    data.update(overrides)
    return data


def errors_of(data: dict[str, Any], today: date = TODAY) -> list[FieldError]:
    with pytest.raises(BriefInvalid) as caught:
        parse_brief(data, today)
    return caught.value.errors


def only_error(data: dict[str, Any], field: str) -> str:
    errors = errors_of(data)
    assert [e["field"] for e in errors] == [field], errors
    return errors[0]["message"]


def test_valid_brief_parses_with_defaults() -> None:
    brief = parse_brief(valid(), TODAY)
    assert isinstance(brief, BriefInput)
    assert brief.title == "Build a KPI dashboard"
    assert brief.nda_required is True
    assert brief.nice_to_have_skills == []
    assert brief.deadline == TODAY + timedelta(days=14)
    assert brief.currency == "usd"


# ---------------------------------------------------------------- title


@pytest.mark.parametrize("length", [5, 120])
def test_title_length_accepted_at_bounds(length: int) -> None:
    assert len(parse_brief(valid(title="t" * length), TODAY).title) == length


@pytest.mark.parametrize("length", [4, 121])
def test_title_length_rejected_beyond_bounds(length: int) -> None:
    message = only_error(valid(title="t" * length), "title")
    assert message == f"Title must be 5–120 characters (you wrote {length})"


def test_title_is_stripped_before_counting() -> None:
    assert parse_brief(valid(title="  Build  "), TODAY).title == "Build"
    message = only_error(valid(title="   abcd   "), "title")
    assert "you wrote 4" in message


def test_title_must_be_text() -> None:
    assert only_error(valid(title=12345), "title") == "Title must be text"


# ---------------------------------------------------------------- description


@pytest.mark.parametrize("length", [50, 5000])
def test_description_length_accepted_at_bounds(length: int) -> None:
    assert len(parse_brief(valid(description="d" * length), TODAY).description) == length


@pytest.mark.parametrize("length", [49, 5001])
def test_description_length_rejected_beyond_bounds(length: int) -> None:
    message = only_error(valid(description="d" * length), "description")
    assert message == f"Description must be 50–5,000 characters (you wrote {length:,})"


# ---------------------------------------------------------------- deliverables


@pytest.mark.parametrize("count", [1, 10])
def test_deliverables_count_accepted_at_bounds(count: int) -> None:
    items = [f"Deliverable {i}" for i in range(count)]
    assert parse_brief(valid(deliverables=items), TODAY).deliverables == items


@pytest.mark.parametrize("count", [0, 11])
def test_deliverables_count_rejected_beyond_bounds(count: int) -> None:
    items = [f"Deliverable {i}" for i in range(count)]
    message = only_error(valid(deliverables=items), "deliverables")
    assert message == f"List 1–10 deliverables (you listed {count})"


def test_empty_deliverable_is_reported_on_the_list_field_with_its_position() -> None:
    message = only_error(valid(deliverables=["Report", "   "]), "deliverables")
    assert message == "Deliverable 2 is empty"


def test_deliverable_length_limit() -> None:
    assert parse_brief(valid(deliverables=["x" * 300]), TODAY).deliverables == ["x" * 300]
    message = only_error(valid(deliverables=["x" * 301]), "deliverables")
    assert message == "Deliverable 1 must be at most 300 characters (it has 301)"


def test_deliverables_must_be_a_list() -> None:
    message = only_error(valid(deliverables="a report"), "deliverables")
    assert "list" in message


# ---------------------------------------------------------------- skills


@pytest.mark.parametrize("count", [1, 10])
def test_skills_count_accepted_at_bounds(count: int) -> None:
    skills = [f"skill{i}" for i in range(count)]
    assert parse_brief(valid(skills=skills), TODAY).skills == skills


@pytest.mark.parametrize("count", [0, 11])
def test_skills_count_rejected_beyond_bounds(count: int) -> None:
    skills = [f"skill{i}" for i in range(count)]
    message = only_error(valid(skills=skills), "skills")
    assert message == f"List 1–10 required skills (you listed {count})"


def test_duplicate_skills_are_ignored_case_insensitively_before_counting() -> None:
    skills = [f"skill{i}" for i in range(10)] + ["SKILL3", " Skill0 "]
    brief = parse_brief(valid(skills=skills), TODAY)
    assert brief.skills == [f"skill{i}" for i in range(10)]


def test_skill_length_limit() -> None:
    assert parse_brief(valid(skills=["s" * 60]), TODAY).skills == ["s" * 60]
    message = only_error(valid(skills=["python", "s" * 61]), "skills")
    assert message == "Skill 2 must be at most 60 characters (it has 61)"


def test_skills_accept_a_comma_separated_string_from_a_form() -> None:
    assert parse_brief(valid(skills="python, SQL,\n,python"), TODAY).skills == ["python", "SQL"]


def test_nice_to_have_skills_optional_limits_and_dedup_against_required() -> None:
    brief = parse_brief(valid(nice_to_have_skills=["React", "PYTHON", "react", "d3"]), TODAY)
    assert brief.nice_to_have_skills == ["React", "d3"]
    assert parse_brief(valid(nice_to_have_skills=None), TODAY).nice_to_have_skills == []
    ten = [f"extra{i}" for i in range(10)]
    assert parse_brief(valid(nice_to_have_skills=ten), TODAY).nice_to_have_skills == ten
    message = only_error(valid(nice_to_have_skills=[*ten, "extra10"]), "nice_to_have_skills")
    assert message == "List at most 10 nice-to-have skills (you listed 11)"


# ---------------------------------------------------------------- estimated hours


@pytest.mark.parametrize("hours", [5, 40])
def test_hours_accepted_at_bounds(hours: int) -> None:
    brief = parse_brief(valid(estimated_hours=hours, budget_cents=2000 * hours), TODAY)
    assert brief.estimated_hours == hours


@pytest.mark.parametrize("hours", [4, 41])
def test_hours_rejected_beyond_bounds(hours: int) -> None:
    message = only_error(valid(estimated_hours=hours, budget_cents=100_000), "estimated_hours")
    assert message == f"Estimated hours must be between 5 and 40 (you wrote {hours})"


@pytest.mark.parametrize("value", [7.5, True, False, "7.5", "ten", None, [10]])
def test_hours_must_be_a_whole_number(value: object) -> None:
    message = only_error(valid(estimated_hours=value), "estimated_hours")
    assert message.startswith("Estimated hours must be a whole number between 5 and 40")


@pytest.mark.parametrize(
    ("value", "expected"), [("12", 12), (" 12 ", 12), (12.0, 12), ("12.0", 12)]
)
def test_hours_accept_numeric_form_strings_and_integral_floats(
    value: object, expected: int
) -> None:
    brief = parse_brief(valid(estimated_hours=value, budget_cents=40_000), TODAY)
    assert brief.estimated_hours == expected
    assert type(brief.estimated_hours) is int


# ---------------------------------------------------------------- deadline


@pytest.mark.parametrize("days", [7, 30])
def test_deadline_accepted_at_bounds(days: int) -> None:
    deadline = TODAY + timedelta(days=days)
    assert parse_brief(valid(deadline=deadline.isoformat()), TODAY).deadline == deadline


@pytest.mark.parametrize("days", [6, 31, 0, -1])
def test_deadline_rejected_beyond_bounds(days: int) -> None:
    deadline = TODAY + timedelta(days=days)
    message = only_error(valid(deadline=deadline.isoformat()), "deadline")
    assert message.startswith("Deadline must be between 2026-12-02 and 2026-12-25")


def test_deadline_window_follows_the_submission_date_in_context() -> None:
    data = valid(deadline="2027-01-10")
    with pytest.raises(BriefInvalid):
        parse_brief(data, TODAY)
    assert parse_brief(data, date(2026, 12, 20)).deadline == date(2027, 1, 10)
    # The model itself reads the date from the validation context.
    model = BriefInput.model_validate(data, context={"today": date(2026, 12, 20)})
    assert model.deadline == date(2027, 1, 10)


def test_deadline_defaults_to_the_real_today_without_context() -> None:
    good = (date.today() + timedelta(days=10)).isoformat()
    assert BriefInput.model_validate(valid(deadline=good)).deadline.isoformat() == good
    with pytest.raises(ValidationError):
        BriefInput.model_validate(valid(deadline=(date.today() + timedelta(days=3)).isoformat()))


@pytest.mark.parametrize("value", ["next friday", "2026/12/10", 20261210, "2026-12-10T10:00:00"])
def test_deadline_must_be_an_iso_date(value: object) -> None:
    message = only_error(valid(deadline=value), "deadline")
    assert "YYYY-MM-DD" in message


def test_deadline_impossible_date() -> None:
    assert only_error(valid(deadline="2026-12-32"), "deadline") == (
        "Deadline 2026-12-32 is not a real date"
    )


def test_deadline_accepts_a_date_object_and_a_datetime_today() -> None:
    deadline = TODAY + timedelta(days=8)
    brief = parse_brief(valid(deadline=deadline), datetime(2026, 11, 25, 23, 59))
    assert brief.deadline == deadline


# ---------------------------------------------------------------- budget


@pytest.mark.parametrize("hours", [5, 10, 40])
def test_budget_exactly_the_minimum_is_accepted(hours: int) -> None:
    brief = parse_brief(valid(estimated_hours=hours, budget_cents=2000 * hours), TODAY)
    assert brief.budget_cents == 2000 * hours


def test_budget_one_cent_below_the_minimum_is_rejected_on_budget() -> None:
    message = only_error(valid(estimated_hours=10, budget_cents=19_999), "budget_cents")
    assert message == "At least USD 200.00 for 10 estimated hours (USD 20 per hour)"


def test_budget_minimum_message_uses_thousands_separators() -> None:
    message = only_error(valid(estimated_hours=40, budget_cents=50_000), "budget_cents")
    assert message == "At least USD 800.00 for 40 estimated hours (USD 20 per hour)"


@pytest.mark.parametrize("value", [20_000.5, True, "200.50", "lots", None])
def test_budget_must_be_whole_cents(value: object) -> None:
    message = only_error(valid(budget_cents=value), "budget_cents")
    assert message.startswith("Budget must be a whole number of cents")


def test_budget_accepts_a_numeric_form_string() -> None:
    assert parse_brief(valid(budget_cents="25000"), TODAY).budget_cents == 25_000


def test_budget_when_hours_are_invalid_still_has_a_floor() -> None:
    errors = errors_of(valid(estimated_hours=99, budget_cents=500))
    assert [e["field"] for e in errors] == ["estimated_hours", "budget_cents"]
    assert "USD 100.00" in errors[1]["message"]


def test_budget_upper_limit() -> None:
    assert parse_brief(valid(budget_cents=99_999_999), TODAY).budget_cents == 99_999_999
    message = only_error(valid(budget_cents=100_000_000), "budget_cents")
    assert message == "Budget must be at most USD 999,999.99"


# ---------------------------------------------------------------- currency, nda, people


@pytest.mark.parametrize("currency", ["USD", "usd", " Usd "])
def test_currency_usd_any_case_stored_lowercase(currency: str) -> None:
    assert parse_brief(valid(currency=currency), TODAY).currency == "usd"


@pytest.mark.parametrize("currency", ["eur", "", 840])
def test_currency_other_than_usd_rejected(currency: object) -> None:
    message = only_error(valid(currency=currency), "currency")
    assert message.startswith("Currency must be usd")
    if currency == "eur":
        assert message == "Currency must be usd (you wrote eur)"


@pytest.mark.parametrize(("value", "expected"), [(False, False), ("on", True), ("false", False)])
def test_nda_required_is_a_boolean(value: object, expected: bool) -> None:
    assert parse_brief(valid(nda_required=value), TODAY).nda_required is expected


def test_nda_required_garbage_rejected() -> None:
    assert only_error(valid(nda_required="maybe"), "nda_required") == (
        "NDA required must be true or false"
    )


def test_employer_email_lowercased_and_stripped() -> None:
    brief = parse_brief(valid(employer_email="  Ada.L+briefs@Example.CO.uk "), TODAY)
    assert brief.employer_email == "ada.l+briefs@example.co.uk"


@pytest.mark.parametrize(
    "email",
    [
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        "ada@example.com\nbcc@example.com",
        ".ada@example.com",
        "ada..l@example.com",
        "ada@-example.com",
        "a" * 65 + "@example.com",
    ],
)
def test_bad_email_rejected(email: str) -> None:
    message = only_error(valid(employer_email=email), "employer_email")
    assert message.startswith("Enter an email address like name@example.com")


@pytest.mark.parametrize("field", ["employer_name", "company"])
def test_names_are_1_to_120_characters(field: str) -> None:
    assert getattr(parse_brief(valid(**{field: "X"}), TODAY), field) == "X"
    assert getattr(parse_brief(valid(**{field: "X" * 120}), TODAY), field) == "X" * 120
    assert only_error(valid(**{field: "   "}), field).endswith("is required")
    assert "at most 120 characters (you wrote 121)" in only_error(
        valid(**{field: "X" * 121}), field
    )


# ---------------------------------------------------------------- error shape


def test_unknown_field_rejected() -> None:
    message = only_error(valid(budget_dollars=200), "budget_dollars")
    assert message == "Unknown field 'budget_dollars': remove it"


def test_missing_required_fields_each_reported_once_in_contract_order() -> None:
    errors = errors_of({})
    assert [e["field"] for e in errors] == [
        "title",
        "description",
        "deliverables",
        "skills",
        "estimated_hours",
        "budget_cents",
        "currency",
        "deadline",
        "employer_name",
        "employer_email",
        "company",
    ]
    assert errors[0] == {"field": "title", "message": "Title is required"}
    assert all("required" in e["message"] for e in errors)


def test_one_error_per_field_even_with_several_bad_items() -> None:
    errors = errors_of(valid(deliverables=["", "", 3], skills=[""] * 12))
    assert errors == [
        {"field": "deliverables", "message": "Deliverable 1 is empty"},
        {"field": "skills", "message": "Skill 1 is empty"},
    ]


def test_all_bad_fields_reported_together() -> None:
    errors = errors_of(valid(title="abc", currency="eur", estimated_hours=2))
    assert {e["field"] for e in errors} == {"title", "currency", "estimated_hours"}


def test_messages_never_leak_pydantic_jargon() -> None:
    errors = errors_of({"title": 1, "nda_required": "x", "deadline": [], "extra": 1})
    for error in errors:
        assert "Input should" not in error["message"]
        assert "validation error" not in error["message"]


def test_non_mapping_body_is_a_non_field_error() -> None:
    with pytest.raises(BriefInvalid) as caught:
        parse_brief(["not", "an", "object"], TODAY)  # type: ignore[arg-type]
    assert caught.value.errors == [
        {"field": "__all__", "message": "Send the brief as a JSON object"}
    ]


def test_user_braces_are_not_formatted_into_messages() -> None:
    message = only_error(valid(currency="{message}"), "currency")
    assert message == "Currency must be usd (you wrote {message})"


def test_brief_is_immutable() -> None:
    brief = parse_brief(valid(), TODAY)
    with pytest.raises(ValidationError):
        brief.title = "Something else"


# ---------------------------------------------------------------- field_errors on other models


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=10)
    hours_per_week: int = Field(ge=1, le=40)
    skills: list[str] = Field(min_length=1)
    active: bool = True
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        if "/" not in value:
            raise invalid(f"Time zone must look like Europe/Paris (you wrote {value})")
        return value


def registration_errors(data: dict[str, Any]) -> list[FieldError]:
    with pytest.raises(ValidationError) as caught:
        Registration.model_validate(data)
    return field_errors(caught.value, {"hours_per_week": "Hours per week"})


def test_field_errors_translates_pydantic_types() -> None:
    errors = registration_errors(
        {
            "name": "",
            "hours_per_week": 50,
            "skills": [],
            "active": "perhaps",
            "timezone": "Paris",
            "extra": 1,
        }
    )
    assert errors == [
        {"field": "name", "message": "Name is required"},
        {"field": "hours_per_week", "message": "Hours per week must be at most 40"},
        {"field": "skills", "message": "Skills needs at least 1 item(s)"},
        {"field": "active", "message": "Active must be true or false"},
        {"field": "timezone", "message": "Time zone must look like Europe/Paris (you wrote Paris)"},
        {"field": "extra", "message": "Unknown field 'extra': remove it"},
    ]


def test_field_errors_item_errors_reported_on_the_list_field() -> None:
    errors = registration_errors(
        {"name": "n" * 11, "hours_per_week": "x", "skills": ["ok", 3], "timezone": "A/B"}
    )
    assert errors == [
        {"field": "name", "message": "Name must be at most 10 characters"},
        {"field": "hours_per_week", "message": "Hours per week must be a whole number"},
        {"field": "skills", "message": "Skills item 2 must be text"},
    ]


def test_field_errors_missing_fields() -> None:
    errors = registration_errors({})
    assert {"field": "name", "message": "Name is required"} in errors
    assert {"field": "timezone", "message": "Timezone is required"} in errors

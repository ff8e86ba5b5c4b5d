"""Intern registration: the rules of the profile form and API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from chalicelib.domain.brief import (
    FieldError,
    clean_text,
    field_errors,
    invalid,
    normalize_email,
)

SKILLS_MAX = 20
BIO_MIN, BIO_MAX = 20, 2_000
HOURS_MIN, HOURS_MAX = 1, 40

LABELS = {
    "name": "Name",
    "email": "Email",
    "skills": "Skills",
    "bio": "Bio",
    "hours_per_week": "Hours per week",
    "timezone": "Time zone",
    "portfolio_url": "Portfolio link",
}


class InternInvalid(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


class InternInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str
    email: str
    skills: list[str]
    bio: str
    hours_per_week: int
    timezone: str
    portfolio_url: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not 1 <= len(value) <= 120:
            raise invalid("Name must be 1–120 characters.")
        return clean_text(value, "Name")

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: object) -> str:
        return normalize_email(value)

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: object) -> list[str]:
        if isinstance(value, str):
            value = value.replace("\n", ",").split(",")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid("Skills must be a list of words like “Excel” or “copywriting”.")
        skills = [v.strip() for v in value if v.strip()]
        if not 1 <= len(skills) <= SKILLS_MAX:
            raise invalid(f"List 1–{SKILLS_MAX} skills (you listed {len(skills)}).")
        if any(len(s) > 60 for s in skills):
            raise invalid("Each skill must be at most 60 characters.")
        return [clean_text(s, "Skills") for s in skills]

    @field_validator("bio")
    @classmethod
    def _bio(cls, value: str) -> str:
        if not BIO_MIN <= len(value) <= BIO_MAX:
            raise invalid(f"Bio must be {BIO_MIN}–{BIO_MAX:,} characters (you wrote {len(value)}).")
        return clean_text(value, "Bio", multiline=True)

    @field_validator("hours_per_week", mode="before")
    @classmethod
    def _hours(cls, value: object) -> int:
        if isinstance(value, bool):
            raise invalid("Hours per week must be a whole number.")
        try:
            hours = int(str(value).strip()) if isinstance(value, str) else value
        except ValueError:
            raise invalid("Hours per week must be a whole number.") from None
        if not isinstance(hours, int) or not HOURS_MIN <= hours <= HOURS_MAX:
            raise invalid(f"Hours per week must be {HOURS_MIN}–{HOURS_MAX}.")
        return hours

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("Time zone must be an IANA name like “Europe/Berlin”.") from None
        return value

    @field_validator("portfolio_url")
    @classmethod
    def _portfolio(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")) or len(value) > 500 or " " in value:
            raise invalid("Portfolio link must be a web address starting with https://.")
        return value


def parse_intern(data: Mapping[str, Any]) -> InternInput:
    try:
        return InternInput.model_validate(dict(data))
    except ValidationError as exc:
        raise InternInvalid(field_errors(exc, LABELS)) from None

"""The JSON bodies of the open-briefs routes (issue 17), documented in openapi.py."""

from __future__ import annotations

from pydantic import Field, RootModel

from chalicelib.domain.open_briefs import NOTE_MAX
from chalicelib.web.schemas import _Doc


class OpenBrief(_Doc):
    """The public summary of an open brief: never the employer, company or description."""

    brief_id: str
    title: str
    skills: list[str]
    estimated_hours: int
    pay_cents: int = Field(description="What the intern is paid: the budget less the fee.")
    currency: str
    deadline: str
    applied: bool = Field(description="Whether you applied to it.")
    note: str | None = Field(description="Your note, when you applied.")


class OpenBriefs(RootModel[list[OpenBrief]]):
    """Open briefs that fit your skills, most required skills covered first."""


class InterestRequest(_Doc):
    note: str | None = Field(
        None,
        max_length=NOTE_MAX,
        description=f"Optional: one line of plain text, at most {NOTE_MAX} characters.",
    )


class Interest(_Doc):
    brief_id: str
    applied: bool
    note: str | None
    at: str | None

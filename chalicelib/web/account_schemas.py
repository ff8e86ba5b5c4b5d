"""Pydantic models of the accounts' JSON bodies (issue 14), for the OpenAPI document.

They document; the services validate (services/accounts.py, services/organisations.py).
"""

from __future__ import annotations

from pydantic import Field

from chalicelib.web.schemas import _Doc


class SignInRequest(_Doc):
    email: str = Field(description="The address to email a sign-in link to.", max_length=254)


class SignInAccepted(_Doc):
    """The same answer for every well-formed address (no account enumeration)."""

    message: str


class Organisation(_Doc):
    organisation_id: str
    name: str


class Me(_Doc):
    """The signed-in person."""

    email: str
    roles: list[str] = Field(description="owner or member of an organisation; others to come.")
    organisation: Organisation | None


class MyBrief(_Doc):
    brief_id: str
    title: str
    status: str = Field(description="A step name of the engagement flow.")
    next_action: str | None = Field(description="What happens next, and who does it.")
    next_action_by: str | None = Field(description="Its deadline (ISO 8601, UTC), if any.")


class MyEngagement(_Doc):
    brief_id: str
    title: str
    status: str
    pay_cents: int
    paid_cents: int


class ApiKeyRequest(_Doc):
    name: str = Field(default="", max_length=80, description="A label to tell keys apart.")


class ApiKeyCreated(_Doc):
    """The key is shown here once; only its hash is stored."""

    key_id: str
    key: str
    name: str


class ApiKey(_Doc):
    key_id: str
    name: str
    created_at: str
    created_by: str


class ApiKeys(_Doc):
    keys: list[ApiKey]


class ApiKeyRevoked(_Doc):
    key_id: str
    revoked: bool

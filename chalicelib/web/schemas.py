"""Pydantic models of the public JSON API's bodies, for its OpenAPI document (web/openapi.py).

The request bodies the services validate themselves are taken from their own models
(`domain.brief.BriefInput`, `domain.intern.InternInput`, the finance webhook's data models);
the constraints their validators enforce are written into the document from the same
constants. The models here describe what is not modelled elsewhere: the small action bodies
and every response. They document; they do not validate a request (the services do).

Invariant: every JSON error answer has the contract's shape, `ErrorResponse`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.engagement import Status
from chalicelib.services.finance_webhooks import ApprovedData, RejectedData, ResolvedData


class _Doc(BaseModel):
    """A documented body: other fields may be added later without breaking clients."""

    model_config = ConfigDict(extra="allow")


# -- examples (shown in the document; `deadline` is filled in when the document is served) --

BRIEF_EXAMPLE: dict[str, Any] = {
    "title": "Competitive analysis of three meal-kit apps",
    "description": (
        "Compare our onboarding, pricing and retention tactics with three competitors and "
        "recommend three changes we could ship this quarter."
    ),
    "deliverables": ["Comparison spreadsheet", "Slide deck of 10 slides"],
    "skills": ["market research", "Excel"],
    "nice_to_have_skills": ["PowerPoint"],
    "estimated_hours": 20,
    "budget_cents": 60_000,
    "currency": "usd",
    "deadline": None,
    "nda_required": True,
    "employer_name": "Dana Reyes",
    "employer_email": "dana@freshbox.example",
    "company": "FreshBox",
}
INTERN_EXAMPLE: dict[str, Any] = {
    "name": "Sam Student",
    "email": "sam@students.example",
    "skills": ["market research", "Excel"],
    "bio": "Economics student who loves market research and tidy spreadsheets.",
    "hours_per_week": 15,
    "timezone": "Europe/Berlin",
    "portfolio_url": "https://sam.example/portfolio",
}


# -- errors ---------------------------------------------------------------------------------


class ErrorItem(_Doc):
    field: str | None = Field(description="The input field at fault, or null for the request.")
    message: str = Field(description="A sentence a person can act on.")


class ErrorResponse(_Doc):
    """Every JSON error: 400 unreadable body, 401/403 credentials, 404 unknown id, 409 the
    engagement's state does not allow it (nothing changed), 422 invalid input, 503 busy."""

    errors: list[ErrorItem] = Field(min_length=1)


# -- health ---------------------------------------------------------------------------------


class Health(_Doc):
    status: Literal["ok"]


# -- employer -------------------------------------------------------------------------------


class BriefSubmitted(_Doc):
    brief_id: str
    status: Status
    manage_url: str = Field(description="The brief's page; it carries the manage token.")
    manage_token: str = Field(description="Send as `Authorization: Bearer <manage_token>`.")
    confirmation_required: bool = Field(
        False,
        description="True when nobody has confirmed `employer_email` yet: the brief waits (no "
        "matching, no email but a confirmation link to that address) until the link is used.",
    )


class TimelineEvent(_Doc):
    at: str
    status: str | None
    detail: str


class ShortlistEntry(_Doc):
    rank: int
    intern_id: str
    score: float | None
    factors: dict[str, Any]
    reason: str
    offer_status: str
    applied: bool = False  # the intern applied to the brief (open briefs, issue 17)
    note: str | None = None  # their one-line note


class Applicant(_Doc):
    """An intern who applied to the brief (open briefs): scored with a bonus when matching runs."""

    intern_id: str
    note: str
    at: str


class Engagement(_Doc):
    intern_id: str | None
    status: Status


class Escrow(_Doc):
    funded_cents: int
    released_cents: int
    fee_cents: int
    refunded_cents: int
    held_cents: int
    payment_intent_id: str | None


class PayoutRef(_Doc):
    payout_id: str | None
    status: str | None


class Rating(_Doc):
    score: int = Field(ge=1, le=5)
    text: str


class Ratings(_Doc):
    """Double-blind: the other party's rating is a notice until both rated or 7 days pass."""

    can_rate: bool
    by_employer: Rating | str | None
    by_intern: Rating | str | None


class Delivery(_Doc):
    number: int
    summary: str
    url: str | None
    file_name: str | None
    at: str


class BriefView(_Doc):
    brief_id: str
    status: Status
    status_label: str
    status_explained: str
    title: str
    description: str
    deliverables: list[str]
    skills: list[str]
    nice_to_have_skills: list[str]
    estimated_hours: int
    budget_cents: int
    currency: str
    deadline: str
    nda_required: bool
    company: str
    created_at: str
    timeline: list[TimelineEvent]
    shortlist: list[ShortlistEntry]
    engagement: Engagement
    escrow: Escrow
    payout: PayoutRef
    actions: list[str]
    ratings: Ratings
    deliveries: list[Delivery]
    applicants: list[Applicant] = Field(
        default_factory=list, description="Interns who applied to the brief, first first."
    )
    awaiting_confirmation: bool = Field(
        False, description="The brief waits for its employer's address to be confirmed."
    )
    certificate_url: str | None = Field(
        None, description="The completion certificate's public page, once COMPLETED."
    )


class FundResponse(_Doc):
    """Confirm the PaymentIntent with Stripe (Payment Element or API) to fund escrow."""

    payment_intent_id: str
    client_secret: str
    status: str
    amount_cents: int
    currency: str


class ReviewRequest(_Doc):
    decision: Literal["approve", "request_changes", "dispute"]
    comment: str = ""


class ExtendRequest(_Doc):
    deadline: date = Field(description="The new deadline (after the current one).")


class RateRequest(_Doc):
    score: int = Field(ge=1, le=5)
    text: str = Field("", max_length=1_000)


class LinksRevoked(_Doc):
    """Every other manage link of the brief stopped working; the one used still works."""

    brief_id: str
    revoked_links: int = Field(ge=0, description="How many other links stopped working.")
    link_expires_at: str | None = Field(
        description="When the link used here expires (ISO 8601, UTC); null when an API key or "
        "a member's session revoked every link."
    )


class ActionDone(_Doc):
    """An employer or intern action that took effect; `status` names what happened."""

    status: str


# -- interns --------------------------------------------------------------------------------


class InternRegistered(_Doc):
    intern_id: str
    onboarding_url: str | None = Field(
        description="Stripe Connect onboarding; null when Stripe was unavailable (sent later)."
    )
    confirmation_required: bool = Field(
        False,
        description="True when nobody has confirmed `email` yet: the profile is not matched "
        "until the link emailed to it is used.",
    )


class NdaRequest(_Doc):
    full_name: str = Field(min_length=1, max_length=120)
    agree: Literal[True]


class DeliverRequest(_Doc):
    summary: str = Field(min_length=10, max_length=5_000)
    url: str | None = Field(
        None, max_length=1_000, pattern=r"^https?://\S+$", description="An https:// link."
    )
    file_key: str | None = Field(None, description="The `file_key` an upload returned.")


class UploadRequest(_Doc):
    filename: str = Field(min_length=1)
    size: int = Field(ge=1, le=10 * 1024 * 1024)
    content_type: str | None = None


class UploadForm(_Doc):
    """A presigned S3 POST: send `fields` and the file to `url`, then deliver `file_key`."""

    url: str
    fields: dict[str, str]
    file_key: str


class NdaSigned(_Doc):
    status: Literal["signed"]
    text_sha256: str


class Delivered(_Doc):
    status: Literal["delivered"]
    delivery: int


class EmptyBody(_Doc):
    """Accept and decline take no input; an empty object (or no body) is fine."""


# -- webhooks -------------------------------------------------------------------------------


class StripeObject(_Doc):
    """The event's copy of the object; the app re-reads money facts from Stripe itself."""

    id: str
    object: str | None = None
    metadata: dict[str, str] | None = Field(
        None, description="`brief_id` on a PaymentIntent, `intern_id` on an account."
    )
    amount: int | None = None
    currency: str | None = None
    status: str | None = None
    payouts_enabled: bool | None = None
    charges_enabled: bool | None = None
    capabilities: dict[str, str] | None = None


class StripeEventData(_Doc):
    object: StripeObject


class StripeEvent(_Doc):
    """A Stripe event as Stripe sends it, signed in `Stripe-Signature`. The types the app acts
    on are listed; any other type is acknowledged and ignored."""

    id: str
    type: (
        Literal["payment_intent.succeeded", "payment_intent.payment_failed", "account.updated"]
        | str
    )
    created: int | None = None
    data: StripeEventData


class StripeReceipt(_Doc):
    received: bool
    event_id: str
    outcome: str


class PayoutApprovedEvent(_Doc):
    type: Literal["payout.approved"]
    data: ApprovedData


class PayoutRejectedEvent(_Doc):
    type: Literal["payout.rejected"]
    data: RejectedData


class DisputeResolvedEvent(_Doc):
    type: Literal["dispute.resolved"]
    data: ResolvedData


class FinanceReceipt(_Doc):
    """`outcome`: approved, rejected, resolved, already_applied or duplicate."""

    outcome: str


# -- finance books --------------------------------------------------------------------------


class Payout(_Doc):
    payout_id: str
    brief_id: str
    intern_id: str | None
    title: str
    status: str
    amount_cents: int
    fee_cents: int
    payout_cents: int
    currency: str
    created_at: str
    decided_at: str | None
    approved_by: str | None
    reason: str | None
    resolution: Any
    request_delivered: bool
    delivery_attempts: int


class Payouts(_Doc):
    pending: list[Payout] = Field(description="Waiting for finance, oldest first.")
    recent: list[Payout] = Field(description="Decided in the last 30 days, newest first.")

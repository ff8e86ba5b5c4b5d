"""The JSON bodies of the message and sealed-details routes, for the OpenAPI document
(web/openapi.py); the services validate with the rules of domain/collaboration.py, except a
read's body, which `ReadRequest` checks itself (web/message_views.py `_read`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.collaboration import MESSAGE_MAX_CHARS


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MessageRequest(_Doc):
    """A message: text of 1–5,000 characters (after trimming); optionally the `file_key` of a
    file uploaded through the thread's upload route."""

    text: str = Field(min_length=1, max_length=MESSAGE_MAX_CHARS)
    file_key: str | None = None


class ReadRequest(_Doc):
    """How far the caller has read the thread: `until`, the id of one of its messages (e.g. the
    newest one the client showed); without it, up to the newest message. It marks the caller's
    side only, never backwards: a repeat changes nothing."""

    until: str | None = Field(None, min_length=1, description="A message id of the thread.")


class MessagesRead(_Doc):
    """`read_until`: the newest message the caller's read marker covers (null: none yet)."""

    read_until: str | None


class MessagePosted(_Doc):
    message_id: str
    at: str


class Message(_Doc):
    """One message of the thread; `read`: the other party has marked it read (their
    `POST …/messages/read`, their page or a message of their own after it)."""

    message_id: str
    from_: Literal["employer", "intern"] = Field(alias="from")
    text: str
    at: str
    read: bool
    file_name: str | None = None


class TaskSummary(_Doc):
    """The task link's project; `confidential_details` only once the engaged intern may read
    them (NDA signed, or accepted when none is required, until the engagement ends), else
    null. Each non-null answer is a recorded view."""

    brief_id: str
    title: str
    status: str
    pay_cents: int
    confidential_details: str | None


class ConfidentialFile(_Doc):
    file_key: str


class ConfidentialAttached(_Doc):
    file_name: str


MODELS: list[type[BaseModel]] = [
    MessageRequest,
    ReadRequest,
    MessagesRead,
    MessagePosted,
    Message,
    TaskSummary,
    ConfidentialFile,
    ConfidentialAttached,
]

"""Rules of the collaboration between the engaged parties: the message thread and the sealed
(confidential) details of a brief. Pure: no I/O, times are given.

Thread (one per engagement, between the employer and the intern who accepted):
- it opens when the intern accepts (the brief names them as `intern_id`);
- posting is allowed until THREAD_OPEN_AFTER_END after the engagement ends (a terminal
  status); afterwards the thread is read-only (posting answers 409) and still readable;
- a message's text is 1..MESSAGE_MAX_CHARS characters after stripping, line breaks allowed,
  no control or text-direction characters (pages escape it; the text is never markup);
- notifications are batched: at most one email per recipient per NOTIFY_QUIET.

Sealed details (the confidential part of a brief; matching, the offer email and the offer
page only ever see the public summary):
- at most CONFIDENTIAL_MAX_CHARS characters (optional; validated by `domain/brief.py`);
- shown only to the engaged intern, once the NDA is signed (at once after acceptance when
  the brief requires no NDA), and only while the engagement has not ended.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal

from chalicelib.domain.brief import CONFIDENTIAL_MAX, unprintable
from chalicelib.domain.engagement import TERMINAL, Status

MESSAGE_MAX_CHARS: Final = 5_000
CONFIDENTIAL_MAX_CHARS: Final = CONFIDENTIAL_MAX  # validated with the brief (domain/brief.py)
THREAD_OPEN_AFTER_END: Final = timedelta(days=30)
NOTIFY_QUIET: Final = timedelta(minutes=10)
MESSAGES_PER_SENDER_PER_HOUR: Final = 60
PARTIES: Final = ("employer", "intern")

# States before anyone accepted: no engagement, so no thread and no sealed details.
_BEFORE_ENGAGEMENT: Final = frozenset({Status.SUBMITTED, Status.MATCHING, Status.UNMATCHED})

ThreadState = Literal["none", "open", "read_only"]


class TextInvalid(ValueError):
    """The text breaks a rule; the message says which, in words."""


def other(party: str) -> str:
    """The other party of the thread."""
    if party not in PARTIES:
        raise ValueError(f"no party {party!r}")
    return "intern" if party == "employer" else "employer"


def message_text(value: object) -> str:
    """The message as stored: stripped, 1..5,000 characters, line breaks allowed."""
    if not isinstance(value, str):
        raise TextInvalid("The message must be text.")
    text = value.strip().replace("\r\n", "\n")
    if not text:
        raise TextInvalid("Write a message first.")
    if len(text) > MESSAGE_MAX_CHARS:
        raise TextInvalid(
            f"A message must be at most {MESSAGE_MAX_CHARS:,} characters (you wrote {len(text):,})."
        )
    problem = unprintable(text, multiline=True)
    if problem:
        raise TextInvalid(f"The message must not contain {problem}.")
    return text


def engaged(status: str, intern_id: str | None) -> bool:
    """An intern has accepted the brief (it names them) and the brief went past matching."""
    return bool(intern_id) and Status(status) not in _BEFORE_ENGAGEMENT


def thread_state(
    status: str, intern_id: str | None, ended_at: datetime | None, now: datetime
) -> ThreadState:
    """ "none" before an engagement, "open" from acceptance until 30 days after the end,
    "read_only" afterwards."""
    if not engaged(status, intern_id):
        return "none"
    if Status(status) not in TERMINAL:
        return "open"
    if ended_at is None or now <= ended_at + THREAD_OPEN_AFTER_END:
        return "open"
    return "read_only"


def sealed_visible(status: str, *, nda_required: bool, nda_signed: bool) -> bool:
    """The engaged intern may read the sealed details now (the caller checks it is them)."""
    state = Status(status)
    if state in TERMINAL or state in _BEFORE_ENGAGEMENT:
        return False
    return nda_signed or not nda_required


def notify_due(last_sent_at: datetime | None, now: datetime) -> datetime:
    """When the next notification email to a recipient may go: now, or when the quiet period
    after the last one ends."""
    if last_sent_at is None:
        return now
    return max(now, last_sent_at + NOTIFY_QUIET)

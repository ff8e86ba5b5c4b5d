"""Messages between the employer and the engaged intern of one engagement.

    intern_brief(token)               # the engaged intern by task link (anyone else: 404)
    post(brief, sender, text, file_key=...)   -> {"message_id", "at"}
    listing(brief, viewer)            # the thread, oldest first (the JSON GET: nothing marked)
    thread_page(brief, viewer)        # what a page shows (GET: nothing is marked)
    mark_read(brief, viewer, until)   # a POST (page or JSON): read up to the message `until`
    upload_form / file_url            # a message's file: private S3, presigned both ways
    disputed_brief(brief_id)          # a thread finance may read (nothing recorded)
    finance_thread(brief_id)          # finance reads a disputed thread (on the timeline)
    send_due_notifications()          # the sweep: batched emails whose quiet period ended

Rules (domain/collaboration.py): the thread opens at acceptance and takes messages until 30
days after the engagement ends, then it is read-only (409); text ≤ 5,000 characters (422);
MESSAGES_PER_SENDER_PER_HOUR per sender (429, adapters/rate_limits.py).

Who may read: the employer holding a manage token of the brief, the intern the brief names as
engaged (their task link), finance while the engagement is disputed. Anyone else — a wrong or
expired token, another brief's token, another candidate's task link, a link before
acceptance — gets the same not-found answer as an unknown id.

Notifications (email kind `new_messages`: how many of the thread's messages the recipient has
not read yet, one link to the thread, never the text; none when they read them all): a post
lists the recipient's marker as waiting (`mark_unsent`), then tries to claim the send with a
conditional write that only succeeds when the last email to them went at least 10 minutes
ago. The marker stays listed until the email is confirmed sent and no newer message arrived,
so nothing is lost: a message inside the quiet period, a failed send or a sender that died
after claiming is picked up by the sweep (run with the reminders schedule) once the quiet
period ends. At most one email per recipient per 10 minutes: every send needs the claim.

"Read" is the party's read marker: it moves only by their own `mark_read` (a POST, the page's
or the JSON API's) or their own post, never by a GET, so a client that only lists the thread
still gets the email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock, files
from chalicelib.adapters import collaboration_store as threads
from chalicelib.adapters.store import get_store
from chalicelib.domain import collaboration as rules
from chalicelib.domain.engagement import TERMINAL, Status
from chalicelib.observability import logger
from chalicelib.services import notify
from chalicelib.services.access import NOT_FOUND, note, open_task
from chalicelib.services.errors import (
    Invalid,
    NotAllowed,
    NotFound,
    TooManyRequests,
)

NO_BRIEF = "No brief with this id."
NOT_YET = "Messages open when an intern accepts the project."
UNKNOWN_MESSAGE = "No message of this conversation has this id: send the id of one you read."
READ_ONLY = (
    "This conversation closed 30 days after the project ended. You can still read it, "
    "but no new messages can be sent."
)


# -- who is asking ------------------------------------------------------------------------------


def intern_brief(token: str) -> tuple[dict[str, Any], str]:
    """(brief, intern_id) for the engaged intern's task link; any other link: not found."""
    brief, intern_id = open_task(token)
    if brief.get("intern_id") != intern_id or not rules.engaged(str(brief["status"]), intern_id):
        raise NotFound(NOT_FOUND)
    return brief, intern_id


def ended_at(brief: Mapping[str, Any]) -> Any:
    """When the engagement ended (None while it runs)."""
    if Status(brief["status"]) not in TERMINAL:
        return None
    moment = brief.get("completed_at") or brief.get("updated_at") or brief.get("created_at")
    return clock.parse(str(moment)) if moment else None


def thread_of(brief: Mapping[str, Any]) -> str:
    """The engagement's thread: the brief with the intern it names as engaged (a later
    intern, after one stepped back, starts an empty thread of their own)."""
    return threads.thread_id(str(brief["brief_id"]), str(brief.get("intern_id") or ""))


def state(brief: Mapping[str, Any]) -> rules.ThreadState:
    return rules.thread_state(
        str(brief["status"]), brief.get("intern_id"), ended_at(brief), clock.now()
    )


# -- posting and reading -----------------------------------------------------------------------


def _require_open(brief: Mapping[str, Any]) -> None:
    now = state(brief)
    if now == "none":
        raise NotAllowed(NOT_YET)
    if now == "read_only":
        raise NotAllowed(READ_ONLY)


def _count(brief_id: str, sender: str) -> None:
    from chalicelib.adapters.rate_limits import RateLimited, hit

    try:
        hit(
            "messages:sender",
            f"{brief_id}:{sender}",
            limit=rules.MESSAGES_PER_SENDER_PER_HOUR,
            window_seconds=3600,
        )
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        raise TooManyRequests(
            f"That is a lot of messages in an hour: try again in about {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        ) from None


def _text(value: object) -> str:
    try:
        return rules.message_text(value)
    except rules.TextInvalid as exc:
        raise Invalid([{"field": "text", "message": str(exc)}]) from None


def _file_folder(thread: str) -> str:
    """Where a thread's files live under the messages prefix: <brief_id>/<intern_id>."""
    return thread.replace("#", "/", 1)


def _checked_file(thread: str, file_key: str | None) -> str | None:
    """A file uploaded for this thread, present in S3 with a harmless type."""
    if not file_key:
        return None
    found = None
    folder = f"{files.MESSAGES}/{_file_folder(thread)}/"
    if isinstance(file_key, str) and file_key.startswith(folder):
        found = files.stored(file_key)
    if found is None or found.size == 0 or found.size > files.MAX_BYTES:
        raise Invalid([{"field": "file", "message": "The file did not upload; please try again."}])
    if found.content_type not in files.SAFE_TYPES | {files.OPAQUE}:
        raise Invalid([{"field": "file", "message": "This kind of file cannot be attached."}])
    return file_key


def post(
    brief: Mapping[str, Any], sender: str, text: object, *, file_key: str | None = None
) -> dict[str, Any]:
    """Store a message from `sender` ("employer" or "intern") and notify the other party."""
    brief_id = str(brief["brief_id"])
    clean = _text(text)
    _require_open(brief)
    thread = thread_of(brief)
    key = _checked_file(thread, file_key)
    _count(brief_id, sender)
    item = threads.new_message(thread, sender=sender, text=clean, file_key=key)
    threads.mark_read(thread, sender, str(item["at"]))  # one's own messages are read
    recipient = rules.other(sender)
    marker = threads.notify_marker(thread, recipient) or {}
    last = marker.get("last_sent_at")
    due = rules.notify_due(clock.parse(str(last)) if last else None, clock.now())
    threads.mark_unsent(thread, recipient, at=str(item["at"]), due=clock.iso(due))
    try:
        notify_now(thread, recipient)
    except Exception:  # the sweep sends it: the marker stays listed
        logger.exception("message notification deferred", extra={"brief_id": brief_id})
    logger.info("message posted", extra={"brief_id": brief_id, "actor": sender})
    return {"message_id": item["message_id"], "at": item["at"]}


def _thread(brief: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """(thread id, its messages oldest first, how far each party has read)."""
    thread = thread_of(brief)
    items = threads.thread_items(thread)
    found = [i for i in items if str(i["sk"]).startswith("MSG#")]
    read = {
        str(i["sk"]).removeprefix("READ#"): str(i["read_until"])
        for i in items
        if str(i["sk"]).startswith("READ#")
    }
    return thread, found, read


def _unread_until(found: list[dict[str, Any]], read: Mapping[str, str], viewer: str) -> str:
    """The id of the other party's latest message when `viewer` has not read it, else ""."""
    if viewer not in rules.PARTIES:
        return ""
    theirs = [m for m in found if m["from"] != viewer]
    unread = theirs and read.get(viewer, "") < str(theirs[-1]["at"])
    return str(theirs[-1]["message_id"]) if unread else ""


def _shown(found: list[dict[str, Any]], read: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "message_id": m["message_id"],
            "from": m["from"],
            "text": m["text"],
            "at": m["at"],
            "read": read.get(rules.other(str(m["from"])), "") >= str(m["at"]),
            "file_name": m.get("file_name"),
        }
        for m in found
    ]


def listing(brief: Mapping[str, Any], viewer: str) -> list[dict[str, Any]]:
    """The thread for `viewer` ("employer", "intern" or "finance"), oldest first. Reading it
    writes nothing: a party marks the thread read with a POST (`mark_read`)."""
    if state(brief) == "none":
        return []
    _, found, read = _thread(brief)
    return _shown(found, read)


def thread_page(brief: Mapping[str, Any], viewer: str) -> dict[str, Any]:
    """What a page shows: the messages, whether the thread takes new ones and `unread_until`
    (the id of the other party's latest message, "" when `viewer` has read it). Showing
    changes nothing: the page marks the thread read with a POST (`mark_read`)."""
    now = state(brief)
    found: list[dict[str, Any]] = []
    read: dict[str, str] = {}
    if now != "none":
        _, found, read = _thread(brief)
    return {
        "messages": _shown(found, read),
        "state": now,
        "max_chars": rules.MESSAGE_MAX_CHARS,
        "unread_until": _unread_until(found, read, viewer),
    }


def mark_read(brief: Mapping[str, Any], viewer: str, until: str | None) -> dict[str, Any]:
    """`viewer` ("employer" or "intern") has read the thread up to the message `until` (its id,
    e.g. the latest message their page showed; None: the newest message): their read marker
    moves to that message's time, never backwards, so a message that came later stays unread
    and a repeat writes nothing. An id that is not this thread's message is invalid (422).
    Returns `read_until`: the id of the newest message the marker covers (None: none)."""
    if state(brief) == "none":
        raise NotFound(NO_BRIEF if viewer == "employer" else NOT_FOUND)
    thread, found, read = _thread(brief)
    target = found[-1] if found and until is None else None
    if until is not None:
        target = next((m for m in found if m["message_id"] == until), None)
        if target is None:
            raise Invalid([{"field": "until", "message": UNKNOWN_MESSAGE}])
    marker = read.get(viewer, "")
    if target is not None and marker < str(target["at"]):
        marker = str(target["at"])
        threads.mark_read(thread, viewer, marker)
    covered = [m for m in found if str(m["at"]) <= marker]
    return {"read_until": covered[-1]["message_id"] if covered else None}


def upload_form(
    brief: Mapping[str, Any], sender: str, *, filename: object, size: object, content_type: object
) -> dict[str, Any]:
    """Where the sender's browser uploads a message's file (≤ 10 MB, private)."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= files.MAX_BYTES:
        raise Invalid([{"field": "file", "message": "Files must be between 1 byte and 10 MB."}])
    if not isinstance(filename, str) or not filename.strip():
        raise Invalid([{"field": "file", "message": "The file needs a name."}])
    _require_open(brief)
    _count(str(brief["brief_id"]), sender)
    kind = content_type if isinstance(content_type, str) else None
    folder = _file_folder(thread_of(brief))
    return files.upload_form(folder, filename, kind, prefix=files.MESSAGES)


def file_url(brief: Mapping[str, Any], message_id: str) -> str:
    """A 5-minute download link of a message's file (the reader was checked by the caller)."""
    found_messages = threads.messages(thread_of(brief)) if state(brief) != "none" else []
    item = next((m for m in found_messages if m.get("message_id") == message_id), None)
    if not item or not item.get("file_key"):
        raise NotFound("This message has no file.")
    found = files.stored(str(item["file_key"]))
    if found is None:
        raise NotFound("This file is no longer available.")
    return files.download_url(str(item["file_key"]), found.content_type)


def disputed_brief(brief_id: str) -> dict[str, Any]:
    """The brief whose thread finance may read (a disputed one; nothing is recorded). Any other
    brief is not found (finance reads threads only in a dispute)."""
    brief = get_store().get_brief(brief_id)
    if brief is None or brief["status"] != Status.DISPUTED:
        raise NotFound(NO_BRIEF, "brief_id")
    return brief


def finance_thread(brief_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A disputed engagement's thread as evidence for finance; the read goes on the brief's
    timeline (a POST: the finance page's button)."""
    brief = disputed_brief(brief_id)
    thread = listing(brief, "finance")
    note(brief, "finance", "Finance read the message thread as evidence for the dispute")
    return brief, thread


# -- notifications -------------------------------------------------------------------------------


def notify_now(thread: str, recipient: str) -> bool:
    """Send `recipient` the batched email about the thread if it may go now (see the module
    docstring). True when an email went."""
    now = clock.now()
    brief_id, intern_id = thread.split("#", 1)
    claimed = threads.claim_notification(
        thread,
        recipient,
        now=clock.iso(now),
        quiet_before=clock.iso(now - rules.NOTIFY_QUIET),
        next_due=clock.iso(now + rules.NOTIFY_QUIET),
    )
    if claimed is None:
        return False
    brief = get_store().get_brief(brief_id)
    covered = str(claimed.get("latest_at", ""))
    if brief is None or state(brief) == "none" or brief.get("intern_id") != intern_id:
        # The engagement with this intern is over before it began: nobody to tell.
        threads.finish_notification(thread, recipient, covered_until=covered)
        return False
    # "New" is what the recipient has not listed yet: read on their page meanwhile, nothing
    # is left to tell (and a retried email never counts messages twice).
    items = threads.thread_items(thread)
    read_until = next((str(i["read_until"]) for i in items if i["sk"] == f"READ#{recipient}"), "")
    count = sum(
        1
        for m in items
        if str(m["sk"]).startswith("MSG#")
        and m["from"] != recipient
        and read_until < str(m["at"]) <= covered
    )
    if count == 0:
        threads.finish_notification(thread, recipient, covered_until=covered)
        return False
    link = notify.party_link(brief, recipient)
    notify.to_party(
        brief,
        recipient,
        "new_messages",
        key=f"{brief_id}:messages:{recipient}:{claimed['last_sent_at']}",
        count=count,
        action_url=f"{link}#messages",
    )
    threads.finish_notification(thread, recipient, covered_until=covered)
    return True


def send_due_notifications() -> int:
    """The sweep: every recipient whose batched email is due gets it. Returns emails sent."""
    sent = 0
    for marker in threads.due_notifications(clock.iso()):
        try:
            thread = threads.thread_id(str(marker["brief_id"]), str(marker["intern_id"]))
            sent += notify_now(thread, str(marker["party"]))
        except Exception:  # the next sweep tries again; the marker stays listed
            logger.exception("message notification failed", extra={"brief_id": marker["brief_id"]})
    return sent

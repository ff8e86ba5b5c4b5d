"""Sealed brief details: the confidential part of a brief (text and attachments).

    task_summary(token)                 # GET /api/tasks/{token}: the details once allowed
    check_details(token)                # whether this link may open them (nothing recorded)
    open_details(token, via=...)        # the engaged intern's read (recorded: a POST), else 404
    can_read(brief, intern_id)          # whether the task page offers them
    employer_details(brief)             # the employer's own copy (brief page)
    attachment_upload_form / add_attachment     # the employer adds files (private S3)
    attachment_url(token, number)       # the intern downloads one (recorded)

Who sees them (domain/collaboration.sealed_visible): only the intern the brief names as
engaged, after signing the NDA (at once after acceptance when the brief requires none), until
the engagement ends. Every read by the intern is recorded (an item under the brief's
`SEALED#` partition: who, when, how) and written on the brief's timeline, which the employer
sees on the brief page. Anyone else, and the intern outside that window, gets the same
not-found answer as an unknown link.

The details never sit on the brief item: matching, the offer email and page, the shortlist and
the brief's logs read the brief, never `SEALED#` (adapters/collaboration_store.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import collaboration_store as store
from chalicelib.adapters import files
from chalicelib.adapters.store import get_store
from chalicelib.domain import collaboration as rules
from chalicelib.domain import money
from chalicelib.domain.engagement import TERMINAL, Status
from chalicelib.services.access import NOT_FOUND, note, open_task
from chalicelib.services.errors import Invalid, NotAllowed, NotFound

VIEWED = "The intern viewed the confidential details"
VIA = {"page": "on the task page", "api": "through the API", "file": "downloaded an attachment"}


def can_read(brief: Mapping[str, Any], intern_id: str) -> bool:
    """The engaged intern, past the NDA (or none required), while the engagement runs."""
    if brief.get("intern_id") != intern_id:
        return False
    brief_id = str(brief["brief_id"])
    signed = get_store().get(f"BRIEF#{brief_id}", f"NDA#{intern_id}") is not None
    return rules.engaged(str(brief["status"]), intern_id) and rules.sealed_visible(
        str(brief["status"]), nda_required=bool(brief["nda_required"]), nda_signed=signed
    )


def _view(details: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "text": str(details.get("text") or ""),
        "attachments": [
            {"number": n, "file_name": a.get("file_name"), "size": a.get("size")}
            for n, a in enumerate(details.get("attachments") or [], start=1)
        ],
    }


def _record(brief: Mapping[str, Any], intern_id: str, via: str) -> None:
    store.record_view(str(brief["brief_id"]), intern_id=intern_id, via=via)
    detail = VIEWED if via != "file" else "The intern downloaded a confidential attachment"
    note(brief, "intern", f"{detail} ({VIA[via]})" if via != "file" else detail)


def _readable(token: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(brief, intern_id, stored details) when the link's intern may read them now; anyone
    else — and a brief without sealed details — gets the not-found answer."""
    brief, intern_id = open_task(token)
    details = store.sealed(str(brief["brief_id"])) if can_read(brief, intern_id) else None
    if not details or not (details.get("text") or details.get("attachments")):
        raise NotFound(NOT_FOUND)
    return brief, intern_id, details


def check_details(token: str) -> dict[str, Any]:
    """The brief whose details this link may open (GET /tasks/{token}/confidential: the
    button that shows them); nothing is recorded. Anyone else: not found."""
    brief, _, _ = _readable(token)
    return brief


def open_details(token: str, *, via: str = "page") -> tuple[dict[str, Any], dict[str, Any]]:
    """(brief, details) for the engaged intern allowed to read them now; the read is recorded.
    Anyone else — and a brief without sealed details — gets the not-found answer."""
    brief, intern_id, details = _readable(token)
    _record(brief, intern_id, via)
    return brief, _view(details)


def has_details(brief_id: str) -> bool:
    found = store.sealed(brief_id)
    return bool(found and (found.get("text") or found.get("attachments")))


def task_summary(token: str) -> dict[str, Any]:
    """GET /api/tasks/{token}: the public summary, and `confidential_details` only once the
    intern may read them (a recorded view), otherwise null."""
    brief, intern_id = open_task(token)
    pay = money.release(int(brief["budget_cents"]), money.fee_bps_of(brief)).payout_cents
    details: str | None = None
    if can_read(brief, intern_id):
        found = store.sealed(str(brief["brief_id"]))
        details = str((found or {}).get("text") or "")
        if found and (details or found.get("attachments")):
            _record(brief, intern_id, "api")
    return {
        "brief_id": str(brief["brief_id"]),
        "title": brief["title"],
        "status": str(brief["status"]),
        "pay_cents": pay,
        "confidential_details": details,
    }


def employer_details(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The employer's own copy and who read it when (the brief page)."""
    brief_id = str(brief["brief_id"])
    found = store.sealed(brief_id) or {}
    view = _view(found)
    view["views"] = [{"at": v["at"], "via": v.get("via", "")} for v in store.views(brief_id)]
    view["can_add"] = Status(brief["status"]) not in TERMINAL
    return view


def attachment_upload_form(
    brief: Mapping[str, Any], *, filename: object, size: object, content_type: object
) -> dict[str, Any]:
    """Where the employer's browser uploads a confidential attachment (≤ 10 MB, private)."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= files.MAX_BYTES:
        raise Invalid([{"field": "file", "message": "Files must be between 1 byte and 10 MB."}])
    if not isinstance(filename, str) or not filename.strip():
        raise Invalid([{"field": "file", "message": "The file needs a name."}])
    if Status(brief["status"]) in TERMINAL:
        raise NotAllowed("This project has ended: no more confidential files can be added.")
    kind = content_type if isinstance(content_type, str) else None
    return files.upload_form(str(brief["brief_id"]), filename, kind, prefix=files.SEALED)


def add_attachment(brief: Mapping[str, Any], file_key: object) -> dict[str, Any]:
    """Attach an uploaded file to the brief's confidential details."""
    brief_id = str(brief["brief_id"])
    if Status(brief["status"]) in TERMINAL:
        raise NotAllowed("This project has ended: no more confidential files can be added.")
    found = None
    if isinstance(file_key, str) and file_key.startswith(f"{files.SEALED}/{brief_id}/"):
        found = files.stored(file_key)
    if found is None or found.size == 0:
        raise Invalid([{"field": "file", "message": "The file did not upload; please try again."}])
    assert isinstance(file_key, str)
    name = file_key.rsplit("/", 1)[-1]
    store.add_attachment(brief_id, {"file_key": file_key, "file_name": name, "size": found.size})
    # The name stays off the timeline: the intern reads the timeline before the NDA.
    note(brief, "employer", "A confidential attachment was added")
    return {"file_name": name}


def attachment_url(token: str, number: int) -> str:
    """A 5-minute download link of attachment `number` (from 1) for the intern allowed to read
    the details (the download is recorded); anyone else: not found."""
    brief, intern_id = open_task(token)
    details = store.sealed(str(brief["brief_id"])) if can_read(brief, intern_id) else None
    attachments = list((details or {}).get("attachments") or [])
    if not 1 <= number <= len(attachments):
        raise NotFound(NOT_FOUND)
    key = str(attachments[number - 1]["file_key"])
    found = files.stored(key)
    if found is None:
        raise NotFound(NOT_FOUND)
    _record(brief, intern_id, "file")
    return files.download_url(key, found.content_type)


def employer_attachment_url(brief: Mapping[str, Any], number: int) -> str:
    """The employer's download of their own attachment."""
    details = store.sealed(str(brief["brief_id"])) or {}
    attachments = list(details.get("attachments") or [])
    if not 1 <= number <= len(attachments):
        raise NotFound("No such attachment.")
    key = str(attachments[number - 1]["file_key"])
    found = files.stored(key)
    if found is None:
        raise NotFound("No such attachment.")
    return files.download_url(key, found.content_type)

"""The engagement after matching: the intern's and the employer's actions.

    accept / decline / sign_nda / upload_form / deliver      (the intern, by task link)
    review / cancel / extend                                 (the employer, by manage token)

Each action checks the state, consumes the open wait's task token (`access.consume`: once, so
of five simultaneous accepts exactly one resumes the flow; the others get 409), records what
happened and resumes the Step Functions execution. Ratings are `ratings`, the pages' views
`queries`, and what each step of the flow tells whom `announce`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.escrow_store import brief_journal
from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain import money, nda
from chalicelib.domain.engagement import EMPLOYER_CANCELLABLE, Status
from chalicelib.domain.ledger import balances
from chalicelib.domain.wording import in_words
from chalicelib.observability import metrics
from chalicelib.services import notify
from chalicelib.services.access import (
    consume,
    consume_first_work_token,
    fail,
    intern_profile,
    issue_task_link,
    nda_text,
    note,
    open_task,
    require,
    resume,
    send,
    work_seconds,
)
from chalicelib.services.errors import Invalid, NotAllowed
from chalicelib.settings import get_settings

MIN_REVISION_SECONDS = 48 * 3600
# The review decision -> the action the timeline records (domain/wording.DONE).
DECISION_ACTIONS = {
    "approve": "approved",
    "request_changes": "changes_requested",
    "dispute": "disputed",
}

# The wait that is open in each state, and the state's cancel route through the flow.
WAIT_OF: dict[Status, str] = {
    Status.OFFERED: "offer",
    Status.NDA: "nda",
    Status.AWAITING_FUNDING: "funding",
    Status.IN_PROGRESS: "work",
    Status.DEADLINE_MISSED: "deadline",
    Status.IN_REVIEW: "review",
}


# -- intern actions -------------------------------------------------------------------------


def accept(token: str) -> dict[str, Any]:
    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    require(brief, {Status.OFFERED}, "accept this offer")
    resume(brief_id, "offer", {"decision": "accepted"}, intern_id=intern_id)
    store = get_store()
    store.update_brief(brief_id, {"intern_id": intern_id})
    _set_candidate(store, brief_id, intern_id, "accepted")
    note(brief, "intern", "The intern accepted the offer", action="accepted")
    metrics.add_metric(name="OffersAccepted", unit="Count", value=1)
    return {"status": "accepted"}


def decline(token: str) -> dict[str, Any]:
    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    require(brief, {Status.OFFERED, Status.NDA}, "decline this offer")
    kind = "offer" if brief["status"] == Status.OFFERED else "nda"
    output: dict[str, Any] = {"decision": "declined"}
    if kind == "nda":
        # Declining at the NDA step: the NDA wait fails over to the next candidate.
        fail(brief_id, kind, "Declined", intern_id=intern_id)
    else:
        resume(brief_id, kind, output, intern_id=intern_id)
    store = get_store()
    _set_candidate(store, brief_id, intern_id, "declined")
    store.release_intern(intern_id, brief_id)
    if brief.get("intern_id") == intern_id:
        store.remove_brief_fields(brief_id, "intern_id")
    note(brief, "intern", "The intern declined the offer", action="declined")
    return {"status": "declined"}


def sign_nda(
    token: str, *, full_name: str, agree: bool, ip: str = "", user_agent: str = ""
) -> dict[str, Any]:
    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    errors = []
    name = (full_name or "").strip()
    if not 2 <= len(name) <= 120:
        errors.append({"field": "full_name", "message": "Type your full name (2–120 characters)."})
    if agree is not True:
        errors.append({"field": "agree", "message": "Tick the box to agree to the NDA."})
    if errors:
        raise Invalid(errors)  # type: ignore[arg-type]
    require(brief, {Status.NDA}, "sign the NDA")
    registered = str(intern_profile(intern_id).get("name", ""))
    if not same_name(name, registered):
        raise Invalid(
            [
                {
                    "field": "full_name",
                    "message": f"Type your full name as you registered it: {registered}.",
                }
            ]
        )
    document = nda_text(brief, name)
    signature = {
        "pk": f"BRIEF#{brief_id}",
        "sk": f"NDA#{intern_id}",
        "type": "nda_signature",
        "intern_id": intern_id,
        "full_name": name,
        "version": nda.VERSION,
        "text_sha256": nda.digest(document),
        "signed_at": clock.iso(),
        "ip": ip[:64],
        "user_agent": user_agent[:300],
    }
    store = get_store()
    token_value = consume(brief_id, "nda", intern_id=intern_id)
    store.put(signature)
    send(token_value, {"signed": True, "version": nda.VERSION})
    note(brief, "intern", f"NDA signed by {name} (version {nda.VERSION})", action="nda_signed")
    return {"status": "signed", "text_sha256": signature["text_sha256"]}


def upload_form(
    token: str, *, filename: str, size: Any, content_type: str | None = None
) -> dict[str, Any]:
    """Where the intern's browser uploads a deliverable file (≤ 10 MB, private; stored with
    `content_type` when harmless, else as opaque bytes)."""
    from chalicelib.adapters import files

    brief, intern_id = open_task(token)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= files.MAX_BYTES:
        raise Invalid([{"field": "file", "message": "Files must be between 1 byte and 10 MB."}])
    if not (filename or "").strip():
        raise Invalid([{"field": "file", "message": "The file needs a name."}])
    if brief.get("intern_id") != intern_id:
        raise NotAllowed("Only the intern working on this project can upload files.")
    require(brief, {Status.IN_PROGRESS}, "upload files")
    return files.upload_form(str(brief["brief_id"]), filename, content_type)


def deliver(
    token: str, *, summary: str, url: str | None, file_key: str | None = None
) -> dict[str, Any]:
    from chalicelib.adapters import files

    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    errors = []
    summary = (summary or "").strip()
    link = (url or "").strip() or None
    file_key = (file_key or "").strip() or None
    found = None  # an upload of this brief that reached S3
    if file_key and file_key.startswith(f"deliverables/{brief_id}/"):
        found = files.stored(file_key)
    if file_key and (found is None or found.size == 0):
        errors.append({"field": "file", "message": "The file did not upload; please try again."})
    if not 10 <= len(summary) <= 5_000:
        errors.append(
            {"field": "summary", "message": "Describe what you deliver (10–5,000 characters)."}
        )
    if link and (not link.startswith(("https://", "http://")) or len(link) > 1_000):
        errors.append({"field": "url", "message": "The link must start with https://."})
    if errors:
        raise Invalid(errors)  # type: ignore[arg-type]
    if brief.get("intern_id") != intern_id:
        raise NotAllowed("Only the intern working on this project can deliver.")
    require(brief, {Status.IN_PROGRESS}, "deliver")
    store = get_store()
    token_value = consume_first_work_token(brief_id)
    number = int(brief.get("deliveries", 0)) + 1
    store.put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": f"DELIVERY#{number:02d}",
            "type": "delivery",
            "number": number,
            "summary": summary,
            "url": link,
            "file_key": file_key,
            "file_name": file_key.rsplit("/", 1)[-1] if file_key else None,
            "delivered_at": clock.iso(),
        }
    )
    store.update_brief(brief_id, {"deliveries": number, "latest_delivery_at": clock.iso()})
    send(token_value, {"delivered": True, "delivery": number})
    note(brief, "intern", f"Delivery {number} submitted", action="delivered")
    return {"status": "delivered", "delivery": number}


# -- employer actions -----------------------------------------------------------------------


def review(brief: Mapping[str, Any], *, decision: str, comment: str = "") -> dict[str, Any]:
    brief_id = str(brief["brief_id"])
    comment = (comment or "").strip()
    if decision not in ("approve", "request_changes", "dispute"):
        raise Invalid(
            [{"field": "decision", "message": "Choose approve, request_changes or dispute."}]
        )
    if decision in ("request_changes", "dispute") and not 5 <= len(comment) <= 2_000:
        raise Invalid(
            [{"field": "comment", "message": "Say what should change (5–2,000 characters)."}]
        )
    require(brief, {Status.IN_REVIEW}, "review")
    settings = get_settings()
    rounds = int(brief.get("revision_rounds", 0))
    if decision == "request_changes" and rounds >= settings.max_revision_rounds:
        raise NotAllowed(
            f"All {settings.max_revision_rounds} rounds of changes are used: approve or dispute."
        )
    output: dict[str, Any] = {"decision": decision}
    if decision == "request_changes":
        output["work_seconds"] = revision_seconds(brief)
    token_value = consume(brief_id, "review")
    store = get_store()
    store.put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": f"REVIEW#{clock.iso()}",
            "type": "review",
            "decision": decision,
            "comment": comment,
        }
    )
    if decision == "request_changes":
        store.update_brief(brief_id, {"revision_rounds": rounds + 1, "last_comment": comment})
    send(token_value, output)
    labels = {
        "approve": "The employer approved the delivery",
        "request_changes": f"The employer asked for changes (round {rounds + 1})",
        "dispute": "The employer opened a dispute",
    }
    note(brief, "employer", labels[decision], action=DECISION_ACTIONS[decision])
    if decision == "approve" and brief.get("intern_id"):
        held = balances(brief_journal(brief_id)).held_cents  # what escrow holds, not the budget
        notify.to_party(
            brief,
            "intern",
            "approved",
            key=f"{brief_id}:approved",
            company=str(brief["company"]),
            pay_cents=money.release(held, money.fee_bps_of(brief)).payout_cents,
            currency=str(brief["currency"]),
        )
    if decision == "request_changes" and brief.get("intern_id"):
        notify.to_intern(
            str(brief["intern_id"]),
            "changes_requested",
            key=f"{brief_id}:changes:{rounds + 1}",
            brief_id=brief_id,
            title=str(brief["title"]),
            comment=comment,
            round=rounds + 1,
            max_rounds=settings.max_revision_rounds,
            deadline=str(brief["deadline"]),
            action_url=issue_task_link(brief_id, str(brief["intern_id"])),
        )
    return {"status": decision}


def cancel(brief: Mapping[str, Any]) -> dict[str, Any]:
    brief_id = str(brief["brief_id"])
    status = Status(brief["status"])
    if status not in EMPLOYER_CANCELLABLE:
        raise NotAllowed(f"This project cannot be cancelled now: {in_words(status)}.")
    if brief.get("cancel_requested"):
        raise NotAllowed("This project is already being cancelled.")
    if brief.get("awaiting_confirmation") and _cancel_unstarted(brief_id):
        return {"status": "cancelled"}
    if status == Status.DEADLINE_MISSED:
        resume(brief_id, "deadline", {"decision": "cancel"})
    elif status in WAIT_OF:
        fail(brief_id, WAIT_OF[status], "Cancelled")
    else:
        # Still matching: no wait is open yet. Flag it; the flow stops at its next step.
        try:
            get_store().flag(
                brief_id,
                expected=[Status.SUBMITTED, Status.MATCHING],
                fields={"cancel_requested": True},
                event={
                    **Store.event_item(
                        brief_id,
                        status_from=status,
                        status_to=status,
                        actor="employer",
                        detail="The employer cancelled the project",
                    ),
                    "action": "cancelled",
                },
            )
        except Conflict:
            raise NotAllowed("The project just moved on; reload the page and try again.") from None
        return {"status": "cancelling"}
    note(brief, "employer", "The employer cancelled the project", action="cancelled")
    return {"status": "cancelling"}


def _cancel_unstarted(brief_id: str) -> bool:
    """A brief still waiting for its address's confirmation has no execution: it ends
    CANCELLED here (no money was taken, no email goes to the unconfirmed address). False when
    the confirmation started it a moment ago: it is then cancelled through its flow."""
    store = get_store()
    update = store.update_op(
        {"pk": f"BRIEF#{brief_id}", "sk": "BRIEF"},
        condition="#status = :submitted AND #awaiting_confirmation = :yes",
        set_fields={"status": Status.CANCELLED.value, "updated_at": clock.iso()},
        add_fields={"version": 1},
        remove_fields=["awaiting_confirmation"],
        values={":submitted": Status.SUBMITTED.value, ":yes": True},
    )
    event = Store.event_item(
        brief_id,
        status_from=Status.SUBMITTED,
        status_to=Status.CANCELLED,
        actor="employer",
        detail="The employer cancelled the project before its email address was confirmed",
    )
    try:
        store.transact([update, store.put_op(event)])
    except Conflict:
        return False
    metrics.add_metric(name="EngagementsCancelled", unit="Count", value=1)
    return True


def extend(brief: Mapping[str, Any], *, deadline: str) -> dict[str, Any]:
    brief_id = str(brief["brief_id"])
    try:
        new_deadline = date.fromisoformat(deadline)
    except (TypeError, ValueError):
        raise Invalid(
            [{"field": "deadline", "message": "Give the new deadline as YYYY-MM-DD."}]
        ) from None
    today = clock.today()
    if not today + timedelta(days=1) <= new_deadline <= today + timedelta(days=30):
        raise Invalid(
            [{"field": "deadline", "message": "The new deadline must be 1–30 days from today."}]
        )
    require(brief, {Status.DEADLINE_MISSED}, "extend the deadline")
    seconds = work_seconds(new_deadline)
    token_value = consume(brief_id, "deadline")
    get_store().update_brief(
        brief_id, {"deadline": new_deadline.isoformat(), "deadline_extended": True}
    )
    send(token_value, {"decision": "extend", "work_seconds": seconds})
    note(brief, "employer", f"Deadline extended to {new_deadline.isoformat()}", action="extended")
    return {"status": "extended", "deadline": new_deadline.isoformat()}


def revision_seconds(brief: Mapping[str, Any]) -> int:
    """A round of changes runs to the deadline, but never less than 48 hours."""
    return work_seconds(str(brief["deadline"]), floor=MIN_REVISION_SECONDS)


# -- internals ------------------------------------------------------------------------------


def same_name(typed: str, registered: str) -> bool:
    """A signature is the full name as registered, whatever its case and spacing ("ada  QUILL"
    signs for Ada Quill; "A. Q." does not)."""

    def folded(name: str) -> str:
        return " ".join(name.split()).casefold()

    return bool(registered.strip()) and folded(typed) == folded(registered)


def _set_candidate(store: Store, brief_id: str, intern_id: str, offer_status: str) -> None:
    for candidate in store.query(f"BRIEF#{brief_id}", "CANDIDATE#"):
        if candidate["intern_id"] == intern_id:
            store.put({**candidate, "offer_status": offer_status})

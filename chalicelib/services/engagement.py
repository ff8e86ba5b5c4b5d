"""The engagement after matching: task links, the intern's and the employer's actions, and what
each step of the flow tells whom.

Actions resume the waiting Step Functions task. The task token is consumed by a conditional
write first, so of five simultaneous accepts exactly one resumes the flow; the others get 409.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock, links, tokens, workflow
from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain import nda
from chalicelib.domain.engagement import EMPLOYER_CANCELLABLE, Status
from chalicelib.domain.money import intern_payout
from chalicelib.observability import logger, metrics
from chalicelib.services import notify
from chalicelib.services.errors import Forbidden, Invalid, NotAllowed, NotFound
from chalicelib.settings import get_settings

LINK_LIFETIME = timedelta(days=120)  # longer than any engagement (< 90 days) plus ratings
MIN_REVISION_SECONDS = 48 * 3600
NOT_FOUND = "This link is not valid or has expired. Use the most recent link we emailed you."

# The wait that is open in each state, and the state's cancel route through the flow.
WAIT_OF: dict[Status, str] = {
    Status.OFFERED: "offer",
    Status.NDA: "nda",
    Status.AWAITING_FUNDING: "funding",
    Status.IN_PROGRESS: "work",
    Status.DEADLINE_MISSED: "deadline",
    Status.IN_REVIEW: "review",
}


# -- links --------------------------------------------------------------------------------


def issue_task_link(brief_id: str, intern_id: str) -> str:
    """A fresh link to the intern's task page: 256-bit token, stored hashed, bound to one
    intern, one engagement and an expiry."""
    token, token_hash = tokens.new_token()
    expires = clock.now() + LINK_LIFETIME
    get_store().put_new(
        {
            "pk": f"LINK#{token_hash}",
            "sk": "LINK",
            "type": "link",
            "party": "intern",
            "brief_id": brief_id,
            "intern_id": intern_id,
            "expires_at": int(expires.timestamp()),
        }
    )
    return links.url(f"/tasks/{token}")


def issue_manage_link(brief_id: str, path: str = "") -> str:
    """A fresh manage link for an employer email (every link stays valid; all stored hashed)."""
    token, token_hash = tokens.new_token()
    get_store().add_manage_token(brief_id, token_hash)
    return links.url(f"/briefs/{brief_id}{path}", key=token)


def open_task(token: str) -> tuple[dict[str, Any], str]:
    """(brief, intern_id) for a task link; a wrong, expired or foreign link is just not found."""
    store = get_store()
    link = store.get(f"LINK#{tokens.hash_token(token)}", "LINK") if token else None
    if not link or int(link.get("expires_at", 0)) < clock.now().timestamp():
        raise NotFound(NOT_FOUND)
    brief = store.get_brief(str(link["brief_id"]))
    if brief is None:
        raise NotFound(NOT_FOUND)
    return brief, str(link["intern_id"])


# -- intern actions -------------------------------------------------------------------------


def accept(token: str) -> dict[str, Any]:
    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    _require(brief, {Status.OFFERED}, "accept this offer")
    _resume(brief_id, "offer", {"decision": "accepted"}, intern_id=intern_id)
    store = get_store()
    store.update_brief(brief_id, {"intern_id": intern_id})
    _set_candidate(store, brief_id, intern_id, "accepted")
    _note(brief, "intern", "The intern accepted the offer")
    metrics.add_metric(name="OffersAccepted", unit="Count", value=1)
    return {"status": "accepted"}


def decline(token: str) -> dict[str, Any]:
    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    _require(brief, {Status.OFFERED, Status.NDA}, "decline this offer")
    kind = "offer" if brief["status"] == Status.OFFERED else "nda"
    output: dict[str, Any] = {"decision": "declined"}
    if kind == "nda":
        # Declining at the NDA step: the NDA wait fails over to the next candidate.
        _fail(brief_id, kind, "Declined", intern_id=intern_id)
    else:
        _resume(brief_id, kind, output, intern_id=intern_id)
    store = get_store()
    _set_candidate(store, brief_id, intern_id, "declined")
    store.release_intern(intern_id, brief_id)
    if brief.get("intern_id") == intern_id:
        store.remove_brief_fields(brief_id, "intern_id")
    _note(brief, "intern", "The intern declined the offer")
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
    _require(brief, {Status.NDA}, "sign the NDA")
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
    token_value = _consume(brief_id, "nda", intern_id=intern_id)
    store.put(signature)
    _send(token_value, {"signed": True, "version": nda.VERSION})
    _note(brief, "intern", f"NDA signed by {name} (version {nda.VERSION})")
    return {"status": "signed", "text_sha256": signature["text_sha256"]}


def nda_text(brief: Mapping[str, Any], intern_name: str) -> str:
    return nda.text(company=str(brief["company"]), intern=intern_name, title=str(brief["title"]))


def signed_nda(token: str) -> str:
    """The signed copy the intern can download."""
    brief, intern_id = open_task(token)
    record = get_store().get(f"BRIEF#{brief['brief_id']}", f"NDA#{intern_id}")
    if not record:
        raise NotFound("No signed NDA for this project yet.")
    document = nda_text(brief, str(record["full_name"]))
    return (
        f"{document}\nSigned: {record['full_name']}\nAt: {record['signed_at']}\n"
        f"Document SHA-256: {record['text_sha256']}\n"
    )


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
    _require(brief, {Status.IN_PROGRESS}, "upload files")
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
    _require(brief, {Status.IN_PROGRESS}, "deliver")
    store = get_store()
    token_value = _consume_first_work_token(brief_id)
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
    _send(token_value, {"delivered": True, "delivery": number})
    _note(brief, "intern", f"Delivery {number} submitted")
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
    _require(brief, {Status.IN_REVIEW}, "review")
    settings = get_settings()
    rounds = int(brief.get("revision_rounds", 0))
    if decision == "request_changes" and rounds >= settings.max_revision_rounds:
        raise NotAllowed(
            f"All {settings.max_revision_rounds} rounds of changes are used: approve or dispute."
        )
    output: dict[str, Any] = {"decision": decision}
    if decision == "request_changes":
        output["work_seconds"] = revision_seconds(brief)
    token_value = _consume(brief_id, "review")
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
    _send(token_value, output)
    labels = {
        "approve": "The employer approved the delivery",
        "request_changes": f"The employer asked for changes (round {rounds + 1})",
        "dispute": "The employer opened a dispute",
    }
    _note(brief, "employer", labels[decision])
    if decision == "approve" and brief.get("intern_id"):
        _email_intern(
            str(brief["intern_id"]),
            "approved",
            key=f"{brief_id}:approved",
            brief_id=brief_id,
            title=str(brief["title"]),
            pay_cents=intern_payout(int(brief["budget_cents"]), int(brief.get("fee_bps", 1000))),
            currency=str(brief["currency"]),
        )
    if decision == "request_changes" and brief.get("intern_id"):
        _email_intern(
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
        raise NotAllowed(f"A project that is {status.value} cannot be cancelled.")
    if brief.get("cancel_requested"):
        raise NotAllowed("This project is already being cancelled.")
    if status == Status.DEADLINE_MISSED:
        _resume(brief_id, "deadline", {"decision": "cancel"})
    elif status in WAIT_OF:
        _fail(brief_id, WAIT_OF[status], "Cancelled")
    else:
        # Still matching: no wait is open yet. Flag it; the flow stops at its next step.
        try:
            get_store().flag(
                brief_id,
                expected=[Status.SUBMITTED, Status.MATCHING],
                fields={"cancel_requested": True},
                event=Store.event_item(
                    brief_id,
                    status_from=status,
                    status_to=status,
                    actor="employer",
                    detail="The employer cancelled the project",
                ),
            )
        except Conflict:
            raise NotAllowed("The project just moved on; reload the page and try again.") from None
        return {"status": "cancelling"}
    _note(brief, "employer", "The employer cancelled the project")
    return {"status": "cancelling"}


def extend(brief: Mapping[str, Any], *, deadline: str) -> dict[str, Any]:
    from datetime import date

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
    _require(brief, {Status.DEADLINE_MISSED}, "extend the deadline")
    from chalicelib.services.briefs import work_seconds

    seconds = work_seconds(new_deadline)
    token_value = _consume(brief_id, "deadline")
    get_store().update_brief(
        brief_id, {"deadline": new_deadline.isoformat(), "deadline_extended": True}
    )
    _send(token_value, {"decision": "extend", "work_seconds": seconds})
    _note(brief, "employer", f"Deadline extended to {new_deadline.isoformat()}")
    return {"status": "extended", "deadline": new_deadline.isoformat()}


def delivery_list(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "number": d["number"],
            "summary": d["summary"],
            "url": d.get("url"),
            "file_name": d.get("file_name"),
            "at": d["delivered_at"],
        }
        for d in items
        if str(d["sk"]).startswith("DELIVERY#")
    ]


def delivery_file_url(brief: Mapping[str, Any], number: int) -> str:
    """A 5-minute download link for a delivery's file (GET only reads)."""
    from chalicelib.adapters import files

    item = get_store().get(f"BRIEF#{brief['brief_id']}", f"DELIVERY#{number:02d}")
    if not item or not item.get("file_key"):
        raise NotFound("This delivery has no file.")
    found = files.stored(str(item["file_key"]))
    if found is None:
        raise NotFound("This delivery's file is no longer available.")
    return files.download_url(str(item["file_key"]), found.content_type)


def revision_seconds(brief: Mapping[str, Any]) -> int:
    from chalicelib.services.briefs import work_seconds

    return work_seconds(str(brief["deadline"]), floor=MIN_REVISION_SECONDS)


# -- what each step tells whom (called by the workflow steps) -------------------------------


def on_submitted(brief: Mapping[str, Any]) -> None:
    """The employer's confirmation with a manage link, sent by the workflow's first step so the
    API answers without rendering or sending email."""
    brief_id = str(brief["brief_id"])
    notify.send(
        "brief_received",
        to=str(brief["employer_email"]),
        key=f"{brief_id}:brief_received",
        brief_id=brief_id,
        name=str(brief["employer_name"]),
        title=str(brief["title"]),
        company=str(brief["company"]),
        action_url=issue_manage_link(brief_id),
    )


def on_wait(brief: Mapping[str, Any], kind: str, *, task_token: str, intern_id: str | None) -> None:
    """Email the party a wait is waiting for (once per wait: keyed by its task token)."""
    settings = get_settings()
    brief_id = str(brief["brief_id"])
    key = f"{brief_id}:{kind}:{hashlib.sha256(task_token.encode()).hexdigest()[:16]}"
    windows = settings.windows
    now = clock.now()
    money = {"currency": str(brief["currency"])}
    pay = intern_payout(int(brief["budget_cents"]), int(brief.get("fee_bps", 1000)))
    if kind == "offer" and intern_id:
        _email_intern(
            intern_id,
            "offer",
            key=key,
            brief_id=brief_id,
            title=str(brief["title"]),
            company=str(brief["company"]),
            hours=int(brief["estimated_hours"]),
            pay_cents=pay,
            deadline=str(brief["deadline"]),
            window_end=now + timedelta(seconds=windows.offer_seconds),
            action_url=issue_task_link(brief_id, intern_id),
            **money,
        )
    elif kind == "funding":
        _email_employer(
            brief,
            "offer_accepted",
            key=key,
            amount_cents=int(brief["budget_cents"]),
            nda_signed=bool(brief.get("nda_required")),
            window_end=now + timedelta(seconds=windows.funding_seconds),
            action_url=issue_manage_link(brief_id, "/fund"),
            **money,
        )
    elif kind == "work" and brief.get("intern_id"):
        if int(brief.get("revision_rounds", 0)) == 0 and not brief.get("deadline_extended"):
            _email_intern(
                str(brief["intern_id"]),
                "work_started",
                key=key,
                brief_id=brief_id,
                title=str(brief["title"]),
                company=str(brief["company"]),
                deadline=str(brief["deadline"]),
                action_url=issue_task_link(brief_id, str(brief["intern_id"])),
            )
    elif kind == "deadline":
        _email_employer(
            brief,
            "reminder",
            key=key,
            waiting_for="your decision on the missed deadline (extend or cancel)",
            window_end=now + timedelta(seconds=windows.deadline_decision_seconds),
            action_url=issue_manage_link(brief_id),
            action_label="Extend or cancel",
        )
    elif kind == "review":
        _email_employer(
            brief,
            "delivery_received",
            key=key,
            window_end=now + timedelta(seconds=windows.review_seconds),
            action_url=issue_manage_link(brief_id),
        )
    elif kind == "payout":
        # Finance is asked (signed webhook + email), the intern told; auto-approval resumes.
        from chalicelib.services import finance

        finance.request_payout_approval(brief, task_token)
    elif kind == "dispute":
        # Finance, the employer and the intern are told; a resolution already sent resumes.
        from chalicelib.services import finance

        finance.on_dispute(brief)


def on_settled(brief: Mapping[str, Any], status: Status) -> None:
    """Tell both parties how the engagement ended."""
    brief_id = str(brief["brief_id"])
    key = f"{brief_id}:settled:{status.value}"
    employer = str(brief["employer_email"])
    intern = _intern(str(brief["intern_id"])) if brief.get("intern_id") else None
    money = {"currency": str(brief["currency"])}
    if status == Status.UNMATCHED:
        _email_employer(
            brief,
            "unmatched",
            key=key,
            reason=str(
                brief.get("unmatched_reason")
                or "The best-matched interns were offered the project, but none accepted it "
                "in time. A later deadline or a higher budget usually helps."
            ),
            action_url=links.url("/briefs/new"),
        )
    elif status == Status.COMPLETED:
        get_store().update_brief(brief_id, {"completed_at": clock.iso()})
        if brief.get("intern_id"):
            from chalicelib.services.interns import record_track_record

            record_track_record(str(brief["intern_id"]), completed=1)
        from chalicelib.adapters.escrow_store import brief_journal
        from chalicelib.domain.ledger import balances

        books = balances(brief_journal(brief_id))
        pay = books.released_cents  # what the intern received (a split pays less)
        notify.send(
            "released",
            to=employer,
            key=f"{key}:employer",
            brief_id=brief_id,
            title=str(brief["title"]),
            role="employer",
            amount_cents=books.released_cents + books.fee_cents,
            fee_cents=books.fee_cents,
            **money,
        )
        if intern:
            notify.send(
                "released",
                to=str(intern["email"]),
                key=f"{key}:intern",
                brief_id=brief_id,
                title=str(brief["title"]),
                role="intern",
                amount_cents=pay,
                **money,
            )
    elif status in (Status.CANCELLED, Status.REFUNDED):
        from chalicelib.adapters.escrow_store import brief_journal
        from chalicelib.domain.ledger import balances

        refunded = balances(brief_journal(brief_id)).refunded_cents
        for role, address in (("employer", employer),) + (
            (("intern", str(intern["email"])),) if intern else ()
        ):
            notify.send(
                "cancelled",
                to=address,
                key=f"{key}:{role}",
                brief_id=brief_id,
                title=str(brief["title"]),
                role=role,
                refunded=bool(refunded),
                refund_cents=refunded,
                **money,
            )


# -- ratings (double-blind) ----------------------------------------------------------------

RATING_REVEAL = timedelta(days=7)
PARTIES = ("employer", "intern")


def rate_employer(token: str, *, score: Any, text: str = "") -> dict[str, Any]:
    """The intern's rating of the employer: only the intern engaged on the brief may give it
    (a declined or lapsed candidate's task link opens the page, but rates nothing)."""
    brief, intern_id = open_task(token)
    if brief.get("intern_id") != intern_id:
        raise Forbidden("Only the intern who did this project can rate the employer.")
    return rate(brief, party="intern", score=score, text=text)


def rate(brief: Mapping[str, Any], *, party: str, score: Any, text: str = "") -> dict[str, Any]:
    """Each party rates the other once, 1–5 with a short text, after completion."""
    errors = []
    if isinstance(score, bool) or not isinstance(score, int | str):
        errors.append({"field": "score", "message": "Give a score from 1 to 5."})
    else:
        try:
            value = int(score)
        except ValueError:
            value = 0
        if not 1 <= value <= 5:
            errors.append({"field": "score", "message": "Give a score from 1 to 5."})
    text = (text or "").strip()
    if len(text) > 1_000:
        errors.append({"field": "text", "message": "Keep the text under 1,000 characters."})
    if errors:
        raise Invalid(errors)  # type: ignore[arg-type]
    _require(brief, {Status.COMPLETED}, "rate")
    brief_id = str(brief["brief_id"])
    try:
        get_store().put_new(
            {
                "pk": f"BRIEF#{brief_id}",
                "sk": f"RATING#{party}",
                "type": "rating",
                "party": party,
                "score": value,
                "text": text,
                "at": clock.iso(),
            }
        )
    except Conflict:
        raise NotAllowed("You already rated this engagement.") from None
    if party == "employer" and brief.get("intern_id"):
        from chalicelib.services.interns import record_track_record

        record_track_record(str(brief["intern_id"]), rating=value)
    _note(brief, party, f"The {party} left a rating")
    return {"status": "rated"}


def ratings_view(
    brief: Mapping[str, Any], items: list[dict[str, Any]], viewer: str
) -> dict[str, Any]:
    """Each party sees its own rating; the other's only once both rated or 7 days passed."""
    from datetime import datetime

    given = {str(i["party"]): i for i in items if str(i["sk"]).startswith("RATING#")}
    completed_at = brief.get("completed_at")
    expired = bool(
        completed_at
        and clock.now() - datetime.fromisoformat(str(completed_at).replace("Z", "+00:00"))
        >= RATING_REVEAL
    )
    revealed = len(given) == 2 or expired
    view: dict[str, Any] = {"can_rate": brief["status"] == Status.COMPLETED and viewer not in given}
    for party in PARTIES:
        rating = given.get(party)
        if rating is None:
            view[f"by_{party}"] = None
        elif revealed or party == viewer:
            view[f"by_{party}"] = {"score": rating["score"], "text": rating["text"]}
        else:
            view[f"by_{party}"] = "hidden until you rate (or 7 days pass)"
    return view


# -- the intern's view ------------------------------------------------------------------------


def task_view(token: str) -> dict[str, Any]:
    """What the intern's task page shows, and which of their actions the state allows."""
    brief, intern_id = open_task(token)
    store = get_store()
    brief_id = str(brief["brief_id"])
    status = Status(brief["status"])
    items = store.query(f"BRIEF#{brief_id}")
    candidate = next(
        (i for i in items if str(i["sk"]).startswith("CANDIDATE#") and i["intern_id"] == intern_id),
        {},
    )
    mine = brief.get("intern_id") == intern_id
    offered = candidate.get("offer_status") == "offered" and status == Status.OFFERED
    actions: list[str] = []
    if offered:
        actions = ["accept", "decline"]
    elif mine and status == Status.NDA:
        actions = ["sign_nda", "decline"]
    elif mine and status == Status.IN_PROGRESS:
        actions = ["deliver"]
    active = offered or mine
    signature = next((i for i in items if i["sk"] == f"NDA#{intern_id}"), None)
    intern = _intern(intern_id)
    return {
        "brief_id": brief_id,
        "intern_id": intern_id,
        "active": active,
        "status": status.value,
        "title": brief["title"],
        "company": brief["company"],
        "employer_name": brief["employer_name"],
        "description": brief["description"],
        "deliverables": brief["deliverables"],
        "skills": brief.get("skills_as_written", brief["skills"]),
        "hours": brief["estimated_hours"],
        "deadline": brief["deadline"],
        "currency": brief["currency"],
        "pay_cents": intern_payout(int(brief["budget_cents"]), int(brief.get("fee_bps", 1000))),
        "nda_required": brief["nda_required"],
        "nda_text": nda_text(brief, str(intern.get("name", ""))) if "sign_nda" in actions else "",
        "nda_signed": bool(signature),
        "last_comment": brief.get("last_comment") if mine else None,
        "revision_rounds": int(brief.get("revision_rounds", 0)),
        "deliveries": delivery_list(items) if mine else [],
        "timeline": [
            {"at": e["at"], "status": e["status"], "detail": e["detail"]}
            for e in items
            if str(e["sk"]).startswith("EVENT#")
        ]
        if active
        else [],
        "actions": actions,
        "ratings": ratings_view(brief, items, "intern") if mine else None,
    }


# -- internals ------------------------------------------------------------------------------


def _require(brief: Mapping[str, Any], states: set[Status], action: str) -> None:
    if brief["status"] not in states:
        raise NotAllowed(
            f"You cannot {action} now: the project is {Status(brief['status']).value}."
        )


def _consume(brief_id: str, kind: str, *, intern_id: str | None = None) -> str:
    try:
        return get_store().consume_task_token(brief_id, kind, intern_id)
    except Conflict:
        raise NotAllowed("This was already done, or the window for it has closed.") from None


def _consume_first_work_token(brief_id: str, wait_seconds: float = 5.0) -> str:
    """The work wait's token. Funding moves the brief to IN_PROGRESS in the payment's own
    transaction, a moment before the workflow's Work step registers its token: an intern who
    delivers within that moment waits for it instead of being refused."""
    import time

    store = get_store()
    deadline = time.monotonic() + wait_seconds
    while store.get(f"BRIEF#{brief_id}", "TASKTOKEN#work") is None:
        if time.monotonic() > deadline:
            raise NotAllowed("Work is just starting; please try again in a moment.")
        time.sleep(0.1)
    return _consume(brief_id, "work")


def _send(task_token: str, output: dict[str, Any]) -> None:
    try:
        workflow.resume(task_token, output)
    except workflow.WaitClosed:
        raise NotAllowed("The window for this has closed.") from None


def _resume(
    brief_id: str, kind: str, output: dict[str, Any], *, intern_id: str | None = None
) -> None:
    _send(_consume(brief_id, kind, intern_id=intern_id), output)


def _fail(brief_id: str, kind: str, error: str, *, intern_id: str | None = None) -> None:
    token_value = _consume(brief_id, kind, intern_id=intern_id)
    try:
        workflow.fail(token_value, error)
    except workflow.WaitClosed:
        raise NotAllowed("The window for this has closed.") from None


def _note(brief: Mapping[str, Any], actor: str, detail: str) -> None:
    store = get_store()
    status = str(brief["status"])
    store.put(
        Store.event_item(
            str(brief["brief_id"]),
            status_from=status,
            status_to=status,
            actor=actor,
            detail=detail,
        )
    )
    logger.info(detail, extra={"brief_id": brief["brief_id"], "actor": actor})


def _set_candidate(store: Store, brief_id: str, intern_id: str, offer_status: str) -> None:
    for candidate in store.query(f"BRIEF#{brief_id}", "CANDIDATE#"):
        if candidate["intern_id"] == intern_id:
            store.put({**candidate, "offer_status": offer_status})


def _email_employer(brief: Mapping[str, Any], kind: str, *, key: str, **context: Any) -> None:
    """An email to the employer about their brief, greeting them by name."""
    notify.send(
        kind,
        to=str(brief["employer_email"]),
        key=key,
        brief_id=str(brief["brief_id"]),
        name=str(brief["employer_name"]),
        title=str(brief["title"]),
        **context,
    )


def _email_intern(intern_id: str, kind: str, *, key: str, brief_id: str, **context: Any) -> None:
    """An email to the intern about `brief_id`, greeting them by name in their own time zone."""
    intern = _intern(intern_id)
    notify.send(
        kind,
        to=str(intern["email"]),
        key=key,
        brief_id=brief_id,
        name=str(intern.get("name", "")),
        timezone=str(intern.get("timezone") or "UTC"),
        **context,
    )


def _intern(intern_id: str) -> dict[str, Any]:
    intern = get_store().get(f"INTERN#{intern_id}", "PROFILE")
    if intern is None:
        raise NotFound("Unknown intern.")
    return intern

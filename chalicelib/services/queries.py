"""The read side: what the employer's brief page / GET /api/briefs/{id} and the intern's task
page show. Nothing here changes state (a GET never does).

    brief_view(brief, attention=...)    # the employer's view (JSON)
    brief_page_view(brief, attention=...)  # ... and what the brief page adds to it
    task_view(token)                    # the intern's task page
    ratings_view / delivery_list / delivery_file_url / signed_nda

Escrow figures come from the ledger (`adapters/escrow_store.figures`); the `attention` object
(a failed payout or refund waiting) is `payout_failures.view(brief)`, which the web layer
passes in: that episode's shape belongs to payout_failures, and one use case does not call
another.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import clock, escrow_store
from chalicelib.adapters.store import get_store
from chalicelib.domain import money
from chalicelib.domain.engagement import EXPLAIN, LABELS, Status, allowed_actions
from chalicelib.domain.wording import DONE, INTERN_LABELS
from chalicelib.services.access import intern_profile, nda_text, open_task
from chalicelib.services.errors import NotFound

RATING_REVEAL = timedelta(days=7)
PARTIES = ("employer", "intern")


def brief_view(
    brief: Mapping[str, Any],
    *,
    attention: dict[str, Any] | None,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The employer's view of a brief: the JSON of GET /api/briefs/{id} and the brief page.

    `attention` is the open payout/refund failure episode (`payout_failures.view(brief)`)."""
    brief_id = str(brief["brief_id"])
    status = Status(brief["status"])
    if items is None:
        items = brief_items(brief_id)
    events = [i for i in items if str(i["sk"]).startswith("EVENT#")]
    candidates = sorted(
        (i for i in items if str(i["sk"]).startswith("CANDIDATE#")), key=lambda c: str(c["sk"])
    )
    accepted = brief.get("intern_id")
    applied = {str(i["intern_id"]): i for i in items if str(i["sk"]).startswith("APPLY#")}
    return {
        "brief_id": brief_id,
        "status": status.value,
        "status_label": LABELS[status],
        "status_explained": (
            "Waiting for your email address to be confirmed; matching has not started."
            if brief.get("awaiting_confirmation")
            else EXPLAIN[status]
        ),
        "title": brief["title"],
        "description": brief["description"],
        "deliverables": brief["deliverables"],
        "skills": brief.get("skills_as_written", brief["skills"]),
        "nice_to_have_skills": brief.get("nice_to_have_skills", []),
        "estimated_hours": brief["estimated_hours"],
        "budget_cents": brief["budget_cents"],
        "currency": brief["currency"],
        "deadline": brief["deadline"],
        "nda_required": brief["nda_required"],
        "company": brief["company"],
        "created_at": brief["created_at"],
        "timeline": [{"at": e["at"], "status": e["status"], "detail": e["detail"]} for e in events],
        "shortlist": [
            {
                "rank": i + 1,
                "intern_id": c["intern_id"],
                "score": c.get("score"),
                "factors": c.get("factors", {}),
                "reason": c.get("reason", ""),
                "offer_status": c.get("offer_status", "pending"),
                # issue 17: the intern applied to this brief (open briefs), with their note
                "applied": str(c["intern_id"]) in applied,
                "note": applied[str(c["intern_id"])].get("note")
                if c["intern_id"] in applied
                else None,
            }
            for i, c in enumerate(candidates)
        ],
        "applicants": [
            {"intern_id": a["intern_id"], "note": a.get("note", ""), "at": a["at"]}
            for a in sorted(applied.values(), key=lambda a: str(a["at"]))
        ],
        "engagement": {"intern_id": accepted, "status": status.value},
        "escrow": escrow_store.figures(items),
        "payout": brief.get("payout") or {"payout_id": None, "status": None},
        "attention": attention,  # a failed payout/refund waiting, or None
        # No matching until someone confirms the employer's address (services/confirmations.py)
        "awaiting_confirmation": bool(brief.get("awaiting_confirmation")),
        "actions": sorted(allowed_actions(status, party="employer")),
        "ratings": ratings_view(brief, items, "employer"),
        "deliveries": delivery_list(items),
    }


def brief_items(brief_id: str) -> list[dict[str, Any]]:
    """Everything of one brief, read strongly consistently: a page shown right after an action
    (Post/Redirect/Get) reads that action's own writes."""
    return get_store().query(f"BRIEF#{brief_id}", consistent=True)


def brief_page_view(
    brief: Mapping[str, Any], *, attention: dict[str, Any] | None
) -> dict[str, Any]:
    """The brief page: `brief_view`, with what the employer just did (while the flow moves on
    from it), their own review comments, and the timeline in words."""
    items = brief_items(str(brief["brief_id"]))
    brief = same_read(brief, items)
    view = brief_view(brief, attention=attention, items=items)
    events = _events(items)
    pending = pending_action(str(brief["status"]), events)
    if pending:
        view["actions"] = [a for a in view["actions"] if a in LATER_ACTIONS]
    view["pending"] = pending
    view["reviews"] = [
        {"at": r["sk"].removeprefix("REVIEW#"), "decision": r["decision"], "comment": r["comment"]}
        for r in items
        if str(r["sk"]).startswith("REVIEW#")
    ]
    view["story"] = story(events, viewer="employer")
    return view


def same_read(brief: Mapping[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The brief item as the same Query read it with its timeline: a step that moves the status
    between two separate reads would leave a page with the old status beside the new event."""
    return next((i for i in items if i["sk"] == "BRIEF"), dict(brief))


# Employer actions still open while a just-taken action waits for the flow (none: every one
# of them closes the state's wait).
LATER_ACTIONS: frozenset[str] = frozenset()


def _events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if str(i["sk"]).startswith("EVENT#")]


def pending_action(status: str, events: list[dict[str, Any]]) -> str | None:
    """The action that closed the current state's wait, while the flow has not moved on yet.

    An action writes its timeline event at once; the new status is written by the flow's next
    step, a moment later. Until then the pages show the action as done (`wording.DONE`)."""
    for event in reversed(events):
        if event.get("from") != event.get("status"):
            return None  # the flow moved since: the status says it all
        if event.get("action") in DONE and event.get("status") == status:
            return str(event["action"])
    return None


def story(events: list[dict[str, Any]], *, viewer: str) -> list[dict[str, Any]]:
    """The timeline in words for `viewer`: a move is labelled with the state it moved to, an
    action with what was done (never with the state it was done in), "you" for the viewer."""
    labels = INTERN_LABELS if viewer == "intern" else LABELS
    who = {"intern": "Intern", "employer": "Employer", "finance": "Finance"}
    lines = []
    for event in events:
        status = Status(event["status"])
        action = DONE.get(str(event.get("action") or ""))
        detail = str(event["detail"])
        if event.get("from") != event.get("status"):
            label = labels[status]
        elif action:
            label = action.intern_label if viewer == "intern" else action.employer_label
        else:
            label = who.get(str(event.get("actor")), labels[status])
        if viewer == "intern":
            detail = detail.replace("for the intern to", "for you to")
        if event.get("actor") == viewer:
            detail = _second_person(detail, viewer)
            if not action and event.get("from") == event.get("status"):
                label = "You"
        lines.append({"at": event["at"], "label": label, "detail": detail})
    return lines


def _second_person(detail: str, viewer: str) -> str:
    """ "The intern accepted the offer" as the intern reads it: "You accepted the offer"."""
    for opening in (f"The {viewer} ", f"the {viewer} "):
        if detail.startswith(opening):
            return "You " + detail.removeprefix(opening)
    return detail


def task_view(token: str) -> dict[str, Any]:
    """What the intern's task page shows, and which of their actions the state allows."""
    brief, intern_id = open_task(token)
    brief_id = str(brief["brief_id"])
    items = brief_items(brief_id)
    brief = same_read(brief, items)
    status = Status(brief["status"])
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
    events = _events(items)
    pending = pending_action(status.value, events) if active else None
    if pending:
        actions = []  # done: the flow moves on from it in a moment
    signature = next((i for i in items if i["sk"] == f"NDA#{intern_id}"), None)
    intern = intern_profile(intern_id)
    pay = money.release(int(brief["budget_cents"]), money.fee_bps_of(brief)).payout_cents
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
        "pay_cents": pay,
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
        # The page's own: what you just did, by when to answer, your zone, the story so far.
        "pending": pending,
        "declined": candidate.get("offer_status") == "declined",
        "answer_by": answer_by(items, actions),
        "timezone": str(intern.get("timezone") or "UTC"),
        "full_name": str(intern.get("name", "")),
        "story": story(events, viewer="intern") if active else [],
    }


def answer_by(items: list[dict[str, Any]], actions: list[str]) -> str | None:
    """When the open offer or NDA wait times out (its token's start plus its window)."""
    from chalicelib.settings import get_settings

    windows = get_settings().windows
    kind, seconds = (
        ("offer", windows.offer_seconds)
        if "accept" in actions
        else ("nda", windows.nda_seconds)
        if "sign_nda" in actions
        else ("", 0)
    )
    token = next((i for i in items if i["sk"] == f"TASKTOKEN#{kind}"), None)
    if not kind or not token or not token.get("created_at"):
        return None
    started = datetime.fromisoformat(str(token["created_at"]).replace("Z", "+00:00"))
    return clock.iso(started + timedelta(seconds=seconds))


def ratings_view(
    brief: Mapping[str, Any], items: list[dict[str, Any]], viewer: str
) -> dict[str, Any]:
    """Each party sees its own rating; the other's only once both rated or 7 days passed."""
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


def signed_nda(token: str) -> str:
    """The signed copy the intern can download."""
    brief, intern_id = open_task(token)
    record = get_store().get(f"BRIEF#{brief['brief_id']}", f"NDA#{intern_id}")
    if not record:
        raise NotFound("No signed NDA for this project yet.")
    document = nda_text(brief, str(record["full_name"]), str(record.get("version") or "2026-11"))
    return (
        f"{document}\nSigned: {record['full_name']}\nAt: {record['signed_at']}\n"
        f"Document SHA-256: {record['text_sha256']}\n"
    )


def payout_account_state(intern_id: str, account_id: str) -> str:
    """After Stripe onboarding: "ready" (payouts can be made), "pending" (Stripe has not
    confirmed the account yet) or "" (this intern and account do not belong together)."""
    if not intern_id or not account_id:
        return ""
    intern = get_store().get(f"INTERN#{intern_id}", "PROFILE")
    if not intern or intern.get("stripe_account_id") != account_id:
        return ""
    return "ready" if intern.get("payout_ready") else "pending"

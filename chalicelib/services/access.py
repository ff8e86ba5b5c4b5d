"""Who may act on an engagement, and the plumbing every action shares.

    open_brief(brief_id, token)     # the employer's manage token (401 / 403 / 404)
    open_organisation_brief         # a brief of the caller's organisation (session, API key)
    revoke_other_manage_links       # only the link in hand (and links issued later) still open it
    open_task(token)                # the intern's task link -> (brief, intern_id)
    issue_task_link / issue_manage_link
    consume / resume / fail         # take a wait's task token once, resume the flow with it

A shared helper of the use cases (briefs, engagement, ratings, queries, escrow, reminders...):
it imports no other service but `errors`, so any use case may import it.

Actions resume the waiting Step Functions task. The task token is consumed by a conditional
write first, so of five simultaneous accepts exactly one resumes the flow; the others get 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.adapters import clock, links, manage_links, tokens, workflow
from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain import nda
from chalicelib.domain.engagement import Status, work_window_seconds
from chalicelib.domain.wording import in_words
from chalicelib.observability import logger
from chalicelib.services.errors import Forbidden, NotAllowed, NotFound, Unauthorized
from chalicelib.settings import get_settings

LINK_LIFETIME = timedelta(days=120)  # longer than any engagement (< 90 days) plus ratings
NOT_FOUND = "This link is not valid or has expired. Use the most recent link we emailed you."
# One answer for a manage token that is wrong, another brief's, expired or revoked: it says
# nothing about which, nor anything about the brief.
LINK_REFUSED = (
    "This link does not open this page: it may have expired or been replaced. "
    "Use the most recent link we emailed you."
)


# -- links and tokens -----------------------------------------------------------------------


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


def new_manage_token(brief_id: str) -> tuple[str, dict[str, Any]]:
    """A fresh manage token of `brief_id` and the item that stores it (256 bits, stored as its
    SHA-256, valid for MANAGE_LINK_LIFETIME_SECONDS)."""
    token, token_hash = tokens.new_token()
    expires = clock.now().timestamp() + get_settings().manage_link_seconds
    return token, manage_links.item(brief_id, token_hash, expires_at=int(expires))


def issue_manage_link(brief_id: str, path: str = "") -> str:
    """A fresh manage link for an employer email: each email carries its own token, valid
    for the manage-link lifetime from the moment it is sent, so the latest email always works."""
    token, item = new_manage_token(brief_id)
    get_store().put_new(item)
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


def open_brief(brief_id: str, token: str | None) -> dict[str, Any]:
    """The brief, if `token` is its manage token: 401 without one, 403 for another's, 404."""
    if not token:
        raise Unauthorized("A manage token is required (Authorization: Bearer <manage_token>).")
    brief = get_store().get_brief(brief_id)
    if brief is None:
        raise NotFound("No brief with this id.", "brief_id")
    if manage_token_expiry(brief, token) is None:
        raise Forbidden(LINK_REFUSED)
    return brief


def open_organisation_brief(brief_id: str, organisation_id: str | None) -> dict[str, Any]:
    """The brief, if it belongs to `organisation_id` (a signed-in member's, or an API key's):
    any other brief answers exactly as an unknown id (404), so nothing tells it exists."""
    brief = get_store().get_brief(brief_id) if organisation_id else None
    if brief is None or brief.get("organisation_id") != organisation_id:
        raise NotFound("No brief with this id.", "brief_id")
    return brief


def manage_token_expiry(brief: Mapping[str, Any], token: str) -> int | None:
    """When `token` stops opening `brief` (epoch seconds), or None when it does not open it
    now: unknown, another brief's, expired or revoked.

    Tokens issued before manage tokens had an expiry are hashes on the brief itself; they count
    as issued when the brief was created, so they expire one lifetime after it."""
    brief_id = str(brief["brief_id"])
    expiry = manage_links.expires_at(brief_id, tokens.hash_token(token))
    if expiry is None:
        legacy = [str(brief.get("manage_token_hash", "")), *brief.get("manage_token_hashes", [])]
        if tokens.matches_any(token, legacy):
            created = clock.parse(str(brief["created_at"])).timestamp()
            expiry = int(created) + get_settings().manage_link_seconds
    if expiry is None or expiry <= clock.now().timestamp():
        return None
    return expiry


def revoke_other_manage_links(brief_id: str, token: str | None) -> dict[str, Any]:
    """Every manage link of the brief stops working but `token`'s own (which keeps its expiry);
    links emailed afterwards work as usual. Opening rules as `open_brief`."""
    brief = open_brief(brief_id, token)
    assert token  # open_brief refuses a missing one
    expiry = manage_token_expiry(brief, token)
    assert expiry is not None
    removed = manage_links.keep_only(brief_id, tokens.hash_token(token), expires_at=expiry)
    note(brief, "employer", f"Other manage links revoked ({removed})")
    kept_until = clock.iso(datetime.fromtimestamp(expiry, UTC))
    return {"brief_id": brief_id, "revoked_links": removed, "link_expires_at": kept_until}


def revoke_all_manage_links(brief: Mapping[str, Any]) -> dict[str, Any]:
    """Every manage link of the brief stops working (asked by a member of its organisation or
    an API key, who hold no link of their own); links emailed afterwards work as usual."""
    brief_id = str(brief["brief_id"])
    removed = manage_links.remove_all(brief_id)
    note(brief, "employer", f"Manage links revoked ({removed})")
    return {"brief_id": brief_id, "revoked_links": removed, "link_expires_at": None}


# -- acting on a wait -------------------------------------------------------------------------


def require(brief: Mapping[str, Any], states: set[Status], action: str) -> None:
    """409 unless the engagement is in one of `states`."""
    if brief["status"] not in states:
        raise NotAllowed(f"You cannot {action} now: {in_words(str(brief['status']))}.")


# The status of the engagement while each of the parties' waits is open.
WAITING_IN = {
    "offer": Status.OFFERED,
    "nda": Status.NDA,
    "funding": Status.AWAITING_FUNDING,
    "work": Status.IN_PROGRESS,
    "deadline": Status.DEADLINE_MISSED,
    "review": Status.IN_REVIEW,
}


def consume(brief_id: str, kind: str, *, intern_id: str | None = None) -> str:
    """Take the `kind` wait's task token (once: a second taker gets 409)."""
    store = get_store()
    try:
        return store.consume_task_token(brief_id, kind, intern_id)
    except Conflict:
        brief = store.get_brief(brief_id)  # where things stand now, in words
        status = str(brief["status"]) if brief else ""
        now = (
            " It has just been done: the next step starts in a moment."
            if status == WAITING_IN.get(kind)
            else f" Now {in_words(status)}."
            if status
            else ""
        )
        raise NotAllowed(f"This was already done, or the window for it has closed.{now}") from None


def consume_first_work_token(brief_id: str, wait_seconds: float = 5.0) -> str:
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
    return consume(brief_id, "work")


def send(task_token: str, output: dict[str, Any]) -> None:
    """Resume the flow with a token already consumed."""
    try:
        workflow.resume(task_token, output)
    except workflow.WaitClosed:
        raise NotAllowed("The window for this has closed.") from None


def resume(
    brief_id: str, kind: str, output: dict[str, Any], *, intern_id: str | None = None
) -> None:
    send(consume(brief_id, kind, intern_id=intern_id), output)


def fail(brief_id: str, kind: str, error: str, *, intern_id: str | None = None) -> None:
    """Fail the `kind` wait with `error` (the state machine's Catch takes it from there)."""
    token_value = consume(brief_id, kind, intern_id=intern_id)
    try:
        workflow.fail(token_value, error)
    except workflow.WaitClosed:
        raise NotAllowed("The window for this has closed.") from None


def work_seconds(deadline: date | str, *, floor: int = 1) -> int:
    """The work window as the flow runs it (what a resumed wait hands the Work step): to the
    deadline, capped by WORK_WINDOW_SECONDS."""
    cap = get_settings().windows.work_seconds
    return work_window_seconds(deadline, clock.now(), cap=cap, floor=floor)


def run_input(brief_id: str, *, nda_required: bool, deadline: Any) -> dict[str, Any]:
    """The input of a brief's Step Functions run (its first, or one an applicant reopens)."""
    settings = get_settings()
    windows = settings.windows.model_dump()
    windows["work_seconds"] = work_seconds(deadline)
    return {
        "brief_id": brief_id,
        "nda_required": nda_required,
        "max_revision_rounds": settings.max_revision_rounds,
        "windows": windows,
    }


def note(brief: Mapping[str, Any], actor: str, detail: str, *, action: str | None = None) -> None:
    """A line on the brief's timeline (status unchanged) and in the log.

    `action` names an action that closed the state's wait (`domain/wording.DONE`): until the
    flow's next step moves the status on, the pages show that action as done (they read it
    back from the timeline: the status is written by the step, after the action returned)."""
    store = get_store()
    status = str(brief["status"])
    event = Store.event_item(
        str(brief["brief_id"]),
        status_from=status,
        status_to=status,
        actor=actor,
        detail=detail,
    )
    if action:
        event["action"] = action
    store.put(event)
    logger.info(detail, extra={"brief_id": brief["brief_id"], "actor": actor})


# -- what a task link's intern sees and signs -------------------------------------------------


def intern_profile(intern_id: str) -> dict[str, Any]:
    intern = get_store().get(f"INTERN#{intern_id}", "PROFILE")
    if intern is None:
        raise NotFound("Unknown intern.")
    return intern


def nda_text(brief: Mapping[str, Any], intern_name: str, version: str = nda.VERSION) -> str:
    """The NDA of `brief` for `intern_name`: the text shown, signed and hashed is this one
    (`version`: the one a signature recorded, for its signed copy)."""
    return nda.text(
        company=str(brief["company"]),
        intern=intern_name,
        title=str(brief["title"]),
        version=version,
    )

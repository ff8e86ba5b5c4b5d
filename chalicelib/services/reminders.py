"""Reminders before a window closes: each wait is listed (sparse index) with the moment three
quarters of its window have passed; a scheduled sweep emails the party who must act, once."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import get_store
from chalicelib.observability import logger, metrics
from chalicelib.services import notify
from chalicelib.services.access import issue_manage_link, issue_task_link, work_seconds
from chalicelib.settings import get_settings

REMIND_AT_SHARE = 0.75

# wait kind -> (who acts, what is waiting, the settings window that bounds it)
WAITS: dict[str, tuple[str, str, str]] = {
    "offer": ("intern", "your answer to the offer", "offer_seconds"),
    "nda": ("intern", "your NDA signature", "nda_seconds"),
    "funding": ("employer", "funding escrow", "funding_seconds"),
    "work": ("intern", "your delivery", "work_seconds"),
    "deadline": ("employer", "your decision on the missed deadline", "deadline_decision_seconds"),
    "review": ("employer", "your review of the delivery", "review_seconds"),
}


def window_seconds(kind: str, brief: dict[str, Any]) -> int | None:
    """The wait's window as the flow runs it (the work window ends at the deadline)."""
    if kind not in WAITS:
        return None
    if kind == "work":
        return work_seconds(str(brief["deadline"]))
    return int(getattr(get_settings().windows, WAITS[kind][2]))


def remind_at(kind: str, brief: dict[str, Any], started: datetime) -> str | None:
    seconds = window_seconds(kind, brief)
    if not seconds:
        return None
    return clock.iso(started + timedelta(seconds=seconds * REMIND_AT_SHARE))


def send_due() -> int:
    """Send every reminder that is due; safe to run twice (each is sent once per wait).

    Each reminder stands on its own: one that fails (bad data, SES unavailable) is logged and
    counted (`RemindersFailed`) and stays due for the next sweep, and the others are sent. A
    reminder SES refuses for good is recorded on its brief's timeline and not tried again.
    """
    store = get_store()
    sent = failed = 0
    for token in store.due_reminders(clock.iso(clock.now())):
        brief_id, kind = str(token.get("brief_id")), str(token.get("kind"))
        try:
            if _remind(token):
                sent += 1
        except Exception:
            failed += 1
            logger.exception("reminder failed", extra={"brief_id": brief_id, "kind": kind})
    if sent:
        logger.info("reminders sent", extra={"count": sent})
        metrics.add_metric(name="RemindersSent", unit="Count", value=sent)
    if failed:
        metrics.add_metric(name="RemindersFailed", unit="Count", value=failed)
    return sent


def _remind(token: dict[str, Any]) -> bool:
    """Email the reminder of one waiting token and take it off the index; True when sent."""
    store = get_store()
    brief_id, kind = str(token["brief_id"]), str(token["kind"])
    brief = store.get_brief(brief_id)
    if not brief or token.get("consumed") or kind not in WAITS:
        store.reminder_sent(brief_id, kind, str(token["token"]))
        return False
    party, waiting_for, _ = WAITS[kind]
    seconds = window_seconds(kind, brief) or 0
    created = datetime.fromisoformat(str(token["created_at"]).replace("Z", "+00:00"))
    ends = created + timedelta(seconds=seconds)
    digest = hashlib.sha256(str(token["token"]).encode()).hexdigest()[:16]
    key = f"{brief_id}:{kind}:reminder:{digest}"
    if party == "intern":
        intern_id = str(token.get("intern_id") or brief.get("intern_id") or "")
        intern = store.get(f"INTERN#{intern_id}", "PROFILE") if intern_id else None
        if intern is None or (intern.get("email_prefs") or {}).get("reminders") is False:
            # no profile, or the intern turned reminders off (issue 14; the offer, NDA and
            # work emails themselves are always sent)
            store.reminder_sent(brief_id, kind, str(token["token"]))
            return False
        to, name = str(intern["email"]), str(intern.get("name", ""))
        action_url = issue_task_link(brief_id, intern_id)
        label = {"offer": "Open the offer", "nda": "Sign the NDA"}.get(kind, "Deliver")
    else:
        to, name = str(brief["employer_email"]), str(brief["employer_name"])
        path = "/fund" if kind == "funding" else ""
        action_url = issue_manage_link(brief_id, path)
        label = {"funding": "Fund escrow", "deadline": "Extend or cancel"}.get(kind, "Review")
    message_id = notify.send(
        "reminder",
        to=to,
        key=key,
        brief_id=brief_id,
        name=name,
        title=str(brief["title"]),
        waiting_for=waiting_for,
        window_end=ends,
        action_url=action_url,
        action_label=label,
    )
    # Refused for good (on the timeline already) or sent: either way, not tried again.
    return store.reminder_sent(brief_id, kind, str(token["token"])) and message_id is not None

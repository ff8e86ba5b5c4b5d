"""What the brief page and the task page add for messages and sealed details (imported by
web/views.py and web/task_views.py; the forms and routes are web/message_views.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import links
from chalicelib.services import messages, sealed
from chalicelib.services.errors import AppError


def brief_page_extras(brief: Mapping[str, Any], key: str | None) -> dict[str, Any]:
    """The thread (showing it marks nothing read: the page's POST does) and the employer's
    sealed details."""
    brief_id = str(brief["brief_id"])
    return {
        "thread": messages.thread_page(brief, "employer"),
        "sealed": sealed.employer_details(brief),
        "message_file": lambda message_id: links.href(
            f"/briefs/{brief_id}/messages/{message_id}/file", key=key
        ),
    }


def task_page_extras(token: str, task: Mapping[str, Any]) -> dict[str, Any]:
    """The thread for the engaged intern (showing it marks nothing read: the page's POST does),
    and whether the confidential details are open to them (shown by a button on their own
    page: each read is recorded)."""
    try:
        brief, intern_id = messages.intern_brief(token)
    except AppError:
        return {"thread": None, "sealed_open": False}
    return {
        "thread": messages.thread_page(brief, "intern"),
        "message_file": lambda message_id: links.href(f"/tasks/{token}/messages/{message_id}/file"),
        "sealed_open": sealed.can_read(brief, intern_id)
        and sealed.has_details(str(brief["brief_id"])),
    }

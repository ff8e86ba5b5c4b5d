"""The intern's task page (GET never changes state) and its forms (POST + CSRF)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.engagement import Status
from chalicelib.domain.money import format_money
from chalicelib.domain.wording import DONE, INTERN_EXPLAIN, INTERN_LABELS
from chalicelib.services import access as engagement_access
from chalicelib.services import engagement, queries, ratings
from chalicelib.services.errors import AppError, Invalid
from chalicelib.web.pages import error_page, form_page
from chalicelib.web.views import Confirmation, flow_context, form_post


def token_page(
    template: str,
    token: str,
    headers: Mapping[str, str],
    load: Callable[[], Mapping[str, Any]],
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
    csp_extra: Mapping[str, list[str]] | None = None,
) -> Response:
    """A page under a task link (/tasks/{token}/...): `load()` gives what it shows (an
    AppError: the error page, e.g. an unknown link's not-found); it carries a CSRF token and
    the tokened headers (no-referrer, no-store); the form's errors and input come back on it."""
    try:
        context = load()
    except AppError as exc:
        return error_page(exc)
    return form_page(
        template,
        headers,
        status=status,
        tokened=True,
        csp_extra=csp_extra,
        token=token,
        errors=dict(errors or {}),
        values=dict(values or {}),
        **context,
    )


def task_page(
    token: str,
    headers: Mapping[str, str],
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    return token_page(
        "task_page.html",
        token,
        headers,
        lambda: _task_context(token),
        errors=errors,
        values=values,
        status=status,
    )


def _task_context(token: str) -> dict[str, Any]:
    from chalicelib.web import message_parts
    from chalicelib.web.certificate_views import intern_panel

    task = queries.task_view(token)
    state = Status(task["status"])
    done = DONE.get(str(task.get("pending") or ""))
    return dict(
        task=task,
        # Written to "you"; right after an action, that action as done (the flow's next step
        # writes the new status a moment later: queries.pending_action).
        status_label=done.intern_label if done else INTERN_LABELS[state],
        status_explained=done.intern_says if done else INTERN_EXPLAIN[state],
        pay=format_money(int(task["pay_cents"]), str(task["currency"])),
        when=local_time(str(task["timezone"])),
        after_project=intern_panel(token),  # certificate and hiring interest (issue 15)
        **flow_context(
            state,
            nda_required=bool(task["nda_required"]),
            labels=INTERN_LABELS,
            pending=task.get("pending"),
        ),
        **message_parts.task_page_extras(token, task),  # messages and sealed details
    )


def local_time(zone: str) -> Callable[[str], str]:
    """Times in the reader's own zone, written as the emails write them
    ("Fri 14 Mar 2025, 17:00 CET"; a date alone: "Fri 14 Mar 2025")."""
    from chalicelib.adapters import emails

    context = {"timezone": zone}
    return lambda value: emails._when(context, value) if value else ""


def task_action(
    token: str, action: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """Apply a form's action, then show the page again (Post/Redirect/Get)."""
    return task_form(
        token,
        headers,
        body,
        act=lambda form: run_action(token, action, form, headers),
        confirm=lambda form: confirm_decline(token) if action == "decline" else None,
    )


def task_form(
    token: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    *,
    act: Callable[[dict[str, str]], object],
    anchor: str = "",
    own_errors: Callable[[Mapping[str, str]], Mapping[str, str]] = dict,
    confirm: Callable[[dict[str, str]], Confirmation | None] | None = None,
) -> Response:
    """A form of the task page (views.form_post): back to the page (at `anchor`) when done;
    field errors (named by `own_errors` where the page has other forms) beside the fields."""
    return form_post(
        headers,
        body,
        act=act,
        show_errors=lambda form, errors: task_page(
            token, headers, errors=own_errors(errors), values=form, status=422
        ),
        location=links.href(f"/tasks/{token}") + anchor,
        back_label="Back to your task page",
        confirm=confirm,
    )


def confirm_decline(token: str) -> Confirmation:
    """Declining is final: the project goes to the next candidate."""
    engagement_access.open_task(token)  # a bad link gets the not-found page, not a question
    return Confirmation(
        "Decline this project?",
        "The project goes to the next candidate and you cannot take it back later. "
        "We will email you when another project fits your skills.",
        "Yes, decline the project",
        links.href(f"/tasks/{token}/decline"),
    )


def run_action(
    token: str, action: str, data: Mapping[str, Any], headers: Mapping[str, str]
) -> dict[str, Any]:
    """One code path for the page's forms and the JSON API."""
    if action == "accept":
        return engagement.accept(token)
    if action == "decline":
        return engagement.decline(token)
    if action == "nda":
        agree = data.get("agree")
        return engagement.sign_nda(
            token,
            full_name=_text(data, "full_name") or "",
            agree=agree is True or agree == "yes",
            ip=str(headers.get("x-forwarded-for", "")).split(",")[0].strip(),
            user_agent=str(headers.get("user-agent", "")),
        )
    if action == "rate":
        return ratings.rate_employer(token, score=data.get("score"), text=_text(data, "text") or "")
    if action == "deliver":
        summary, url, file_key = (_text(data, n) for n in ("summary", "url", "file_key"))
        return engagement.deliver(token, summary=summary or "", url=url, file_key=file_key)
    if action == "upload":
        size = data.get("size")
        return engagement.upload_form(
            token,
            filename=_text(data, "filename") or "",
            size=int(size) if isinstance(size, str) and size.isdigit() else size,
            content_type=_text(data, "content_type"),
        )
    raise Invalid([{"field": "action", "message": f"Unknown action {action!r}."}])


def _text(data: Mapping[str, Any], name: str) -> str | None:
    """A text field of the body: None when absent or empty; a number or a list is a 422 on
    that field (never coerced into text, never a crash further in)."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid([{"field": name, "message": f"{name} must be text."}])
    return value


def signed_nda(token: str) -> Response:
    try:
        text = queries.signed_nda(token)
    except AppError as exc:
        return error_page(exc)
    return Response(
        body=text,
        status_code=200,
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Disposition": 'attachment; filename="microintern-nda.txt"',
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )

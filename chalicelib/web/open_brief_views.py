"""Open briefs for interns (issue 17): the JSON API, the page reached from the task page, and
the same page for a signed-in intern, reached from the dashboard (``/dashboard/open-briefs``).

The page is ``GET /tasks/{token}/open-briefs``: the task link's token stays in the path, as on
the task page itself (``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``), never in
a query string; GET changes nothing; Apply and Withdraw are form POSTs with a CSRF token, then
Post/Redirect/Get back to the list. The JSON API takes the token as ``Authorization: Bearer``.
All ask ``intern_identity.current_intern`` who the intern is (the dashboard's page: the
session; its forms are CSRF-checked the same way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.money import format_money
from chalicelib.domain.open_briefs import NOTE_MAX
from chalicelib.services import open_briefs
from chalicelib.services.errors import AppError
from chalicelib.web.http import json_object, json_response
from chalicelib.web.intern_identity import current_intern
from chalicelib.web.pages import error_page, form_page
from chalicelib.web.task_views import token_page
from chalicelib.web.views import form_post

# -- JSON ------------------------------------------------------------------------------------


def list_json(headers: Mapping[str, str]) -> Response:
    return json_response(open_briefs.list_for_intern(current_intern(headers)))


def apply(intern_id: str, brief_id: str, note: Any) -> dict[str, Any]:
    """Apply, then take a place in a shortlist matching already made (or reopen an UNMATCHED
    brief): ``services/late_applicants.py``."""
    from chalicelib.services import late_applicants

    answer = open_briefs.express_interest(intern_id, brief_id, note)
    late_applicants.consider(intern_id, brief_id)
    return answer


def interest_json(headers: Mapping[str, str], brief_id: str, body: bytes | str | None) -> Response:
    intern_id = current_intern(headers, writes=True)
    data = json_object(body or b"{}")
    return json_response(apply(intern_id, brief_id, data.get("note")), 201)


def withdraw_json(headers: Mapping[str, str], brief_id: str) -> Response:
    intern_id = current_intern(headers, writes=True)
    return json_response(open_briefs.withdraw_interest(intern_id, brief_id))


# -- the page ----------------------------------------------------------------------------------


def _list_href(token: str) -> str:
    return links.href(f"/tasks/{token}/open-briefs")


def open_briefs_page(
    token: str,
    headers: Mapping[str, str],
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    def load() -> dict[str, Any]:
        rows = open_briefs.list_for_intern(current_intern(headers, path_token=token))
        return _context(
            rows,
            list_path=f"/tasks/{token}/open-briefs",
            back=(links.href(f"/tasks/{token}"), "Back to your task page"),
        )

    return token_page(
        "open_briefs.html", token, headers, load, errors=errors, values=values, status=status
    )


def _context(
    rows: list[dict[str, Any]], *, list_path: str, back: tuple[str, str]
) -> dict[str, Any]:
    """What the open-briefs page shows (either way in): ``list_path`` is where its forms post."""
    for row in rows:
        row["pay"] = format_money(int(row["pay_cents"]), str(row["currency"]))
    return {
        "briefs": rows,
        "note_max": NOTE_MAX,
        "list_path": list_path,
        "back_href": back[0],
        "back_label": back[1],
    }


def open_brief_action(
    token: str, brief_id: str, action: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """Apply (``interest``) or withdraw from the page's forms, then back to the list."""
    return _page_action(
        headers,
        body,
        brief_id,
        action,
        intern_of=lambda: current_intern(headers, path_token=token),
        page=lambda **shown: open_briefs_page(token, headers, **shown),
        location=_list_href(token),
    )


def _page_action(
    headers: Mapping[str, str],
    body: bytes | str | None,
    brief_id: str,
    action: str,
    *,
    intern_of: Callable[[], str],
    page: Callable[..., Response],
    location: str,
) -> Response:
    """Apply or withdraw from either open-briefs page (CSRF-checked), then back to its list;
    a mistake shows the page again beside the brief's form."""

    def act(form: dict[str, str]) -> Any:
        intern_id = intern_of()
        if action == "interest":
            return apply(intern_id, brief_id, form.get("note", ""))
        return open_briefs.withdraw_interest(intern_id, brief_id)

    return form_post(
        headers,
        body,
        act=act,
        show_errors=lambda form, errors: page(
            errors={f"{brief_id}:{k}": v for k, v in errors.items()},
            values={f"{brief_id}:note": form.get("note", "")},
            status=422,
        ),
        location=location,
        back_label="Back to open briefs",
    )


# -- the signed-in intern's page (no task link needed) -----------------------------------------

DASHBOARD_LIST = "/dashboard/open-briefs"


def _signed_out() -> Response:
    return Response(
        body="",
        status_code=303,
        headers={"Location": links.href("/signin"), "Cache-Control": "no-store"},
    )


def dashboard_page(
    headers: Mapping[str, str],
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """``GET /dashboard/open-briefs``: the same page for a signed-in intern (their session),
    linked from the dashboard; signed out: to /signin; not an intern: 403."""
    from chalicelib.web.account_session import current_person

    if current_person(headers) is None:
        return _signed_out()
    try:
        rows = open_briefs.list_for_intern(current_intern(headers))
    except AppError as exc:
        return error_page(exc, back=(links.href("/dashboard"), "Your dashboard"))
    return form_page(
        "open_briefs.html",
        headers,
        status=status,
        tokened=True,
        errors=dict(errors or {}),
        values=dict(values or {}),
        **_context(
            rows,
            list_path=DASHBOARD_LIST,
            back=(links.href("/dashboard"), "Back to your dashboard"),
        ),
    )


def dashboard_action(
    brief_id: str, action: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """``POST /dashboard/open-briefs/{brief_id}/{interest|withdraw}``: CSRF, the session's
    intern, then back to the list (Post/Redirect/Get)."""
    from chalicelib.web.account_session import current_person

    if current_person(headers) is None:
        return _signed_out()

    return _page_action(
        headers,
        body,
        brief_id,
        action,
        intern_of=lambda: current_intern(headers),
        page=lambda **shown: dashboard_page(headers, **shown),
        location=links.href(DASHBOARD_LIST),
    )

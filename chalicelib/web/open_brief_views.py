"""Open briefs for interns (issue 17): the JSON API and the page reached from the task page.

The page is ``GET /tasks/{token}/open-briefs``: the task link's token stays in the path, as on
the task page itself (``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``), never in
a query string; GET changes nothing; Apply and Withdraw are form POSTs with a CSRF token, then
Post/Redirect/Get back to the list. The JSON API takes the token as ``Authorization: Bearer``.
Both ask ``intern_identity.current_intern`` who the intern is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.money import format_money
from chalicelib.domain.open_briefs import NOTE_MAX
from chalicelib.services import open_briefs
from chalicelib.web.http import json_object, json_response
from chalicelib.web.intern_identity import current_intern
from chalicelib.web.task_views import token_page
from chalicelib.web.views import form_post

# -- JSON ------------------------------------------------------------------------------------


def list_json(headers: Mapping[str, str]) -> Response:
    return json_response(open_briefs.list_for_intern(current_intern(headers)))


def interest_json(headers: Mapping[str, str], brief_id: str, body: bytes | str | None) -> Response:
    intern_id = current_intern(headers, writes=True)
    data = json_object(body or b"{}")
    return json_response(open_briefs.express_interest(intern_id, brief_id, data.get("note")), 201)


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
        for row in rows:
            row["pay"] = format_money(int(row["pay_cents"]), str(row["currency"]))
        return {"briefs": rows, "note_max": NOTE_MAX, "task_href": links.href(f"/tasks/{token}")}

    return token_page(
        "open_briefs.html", token, headers, load, errors=errors, values=values, status=status
    )


def open_brief_action(
    token: str, brief_id: str, action: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """Apply (``interest``) or withdraw from the page's forms, then back to the list."""

    def act(form: dict[str, str]) -> Any:
        intern_id = current_intern(headers, path_token=token)
        if action == "interest":
            return open_briefs.express_interest(intern_id, brief_id, form.get("note", ""))
        return open_briefs.withdraw_interest(intern_id, brief_id)

    return form_post(
        headers,
        body,
        act=act,
        show_errors=lambda form, errors: open_briefs_page(
            token,
            headers,
            errors={f"{brief_id}:{k}": v for k, v in errors.items()},
            values={f"{brief_id}:note": form.get("note", "")},
            status=422,
        ),
        location=_list_href(token),
        back_label="Back to open briefs",
    )

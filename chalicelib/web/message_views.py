"""Messages and sealed details on the pages: the thread on the brief page and the task page,
their forms (POST + CSRF, then back to the thread), marking a thread read (a POST from the
page, never its GET), file downloads (short-lived redirects), the intern's page of confidential
details (GET: a button; its POST shows them and records the read), finance's read of a disputed
thread, and the JSON handlers of the same routes. Every refusal of a reader who may not see a
thing is the not-found page or JSON an unknown id gets (services/messages.py, services/sealed.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.services import messages, sealed
from chalicelib.services.errors import AppError, Forbidden, Invalid, NotFound
from chalicelib.web import forms
from chalicelib.web.pages import error_page, files_source, form_page
from chalicelib.web.person_forms import checked_form, see_other

NO_STORE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _redirect(url: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": url, **NO_STORE})


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid([{"field": name, "message": f"{name} must be text."}])
    return value


def _size(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _employer(
    brief_id: str, headers: Mapping[str, str], key: str | None = None, *, writes: bool = False
) -> dict[str, Any]:
    """The brief for its employer — a manage token, an API key of its organisation or a
    member's session (web/brief_access) — and anything else answered as an unknown brief
    (404), never 403, which would say the brief exists."""
    from chalicelib.web import brief_access

    try:
        return brief_access.open_brief(brief_id, headers, key, writes=writes)
    except Forbidden:
        raise NotFound(messages.NO_BRIEF, "brief_id") from None


# -- JSON ---------------------------------------------------------------------------------------


def employer_messages_json(brief_id: str, headers: Mapping[str, str]) -> list[dict[str, Any]]:
    return messages.listing(_employer(brief_id, headers), "employer")


def _post(brief: dict[str, Any], party: str, data: Mapping[str, Any]) -> Any:
    """A message to the thread (its JSON route and its page form)."""
    return messages.post(brief, party, data.get("text"), file_key=_text(data, "file_key"))


def _read(brief: dict[str, Any], party: str, data: Mapping[str, Any]) -> Any:
    """The party's read marker moved to the message `until` (its JSON route and the page's
    thread read): the body checked by its model (`ReadRequest`), then `messages.mark_read`."""
    from pydantic import ValidationError

    from chalicelib.web.message_schemas import ReadRequest

    try:
        until = ReadRequest.model_validate(dict(data)).until
    except ValidationError:
        raise Invalid([{"field": "until", "message": messages.UNKNOWN_MESSAGE}]) from None
    return messages.mark_read(brief, party, until)


def _file(data: Mapping[str, Any]) -> dict[str, Any]:
    """An upload request's description of its file."""
    return {
        "filename": data.get("filename"),
        "size": _size(data.get("size")),
        "content_type": data.get("content_type"),
    }


def employer_post_json(
    brief_id: str, headers: Mapping[str, str], data: Mapping[str, Any], key: str | None = None
) -> Any:
    return _post(_employer(brief_id, headers, key, writes=True), "employer", data)


def employer_upload_json(
    brief_id: str, headers: Mapping[str, str], data: Mapping[str, Any], key: str | None = None
) -> Any:
    brief = _employer(brief_id, headers, key, writes=True)
    return messages.upload_form(brief, "employer", **_file(data))


def employer_read_json(brief_id: str, headers: Mapping[str, str], data: Mapping[str, Any]) -> Any:
    """`POST /api/briefs/{brief_id}/messages/read`: as the messages POST opens the brief."""
    return _read(_employer(brief_id, headers, writes=True), "employer", data)


def intern_read_json(token: str, data: Mapping[str, Any]) -> Any:
    """`POST /api/tasks/{token}/messages/read`: the engaged intern's side."""
    return _read(messages.intern_brief(token)[0], "intern", data)


def intern_messages_json(token: str) -> list[dict[str, Any]]:
    brief, _ = messages.intern_brief(token)
    return messages.listing(brief, "intern")


def intern_post_json(token: str, data: Mapping[str, Any]) -> Any:
    return _post(messages.intern_brief(token)[0], "intern", data)


def intern_upload_json(token: str, data: Mapping[str, Any]) -> Any:
    return messages.upload_form(messages.intern_brief(token)[0], "intern", **_file(data))


def sealed_upload_json(
    brief_id: str, headers: Mapping[str, str], data: Mapping[str, Any], key: str | None = None
) -> Any:
    brief = _employer(brief_id, headers, key, writes=True)
    return sealed.attachment_upload_form(brief, **_file(data))


def sealed_attach_json(
    brief_id: str, headers: Mapping[str, str], data: Mapping[str, Any], key: str | None = None
) -> Any:
    brief = _employer(brief_id, headers, key, writes=True)
    return sealed.add_attachment(brief, data.get("file_key"))


# -- pages and forms ---------------------------------------------------------------------------


def _own(errors: Mapping[str, str]) -> dict[str, str]:
    """A message form's errors under its own names on a page with other forms ("file" is also
    the delivery's and the confidential form's field)."""
    return {("message_file" if k == "file" else k): v for k, v in errors.items()}


def _brief_form(
    brief_id: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    act: Callable[[dict[str, str], str | None], object],
    anchor: str,
    own_errors: Callable[[Mapping[str, str]], Mapping[str, str]] = dict,
) -> Response:
    """A form of the brief page (views.form_post) with the manage token it carries (`key`):
    back to the page at `anchor`, or the page again with the field errors."""
    from chalicelib.web.views import brief_page, form_post

    key = forms.parse_form(body).get("key")
    return form_post(
        headers,
        body,
        act=lambda form: act(form, key),
        show_errors=lambda form, errors: brief_page(
            brief_id, key, headers, errors=own_errors(errors), status=422
        ),
        location=links.href(f"/briefs/{brief_id}", key=key) + anchor,
        back_label="Back to your brief page",
    )


ThreadAct = Callable[[dict[str, Any], str, Mapping[str, Any]], object]  # (brief, party, form)


def _thread_form(
    party: str,
    ref: str,
    headers: Mapping[str, str],
    body: bytes | str | None,
    act: ThreadAct,
    own_errors: Callable[[Mapping[str, str]], Mapping[str, str]] = dict,
) -> Response:
    """A form of the thread (a message, a read): the employer's on the brief page (`ref`: the
    brief id, the brief opened for writing by the key the form carries), the intern's on the
    task page (`ref`: the task token); back to the thread, or the page with the field errors."""
    if party == "employer":
        return _brief_form(
            ref,
            headers,
            body,
            lambda form, key: act(_employer(ref, headers, key, writes=True), party, form),
            "#messages",
            own_errors,
        )
    from chalicelib.web.task_views import task_form

    return task_form(
        ref,
        headers,
        body,
        act=lambda form: act(messages.intern_brief(ref)[0], party, form),
        anchor="#messages",
        own_errors=own_errors,
    )


def employer_post_form(
    brief_id: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """The brief page's message form, back to the thread."""
    return _thread_form("employer", brief_id, headers, body, _post, _own)


def intern_post_form(token: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    """The task page's message form, back to the thread."""
    return _thread_form("intern", token, headers, body, _post, _own)


def employer_attach_form(
    brief_id: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """The brief page's confidential-file form, back to the sealed details."""
    return _brief_form(
        brief_id,
        headers,
        body,
        lambda form, key: sealed_attach_json(brief_id, headers, form, key),
        "#confidential",
    )


def employer_file(
    brief_id: str, message_id: str, key: str | None, headers: Mapping[str, str]
) -> Response:
    try:
        brief = _employer(brief_id, headers, key)
        return _redirect(messages.file_url(brief, message_id))
    except AppError as exc:
        return error_page(exc)


def intern_file(token: str, message_id: str) -> Response:
    try:
        brief, _ = messages.intern_brief(token)
        return _redirect(messages.file_url(brief, message_id))
    except AppError as exc:
        return error_page(exc)


def employer_read_form(
    brief_id: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """The brief page's thread read (its script's POST once the page is in view, or the "Mark
    as read" button): the employer's read marker moves to the last message the page showed."""
    return _thread_form("employer", brief_id, headers, body, _read)


def intern_read_form(token: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    """The task page's thread read (as the brief page's)."""
    return _thread_form("intern", token, headers, body, _read)


def confidential_page(token: str, headers: Mapping[str, str]) -> Response:
    """GET: for the intern allowed to read the sealed details, a button that shows them;
    nothing is recorded (anyone else: not found)."""
    from chalicelib.web.task_views import token_page

    return token_page(
        "confidential.html",
        token,
        headers,
        lambda: {"title": sealed.check_details(token)["title"], "details": None},
    )


SHOW_AGAIN = "Open the confidential details from your task page again."


def confidential_show(token: str, headers: Mapping[str, str], body: bytes | str | None) -> Response:
    """POST (the button): the sealed details, the read recorded (the employer sees it); their
    files are download buttons (POSTs answered by a redirect to S3, hence the form-action)."""
    from chalicelib.web.task_views import token_page

    _, refused = checked_form(headers, body, hint=SHOW_AGAIN)
    if refused is not None:
        return refused

    def load() -> dict[str, Any]:
        brief, details = sealed.open_details(token, via="page")
        return {"title": brief["title"], "details": details}

    return token_page(
        "confidential.html", token, headers, load, csp_extra={"form-action": [files_source()]}
    )


def confidential_file(token: str, number: str, headers: Mapping[str, str]) -> Response:
    """GET of a file's address: the page with the button (a GET downloads nothing and records
    nothing)."""
    return confidential_page(token, headers)


def confidential_file_post(
    token: str, number: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """POST (a file's button): the download recorded, then a 5-minute link to the file."""
    _, refused = checked_form(headers, body, hint=SHOW_AGAIN)
    if refused is not None:
        return refused
    try:
        return see_other(sealed.attachment_url(token, int(number) if number.isdigit() else 0))
    except AppError as exc:
        return error_page(exc)


def employer_confidential_file(
    brief_id: str, number: str, key: str | None, headers: Mapping[str, str]
) -> Response:
    try:
        brief = _employer(brief_id, headers, key)
        n = int(number) if number.isdigit() else 0
        return _redirect(sealed.employer_attachment_url(brief, n))
    except AppError as exc:
        return error_page(exc)


def finance_thread_page(brief_id: str, headers: Mapping[str, str]) -> Response:
    """GET, for a signed-in finance session: a disputed engagement's page with the button that
    reads its thread (nothing is recorded); without a session, the sign-in form."""
    return _finance_thread(brief_id, headers, lambda: (messages.disputed_brief(brief_id), None))


def finance_thread_show(
    brief_id: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """POST (the button): the thread, the read recorded on the brief's timeline."""
    _, refused = checked_form(headers, body, hint="Open the thread from the finance page again.")
    if refused is not None:
        return refused
    return _finance_thread(brief_id, headers, lambda: messages.finance_thread(brief_id))


def _finance_thread(
    brief_id: str,
    headers: Mapping[str, str],
    load: Callable[[], tuple[dict[str, Any], list[dict[str, Any]] | None]],
) -> Response:
    from chalicelib.web import finance_session
    from chalicelib.web.finance_views import signin_form

    if not finance_session.active(headers):
        return signin_form(headers)
    try:
        brief, thread = load()
    except AppError as exc:
        return error_page(exc)
    return form_page("finance_thread.html", headers, tokened=True, brief=brief, thread=thread)

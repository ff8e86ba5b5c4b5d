"""Who the intern making a request is — one function, so sign-in sessions plug in here.

Today an intern is identified by a task token, any of theirs (each offer's link carries one):
``Authorization: Bearer <task token>`` on the JSON API, or the token in the task link's path on
the pages reached from the task page (``/tasks/{token}/…``, as the task page itself: never a
query string). The accounts work adds the session cookie as one more branch below; callers do
not change.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.services import access
from chalicelib.services.errors import Forbidden, NotFound, Unauthorized
from chalicelib.web.http import bearer

REQUIRED = (
    "Sign in, or send Authorization: Bearer <a task token of yours> (the token in any task "
    "link we emailed you)."
)
REFUSED = "This token does not identify an intern: use the most recent task link we emailed you."


def current_intern(
    headers: Mapping[str, str], *, path_token: str | None = None, writes: bool = False
) -> str:
    """The intern id of the request: 401 without credentials, 403 for a token that is wrong
    or expired or a signed-in person who is not an intern. ``path_token``: the task link's
    token of a page under ``/tasks/{token}/``; without a token, a signed-in intern's session
    (``writes``: a JSON write on the cookie alone must come from our own pages)."""
    token = path_token or bearer(headers)
    if not token:
        from chalicelib.web.account_session import current_person

        person = current_person(headers)
        if person is None:
            raise Unauthorized(REQUIRED)
        from chalicelib.services import intern_accounts
        from chalicelib.web.brief_access import same_origin

        if writes:
            same_origin(headers)
        return intern_accounts.intern_id_of(person)
    try:
        _brief, intern_id = access.open_task(token)
    except NotFound:
        raise Forbidden(REFUSED) from None
    return intern_id

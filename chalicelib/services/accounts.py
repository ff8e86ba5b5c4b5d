"""Signing in by emailed link, and the sessions that follow (issue 14).

    request_sign_in(email)     POST /api/signin, POST /signin: email a one-time link (the answer
                               never says whether the address has an account)
    check_link(token)          GET /signin/{token}: what the link is; changes nothing
    sign_in(token)             POST /signin/{token}: use the link once, open a session
    current(session_id)        the signed-in Person of a session cookie, or None
    sign_out(person)           end this session; sign_out_everywhere(person): all of theirs

Why our own links and not Cognito: docs/accounts.md. A person is their address
(adapters/accounts.py); links and sessions are adapters/sessions.py. Abuse limits (per IP and
per address) are counted before this runs (web/limits.py), so a burst sends at most the
address's hourly limit of emails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters import accounts as people
from chalicelib.adapters import links, sessions, tokens
from chalicelib.domain.accounts import Person, address_hash
from chalicelib.observability import logger, metrics
from chalicelib.services import notify
from chalicelib.services.errors import Invalid, NotAllowed, usable_link

UNKNOWN = "This sign-in link is not valid. Check that you copied the whole link from the email."
USED = "This sign-in link was already used. Ask for a new one: each link signs in once."
EXPIRED = (
    "This sign-in link has expired (links work for 15 minutes). Ask for a new one on the "
    "sign-in page."
)


def valid_address(value: object) -> str:
    """The normal form of a plausible address, else 422 naming the `email` field."""
    from pydantic_core import PydanticCustomError

    from chalicelib.domain.brief import normalize_email

    try:
        return normalize_email(value)
    except PydanticCustomError as exc:
        raise Invalid([{"field": "email", "message": str(exc)}]) from None


def request_sign_in(email: object) -> None:
    """Email `email` a sign-in link (every well-formed address gets one: whether a person
    exists is never told). The link works once, for 15 minutes."""
    from chalicelib.adapters.mailer import TransientError

    address = valid_address(email)
    token, expires = sessions.issue_link(address)
    try:
        notify.send(
            "sign_in",
            to=address,
            key=f"signin:{tokens.hash_token(token)[:32]}",
            brief_id=None,
            window_end=datetime.fromtimestamp(expires, UTC),
            action_url=links.url(f"/signin/{token}"),
        )
    except TransientError:  # the person asks again; the answer stays the same
        logger.exception("sign-in email not sent")
    metrics.add_metric(name="SignInLinksSent", unit="Count", value=1)


def check_link(token: str) -> sessions.SignInLink:
    """The link a usable token stands for: 404 unknown, 409 used, 410 expired."""
    return usable_link(sessions.find_link(token), unknown=UNKNOWN, used=USED, expired=EXPIRED)


def sign_in(token: str) -> tuple[str, int, Person]:
    """Use the link (once) and open a session: (cookie value, lifetime in seconds, person).
    A used, expired or unknown link is refused and nothing changes."""
    found = check_link(token)
    if not sessions.use_link(token):  # a simultaneous press took it
        raise NotAllowed(USED)
    item = people.ensure(found.email)
    if ON_SIGN_IN:
        _link_roles(found.email)
        item = people.find(found.email) or item
    session_id, lifetime = sessions.start(found.email)
    metrics.add_metric(name="SignIns", unit="Count", value=1)
    return session_id, lifetime, people.as_person(item)


# Features that add roles by address (intern: web/intern_dashboard.py, finance:
# web/finance_users.py) register here what links them when a person signs in (the link proved
# the address). A failure is logged, never a failed sign-in.
ON_SIGN_IN: list[Callable[[str], object]] = []


def _link_roles(address: str) -> None:
    for link in ON_SIGN_IN:
        try:
            link(address)
        except Exception:
            logger.exception("role link at sign-in failed")


def current(session_id: str | None) -> Person | None:
    """The person a session cookie belongs to (None: no, ended or expired session)."""
    found = sessions.find(session_id or "")
    if found is None:
        return None
    id_hash, digest = found
    item = people.find_by_hash(digest)
    if item is None:
        return None
    return people.as_person(item, session_id_hash=id_hash)


def sign_out(person: Person) -> None:
    sessions.end(person.session_id_hash, address_hash(person.email))


def sign_out_everywhere(person: Person) -> int:
    """End every session of the person (this one included); how many ended."""
    return sessions.end_all(address_hash(person.email))


def me(person: Person) -> dict[str, Any]:
    """GET /api/me: {"email", "roles", "organisation"} (the organisation's id and name, or
    null)."""
    from chalicelib.adapters import organisations

    organisation = None
    if person.organisation_id:
        found = organisations.find(person.organisation_id)
        organisation = {
            "organisation_id": person.organisation_id,
            "name": str((found or {}).get("name") or ""),
        }
    return {"email": person.email, "roles": list(person.roles), "organisation": organisation}

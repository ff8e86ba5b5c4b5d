"""Who may open an employer's brief: one function for every brief route, HTML and JSON.

    open_brief(brief_id, headers, key=None)

Credentials, in this order:
1. a manage token — `?key=` / the form's `key` field, or `Authorization: Bearer` — opens its
   one brief, as before accounts (401 none, 403 another brief's, 404 unknown id); a link
   never opens anything else (no session is made from it);
2. an API key (`Authorization: Bearer mik_…`, services/api_keys) opens its organisation's briefs;
3. the session cookie of a person in the brief's organisation.

A session or key of one organisation asking for another's brief gets exactly the answer of an
unknown id (404). JSON writes authorised by the session cookie alone must come from our own
pages: a cross-site `Origin` is refused (403) — the cookie is SameSite=Lax already, this is
the second lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import links
from chalicelib.services import access
from chalicelib.services.errors import Forbidden
from chalicelib.web.account_session import current_person
from chalicelib.web.http import bearer, header

CROSS_SITE = "This request came from another site: open the page on microintern and try again."


def open_brief(
    brief_id: str,
    headers: Mapping[str, str],
    key: str | None = None,
    *,
    writes: bool = False,
) -> dict[str, Any]:
    """The brief, for whichever credential the request carries (see the module docstring);
    `writes`: a JSON request that changes something (checked for a cross-site origin when only
    the session cookie authorises it)."""
    from chalicelib.services import api_keys

    token = key or bearer(headers)
    if token:
        organisation = api_keys.organisation_of(token)
        if organisation is not None:
            return access.open_organisation_brief(brief_id, organisation)
        return access.open_brief(brief_id, token)
    person = current_person(headers)
    if person is not None and person.organisation_id:
        if writes:
            same_origin(headers)
        return access.open_organisation_brief(brief_id, person.organisation_id)
    return access.open_brief(brief_id, None)  # 401: no credentials


def signed_in_member(brief: Mapping[str, Any], headers: Mapping[str, str]) -> bool:
    """Whether the request's session is a member of the brief's organisation (then a manage
    link from an email lands on the signed-in page, the key left out of the address bar)."""
    person = current_person(headers)
    organisation = brief.get("organisation_id")
    return bool(person and organisation and person.organisation_id == organisation)


def is_manage_token(brief: Mapping[str, Any], token: str) -> bool:
    """Whether `token` is a live manage token of `brief` (not an API key)."""
    return access.manage_token_expiry(brief, token) is not None


def same_origin(headers: Mapping[str, str]) -> None:
    origin = header(headers, "Origin")
    site = header(headers, "Sec-Fetch-Site")
    ours = links.url("/").split("/", 3)[:3]
    if site == "cross-site" or (origin and origin.rstrip("/") != "/".join(ours)):
        raise Forbidden(CROSS_SITE)

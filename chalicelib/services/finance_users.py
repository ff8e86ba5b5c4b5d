"""Individual finance users (issue 14): who may open the finance page, and who added them.

    link(address)              at sign-in: an address named in FINANCE_OWNER_EMAILS gets the
                               `finance` and `finance_owner` roles; one no longer named loses
                               `finance_owner` (the setting is the only source of owners)
    require_finance(person)    403 for a person without the `finance` role
    invite(owner, address)     an owner adds a finance user: the role on their person item,
                               the list's marker, an email that says where to sign in
    remove(owner, address)     an owner takes the role away (owners named by the setting stay)
    users()                    the finance users and who added them

Production default: FINANCE_OWNER_EMAILS empty, so nobody is an owner and nobody can be
invited until the stage names one (fail closed). The finance key (FINANCE_API_KEY_SHA256)
stays for API clients of GET /api/finance/payouts and ledger.csv (Authorization: Bearer); a
decision is taken only by a signed-in person (web/finance_users.py) or by the signed webhook.
"""

from __future__ import annotations

from typing import Any, Final

from chalicelib.adapters import finance_people, links, person_roles
from chalicelib.domain.accounts import Person, normal_address
from chalicelib.observability import logger
from chalicelib.services import notify
from chalicelib.services.errors import Forbidden, Invalid, NotAllowed
from chalicelib.settings import get_settings

FINANCE: Final = "finance"
FINANCE_OWNER: Final = "finance_owner"
NOT_FINANCE: Final = (
    "This page is for the finance team. Ask a finance owner to add your address, then sign in "
    "with it."
)
NOT_OWNER: Final = "Only a finance owner can add or remove finance users."


def owner_addresses() -> frozenset[str]:
    raw = get_settings().finance_owner_emails
    return frozenset(normal_address(a) for a in raw.split(",") if a.strip())


def link(address: str) -> None:
    """Owners come from the setting alone: granted when named, the owner role taken back when
    no longer named (their `finance` role stays only if an owner added them)."""
    normal = normal_address(address)
    if normal in owner_addresses():
        person_roles.grant(normal, FINANCE)
        person_roles.grant(normal, FINANCE_OWNER)
        return
    item = person_roles.person_item(normal)
    roles = [str(r) for r in (item or {}).get("roles") or ()]
    if FINANCE_OWNER in roles:
        person_roles.revoke(normal, FINANCE_OWNER)
        if not (item or {}).get("finance_invited_by"):
            person_roles.revoke(normal, FINANCE)
        logger.info("finance owner role withdrawn (no longer in FINANCE_OWNER_EMAILS)")


def require_finance(person: Person) -> Person:
    if FINANCE not in person.roles:
        raise Forbidden(NOT_FINANCE)
    return person


def require_owner(person: Person) -> Person:
    require_finance(person)
    if FINANCE_OWNER not in person.roles or person.email not in owner_addresses():
        raise Forbidden(NOT_OWNER)
    return person


def _address(value: object) -> str:
    from pydantic_core import PydanticCustomError

    from chalicelib.domain.brief import normalize_email

    try:
        return normalize_email(value)
    except PydanticCustomError as exc:
        raise Invalid([{"field": "email", "message": str(exc)}]) from None


def invite(owner: Person, email: object) -> str:
    """Make `email` a finance user (the role is theirs once they sign in with that address,
    which proves it); they are emailed where to sign in. The address, normalised."""
    require_owner(owner)
    address = _address(email)
    person_roles.grant(address, FINANCE, {"finance_invited_by": owner.email})
    finance_people.add(address, owner.email)
    notify.send(
        "finance_invite",
        to=address,
        key=f"finance_invite:{address}:{owner.email}",
        brief_id=None,
        invited_by=owner.email,
        action_url=links.url("/signin"),
    )
    logger.info("finance user added")
    return address


def remove(owner: Person, email: object) -> str:
    require_owner(owner)
    address = _address(email)
    if address in owner_addresses():
        raise NotAllowed("A finance owner is named by the FINANCE_OWNER_EMAILS setting.", "email")
    person_roles.revoke(address, FINANCE)
    finance_people.remove(address)
    logger.info("finance user removed")
    return address


def users() -> list[dict[str, Any]]:
    owners = [{"email": a, "invited_by": "", "owner": True} for a in sorted(owner_addresses())]
    added = [
        {"email": str(i["email"]), "invited_by": str(i.get("invited_by", "")), "owner": False}
        for i in finance_people.listed()
        if str(i["email"]) not in owner_addresses()
    ]
    return owners + added

"""Employer organisations: their members, their briefs, their invitations.

    ORG#<org id> / ORG                        name, created_at, created_by (address hash),
                                              employer_name, employer_email, company (what
                                              "post another brief" is prefilled with)
    ORG#<org id> / MEMBER#<address hash>      email, role (owner | member), joined_at
    ORG#<org id> / BRIEF#<brief id>           brief_id, title, created_at (written in the
                                              brief's own creation transaction)
    INVITE#<token hash> / INVITE              organisation_id, email, role, invited_by,
                                              expires_at (TTL), used_at (an emailed invitation)

Every read is a GetItem or a Query of the organisation's partition (`ORG#<id>`): its briefs
(`BRIEF#`), its members (`MEMBER#`). A person's organisation is on their PERSON item
(adapters/accounts.py), so "which organisation is this person in" is one GetItem.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import accounts, clock, tokens
from chalicelib.adapters.store import Conflict, brief_key, get_store
from chalicelib.domain.accounts import OWNER, address_hash, normal_address

INVITE_SECONDS = 7 * 24 * 3600


def org_pk(organisation_id: str) -> str:
    return f"ORG#{organisation_id}"


def new_id() -> str:
    return tokens.new_id("org")


def find(organisation_id: str) -> dict[str, Any] | None:
    return get_store().get(org_pk(organisation_id), "ORG")


def organisation_item(
    organisation_id: str, *, name: str, address: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "pk": org_pk(organisation_id),
        "sk": "ORG",
        "type": "organisation",
        "organisation_id": organisation_id,
        "name": name,
        "created_at": clock.iso(),
        "created_by": address_hash(address),
        **(details or {}),
    }


def member_item(organisation_id: str, address: str, role: str) -> dict[str, Any]:
    return {
        "pk": org_pk(organisation_id),
        "sk": f"MEMBER#{address_hash(address)}",
        "type": "organisation_member",
        "email": normal_address(address),
        "role": role,
        "joined_at": clock.iso(),
    }


def brief_item(organisation_id: str, brief_id: str, title: str) -> dict[str, Any]:
    return {
        "pk": org_pk(organisation_id),
        "sk": f"BRIEF#{brief_id}",
        "type": "organisation_brief",
        "brief_id": brief_id,
        "title": title,
        "created_at": clock.iso(),
    }


def ensure_for(address: str, *, name: str, details: dict[str, Any] | None = None) -> str:
    """The organisation of `address`; a new one (named `name`, the address its owner) when the
    person has none. Two simultaneous first briefs make one organisation: the person's
    conditional write decides, and the loser's items are never written."""
    found = accounts.find(address)
    if found and found.get("organisation_id"):
        return str(found["organisation_id"])
    store = get_store()
    organisation_id = new_id()
    operations = [
        store.put_op(
            organisation_item(organisation_id, name=name, address=address, details=details)
        ),
        store.put_op(member_item(organisation_id, address, OWNER)),
        *accounts.join_ops(
            address, organisation_id, OWNER, name=str((details or {}).get("employer_name") or "")
        ),
    ]
    if transact(operations):
        return organisation_id
    found = accounts.find(address)
    if found and found.get("organisation_id"):
        return str(found["organisation_id"])
    raise Conflict(f"no organisation for {address_hash(address)[:8]}")


def adopt_op(organisation_id: str, brief_id: str) -> dict[str, Any]:
    """Mark a brief posted before organisations existed as the organisation's (once)."""
    return get_store().update_op(
        brief_key(brief_id),
        condition="attribute_exists(#pk) AND attribute_not_exists(#organisation_id)",
        set_fields={"organisation_id": organisation_id},
    )


def briefs_posted_by(address: str) -> list[dict[str, Any]]:
    """Every brief naming `address` as its employer (one Query of gsi1 `EMPLOYER#<address>`)."""
    return get_store().query(f"EMPLOYER#{normal_address(address)}", "BRIEF#", index="gsi1")


def brief_ids(organisation_id: str) -> list[str]:
    """Every brief of the organisation, newest first (one Query of its partition)."""
    items = get_store().query(org_pk(organisation_id), "BRIEF#", consistent=True)
    items.sort(key=lambda i: str(i.get("created_at", "")), reverse=True)
    return [str(i["brief_id"]) for i in items]


def owns_brief(organisation_id: str, brief_id: str) -> bool:
    return get_store().get(org_pk(organisation_id), f"BRIEF#{brief_id}") is not None


def members(organisation_id: str) -> list[dict[str, Any]]:
    return get_store().query(org_pk(organisation_id), "MEMBER#", consistent=True)


def set_details(organisation_id: str, details: dict[str, Any]) -> None:
    get_store().set_fields(org_pk(organisation_id), "ORG", details)


# -- invitations --------------------------------------------------------------------------


def issue_invite(organisation_id: str, address: str, role: str, invited_by: str) -> str:
    token, token_hash = tokens.new_token()
    get_store().put_new(
        {
            "pk": f"INVITE#{token_hash}",
            "sk": "INVITE",
            "type": "organisation_invite",
            "organisation_id": organisation_id,
            "email": normal_address(address),
            "role": role,
            "invited_by": normal_address(invited_by),
            "issued_at": clock.iso(),
            "expires_at": int(clock.now().timestamp()) + INVITE_SECONDS,
        }
    )
    return token


def find_invite(token: str) -> dict[str, Any] | None:
    if not token:
        return None
    return get_store().get(f"INVITE#{tokens.hash_token(token)}", "INVITE")


def use_invite_op(token: str) -> dict[str, Any]:
    return get_store().update_op(
        {"pk": f"INVITE#{tokens.hash_token(token)}", "sk": "INVITE"},
        condition="attribute_exists(#pk) AND attribute_not_exists(#used_at) AND #expires_at > :now",
        set_fields={"used_at": clock.iso()},
        values={":now": int(clock.now().timestamp())},
    )


def transact(operations: list[dict[str, Any]]) -> bool:
    """Run the writes together; False when a condition failed (nothing written)."""
    try:
        get_store().transact(operations)
    except Conflict:
        return False
    return True

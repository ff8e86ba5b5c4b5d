"""People who sign in: one item per email address.

    PERSON#<address hash> / PERSON     email, created_at, organisation_id, organisation_role
                                       (owner | member), roles (list: other roles, e.g.
                                       intern, finance, added by the features that own them)

Invariants: the key is the SHA-256 of the normal (trimmed, lower-case) address, so one address
is one person; the item is created once (`attribute_not_exists`) and its organisation changes
only by a conditional write (`join_ops`: a person belongs to at most one organisation).
The same partition holds the person's sessions (`SESSION#…` markers, adapters/sessions.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.accounts import Person, address_hash, normal_address

SK = "PERSON"


def person_pk(address: str) -> str:
    return f"PERSON#{address_hash(address)}"


def person_item(address: str) -> dict[str, Any]:
    return {
        "pk": person_pk(address),
        "sk": SK,
        "type": "person",
        "email": normal_address(address),
        "roles": [],
        "created_at": clock.iso(),
    }


def find(address: str) -> dict[str, Any] | None:
    return get_store().get(person_pk(address), SK)


def find_by_hash(digest: str) -> dict[str, Any] | None:
    return get_store().get(f"PERSON#{digest}", SK)


def ensure(address: str) -> dict[str, Any]:
    """The person of `address`, created (no roles, no organisation) when new."""
    store = get_store()
    store.put_if_absent(person_item(address))
    found = store.get(person_pk(address), SK)
    assert found is not None
    return found


def as_person(item: dict[str, Any], *, session_id_hash: str = "") -> Person:
    organisation = item.get("organisation_id")
    role = item.get("organisation_role")
    roles = [str(role)] if organisation and role else []
    roles += [str(r) for r in item.get("roles") or () if str(r) not in roles]
    return Person(
        email=str(item["email"]),
        roles=tuple(roles),
        organisation_id=str(organisation) if organisation else None,
        session_id_hash=session_id_hash,
    )


def join_ops(
    address: str, organisation_id: str, role: str, *, name: str = ""
) -> list[dict[str, Any]]:
    """The writes (for a transaction) that make `address` a `role` of `organisation_id`: the
    person is created if new; refused (Conflict) when already in another organisation."""
    store = get_store()
    pk = person_pk(address)
    return [
        store.update_op(
            {"pk": pk, "sk": SK},
            condition="attribute_not_exists(#organisation_id) OR #organisation_id = :org",
            set_fields={
                "type": "person",
                "email": normal_address(address),
                "organisation_id": organisation_id,
                "organisation_role": role,
                "joined_at": clock.iso(),
                **({"name": name} if name else {}),
            },
            values={":org": organisation_id},
        )
    ]


def join(address: str, organisation_id: str, role: str) -> bool:
    """Make `address` a `role` of `organisation_id`; False when it belongs to another one."""
    store = get_store()
    try:
        store.transact(join_ops(address, organisation_id, role))
    except Conflict:
        return False
    return True

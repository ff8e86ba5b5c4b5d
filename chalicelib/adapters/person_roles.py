"""Roles beyond the organisation's on the person item (issue 14): `intern`, `finance`,
`finance_owner`, and what links a person to them.

    PERSON#<address hash> / PERSON   roles (list), intern_id (the profile whose address this is),
                                     finance_invited_by, finance_invited_at

A role is added (or removed) by a read, then an UpdateItem conditional on the `roles` read, so
two concurrent grants never drop each other's role; retried on a conflict. The organisation's
role lives apart (`organisation_role`, adapters/accounts.py) and is never touched here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import accounts as people
from chalicelib.adapters.store import Conflict, get_store

ATTEMPTS = 5


def _change(address: str, role: str, *, add: bool, fields: Mapping[str, Any] | None = None) -> bool:
    """Add (or remove) `role` on the person of `address` (created when new); True when the
    roles changed."""
    store = get_store()
    for _attempt in range(ATTEMPTS):
        item = people.ensure(address)
        old = [str(r) for r in item.get("roles") or ()]
        kept = [r for r in old if r != role]
        new = (old if role in old else [*old, role]) if add else kept
        if new == old and not fields:
            return False
        if "roles" in item:
            condition, values = "#roles = :old", {":old": old}
        else:
            condition, values = "attribute_not_exists(#roles)", {}
        op = store.update_op(
            {"pk": people.person_pk(address), "sk": people.SK},
            condition=condition,
            set_fields={"roles": new, **(fields or {})},
            values=values or None,
        )
        try:
            store.transact([op])
        except Conflict:
            continue  # another grant moved the roles on: read again
        return new != old
    raise Conflict(f"roles of a person kept changing ({role})")


def grant(address: str, role: str, fields: Mapping[str, Any] | None = None) -> bool:
    """Give the person of `address` the `role` (and set `fields`); True when new."""
    return _change(address, role, add=True, fields=fields)


def revoke(address: str, role: str) -> bool:
    """Take `role` away; True when the person had it."""
    return _change(address, role, add=False)


def roles_of(address: str) -> list[str]:
    item = people.find(address)
    return [str(r) for r in (item or {}).get("roles") or ()]


def person_item(address: str) -> dict[str, Any] | None:
    return people.find(address)

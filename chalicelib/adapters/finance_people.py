"""Finance users (issue 14): the list of people an owner added, beside the role on their
person item (adapters/person_roles.py).

    FINANCEUSERS / PERSON#<address hash>    email, invited_by, invited_at

One Query of the `FINANCEUSERS` partition lists them (a few people: no paging needed, but the
Query pages anyway). The role on the person item is what opens the finance page; the marker is
only the list an owner sees and manages.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import get_store
from chalicelib.domain.accounts import address_hash, normal_address

PK = "FINANCEUSERS"


def add(address: str, invited_by: str) -> None:
    get_store().put(
        {
            "pk": PK,
            "sk": f"PERSON#{address_hash(address)}",
            "type": "finance_user",
            "email": normal_address(address),
            "invited_by": invited_by,
            "invited_at": clock.iso(),
        }
    )


def remove(address: str) -> None:
    get_store().delete(PK, f"PERSON#{address_hash(address)}")


def listed() -> list[dict[str, Any]]:
    found = get_store().query(PK, "PERSON#", consistent=True)
    return sorted(found, key=lambda i: str(i.get("invited_at", "")))

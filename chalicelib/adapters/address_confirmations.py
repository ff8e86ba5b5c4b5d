"""Confirmed email addresses, the links that confirm them, and what waits for them.

    CONFIRMED#<address hash> / ADDRESS       confirmed_at            (written once, conditionally)
    CONFIRM#<token hash>     / CONFIRM       address_hash, purpose, subject_id, expires_at,
                                             used_at (once used)
    AWAITING#<address hash>  / BRIEF#<id> | INTERN#<id>   a brief or profile held back until the
                                             address is confirmed (deleted once it is started)

Invariants: no address is stored here, only the SHA-256 of its normalised (trimmed, lower-case)
form; a confirmation token has 256 bits (`tokens.new_token`), only its SHA-256 is stored, it is
bound to one address and to the brief or intern it was sent for, expires after
`LIFETIME_SECONDS` (also the table's TTL attribute) and confirms once
(adapters/one_time_links.py: a conditional write, so two simultaneous clicks confirm once).
Confirming an address is `attribute_not_exists` on its item: it never changes once written.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, Literal

from chalicelib.adapters import clock, one_time_links
from chalicelib.adapters.store import get_store

LIFETIME_SECONDS = 72 * 3600
Purpose = Literal["brief", "intern"]
SUBJECT_PREFIX: dict[str, str] = {"brief": "BRIEF#", "intern": "INTERN#"}


def address_hash(address: str) -> str:
    """The stored form of an address: SHA-256 of its trimmed, lower-case text."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def is_confirmed(address: str) -> bool:
    return get_store().get(f"CONFIRMED#{address_hash(address)}", "ADDRESS") is not None


def confirmed_item(digest: str) -> dict[str, Any]:
    """The record of a confirmed address (by its hash)."""
    return {
        "pk": f"CONFIRMED#{digest}",
        "sk": "ADDRESS",
        "type": "confirmed_address",
        "confirmed_at": clock.iso(),
    }


def confirm(digest: str) -> bool:
    """Record the address of this hash as confirmed; False when it already was."""
    return get_store().put_if_absent(confirmed_item(digest))


def awaiting_item(address: str, purpose: Purpose, subject_id: str) -> dict[str, Any]:
    """The marker of a brief or profile waiting for `address` (for a transaction)."""
    return {
        "pk": f"AWAITING#{address_hash(address)}",
        "sk": f"{SUBJECT_PREFIX[purpose]}{subject_id}",
        "type": "awaiting_confirmation",
        "created_at": clock.iso(),
    }


def awaiting(digest: str) -> list[tuple[Purpose, str]]:
    """Every (purpose, id) waiting for the address of this hash (a consistent read)."""
    found: list[tuple[Purpose, str]] = []
    for item in get_store().query(f"AWAITING#{digest}"):
        sk = str(item["sk"])
        if sk.startswith("BRIEF#"):
            found.append(("brief", sk.removeprefix("BRIEF#")))
        elif sk.startswith("INTERN#"):
            found.append(("intern", sk.removeprefix("INTERN#")))
    return found


def done_waiting(digest: str, purpose: Purpose, subject_id: str) -> None:
    get_store().delete(f"AWAITING#{digest}", f"{SUBJECT_PREFIX[purpose]}{subject_id}")


CONFIRM_LINKS: Final = one_time_links.LinkKind("CONFIRM", "confirmation_token")


def issue(address: str, purpose: Purpose, subject_id: str) -> str:
    """A fresh confirmation token for `address`, sent for this brief or intern."""
    fields = {"address_hash": address_hash(address), "purpose": purpose, "subject_id": subject_id}
    token, _ = CONFIRM_LINKS.issue(LIFETIME_SECONDS, fields)
    return token


class Confirmation(one_time_links.Found):
    @property
    def address_hash(self) -> str:
        return str(self.item["address_hash"])

    @property
    def purpose(self) -> Purpose:
        return "intern" if self.item.get("purpose") == "intern" else "brief"

    @property
    def subject_id(self) -> str:
        return str(self.item["subject_id"])


def find(token: str) -> Confirmation | None:
    """The confirmation this token belongs to (used or expired ones included), or None."""
    found = CONFIRM_LINKS.find(token)
    return Confirmation(found.item) if found else None


def use(token: str) -> bool:
    """Mark the token used, once and only before it expires; False when it was not usable."""
    return CONFIRM_LINKS.use(token)

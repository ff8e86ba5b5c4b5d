"""People who sign in, and what they may see: pure rules, no I/O.

A person is known by their email address (trimmed, lower-case). Their roles say which
dashboards and routes are theirs:

    owner, member   an employer organisation's (`organisation_id` set): its briefs, invites
                    (owner only), API keys
    (others)        `intern`, `finance` are added by the features that build on this one

`Person` is what the web layer gets for a signed-in request (web/account_session.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Final

OWNER: Final = "owner"
MEMBER: Final = "member"
ORGANISATION_ROLES: Final = frozenset({OWNER, MEMBER})


def normal_address(address: str) -> str:
    """The form every account key is made of: trimmed, lower-case."""
    return address.strip().lower()


def address_hash(address: str) -> str:
    """SHA-256 of the normal form (the same digest address confirmations use)."""
    return hashlib.sha256(normal_address(address).encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    email: str
    roles: tuple[str, ...] = ()
    organisation_id: str | None = None
    session_id_hash: str = field(default="", repr=False, compare=False)

    @property
    def is_employer(self) -> bool:
        return self.organisation_id is not None and bool(ORGANISATION_ROLES & set(self.roles))

    @property
    def is_owner(self) -> bool:
        return self.organisation_id is not None and OWNER in self.roles

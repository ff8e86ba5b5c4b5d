"""Emailed links that work once and expire: sign-in links (adapters/sessions.py) and address
confirmations (adapters/address_confirmations.py).

    <KIND>#<token hash> / <KIND>     type, issued_at, expires_at, used_at (once used), and what
                                     the link is for (its own fields)

Invariants: a token has 256 bits (`tokens.new_token`) and only its SHA-256 is stored; a link
expires at `expires_at` (epoch seconds, also the table's TTL attribute: readers check it
themselves, TTL deletion lags and moto never applies it) and is used once: `use` is a
conditional write, so two simultaneous clicks use it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import clock, tokens
from chalicelib.adapters.store import Conflict, get_store


@dataclass(frozen=True)
class Found:
    """A link's stored item (used and expired ones included)."""

    item: dict[str, Any]

    @property
    def expires_at(self) -> int:
        return int(self.item["expires_at"])

    @property
    def used(self) -> bool:
        return "used_at" in self.item

    @property
    def expired(self) -> bool:
        return self.expires_at <= clock.now().timestamp()


@dataclass(frozen=True)
class LinkKind:
    """One kind of link: `kind` names its key (`SIGNIN`, `CONFIRM`), `item_type` its type."""

    kind: str
    item_type: str

    def _key(self, token: str) -> dict[str, str]:
        return {"pk": f"{self.kind}#{tokens.hash_token(token)}", "sk": self.kind}

    def issue(self, lifetime_seconds: int, fields: dict[str, Any]) -> tuple[str, int]:
        """A fresh token for a link carrying `fields`, and when it expires (epoch seconds)."""
        token, _ = tokens.new_token()
        expires = int(clock.now().timestamp()) + lifetime_seconds
        get_store().put_new(
            {
                **self._key(token),
                "type": self.item_type,
                **fields,
                "issued_at": clock.iso(),
                "expires_at": expires,
            }
        )
        return token, expires

    def find(self, token: str) -> Found | None:
        """The link of this token (used or expired ones included), or None."""
        if not token:
            return None
        key = self._key(token)
        item = get_store().get(key["pk"], key["sk"])
        return Found(item) if item is not None else None

    def use(self, token: str) -> bool:
        """Mark the link used, once and only before it expires; False when it was not usable."""
        store = get_store()
        op = store.update_op(
            self._key(token),
            condition="attribute_exists(#pk) AND attribute_not_exists(#used_at) "
            "AND #expires_at > :now",
            set_fields={"used_at": clock.iso()},
            values={":now": int(clock.now().timestamp())},
        )
        try:
            store.transact([op])
        except Conflict:
            return False
        return True

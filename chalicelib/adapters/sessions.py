"""Sign-in links and the sessions they open.

    SIGNIN#<token hash>   / SIGNIN                 email, expires_at, used_at (once used)
    SESSION#<id hash>     / SESSION                address_hash, created_at, expires_at
    PERSON#<address hash> / SESSION#<id hash>      expires_at   (the person's sessions: the
                                                   access path of "sign out everywhere")

Invariants: link tokens and session ids have 256 bits (`tokens.new_token`) and only their
SHA-256 is stored. A sign-in link is bound to one address, works for `LINK_LIFETIME` and once:
`use` is a conditional write, so two simultaneous presses sign in once. A session and its
marker under the person are written in one transaction and deleted together; a session lasts
`SESSION_LIFETIME` from sign-in (not renewed by use). Every item carries `expires_at`, the
table's TTL attribute; readers check the expiry themselves (TTL deletion lags, moto never
applies it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from chalicelib.adapters import clock, tokens
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.accounts import address_hash, normal_address

LINK_LIFETIME: Final = timedelta(minutes=15)
SESSION_LIFETIME: Final = timedelta(days=14)


def _now() -> int:
    return int(clock.now().timestamp())


# -- sign-in links ------------------------------------------------------------------------


def issue_link(address: str) -> tuple[str, int]:
    """A fresh sign-in token for `address` and when it expires (epoch seconds)."""
    token, token_hash = tokens.new_token()
    expires = _now() + int(LINK_LIFETIME.total_seconds())
    get_store().put_new(
        {
            "pk": f"SIGNIN#{token_hash}",
            "sk": "SIGNIN",
            "type": "signin_link",
            "email": normal_address(address),
            "issued_at": clock.iso(),
            "expires_at": expires,
        }
    )
    return token, expires


@dataclass(frozen=True)
class SignInLink:
    email: str
    expires_at: int
    used: bool

    @property
    def expired(self) -> bool:
        return self.expires_at <= clock.now().timestamp()


def find_link(token: str) -> SignInLink | None:
    """The link of this token (used or expired ones included), or None."""
    if not token:
        return None
    item = get_store().get(f"SIGNIN#{tokens.hash_token(token)}", "SIGNIN")
    if item is None:
        return None
    return SignInLink(
        email=str(item["email"]), expires_at=int(item["expires_at"]), used="used_at" in item
    )


def use_link(token: str) -> bool:
    """Mark the link used, once and only before it expires; False when it was not usable."""
    store = get_store()
    op = store.update_op(
        {"pk": f"SIGNIN#{tokens.hash_token(token)}", "sk": "SIGNIN"},
        condition="attribute_exists(#pk) AND attribute_not_exists(#used_at) AND #expires_at > :now",
        set_fields={"used_at": clock.iso()},
        values={":now": _now()},
    )
    try:
        store.transact([op])
    except Conflict:
        return False
    return True


# -- sessions -----------------------------------------------------------------------------


def start(address: str) -> tuple[str, int]:
    """A new session of the person of `address`: (the cookie value, its lifetime in seconds)."""
    session_id, id_hash = tokens.new_token()
    digest = address_hash(address)
    lifetime = int(SESSION_LIFETIME.total_seconds())
    expires = _now() + lifetime
    store = get_store()
    store.transact(
        [
            store.put_op(
                {
                    "pk": f"SESSION#{id_hash}",
                    "sk": "SESSION",
                    "type": "session",
                    "address_hash": digest,
                    "created_at": clock.iso(),
                    "expires_at": expires,
                }
            ),
            store.put_op(
                {
                    "pk": f"PERSON#{digest}",
                    "sk": f"SESSION#{id_hash}",
                    "type": "person_session",
                    "created_at": clock.iso(),
                    "expires_at": expires,
                }
            ),
        ]
    )
    return session_id, lifetime


def find(session_id: str) -> tuple[str, str] | None:
    """(the id's hash, the person's address hash) of a live session, else None."""
    if not session_id:
        return None
    id_hash = tokens.hash_token(session_id)
    item = get_store().get(f"SESSION#{id_hash}", "SESSION")
    if item is None or int(item["expires_at"]) <= clock.now().timestamp():
        return None
    return id_hash, str(item["address_hash"])


def end(id_hash: str, digest: str) -> None:
    """Delete one session (by its id's hash) and its marker under the person."""
    store = get_store()
    store.delete(f"SESSION#{id_hash}", "SESSION")
    store.delete(f"PERSON#{digest}", f"SESSION#{id_hash}")


def end_all(digest: str) -> int:
    """Every session of the person of this address hash (one Query of their markers); how many."""
    store = get_store()
    markers = store.query(f"PERSON#{digest}", "SESSION#", consistent=True)
    for marker in markers:
        end(str(marker["sk"]).removeprefix("SESSION#"), digest)
    return len(markers)


def sessions_of(digest: str) -> list[dict[str, Any]]:
    """The person's live sessions (marker items), oldest first."""
    now = clock.now().timestamp()
    return [
        m
        for m in get_store().query(f"PERSON#{digest}", "SESSION#", consistent=True)
        if int(m["expires_at"]) > now
    ]

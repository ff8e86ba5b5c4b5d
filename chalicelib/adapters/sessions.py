"""Sign-in links and the sessions they open.

    SIGNIN#<token hash>   / SIGNIN                 email, expires_at, used_at (once used)
    SESSION#<id hash>     / SESSION                address_hash, created_at, expires_at
    PERSON#<address hash> / SESSION#<id hash>      expires_at   (the person's sessions: the
                                                   access path of "sign out everywhere")

Invariants: link tokens and session ids have 256 bits (`tokens.new_token`) and only their
SHA-256 is stored. A sign-in link is bound to one address, works for `LINK_LIFETIME` and once
(adapters/one_time_links.py: a conditional write, so two simultaneous presses sign in once).
A session and its marker under the person are written in one transaction and deleted together;
a session lasts `SESSION_LIFETIME` from sign-in (not renewed by use). Every item carries
`expires_at`, the table's TTL attribute; readers check the expiry themselves (TTL deletion lags,
moto never applies it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from chalicelib.adapters import clock, one_time_links, tokens
from chalicelib.adapters.store import get_store
from chalicelib.domain.accounts import address_hash, normal_address

LINK_LIFETIME: Final = timedelta(minutes=15)
SESSION_LIFETIME: Final = timedelta(days=14)


def _now() -> int:
    return int(clock.now().timestamp())


# -- sign-in links ------------------------------------------------------------------------


SIGNIN_LINKS: Final = one_time_links.LinkKind("SIGNIN", "signin_link")


def issue_link(address: str) -> tuple[str, int]:
    """A fresh sign-in token for `address` and when it expires (epoch seconds)."""
    lifetime = int(LINK_LIFETIME.total_seconds())
    return SIGNIN_LINKS.issue(lifetime, {"email": normal_address(address)})


class SignInLink(one_time_links.Found):
    @property
    def email(self) -> str:
        return str(self.item["email"])


def find_link(token: str) -> SignInLink | None:
    """The link of this token (used or expired ones included), or None."""
    found = SIGNIN_LINKS.find(token)
    return SignInLink(found.item) if found else None


def use_link(token: str) -> bool:
    """Mark the link used, once and only before it expires; False when it was not usable."""
    return SIGNIN_LINKS.use(token)


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

"""The employer's manage tokens: each one an item next to its brief, with an expiry.

    pk BRIEF#<brief_id>   sk MANAGE#<sha256 of the token>   brief_id, issued_at, expires_at

Invariants: only the SHA-256 of a token is stored, under the brief it opens (a token never
opens another brief: the brief id is part of the key); a token opens its brief until
`expires_at` (epoch seconds, also the table's TTL attribute, so DynamoDB deletes spent tokens
in time; readers check the expiry themselves because TTL deletion lags). Revoking deletes
every token item of the brief but the one kept.

Briefs stored before tokens had items carry their hashes on the brief itself
(`manage_token_hash`, `manage_token_hashes`); `LEGACY_FIELDS` names them so a revocation can
drop them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import brief_key, get_store

PREFIX = "MANAGE#"
LEGACY_FIELDS = ("manage_token_hash", "manage_token_hashes")


def item(brief_id: str, token_hash: str, *, expires_at: int) -> dict[str, Any]:
    """The stored form of a manage token (for a transaction, or `add`)."""
    return {
        "pk": brief_key(brief_id)["pk"],
        "sk": f"{PREFIX}{token_hash}",
        "type": "manage_token",
        "brief_id": brief_id,
        "issued_at": clock.iso(),
        "expires_at": int(expires_at),
    }


def add(brief_id: str, token_hash: str, *, expires_at: int) -> None:
    """Store a new token of an existing brief."""
    get_store().put(item(brief_id, token_hash, expires_at=expires_at))


def expires_at(brief_id: str, token_hash: str) -> int | None:
    """When the token of this hash stops opening the brief (None: no such token of it)."""
    found = get_store().get(brief_key(brief_id)["pk"], f"{PREFIX}{token_hash}")
    return int(found["expires_at"]) if found else None


def keep_only(brief_id: str, token_hash: str, *, expires_at: int) -> int:
    """Delete every other token of the brief (legacy hashes included) and keep this one with
    its expiry; the number of tokens removed."""
    store = get_store()
    pk = brief_key(brief_id)["pk"]
    keep = f"{PREFIX}{token_hash}"
    kept = store.get(pk, keep)
    store.put(
        {
            **item(brief_id, token_hash, expires_at=expires_at),
            "issued_at": str(kept["issued_at"]) if kept else clock.iso(),
        }
    )
    removed = 0
    for found in store.query(pk, PREFIX):
        if found["sk"] != keep:
            store.delete(pk, str(found["sk"]))
            removed += 1
    brief = store.get_brief(brief_id) or {}
    legacy = [name for name in LEGACY_FIELDS if name in brief]
    if legacy:
        hashes = {str(brief.get("manage_token_hash") or ""), *brief.get("manage_token_hashes", ())}
        removed += len(hashes - {"", token_hash})
        store.remove_brief_fields(brief_id, *legacy)
    return removed


def remove_all(brief_id: str) -> int:
    """Delete every manage token of the brief (legacy hashes included); how many. Links
    emailed afterwards work as usual."""
    store = get_store()
    pk = brief_key(brief_id)["pk"]
    removed = 0
    for found in store.query(pk, PREFIX):
        store.delete(pk, str(found["sk"]))
        removed += 1
    brief = store.get_brief(brief_id) or {}
    legacy = [name for name in LEGACY_FIELDS if name in brief]
    if legacy:
        hashes = {str(brief.get("manage_token_hash") or ""), *brief.get("manage_token_hashes", ())}
        removed += len(hashes - {""})
        store.remove_brief_fields(brief_id, *legacy)
    return removed

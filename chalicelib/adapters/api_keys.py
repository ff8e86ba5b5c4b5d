"""Employers' API keys: each opens its organisation's briefs, until revoked.

    APIKEY#<sha256(key)> / APIKEY        key_id, organisation_id, name, created_at, created_by
    ORG#<org id>         / APIKEY#<key id>  key_hash, name, created_at, created_by

Invariants: the key (`mik_` + 256 random bits) is shown once, when created; only its SHA-256
is stored. Both items are written in one transaction and deleted in one, so a listed key is a
working key and a revoked key stops working at once. Looking a key up is one GetItem by its
hash; listing an organisation's keys is one Query of its partition.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from chalicelib.adapters import clock, tokens
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain.accounts import normal_address

PREFIX: Final = "mik_"


def _org_pk(organisation_id: str) -> str:
    return f"ORG#{organisation_id}"


def create(organisation_id: str, *, name: str, created_by: str) -> tuple[str, str]:
    """A new key of the organisation: (key_id, the key — its only appearance)."""
    key = PREFIX + secrets.token_urlsafe(tokens.TOKEN_BYTES)
    key_hash = tokens.hash_token(key)
    key_id = tokens.new_id("key")
    now = clock.iso()
    store = get_store()
    shared = {"name": name, "created_at": now, "created_by": normal_address(created_by)}
    store.transact(
        [
            store.put_op(
                {
                    "pk": f"APIKEY#{key_hash}",
                    "sk": "APIKEY",
                    "type": "api_key",
                    "key_id": key_id,
                    "organisation_id": organisation_id,
                    **shared,
                }
            ),
            store.put_op(
                {
                    "pk": _org_pk(organisation_id),
                    "sk": f"APIKEY#{key_id}",
                    "type": "organisation_api_key",
                    "key_id": key_id,
                    "key_hash": key_hash,
                    **shared,
                }
            ),
        ]
    )
    return key_id, key


def organisation_of(key: str) -> str | None:
    """The organisation a key opens, or None (not a key of ours, or revoked)."""
    if not key.startswith(PREFIX):
        return None
    found = get_store().get(f"APIKEY#{tokens.hash_token(key)}", "APIKEY")
    return str(found["organisation_id"]) if found else None


def listed(organisation_id: str) -> list[dict[str, Any]]:
    items = get_store().query(_org_pk(organisation_id), "APIKEY#", consistent=True)
    return sorted(items, key=lambda i: str(i.get("created_at", "")))


def revoke(organisation_id: str, key_id: str) -> bool:
    """Delete the key (both items, together); False when the organisation has no such key."""
    store = get_store()
    found = store.get(_org_pk(organisation_id), f"APIKEY#{key_id}")
    if found is None:
        return False
    try:
        store.transact(
            [
                {
                    "Delete": {
                        "TableName": store.table,
                        "Key": {"pk": {"S": f"APIKEY#{found['key_hash']}"}, "sk": {"S": "APIKEY"}},
                    }
                },
                {
                    "Delete": {
                        "TableName": store.table,
                        "Key": {
                            "pk": {"S": _org_pk(organisation_id)},
                            "sk": {"S": f"APIKEY#{key_id}"},
                        },
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    except Conflict:
        return False
    return True

"""API keys for employers who integrate (issue 14): create, list, revoke.

    create(person, name)        POST /api/keys -> {"key_id", "key", "name"} (the key shown once)
    listed(person)              GET /api/keys  -> {"keys": [{"key_id", "name", "created_at",
                                "created_by"}]}
    revoke(person, key_id)      DELETE /api/keys/{key_id}
    organisation_of(key)        the organisation a Bearer key opens (web/brief_access.py)

A key opens every brief of its organisation on every employer route, exactly where a manage
token does; any owner or member of the organisation manages its keys. Records:
adapters/api_keys.py.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import api_keys as records
from chalicelib.domain.accounts import Person
from chalicelib.observability import logger
from chalicelib.services.errors import Forbidden, Invalid, NotFound

NAME_MAX = 80
NO_ORGANISATION = "API keys belong to an organisation: post a brief first to start one."


def _organisation(person: Person) -> str:
    if not person.is_employer or not person.organisation_id:
        raise Forbidden(NO_ORGANISATION)
    return person.organisation_id


def create(person: Person, name: object) -> dict[str, Any]:
    organisation_id = _organisation(person)
    label = name.strip() if isinstance(name, str) else ""
    if name is not None and not isinstance(name, str):
        raise Invalid([{"field": "name", "message": "The name is text."}])
    if len(label) > NAME_MAX:
        raise Invalid([{"field": "name", "message": f"At most {NAME_MAX} characters."}])
    key_id, key = records.create(organisation_id, name=label, created_by=person.email)
    logger.info("api key created", extra={"key_id": key_id})
    return {"key_id": key_id, "key": key, "name": label}


def listed(person: Person) -> dict[str, Any]:
    return {
        "keys": [
            {
                "key_id": str(k["key_id"]),
                "name": str(k.get("name", "")),
                "created_at": str(k["created_at"]),
                "created_by": str(k.get("created_by", "")),
            }
            for k in records.listed(_organisation(person))
        ]
    }


def revoke(person: Person, key_id: str) -> dict[str, Any]:
    if not records.revoke(_organisation(person), key_id):
        raise NotFound("No API key with this id.", "key_id")
    logger.info("api key revoked", extra={"key_id": key_id})
    return {"key_id": key_id, "revoked": True}


def organisation_of(key: str) -> str | None:
    return records.organisation_of(key)

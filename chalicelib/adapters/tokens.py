"""Secrets handed to people: link tokens and manage tokens.

256 random bits, URL-safe; only their SHA-256 is stored, and comparisons run in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store in its place."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str | None, stored_hash: str | None) -> bool:
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)


def matches_any(token: str | None, stored_hashes: list[str]) -> bool:
    """Constant-time check against every stored hash (no early exit on a match)."""
    found = False
    for stored in stored_hashes:
        found |= matches(token, stored)
    return found


def new_id(prefix: str) -> str:
    """Public identifiers: short, random, unguessable enough not to leak volumes (80 bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def derived_id(prefix: str, *parts: str) -> str:
    """A stable identifier for a retried request (same idempotency key → same id)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
    return f"{prefix}_{digest}"

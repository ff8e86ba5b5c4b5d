"""OpenAPI models of the certificate and talent-pool routes (issue 15; web/openapi.py).

They document; the services build the answers (services/certificates.py, services/talent.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class CertificateEnvelope(_Doc):
    """A signed completion certificate. `signature` is base64 of a DER-encoded ECDSA P-256
    SHA-256 signature over the canonical JSON of `certificate` (keys sorted, no whitespace,
    UTF-8); the key is the one with `key_id` at /.well-known/microintern-keys.json. `status`
    is not signed: it says whether the issuer still stands by the certificate."""

    certificate: dict[str, Any] = Field(
        description="certificate_id, intern_name, project_title, hours, started_on, "
        "completed_on, issued_at, verify_url, format; employer_name and rating only when "
        "allowed."
    )
    signature: str
    key_id: str
    algorithm: Literal["ECDSA_SHA_256"]
    status: Literal["valid", "revoked"]
    revoked_at: str | None
    revoked_reason: str | None
    keys_url: str


class PublicKey(_Doc):
    key_id: str
    algorithm: Literal["ECDSA_SHA_256"]
    key_spec: Literal["ECC_NIST_P256"]
    public_key_pem: str
    jwk: dict[str, str]


class KeySet(_Doc):
    """The public keys certificates are signed with."""

    issuer: str
    keys: list[PublicKey]


class CertificateChoice(_Doc):
    """The intern's choice took effect: the rating shown or not, listed on the portfolio or
    not, or the contact shared with an employer interested in hiring."""

    certificate_id: str | None = None
    rating_shown: bool | None = None
    listed: bool | None = None
    portfolio_url: str | None = None
    status: str | None = None
    already: bool | None = None


class HiringInterest(_Doc):
    """The intern was told (once; `already` on a repeat)."""

    status: Literal["interested"]
    already: bool

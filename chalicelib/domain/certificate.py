"""Completion certificates: what one says, how it is written for signing, when it is revoked.

Invariants:
- A certificate is a flat JSON object of strings, integers and (for the rating) one nested
  object: no floats, so its canonical form is the same in every language.
- The signed bytes are the canonical JSON of the certificate: keys sorted, no whitespace
  (separators "," and ":"), UTF-8 without escaping non-ASCII. A verifier re-serialises the
  certificate it received the same way and checks the signature over those bytes.
- The employer's company is on it only when the brief allows it (`show_employer_on_certificate`,
  default off); the employer's rating of the intern only when both agree (`rating_consented`).
- Revocation is a status beside the signed certificate, never a change to it: a revoked
  certificate still verifies as authentic, and the public page and JSON say it was revoked, when
  and why.
- Algorithm: ECDSA over NIST P-256 with SHA-256 (AWS KMS `ECC_NIST_P256` / `ECDSA_SHA_256`); the
  signature is DER-encoded (as KMS returns it), published base64. A key's id is derived from its
  public key (`key_id_of`), so it names the key without naming the KMS key or the account.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

ALGORITHM = "ECDSA_SHA_256"
KEY_SPEC = "ECC_NIST_P256"
FORMAT = "microintern-certificate/1"
# The DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, BIT STRING of an
# uncompressed point): 26 bytes, then 0x04, X (32 bytes), Y (32 bytes).
_P256_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
# Resolutions of a dispute that took money back from the intern: a certificate says the work
# was completed and paid for, so it no longer stands.
REVOKING_RESOLUTIONS = {
    "refund": "A dispute on this project was resolved with a refund to the employer.",
    "split": "A dispute on this project was resolved with part of the payment returned to "
    "the employer.",
}


class CertificateError(ValueError):
    """A certificate that cannot be written canonically (a float, a non-string key...)."""


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    _check(document)
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _check(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CertificateError("certificate keys must be strings")
            _check(item)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check(item)
        return
    raise CertificateError(f"a certificate holds no {type(value).__name__} values")


def build(
    *,
    certificate_id: str,
    intern_name: str,
    project_title: str,
    hours: int,
    started_on: str,
    completed_on: str,
    issued_at: str,
    verify_url: str,
    employer_name: str | None = None,
    rating: int | None = None,
) -> dict[str, Any]:
    """The certificate's content. Optional parts are left out, not null, when not shown."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "certificate_id": certificate_id,
        "intern_name": intern_name,
        "project_title": project_title,
        "hours": int(hours),
        "started_on": started_on,
        "completed_on": completed_on,
        "issued_at": issued_at,
        "verify_url": verify_url,
    }
    if employer_name:
        document["employer_name"] = employer_name
    if rating is not None:
        document["rating"] = {"score": int(rating), "out_of": 5, "by": "employer"}
    return document


def rating_consented(*, employer_score: int | None, intern_shows_rating: bool) -> int | None:
    """The rating on a certificate: the employer's score of the intern, only when both agree —
    the employer agreed by giving it, the intern by choosing to show it on the task page.
    Either one missing: no rating on the certificate."""
    if employer_score is None or not intern_shows_rating:
        return None
    return int(employer_score)


def revocation_reason(dispute_resolution: Mapping[str, Any] | None) -> str | None:
    """Why a certificate is revoked after a dispute, or None when it stands (a release, or no
    dispute at all)."""
    if not dispute_resolution:
        return None
    return REVOKING_RESOLUTIONS.get(str(dispute_resolution.get("resolution") or ""))


def key_id_of(public_key_der: bytes) -> str:
    """A public key's id: `mi-` and the first 16 hex digits of the SHA-256 of its DER."""
    return "mi-" + hashlib.sha256(public_key_der).hexdigest()[:16]


def pem_of(public_key_der: bytes) -> str:
    body = base64.b64encode(public_key_der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def jwk_of(public_key_der: bytes) -> dict[str, str]:
    """The JSON Web Key (RFC 7517) of a P-256 public key in SubjectPublicKeyInfo DER."""
    if len(public_key_der) != 91 or not public_key_der.startswith(_P256_SPKI_PREFIX + b"\x04"):
        raise CertificateError("not an uncompressed NIST P-256 public key")
    point = public_key_der[len(_P256_SPKI_PREFIX) + 1 :]

    def b64url(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(point[:32]),
        "y": b64url(point[32:]),
        "alg": "ES256",
        "use": "sig",
        "kid": key_id_of(public_key_der),
    }


def key_entry(public_key_der: bytes) -> dict[str, Any]:
    """One key of the published key set: its id, algorithm, PEM and JWK."""
    return {
        "key_id": key_id_of(public_key_der),
        "algorithm": ALGORITHM,
        "key_spec": KEY_SPEC,
        "public_key_pem": pem_of(public_key_der),
        "jwk": jwk_of(public_key_der),
    }

#!/usr/bin/env python3
"""Verify a microintern completion certificate offline.

    python scripts/verify_certificate.py CERTIFICATE KEYS

CERTIFICATE is the JSON of GET /api/certificates/{id} and KEYS the JSON of
GET /.well-known/microintern-keys.json, each a file path or an http(s) URL (fetch the keys once
and keep the file: then nothing needs the network). Prints one line and exits with:

    0  VALID    the signature checks against the published key named by key_id
    1  INVALID  it does not (any byte of the certificate changed, another key, another algorithm)
    3  REVOKED  the signature checks, but the issuer's answer marks the certificate revoked
    2  the inputs could not be read

The signature is ECDSA P-256 with SHA-256 (DER-encoded, base64) over the certificate's
canonical JSON: keys sorted, no whitespace, UTF-8 without escaping. Needs the `cryptography`
package. Standalone on purpose: it imports nothing from the app.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.request
from typing import Any

ALGORITHM = "ECDSA_SHA_256"


def canonical_json(document: Any) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def load(source: str) -> Any:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 (http/https only)
            return json.loads(response.read().decode("utf-8"))
    with open(source, encoding="utf-8") as handle:
        return json.load(handle)


def verify(envelope: dict[str, Any], keys: dict[str, Any]) -> tuple[bool, str]:
    """(signature valid, why) for a certificate envelope against a key set."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if envelope.get("algorithm") != ALGORITHM:
        return False, f"unsupported algorithm {envelope.get('algorithm')!r}"
    key = next((k for k in keys.get("keys", []) if k.get("key_id") == envelope.get("key_id")), None)
    if key is None or key.get("algorithm") != ALGORITHM:
        return False, f"no published {ALGORITHM} key {envelope.get('key_id')!r}"
    public_key = serialization.load_pem_public_key(key["public_key_pem"].encode("ascii"))
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != (
        "secp256r1"
    ):
        return False, "the published key is not a P-256 key"
    try:
        signature = base64.b64decode(envelope["signature"], validate=True)
        public_key.verify(
            signature, canonical_json(envelope["certificate"]), ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False, "the signature does not match the certificate"
    return True, f"signed by key {key['key_id']}"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        envelope, keys = load(argv[0]), load(argv[1])
        if not isinstance(envelope, dict) or not isinstance(keys, dict):
            raise ValueError("expected JSON objects")
    except (OSError, ValueError) as exc:
        print(f"cannot read the inputs: {exc}", file=sys.stderr)
        return 2
    valid, why = verify(envelope, keys)
    certificate = envelope.get("certificate") or {}
    if not valid:
        print(f"INVALID: {why}")
        return 1
    what = f"{certificate.get('intern_name')} — {certificate.get('project_title')}"
    if envelope.get("status") == "revoked":
        print(f"REVOKED: {what} ({why}); revoked: {envelope.get('revoked_reason')}")
        return 3
    print(f"VALID: {what} ({why})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

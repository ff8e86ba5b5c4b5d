"""The certificate signing key in AWS KMS (an asymmetric ECC_NIST_P256 key, SIGN_VERIFY).

The private key never leaves KMS: `sign` asks KMS to sign (kms:Sign, the Settle step),
`public_key` reads the public half (kms:GetPublicKey, the API), `verify` asks KMS to check a
signature (kms:Verify, the API's verification page). The key is the stage's
`CERTIFICATE_KEY_ID` setting (the template's alias; the twin creates the same key in moto).
"""

from __future__ import annotations

import threading
from functools import cache

from chalicelib.adapters.aws import client
from chalicelib.domain.certificate import ALGORITHM, key_id_of

_lock = threading.Lock()


def _key() -> str:
    from chalicelib.settings import get_settings

    return get_settings().certificate_key_id


def sign(message: bytes) -> tuple[str, bytes]:
    """(key_id, DER signature) of `message` (the certificate's canonical JSON, < 4 KB)."""
    response = client("kms").sign(
        KeyId=_key(), Message=message, MessageType="RAW", SigningAlgorithm=ALGORITHM
    )
    return current_key_id(), bytes(response["Signature"])


def verify(message: bytes, signature: bytes) -> bool:
    """KMS's own check of `signature` over `message` with the current key."""
    kms = client("kms")
    try:
        response = kms.verify(
            KeyId=_key(),
            Message=message,
            MessageType="RAW",
            Signature=signature,
            SigningAlgorithm=ALGORITHM,
        )
    except kms.exceptions.KMSInvalidSignatureException:
        return False
    return bool(response.get("SignatureValid"))


def public_key() -> bytes:
    """The current key's public half, DER SubjectPublicKeyInfo (read once per container)."""
    with _lock:
        return _public_key(_key())


@cache
def _public_key(key: str) -> bytes:
    return bytes(client("kms").get_public_key(KeyId=key)["PublicKey"])


def current_key_id() -> str:
    return key_id_of(public_key())


def reset() -> None:
    """Forget the cached public key (tests that switch twins)."""
    _public_key.cache_clear()

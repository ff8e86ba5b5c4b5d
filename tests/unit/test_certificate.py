"""Certificates, pure: the canonical JSON that is signed, the published key forms, the
revocation and rating-consent rules, and the offline verifier against a local P-256 key."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import certificate as cert
from scripts import verify_certificate

ROOT = Path(__file__).resolve().parents[2]


def _document(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "certificate_id": "c_0123456789abcdef0123",
        "intern_name": "Zoë Ørsted",
        "project_title": "Competitor pricing survey",
        "hours": 12,
        "started_on": "2026-11-02",
        "completed_on": "2026-11-20",
        "issued_at": "2026-11-20T10:00:00Z",
        "verify_url": "https://microintern.example/certificates/c_0123456789abcdef0123",
    }
    fields.update(overrides)
    return cert.build(**fields)


def test_canonical_json_sorts_keys_has_no_spaces_and_keeps_utf8() -> None:
    text = cert.canonical_json({"b": 1, "a": {"é": "Zoë", "c": [1, True, None]}})
    assert text == '{"a":{"c":[1,true,null],"é":"Zoë"},"b":1}'.encode()


@pytest.mark.parametrize("bad", [1.5, float("nan"), {1: "x"}, b"bytes", {"set": {1}}])
def test_canonical_json_refuses_what_has_no_single_form(bad: Any) -> None:
    with pytest.raises(cert.CertificateError):
        cert.canonical_json({"value": bad} if not isinstance(bad, dict) else bad)


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner),
            max_leaves=8,
        ),
        max_size=6,
    )
)
def test_canonical_json_round_trips_and_is_order_independent(document: dict[str, Any]) -> None:
    text = cert.canonical_json(document)
    assert json.loads(text) == document
    assert cert.canonical_json(dict(reversed(list(document.items())))) == text
    assert verify_certificate.canonical_json(document) == text  # the script agrees


def test_optional_parts_are_left_out_not_null() -> None:
    plain = _document()
    assert "employer_name" not in plain and "rating" not in plain
    full = _document(employer_name="Freshbox", rating=4)
    assert full["employer_name"] == "Freshbox"
    assert full["rating"] == {"score": 4, "out_of": 5, "by": "employer"}


@pytest.mark.parametrize(
    ("resolution", "revoked"),
    [
        (None, False),
        ({"resolution": "release"}, False),
        ({"resolution": "refund"}, True),
        ({"resolution": "split", "intern_share_cents": 500}, True),
    ],
)
def test_a_dispute_that_took_money_back_revokes(resolution: Any, revoked: bool) -> None:
    assert (cert.revocation_reason(resolution) is not None) is revoked


@pytest.mark.parametrize(
    ("score", "shows", "expected"), [(None, True, None), (5, False, None), (5, True, 5)]
)
def test_the_rating_needs_both_the_employer_and_the_intern(
    score: int | None, shows: bool, expected: int | None
) -> None:
    assert cert.rating_consented(employer_score=score, intern_shows_rating=shows) == expected


def _key() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, der


def test_the_published_key_forms_describe_the_same_key() -> None:
    private, der = _key()
    entry = cert.key_entry(der)
    assert entry["key_id"] == cert.key_id_of(der) == entry["jwk"]["kid"]
    pem_key = serialization.load_pem_public_key(entry["public_key_pem"].encode())
    assert (
        pem_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == der
    )
    numbers = private.public_key().public_numbers()

    def coordinate(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    assert (coordinate(entry["jwk"]["x"]), coordinate(entry["jwk"]["y"])) == (
        numbers.x,
        numbers.y,
    )
    with pytest.raises(cert.CertificateError):
        cert.jwk_of(der[:-1])


def _signed(
    private: ec.EllipticCurvePrivateKey, der: bytes
) -> tuple[dict[str, Any], dict[str, Any]]:
    document = _document(employer_name="Freshbox")
    signature = private.sign(cert.canonical_json(document), ec.ECDSA(hashes.SHA256()))
    envelope = {
        "certificate": document,
        "signature": base64.b64encode(signature).decode(),
        "key_id": cert.key_id_of(der),
        "algorithm": cert.ALGORITHM,
        "status": "valid",
    }
    return envelope, {"keys": [cert.key_entry(der)]}


def test_the_verifier_accepts_a_signed_certificate_and_refuses_another_key() -> None:
    private, der = _key()
    envelope, keys = _signed(private, der)
    assert verify_certificate.verify(envelope, keys)[0] is True
    _, other = _key()
    assert verify_certificate.verify(envelope, {"keys": [cert.key_entry(other)]})[0] is False
    assert (
        verify_certificate.verify({**envelope, "algorithm": "RSASSA_PSS_SHA_256"}, keys)[0] is False
    )
    assert verify_certificate.verify({**envelope, "signature": "not base64!"}, keys)[0] is False


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "verify_certificate.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_script_says_valid_then_invalid_after_one_byte_changes(tmp_path: Path) -> None:
    private, der = _key()
    envelope, keys = _signed(private, der)
    cert_file, keys_file = tmp_path / "certificate.json", tmp_path / "keys.json"
    cert_file.write_text(json.dumps(envelope, ensure_ascii=False))
    keys_file.write_text(json.dumps(keys))
    valid = _run(str(cert_file), str(keys_file))
    assert (valid.returncode, valid.stdout.split(":")[0]) == (0, "VALID")

    raw = cert_file.read_bytes()
    at = raw.index(b"Competitor") + 1
    cert_file.write_bytes(raw[:at] + b"O" + raw[at + 1 :])  # "Competitor" -> "COmpetitor"
    invalid = _run(str(cert_file), str(keys_file))
    assert (invalid.returncode, invalid.stdout.split(":")[0]) == (1, "INVALID")

    cert_file.write_text(json.dumps({**envelope, "status": "revoked", "revoked_reason": "x"}))
    assert _run(str(cert_file), str(keys_file)).returncode == 3
    assert _run(str(cert_file)).returncode == 2

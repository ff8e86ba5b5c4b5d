"""Certificates and the talent pool on the local twin, through the public HTTP contract: an
engagement runs to COMPLETED, its certificate (signed by the twin's KMS key) passes the
offline verifier and fails it after one byte changes; the same employer invites the intern
back, who is offered the new brief first, and matching takes over when they decline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    emails_to,
    employer,
    engaged,
    fund,
    offered_to,
    onboard,
    register,
    view,
    wait_status,
)
from tests.helpers import eventually, load_event

pytestmark = pytest.mark.e2e
TABLE = "microintern-local"
ROOT = Path(__file__).resolve().parents[2]


def _approve_payout(twin: RunningTwin, brief_id: str) -> None:
    """Finance's approval: resume the payout wait (as tests/e2e/test_escrow_twin.py does)."""
    from chalicelib.adapters.store import from_item

    ddb = twin.client("dynamodb")
    key = {"pk": {"S": f"BRIEF#{brief_id}"}, "sk": {"S": "TASKTOKEN#payout"}}

    def waiting() -> str | None:
        item = ddb.get_item(TableName=TABLE, Key=key).get("Item")
        return str(from_item(item)["token"]) if item else None

    twin.client("stepfunctions").send_task_success(
        taskToken=eventually(waiting, timeout=30), output=json.dumps({"decision": "approved"})
    )


def _completed(twin: RunningTwin, title: str) -> tuple[str, str, str, dict, str]:
    brief_id, token, employer_email, intern, link = engaged(twin, title)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert act(
        twin, link, "deliver", {"summary": "Report and slides", "url": "https://x.example/r"}
    ).ok
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).ok
    _approve_payout(twin, brief_id)
    wait_status(twin, brief_id, token, "COMPLETED", timeout=60)
    return brief_id, token, employer_email, intern, link


def _verify(certificate: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_certificate.py"),
            str(certificate),
            str(keys),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_a_certificate_passes_the_offline_verifier_until_one_byte_changes(
    twin: RunningTwin, tmp_path: Path
) -> None:
    title = "Certificate on the twin: signed and checked"
    brief_id, token, _, intern, _ = _completed(twin, title)
    url = eventually(lambda: view(twin, brief_id, token).get("certificate_url"), timeout=20)
    certificate_id = url.rsplit("/", 1)[1]

    envelope = requests.get(f"{twin.url}/api/certificates/{certificate_id}", timeout=10)
    keys = requests.get(f"{twin.url}/.well-known/microintern-keys.json", timeout=10)
    assert envelope.status_code == keys.status_code == 200
    assert envelope.json()["certificate"]["intern_name"] == intern["name"]
    assert envelope.json()["certificate"]["project_title"] == title
    certificate_file, keys_file = tmp_path / "certificate.json", tmp_path / "keys.json"
    certificate_file.write_bytes(envelope.content)
    keys_file.write_bytes(keys.content)

    valid = _verify(certificate_file, keys_file)
    assert valid.returncode == 0 and valid.stdout.startswith("VALID"), valid.stdout + valid.stderr

    raw = envelope.content
    at = raw.index(b'"hours":') + len(b'"hours":')  # one digit of the hours, changed
    changed = raw[:at] + (b"9" if raw[at : at + 1] != b"9" else b"8") + raw[at + 1 :]
    certificate_file.write_bytes(changed)
    invalid = _verify(certificate_file, keys_file)
    assert invalid.returncode == 1 and invalid.stdout.startswith("INVALID"), invalid.stdout

    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and 'data-status="verified"' in page.text


def test_an_intern_invited_back_is_offered_first_and_matching_follows_a_decline(
    twin: RunningTwin,
) -> None:
    brief_id, token, employer_email, intern, _ = _completed(twin, "Talent pool: first project")
    skill = view(twin, brief_id, token)["skills"][0]
    other = register(twin, skill)  # a matching candidate for the new brief
    onboard(other["onboarding_url"])

    title = "Talent pool: invited back"
    body = load_event(
        "brief",
        title=title,
        skills=[skill],
        employer_email=employer_email,
        invite_intern_id=intern["intern_id"],
    )
    created = requests.post(f"{twin.url}/api/briefs", json=body, timeout=10)
    assert created.status_code == 201, created.text
    second_id, second_token = created.json()["brief_id"], created.json()["manage_token"]

    first, link = offered_to(twin, [intern, other], title)
    assert first["intern_id"] == intern["intern_id"]
    shortlist = view(twin, second_id, second_token)["shortlist"]
    assert shortlist[0]["intern_id"] == intern["intern_id"]
    assert not [m for m in emails_to(twin, other["email"]) if title in m["subject"]]

    assert act(twin, link, "decline").status_code == 200
    fallback, _ = offered_to(twin, [other], title)
    assert fallback["intern_id"] == other["intern_id"]

    stranger = {**body, "employer_email": "someone-else@company.example"}
    refused = requests.post(f"{twin.url}/api/briefs", json=stranger, timeout=10)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "invite_intern_id"


def test_a_dispute_split_by_finance_revokes_the_certificate(
    twin: RunningTwin, tmp_path: Path
) -> None:
    from tests.e2e.test_finance_twin import approval_request, approved_delivery, send_finance

    brief_id, token, _, _ = approved_delivery(twin, "Certificate after a split dispute")
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    payout_id = approval_request(twin, brief_id)["body"]["data"]["payout_id"]
    assert send_finance(twin, "payout.rejected", {"payout_id": payout_id, "reason": "Half"}).ok
    wait_status(twin, brief_id, token, "DISPUTED")
    split = {"brief_id": brief_id, "resolution": "split", "intern_share_cents": 30_000}
    assert send_finance(twin, "dispute.resolved", split).ok
    wait_status(twin, brief_id, token, "COMPLETED", timeout=60)

    url = eventually(lambda: view(twin, brief_id, token).get("certificate_url"), timeout=20)
    api = url.replace("/certificates/", "/api/certificates/")
    # The pointer is written just before the signed certificate: wait for the certificate.
    response = eventually(lambda: (r := requests.get(api, timeout=10)).ok and r, timeout=20)
    envelope = response.json()
    assert envelope["status"] == "revoked"  # issued revoked: never valid, not for a moment
    assert "split" not in envelope["revoked_reason"]  # said in words
    assert "dispute" in envelope["revoked_reason"]
    assert 'data-status="revoked"' in requests.get(url, timeout=10).text

    keys = requests.get(f"{twin.url}/.well-known/microintern-keys.json", timeout=10)
    (tmp_path / "c.json").write_bytes(response.content)
    (tmp_path / "k.json").write_bytes(keys.content)
    revoked = _verify(tmp_path / "c.json", tmp_path / "k.json")
    assert revoked.returncode == 3 and revoked.stdout.startswith("REVOKED"), revoked.stdout

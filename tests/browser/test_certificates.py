"""After a project, in Chromium: the employer says it is interested in hiring, the intern shares
their contact and opens their certificate, whose JSON passes the offline verifier (and fails
it after one byte changes); the employer invites the intern back from the brief page, and the
new brief's offer goes to that intern first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser import axe
from tests.browser.test_brief_form import fill_the_form, submit
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
    wait_status,
)
from tests.helpers import eventually

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
TABLE = "microintern-local"


def _approve_payout(twin: RunningTwin, brief_id: str) -> None:
    """Finance's approval (as tests/e2e/test_escrow_twin.py gives it): resume the wait."""
    from chalicelib.adapters.store import from_item

    ddb = twin.client("dynamodb")
    key = {"pk": {"S": f"BRIEF#{brief_id}"}, "sk": {"S": "TASKTOKEN#payout"}}

    def waiting() -> str | None:
        item = ddb.get_item(TableName=TABLE, Key=key).get("Item")
        return str(from_item(item)["token"]) if item else None

    twin.client("stepfunctions").send_task_success(
        taskToken=eventually(waiting, timeout=30), output=json.dumps({"decision": "approved"})
    )


def _verify(certificate: Path, keys: Path) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "verify_certificate.py"
    return subprocess.run(
        [sys.executable, str(script), str(certificate), str(keys)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_certificate_hiring_interest_and_invite_back(
    twin: RunningTwin, page: Any, browser: Any, tmp_path: Path
) -> None:
    # Given a project completed through the flow
    brief_id, token, employer_email, intern, link = engaged(twin, "Browser: certificate")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert act(twin, link, "deliver", {"summary": "Report and slides", "url": "https://x.ex"}).ok
    wait_status(twin, brief_id, token, "IN_REVIEW")
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).ok
    _approve_payout(twin, brief_id)
    wait_status(twin, brief_id, token, "COMPLETED", timeout=60)

    # When the employer says it is interested in hiring, the contact is not shown yet
    page.goto(f"{twin.url}/briefs/{brief_id}?key={token}")
    page.get_by_role("button", name=f"I'm interested in hiring {intern['name']}").click()
    page.wait_for_selector("#hire-interest")
    assert intern["email"] not in page.content()

    # Then the intern is told on the task page, and shares the contact
    page.goto(f"{twin.url}/tasks/{link}")
    assert "is interested in hiring you" in page.locator("#hire-interest").inner_text()
    page.get_by_role("button", name="Share my name and email").click()
    page.wait_for_selector("text=You shared your contact details")
    page.goto(f"{twin.url}/briefs/{brief_id}?key={token}")
    assert intern["email"] in page.locator("#intern-contact").inner_text()

    # And the certificate page says verified; its JSON passes the offline verifier
    page.goto(f"{twin.url}/tasks/{link}")
    with page.expect_navigation():
        page.locator("#certificate-link").click()
    assert page.locator("#certificate-status").get_attribute("data-status") == "verified"
    assert intern["name"] in page.locator("#what-h").inner_text()
    json_url = page.get_by_role("link", name="signed certificate (JSON)").get_attribute("href")
    keys_url = page.get_by_role("link", name="/.well-known/microintern-keys.json").first
    certificate = page.request.get(
        f"{twin.url}{json_url}" if json_url.startswith("/") else json_url
    )
    keys = page.request.get(keys_url.get_attribute("href"))
    assert certificate.ok and keys.ok
    certificate_file, keys_file = tmp_path / "certificate.json", tmp_path / "keys.json"
    certificate_file.write_bytes(certificate.body())
    keys_file.write_bytes(keys.body())
    assert _verify(certificate_file, keys_file).stdout.startswith("VALID")
    raw = certificate.body()
    at = raw.index(b"Browser: certificate")
    certificate_file.write_bytes(raw[:at] + b"b" + raw[at + 1 :])  # one byte: B -> b
    refused = _verify(certificate_file, keys_file)
    assert refused.returncode == 1 and refused.stdout.startswith("INVALID")

    # And the intern lists it on a public portfolio that shows only what it says
    page.goto(f"{twin.url}/tasks/{link}")
    page.get_by_role("button", name="List on my public portfolio").click()
    portfolio = page.locator("#portfolio-link").get_attribute("href")
    page.goto(portfolio)
    assert "Browser: certificate" in page.content() and intern["email"] not in page.content()

    # The pages after a project pass axe (serious or critical: none), at a phone width too
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    checked = context.new_page()
    for url in (
        f"{twin.url}/briefs/{brief_id}?key={token}",
        f"{twin.url}/tasks/{link}",
        f"{twin.url}{json_url.replace('/api/certificates/', '/certificates/')}",
        portfolio,
    ):
        checked.goto(url)
        assert axe.severe(axe.violations(checked)) == [], url
        assert checked.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0, url
    context.close()

    # When the employer invites the intern back from the brief page
    other = register(twin, intern_skill(twin, brief_id, token))
    onboard(other["onboarding_url"])
    page.goto(f"{twin.url}/briefs/{brief_id}?key={token}")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Invite {intern['name']} to a new brief").click()
    assert intern["intern_id"] in page.locator("#invite-notice").inner_text()
    brief = fill_the_form(page, email=employer_email, hours="20", budget="600")
    page.get_by_label("Required skills").fill(intern_skill(twin, brief_id, token))
    page.get_by_label("Project title").fill("Browser: invited back")
    submit(page)
    assert "/briefs/b_" in page.url, page.content()

    # Then the offer goes to that intern first, not to the other candidate
    first, _ = offered_to(twin, [intern, other], "Browser: invited back")
    assert first["intern_id"] == intern["intern_id"]
    assert not [m for m in emails_to(twin, other["email"]) if "invited back" in m["subject"]]
    assert brief["company"]


def intern_skill(twin: RunningTwin, brief_id: str, token: str) -> str:
    from tests.e2e.flow import view

    return str(view(twin, brief_id, token)["skills"][0])

"""Driving the twin through the public HTTP contract only: the API, the outbox, task links."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

from tests.e2e.conftest import RunningTwin
from tests.helpers import eventually, load_event

TASK_LINK = re.compile(r"/tasks/([A-Za-z0-9_\-]{43,})")
CONFIRM_LINK = re.compile(r"https?://\S+/confirm/[A-Za-z0-9_\-]{43,}")


def unique_skill() -> str:
    return f"zz{uuid.uuid4().hex[:10]}"


def register(twin: RunningTwin, skill: str, *, hours: int = 20, bio: str = "") -> dict[str, Any]:
    email = f"intern-{uuid.uuid4().hex[:8]}@students.example"
    body = {
        "name": "Intern " + email[7:11],
        "email": email,
        "skills": [skill, "Excel"],
        "bio": bio or f"Student analyst who loves {skill} projects and market research.",
        "hours_per_week": hours,
        "timezone": "Europe/Berlin",
    }
    response = requests.post(f"{twin.url}/api/interns", json=body, timeout=10)
    assert response.status_code == 201, response.text
    if response.json()["confirmation_required"]:
        confirm_address(twin, email)
    return {**response.json(), "email": email, "name": body["name"]}


def submit(twin: RunningTwin, skill: str, **overrides: Any) -> tuple[str, str, str]:
    """(brief_id, manage_token, employer email) of a fresh brief needing `skill`."""
    employer = f"employer-{uuid.uuid4().hex[:8]}@company.example"
    body = load_event("brief", skills=[skill], employer_email=employer, **overrides)
    response = requests.post(f"{twin.url}/api/briefs", json=body, timeout=10)
    assert response.status_code == 201, response.text
    data = response.json()
    if data["confirmation_required"]:
        confirm_address(twin, employer)
    return data["brief_id"], data["manage_token"], employer


def confirm_address(twin: RunningTwin, address: str) -> None:
    """Do what the address's owner does: open the newest confirmation link emailed to it and
    press the page's button (the CSRF cookie is Secure: sent by hand over the twin's http)."""
    link = CONFIRM_LINK.findall(wait_email(twin, address, "Confirm your email")["text"])[-1]
    page = requests.get(link, timeout=10)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text
    cookie = page.headers["Set-Cookie"].split(";")[0]
    done = requests.post(
        link, data={"csrf_token": csrf.group(1)}, headers={"Cookie": cookie}, timeout=15
    )
    assert done.status_code == 200, done.text


def view(twin: RunningTwin, brief_id: str, token: str) -> dict[str, Any]:
    response = requests.get(
        f"{twin.url}/api/briefs/{brief_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_status(
    twin: RunningTwin, brief_id: str, token: str, status: str, timeout: float = 40
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        current = view(twin, brief_id, token)
        return current if current["status"] == status else None

    return eventually(reached, timeout=timeout, every=0.15)


def emails_to(twin: RunningTwin, address: str) -> list[dict[str, Any]]:
    return [m for m in twin.outbox() if address in m["to"]]


def wait_email(twin: RunningTwin, address: str, subject_part: str, timeout: float = 20) -> dict:
    def found() -> dict[str, Any] | None:
        for message in emails_to(twin, address):
            if subject_part.lower() in message["subject"].lower():
                return message
        return None

    return eventually(found, timeout=timeout, every=0.15)


def task_token(message: dict[str, Any]) -> str:
    match = TASK_LINK.search(message["text"])
    assert match, message["text"]
    return match.group(1)


def act(twin: RunningTwin, token: str, action: str, body: dict[str, Any] | None = None) -> Any:
    return requests.post(f"{twin.url}/api/tasks/{token}/{action}", json=body or {}, timeout=15)


def employer(
    twin: RunningTwin, brief_id: str, token: str, action: str, body: dict | None = None
) -> Any:
    return requests.post(
        f"{twin.url}/api/briefs/{brief_id}/{action}",
        json=body or {},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


def timeline(twin: RunningTwin, brief_id: str, token: str) -> list[str]:
    return [e["detail"] for e in view(twin, brief_id, token)["timeline"]]


def onboard(onboarding_url: str) -> None:
    """Complete Stripe Connect onboarding the way the intern does: open the link."""
    response = requests.get(onboarding_url, timeout=10, allow_redirects=False)
    assert response.status_code in (200, 302, 303), response.text


def fund(twin: RunningTwin, brief_id: str, token: str, card: str = "pm_card_visa") -> Any:
    """Fund escrow like the funding page: create the PaymentIntent, confirm it with Stripe."""
    created = requests.post(
        f"{twin.url}/api/briefs/{brief_id}/fund",
        headers={"Authorization": f"Bearer {token}"},
        json={},
        timeout=15,
    )
    assert created.status_code == 200, created.text
    intent = created.json()
    return requests.post(
        f"{twin.stripe_url}/v1/payment_intents/{intent['payment_intent_id']}/confirm",
        data={"payment_method": card, "client_secret": intent["client_secret"]},
        headers={"Authorization": "Bearer pk_test_browser"},
        timeout=15,
    )


def offered_to(twin: RunningTwin, interns: list[dict], title: str) -> tuple[dict, str]:
    """The intern who got the offer for `title`, and the task token from their email."""

    def find() -> tuple[dict, str] | None:
        for intern in interns:
            for message in emails_to(twin, intern["email"]):
                subject = message["subject"]
                if subject.startswith("Paid project for you") and title in subject:
                    return intern, task_token(message)
        return None

    return eventually(find, timeout=20, every=0.15)


def engaged(
    twin: RunningTwin, title: str, *, nda: bool = False, onboarded: bool = True
) -> tuple[str, str, str, dict[str, Any], str]:
    """A brief accepted by an intern (payout-ready unless `onboarded=False`), waiting for
    funding: (brief_id, manage token, employer email, intern, task token)."""
    skill = unique_skill()
    intern = register(twin, skill)
    if onboarded:
        onboard(intern["onboarding_url"])
    brief_id, token, employer_email = submit(twin, skill, title=title, nda_required=nda)
    _, link = offered_to(twin, [intern], title)
    assert act(twin, link, "accept").status_code == 200
    if nda:
        wait_status(twin, brief_id, token, "NDA")
        assert act(twin, link, "nda", {"full_name": intern["name"], "agree": True}).ok
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")
    return brief_id, token, employer_email, intern, link

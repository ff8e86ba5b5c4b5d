"""Fixtures and helpers for the escrow tests (imported by the other test_escrow_* modules:
`from tests.integration.test_escrow_support import escrow_sandbox_fixture, money_fixture`).

Money moves through the official stripe SDK, over HTTP, to a `StripeSandbox(port=0)`; the app
reaches it by settings alone (`STRIPE_API_BASE`). Webhooks are taken from the sandbox's events,
signed the way Stripe signs them and posted to the app's own `POST /webhooks/stripe`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from local.stripe_sandbox import StripeSandbox, sign_payload

WEBHOOK_SECRET = "whsec_escrow_tests"
API_KEY = "sk_test_escrow_tests"
PUBLISHABLE_KEY = "pk_test_escrow_tests"


@dataclass
class Money:
    """The app (chalice's test client), its store, the sandbox, and what the workflow was told."""

    client: Any
    sandbox: StripeSandbox
    resumed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    delivered: set[str] = field(default_factory=set)

    # -- webhooks ------------------------------------------------------------------------
    def signed(self, event: dict[str, Any], timestamp: int | None = None) -> tuple[str, str]:
        payload = json.dumps(event, indent=2)
        return payload, sign_payload(payload, WEBHOOK_SECRET, timestamp)

    def post_webhook(self, payload: str, signature: str | None) -> Any:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        return self.client.http.post("/webhooks/stripe", headers=headers, body=payload)

    def deliver(self, event: dict[str, Any]) -> Any:
        response = self.post_webhook(*self.signed(event))
        assert response.status_code == 200, response.body
        self.delivered.add(event["id"])
        return response

    def events(self, type_: str, object_id: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.sandbox.events(type_)
            if object_id is None or e["data"]["object"]["id"] == object_id
        ]

    def deliver_new(self, object_id: str) -> list[dict[str, Any]]:
        """Deliver, in order, every event about `object_id` not delivered yet."""
        fresh = [
            e
            for e in self.sandbox.events()
            if e["data"]["object"].get("id") == object_id and e["id"] not in self.delivered
        ]
        for event in fresh:
            self.deliver(event)
        return fresh

    # -- the employer's browser ----------------------------------------------------------
    def fund(self, brief_id: str, token: str) -> Any:
        return self.client.http.post(
            f"/api/briefs/{brief_id}/fund",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body="{}",
        )

    def confirm(self, intent: dict[str, Any], payment_method: str) -> requests.Response:
        """What Stripe.js does: publishable key + client secret, straight to Stripe."""
        return requests.post(
            f"{self.sandbox.url}/v1/payment_intents/{intent['payment_intent_id']}/confirm",
            data={"payment_method": payment_method, "client_secret": intent["client_secret"]},
            headers={"Authorization": f"Bearer {PUBLISHABLE_KEY}"},
            timeout=10,
        )

    def pay(self, brief_id: str, token: str, payment_method: str = "pm_card_visa") -> str:
        """Fund, confirm and deliver the resulting webhooks; the PaymentIntent id."""
        response = self.fund(brief_id, token)
        assert response.status_code == 200, response.body
        intent = response.json_body
        self.confirm(intent, payment_method)
        self.deliver_new(intent["payment_intent_id"])
        return str(intent["payment_intent_id"])

    # -- the sandbox's books -------------------------------------------------------------
    def transfers(self, brief_id: str) -> list[dict[str, Any]]:
        return [t for t in self.sandbox.state()["transfers"] if t["transfer_group"] == brief_id]

    def refunds(self, payment_intent_id: str) -> list[dict[str, Any]]:
        return [
            r for r in self.sandbox.state()["refunds"] if r["payment_intent"] == payment_intent_id
        ]


def _atomic_moto_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each request atomically; moto in-process does not (it checks, then
    writes, and rolls a failed transaction back by restoring a copy of the whole table). Give
    each request DynamoDB's atomicity so concurrent tests exercise the app, not moto's races."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "get_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.fixture(name="escrow_sandbox")
def escrow_sandbox_fixture() -> Iterator[StripeSandbox]:
    with StripeSandbox(port=0, webhook_url=None, timeout_seconds=0.3) as running:
        yield running


@pytest.fixture(name="money")
def money_fixture(
    aws_env: dict[str, str], escrow_sandbox: StripeSandbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Money]:
    """The app with its Stripe calls going to a fresh sandbox of this test's own."""
    sandbox = escrow_sandbox
    from chalice.test import Client

    from app import app
    from chalicelib.adapters import stripe_gateway, workflow
    from chalicelib.settings import get_settings

    monkeypatch.setenv("STRIPE_API_BASE", sandbox.url)
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    get_settings.cache_clear()
    stripe_gateway.reset_client()
    _atomic_moto_dynamodb(monkeypatch)
    with Client(app) as client:
        state = Money(client=client, sandbox=sandbox)
        # The workflow adapter's one outward call: recorded (moto in-process runs no ASL).
        monkeypatch.setattr(
            workflow, "resume", lambda token, output: state.resumed.append((token, output))
        )
        yield state
    get_settings.cache_clear()
    stripe_gateway.reset_client()


# -- data ---------------------------------------------------------------------------------------


def put_brief(
    status: str = "AWAITING_FUNDING",
    *,
    budget_cents: int = 60_000,
    intern_id: str | None = None,
    fee_bps: int = 1000,
) -> tuple[str, str]:
    """A brief in `status` (with a waiting funding token when AWAITING_FUNDING); (id, token)."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services.access import new_manage_token

    store = get_store()
    brief_id = f"b_{uuid.uuid4().hex[:16]}"
    token, token_item = new_manage_token(brief_id)
    store.put(token_item)
    store.put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "BRIEF",
            "type": "brief",
            "brief_id": brief_id,
            "status": status,
            "version": 1,
            "title": "Competitive analysis of three meal-kit apps",
            "description": "Compare onboarding, pricing and retention tactics.",
            "deliverables": ["Spreadsheet"],
            "skills": ["excel"],
            "estimated_hours": 20,
            "budget_cents": budget_cents,
            "currency": "usd",
            "deadline": (date.today() + timedelta(days=14)).isoformat(),
            "nda_required": False,
            "employer_name": "Dana Reyes",
            "employer_email": "dana@freshbox.example",
            "company": "FreshBox",
            "created_at": "2026-01-01T00:00:00.000Z",
            "fee_bps": fee_bps,
            "intern_id": intern_id,
        }
    )
    if status == "AWAITING_FUNDING":
        store.save_task_token(brief_id, "funding", f"token-{brief_id}", f"exec-{brief_id}")
    return brief_id, token


def move(brief_id: str, *path: str) -> None:
    """Walk the brief through `path` with the store's conditional transitions."""
    from chalicelib.adapters.store import get_store

    store = get_store()
    for to in path:
        current = str((store.get_brief(brief_id) or {})["status"])
        store.transition(brief_id, expected=[current], to=to, actor="test", detail=f"→ {to}")


def ready_intern(money: Money, *, onboard: bool = True) -> str:
    """An intern registered through the API (a returning address, confirmed before), onboarded
    by opening the link, webhook applied."""
    from tests.helpers import confirm_addresses

    email = f"sam.{uuid.uuid4().hex[:8]}@example.com"
    confirm_addresses(email)
    response = money.client.http.post(
        "/api/interns",
        headers={"Content-Type": "application/json"},
        body=json.dumps(
            {
                "name": "Sam Lee",
                "email": email,
                "skills": ["excel", "market research"],
                "bio": "Analyst who loves spreadsheets, pricing pages and customer research.",
                "hours_per_week": 15,
                "timezone": "Europe/Berlin",
            }
        ),
    )
    assert response.status_code == 201, response.body
    body = response.json_body
    if onboard:
        onboard_intern(money, body["onboarding_url"])
    return str(body["intern_id"])


def onboard_intern(money: Money, onboarding_url: str) -> None:
    assert requests.get(onboarding_url, timeout=10, allow_redirects=False).status_code in (200, 302)
    account_id = onboarding_url.split("/onboard/")[1].split("?")[0]
    money.deliver_new(account_id)


def brief(brief_id: str) -> dict[str, Any]:
    from chalicelib.adapters.store import get_store

    return dict(get_store().get_brief(brief_id) or {})


def escrow_of(brief_id: str) -> dict[str, Any]:
    from chalicelib.adapters import escrow_store
    from chalicelib.adapters.store import get_store

    return escrow_store.figures(get_store().query(f"BRIEF#{brief_id}"))


def timeline(brief_id: str) -> list[dict[str, Any]]:
    from chalicelib.adapters.store import get_store

    return get_store().timeline(brief_id)

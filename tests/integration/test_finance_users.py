"""Individual finance users (issue 14): owners named by FINANCE_OWNER_EMAILS (none by default:
fail closed) add finance users by email; the finance page and the books open to a person with
the `finance` role, never to another signed-in person; a decision taken on the page records who
took it and the brief's timeline names them. Against moto in-process and chalice's client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import post_form
from tests.integration.test_accounts import sign_in
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    escrow_sandbox_fixture,
    money_fixture,
    ready_intern,
    timeline,
)
from tests.integration.test_finance_webhooks import (  # noqa: F401 - fixtures
    Finance,
    awaiting_payout,
    finance,
    finance_notes,
    payout_item,
    receiver,
    resumed_for,
)
from tests.integration.test_interns_api import mails

ANA = "ana@finance.example"
BEN = "ben@finance.example"


@pytest.fixture
def owners(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FINANCE_OWNER_EMAILS", f" {ANA.upper()} , owner2@finance.example")
    get_settings.cache_clear()
    yield ANA
    get_settings.cache_clear()


def page_form(client: Any, cookie: str, path: str = "/finance") -> tuple[str, str, str, str]:
    """GET a page with the session: (cookies to send, CSRF token, nonce, the page)."""
    page = client.http.get(path, headers={"Cookie": cookie})
    assert page.status_code == 200, page.body
    html = page.body.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)
    assert token
    both = f"{cookie}; {page.headers['Set-Cookie'].split(';')[0]}"
    return both, token.group(1), nonce.group(1) if nonce else "", html


def post(client: Any, cookie: str, path: str, fields: dict[str, str]) -> Any:
    both, token, nonce, _ = page_form(client, cookie)
    return post_form(client, path, both, {"csrf_token": token, "nonce": nonce, **fields})


def test_by_default_nobody_is_a_finance_owner(client: Any) -> None:
    cookie = sign_in(client, ANA)

    assert client.http.get("/api/me", headers={"Cookie": cookie}).json_body["roles"] == []
    refused = client.http.get("/finance", headers={"Cookie": cookie})
    assert refused.status_code == 403
    assert "finance team" in refused.body.decode()


def test_an_owner_named_by_the_setting_gets_the_roles_at_sign_in(client: Any, owners: str) -> None:
    cookie = sign_in(client, ANA)

    me = client.http.get("/api/me", headers={"Cookie": cookie}).json_body
    assert me["roles"] == ["finance", "finance_owner"]
    page = client.http.get("/finance", headers={"Cookie": cookie})
    assert page.status_code == 200
    html = page.body.decode()
    assert f"Signed in as <strong>{ANA}</strong>" in html
    assert 'action="/finance/team"' in html
    dashboard = client.http.get("/dashboard", headers={"Cookie": cookie})
    assert dashboard.status_code == 303 and dashboard.headers["Location"] == "/finance"
    books = client.http.get("/api/finance/ledger.csv", headers={"Cookie": cookie})
    assert books.status_code == 200 and books.body.decode().startswith("at,brief_id")


def test_an_owner_adds_a_finance_user_who_then_signs_in(client: Any, owners: str) -> None:
    owner = sign_in(client, ANA)

    added = post(client, owner, "/finance/team", {"email": f" {BEN.upper()} "})

    assert added.status_code == 303 and added.headers["Location"] == "/finance?done=invited"
    [invite] = [m for m in mails() if m["to"] == BEN and "finance team" in m["subject"]]
    assert ANA in invite["text"] and "http://testserver/signin" in invite["text"]
    ben = sign_in(client, BEN)
    assert client.http.get("/api/me", headers={"Cookie": ben}).json_body["roles"] == ["finance"]
    _, _, _, html = page_form(client, ben)
    assert f"{BEN} · added by {ANA}" in html
    assert 'action="/finance/team"' not in html  # a finance user is not an owner
    # Only owners add people.
    refused = post(client, ben, "/finance/team", {"email": "eve@finance.example"})
    assert refused.status_code == 403

    removed = post(client, owner, "/finance/team", {"email": BEN, "remove": "yes"})

    assert removed.status_code == 303
    assert client.http.get("/finance", headers={"Cookie": ben}).status_code == 403
    assert client.http.get("/api/finance/payouts", headers={"Cookie": ben}).status_code == 403


def test_a_signed_in_person_without_the_finance_role_is_refused_everywhere(
    client: Any, owners: str
) -> None:
    cookie = sign_in(client, "dana@freshbox.example")

    assert client.http.get("/finance", headers={"Cookie": cookie}).status_code == 403
    for path in ("/api/finance/payouts", "/api/finance/ledger.csv"):
        assert client.http.get(path, headers={"Cookie": cookie}).status_code == 403
    csrf = client.http.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', csrf.body.decode())
    assert token
    both = f"{cookie}; {csrf.headers['Set-Cookie'].split(';')[0]}"
    for path, fields in (
        ("/finance/payouts/p_1/approve", {}),
        ("/finance/disputes/b_1/resolve", {"resolution": "refund"}),
        ("/finance/team", {"email": "eve@finance.example"}),
    ):
        done = post_form(client, path, both, {"csrf_token": token.group(1), "nonce": "n", **fields})
        assert done.status_code == 403, path
    assert client.http.get("/api/me", headers={"Cookie": cookie}).json_body["roles"] == []


def test_an_approval_on_the_page_records_and_names_the_person(
    finance: Finance,  # noqa: F811
    owners: str,
) -> None:
    client = finance.money.client
    brief_id, payout_id = awaiting_payout()
    cookie = sign_in(client, ANA)
    both, token, nonce, html = page_form(client, cookie)
    assert f'action="/finance/payouts/{payout_id}/approve"' in html

    path = f"/finance/payouts/{payout_id}/approve"
    done = post_form(client, path, both, {"csrf_token": token, "nonce": nonce})
    again = post_form(client, path, both, {"csrf_token": token, "nonce": nonce})

    assert done.status_code == 303 and done.headers["Location"] == "/finance?done=approve"
    assert again.status_code == 303  # the same form twice decides once
    assert resumed_for(finance.money, brief_id, "payout") == [{"decision": "approved"}]
    assert payout_item(payout_id)["approved_by"] == ANA
    assert finance_notes(brief_id) == [f"Finance approved the payout of USD 540.00 ({ANA})"]
    shown = client.http.get("/finance?done=approve", headers={"Cookie": cookie}).body.decode()
    assert "Payout approved" in shown and f"approved by {ANA}" in shown


def test_holding_and_resolving_on_the_page_name_the_person(
    finance: Finance,  # noqa: F811
    owners: str,
) -> None:
    client = finance.money.client
    brief_id, payout_id = awaiting_payout(
        intern_id=ready_intern(finance.money), money=finance.money
    )
    cookie = sign_in(client, ANA)

    empty = post(client, cookie, f"/finance/payouts/{payout_id}/reject", {"reason": " "})
    assert empty.status_code == 422
    held = post(client, cookie, f"/finance/payouts/{payout_id}/reject", {"reason": "No invoice"})
    assert held.status_code == 303
    assert payout_item(payout_id)["rejected_by"] == ANA
    _, _, _, html = page_form(client, cookie)
    assert f'action="/finance/disputes/{brief_id}/resolve"' in html

    resolved = post(
        client,
        cookie,
        f"/finance/disputes/{brief_id}/resolve",
        {"resolution": "split", "intern_share_cents": "30000"},
    )

    assert resolved.status_code == 303, resolved.body
    notes = finance_notes(brief_id)
    assert notes[0] == f"Finance held the payout of USD 540.00: No invoice ({ANA})"
    assert notes[1].startswith("Finance resolved the dispute: split") and notes[1].endswith(
        f"({ANA})"
    )


def test_the_bearer_key_still_reads_the_books_for_api_clients(finance: Finance) -> None:  # noqa: F811
    assert finance.get("/api/finance/payouts").status_code == 200
    assert finance.get("/api/finance/payouts", key="wrong").status_code == 403
    assert finance.get("/api/finance/payouts", key=None).status_code == 401

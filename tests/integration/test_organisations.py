"""Organisations and the employer's dashboard (issue 14): a brief belongs to the organisation
of its employer's address (filed in its creation transaction); the dashboard lists every brief
of the organisation with its status, next action and the ledger's figures; colleagues invited
by email share the briefs; Stripe's receipt of each payment is one click away."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.helpers import confirm_addresses, load_event
from tests.integration.conftest import post_form
from tests.integration.test_accounts import DANA, cookies_of, sign_in
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    escrow_sandbox_fixture,
    money_fixture,
    put_brief,
)
from tests.integration.test_interns_api import mails

INVITE_LINK = re.compile(r"http://testserver(/invites/[A-Za-z0-9_\-]{43,})")


def post_brief(client: Any, email: str = DANA, **overrides: Any) -> dict[str, Any]:
    body = load_event("brief", employer_email=email, **overrides)
    response = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    assert response.status_code == 201, response.body
    return dict(response.json_body)


def csrf_of(client: Any, path: str, cookie: str) -> tuple[str, str]:
    """(Cookie header with the CSRF cookie added, the page's CSRF token)."""
    page = client.http.get(path, headers={"Cookie": cookie})
    assert page.status_code == 200, page.body
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    set_cookie = page.headers.get("Set-Cookie")
    csrf_cookie = set_cookie.split(";")[0] if isinstance(set_cookie, str) else ""
    return "; ".join(c for c in (cookie, csrf_cookie) if c), token.group(1)


def test_briefs_of_one_address_share_one_organisation_and_its_dashboard(client: Any) -> None:
    confirm_addresses(DANA)
    first = post_brief(client, title="Competitive analysis of three meal-kit apps")
    second = post_brief(client, title="Survey of twenty grocery delivery apps")
    post_brief(client, "eve@other.example", company="OtherCo")  # another organisation

    cookie = sign_in(client)
    me = client.http.get("/api/me", headers={"Cookie": cookie}).json_body
    assert me["roles"] == ["owner"]
    assert me["organisation"]["name"] == "FreshBox"

    listed = client.http.get("/api/me/briefs", headers={"Cookie": cookie})
    assert listed.status_code == 200
    assert [b["brief_id"] for b in listed.json_body] == [second["brief_id"], first["brief_id"]]
    assert {b["status"] for b in listed.json_body} <= {"SUBMITTED", "MATCHING", "UNMATCHED"}
    assert set(listed.json_body[0]) >= {"brief_id", "title", "status", "next_action"}

    page = client.http.get("/dashboard", headers={"Cookie": cookie})
    html = page.body.decode()
    assert page.status_code == 200
    assert "Survey of twenty grocery delivery apps" in html
    assert "Competitive analysis of three meal-kit apps" in html
    assert "OtherCo" not in html
    assert 'href="/dashboard/new-brief"' in html
    assert "Sign out everywhere" in html

    assert client.http.get("/api/me/briefs").status_code == 401
    assert client.http.get("/api/me/engagements", headers={"Cookie": cookie}).json_body == []


def test_the_next_action_and_its_deadline_come_from_the_open_wait(client: Any) -> None:
    from chalicelib.adapters.store import get_store

    confirm_addresses(DANA)
    brief = post_brief(client)
    store = get_store()
    store.update_brief(brief["brief_id"], {"status": "AWAITING_FUNDING"})
    store.save_task_token(
        brief["brief_id"], "funding", "tok", "exec", closes_at="2099-01-02T03:04:05.000Z"
    )
    cookie = sign_in(client)

    [row] = client.http.get("/api/me/briefs", headers={"Cookie": cookie}).json_body
    assert row["next_action"] == "Fund escrow"
    assert row["next_action_by"] == "2099-01-02T03:04:05.000Z"
    html = client.http.get("/dashboard", headers={"Cookie": cookie}).body.decode()
    assert "Your turn:" in html and 'datetime="2099-01-02T03:04:05.000Z"' in html


def test_post_another_brief_is_prefilled_with_the_organisation(client: Any) -> None:
    confirm_addresses(DANA)
    post_brief(client)
    cookie = sign_in(client)

    form = client.http.get("/dashboard/new-brief", headers={"Cookie": cookie})
    html = form.body.decode()
    assert form.status_code == 200
    assert 'value="FreshBox"' in html and f'value="{DANA}"' in html
    assert 'value="Dana Reyes"' in html
    assert client.http.get("/dashboard/new-brief").status_code == 303


def test_an_invited_colleague_shares_the_briefs_and_only_owners_invite(client: Any) -> None:
    confirm_addresses(DANA)
    brief = post_brief(client)
    owner = sign_in(client)
    headers, token = csrf_of(client, "/dashboard", owner)

    sent = post_form(
        client,
        "/dashboard/invite",
        headers,
        {"csrf_token": token, "email": "Ben@FreshBox.example", "role": "member"},
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/dashboard?notice=invited"
    shown = client.http.get(sent.headers["Location"], headers={"Cookie": owner}).body.decode()
    assert "Invitation sent" in shown
    [mail] = [m for m in mails() if m["to"] == "ben@freshbox.example"]
    assert "FreshBox" in mail["subject"]
    path = INVITE_LINK.search(mail["text"])
    assert path
    invite = path.group(1)

    page = client.http.get(invite)
    assert page.status_code == 200 and "Join and sign in" in page.body.decode()
    csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert csrf_token
    joined = post_form(client, invite, csrf_cookie, {"csrf_token": csrf_token.group(1)})
    assert joined.status_code == 303
    ben = next(c for c in cookies_of(joined) if c.startswith("session=")).split(";")[0]

    me = client.http.get("/api/me", headers={"Cookie": ben}).json_body
    assert me["email"] == "ben@freshbox.example" and me["roles"] == ["member"]
    listed = client.http.get("/api/me/briefs", headers={"Cookie": ben}).json_body
    assert [b["brief_id"] for b in listed] == [brief["brief_id"]]
    # The invitation works once.
    again = post_form(client, invite, csrf_cookie, {"csrf_token": csrf_token.group(1)})
    assert again.status_code == 409

    # A member does not invite.
    member_headers, member_token = csrf_of(client, "/dashboard", ben)
    assert (
        'action="/dashboard/invite"'
        not in client.http.get("/dashboard", headers={"Cookie": ben}).body.decode()
    )
    refused = post_form(
        client,
        "/dashboard/invite",
        member_headers,
        {"csrf_token": member_token, "email": "carl@freshbox.example", "role": "owner"},
    )
    assert refused.status_code == 403
    assert not [m for m in mails() if m["to"] == "carl@freshbox.example"]

    bad = post_form(client, "/dashboard/invite", headers, {"csrf_token": token, "email": "nope"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.body.decode()


def test_someone_in_another_organisation_cannot_join_a_second(client: Any) -> None:
    confirm_addresses(DANA, "eve@other.example")
    post_brief(client)
    post_brief(client, "eve@other.example", company="OtherCo")
    owner = sign_in(client)
    headers, token = csrf_of(client, "/dashboard", owner)
    post_form(
        client,
        "/dashboard/invite",
        headers,
        {"csrf_token": token, "email": "eve@other.example", "role": "member"},
    )
    found = INVITE_LINK.search([m for m in mails() if m["to"] == "eve@other.example"][-1]["text"])
    assert found
    page = client.http.get(found.group(1))
    csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert csrf_token
    refused = post_form(client, found.group(1), csrf_cookie, {"csrf_token": csrf_token.group(1)})
    assert refused.status_code == 409
    assert not any(c.startswith("session=") for c in cookies_of(refused))


def test_briefs_posted_before_accounts_join_the_organisation_at_sign_in_and_show_receipts(
    money: Money,
) -> None:
    from chalicelib.adapters.store import get_store

    client = money.client
    brief_id, token = put_brief()  # stored as before organisations existed
    get_store().set_fields(
        f"BRIEF#{brief_id}",
        "BRIEF",
        {"gsi1pk": f"EMPLOYER#{DANA}", "gsi1sk": f"BRIEF#x#{brief_id}"},
    )
    intent = money.pay(brief_id, token)

    cookie = sign_in(client)
    me = client.http.get("/api/me", headers={"Cookie": cookie}).json_body
    assert me["organisation"]["name"] == "FreshBox" and me["roles"] == ["owner"]
    html = client.http.get("/dashboard", headers={"Cookie": cookie}).body.decode()
    assert brief_id in html
    assert "USD 600.00" in html  # committed: the ledger's funded figure
    receipts = client.http.get(f"/dashboard/briefs/{brief_id}/receipts", headers={"Cookie": cookie})
    assert receipts.status_code == 200
    [charge] = [c for c in money.sandbox.state()["charges"] if c["payment_intent"] == intent]
    assert charge["receipt_url"] and charge["receipt_url"] in receipts.body.decode()
    # Another organisation's person gets the same answer as for an unknown brief.
    stranger = sign_in(client, "eve@other.example")
    theirs = client.http.get(f"/dashboard/briefs/{brief_id}/receipts", headers={"Cookie": stranger})
    unknown = client.http.get("/dashboard/briefs/b_nope/receipts", headers={"Cookie": stranger})
    assert theirs.status_code == unknown.status_code == 404

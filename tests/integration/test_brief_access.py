"""Sessions and API keys open briefs (issue 14): a signed-in member of the brief's organisation,
or an API key of it, opens and acts on the brief without its manage token; a manage link keeps
opening its one brief and signs nobody in; a session or key of another organisation gets, at
every brief route (HTML and JSON), exactly the answer of an unknown id."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import confirm_addresses, without_nonce
from tests.integration.conftest import post_form
from tests.integration.test_accounts import DANA, cookies_of, sign_in
from tests.integration.test_organisations import csrf_of, post_brief

EVE = "eve@other.example"
UNKNOWN = "b_00000000000000000000"
HTML_GETS = ("/briefs/{id}", "/briefs/{id}/fund", "/briefs/{id}/deliveries/1/file")
HTML_POSTS = ("review", "cancel", "extend", "rate", "resend-confirmation", "revoke-links")
JSON_GETS = ("/api/briefs/{id}",)
JSON_POSTS = (
    "/api/briefs/{id}/fund",
    "/api/briefs/{id}/review",
    "/api/briefs/{id}/cancel",
    "/api/briefs/{id}/extend",
    "/api/briefs/{id}/rate",
    "/api/briefs/{id}/resend-confirmation",
    "/api/briefs/{id}/revoke-links",
)


@pytest.fixture
def two_organisations(client: Any) -> dict[str, Any]:
    confirm_addresses(DANA, EVE)
    dana_brief = post_brief(client)
    eve_brief = post_brief(client, EVE, company="OtherCo")
    dana, eve = sign_in(client), sign_in(client, EVE)
    made = client.http.post(
        "/api/keys",
        headers={"Cookie": eve, "Content-Type": "application/json"},
        body=json.dumps({"name": "OtherCo HR"}),
    )
    assert made.status_code == 201, made.body
    return {
        "dana_brief": dana_brief,
        "eve_brief": eve_brief,
        "dana": dana,
        "eve": eve,
        "eve_key": made.json_body["key"],
    }


def same(body: bytes, brief_id: str) -> bytes:
    """A page without its nonce and with the id it was asked for blanked (a back link names
    it), to compare two answers."""
    return without_nonce(body).replace(brief_id.encode(), b"<id>")


def answers(client: Any, brief_id: str, headers: dict[str, str]) -> list[tuple[str, int, bytes]]:
    """Every brief route's answer for `brief_id` with these credentials."""
    out = []
    for path in HTML_GETS + JSON_GETS:
        response = client.http.get(path.format(id=brief_id), headers=headers)
        out.append((path, response.status_code, same(response.body, brief_id)))
    for path in JSON_POSTS:
        response = client.http.post(
            path.format(id=brief_id),
            headers={**headers, "Content-Type": "application/json"},
            body=json.dumps({"decision": "approve", "comment": "", "score": 5}),
        )
        out.append((path, response.status_code, same(response.body, brief_id)))
    return out


def form_answers(client: Any, brief_id: str, cookie: str) -> list[tuple[str, int, bytes]]:
    headers, token = csrf_of(client, "/signin", cookie)
    out = []
    for action in HTML_POSTS:
        response = post_form(
            client,
            f"/briefs/{brief_id}/{action}",
            headers,
            {"csrf_token": token, "decision": "approve", "confirmed": "yes", "key": ""},
        )
        out.append((action, response.status_code, same(response.body, brief_id)))
    return out


def test_another_organisations_session_or_key_gets_the_unknown_id_answer_everywhere(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    from chalicelib.adapters.store import get_store

    theirs = two_organisations["dana_brief"]["brief_id"]
    before = get_store().query(f"BRIEF#{theirs}", consistent=True)
    for headers in (
        {"Cookie": two_organisations["eve"]},
        {"Authorization": f"Bearer {two_organisations['eve_key']}"},
    ):
        foreign, unknown = answers(client, theirs, headers), answers(client, UNKNOWN, headers)
        for (path, status, body), (_, unknown_status, unknown_body) in zip(
            foreign, unknown, strict=True
        ):
            assert status == unknown_status == 404, (path, headers)
            assert body == unknown_body, path
    foreign = form_answers(client, theirs, two_organisations["eve"])
    unknown = form_answers(client, UNKNOWN, two_organisations["eve"])
    for (action, status, body), (_, unknown_status, unknown_body) in zip(
        foreign, unknown, strict=True
    ):
        assert status == unknown_status, action
        assert status in (401, 403, 404), action
        assert body == unknown_body, action
    # Nothing changed on the other organisation's brief.
    after = get_store().query(f"BRIEF#{theirs}", consistent=True)
    assert [i["sk"] for i in after] == [i["sk"] for i in before]


def test_a_member_and_a_key_open_their_organisations_brief_without_a_manage_token(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    ours = two_organisations["eve_brief"]["brief_id"]
    for headers in (
        {"Cookie": two_organisations["eve"]},
        {"Authorization": f"Bearer {two_organisations['eve_key']}"},
    ):
        view = client.http.get(f"/api/briefs/{ours}", headers=headers)
        assert view.status_code == 200 and view.json_body["brief_id"] == ours
        # An action the state does not allow: 409 (the credentials were accepted).
        refused = client.http.post(
            f"/api/briefs/{ours}/review",
            headers={**headers, "Content-Type": "application/json"},
            body=json.dumps({"decision": "approve"}),
        )
        assert refused.status_code == 409, refused.body
    page = client.http.get(f"/briefs/{ours}", headers={"Cookie": two_organisations["eve"]})
    html = page.body.decode()
    assert page.status_code == 200 and "OtherCo" in html
    assert 'name="key" value="None"' not in html and "Back to your dashboard" in html
    # The HTML form acts with the session: approve asks to confirm first.
    headers, token = csrf_of(client, f"/briefs/{ours}", two_organisations["eve"])
    asked = post_form(
        client,
        f"/briefs/{ours}/review",
        headers,
        {"csrf_token": token, "decision": "approve", "key": ""},
    )
    assert asked.status_code == 200 and "Approve the delivery?" in asked.body.decode()


def test_a_cross_site_json_write_with_the_session_cookie_alone_is_refused(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    ours = two_organisations["eve_brief"]["brief_id"]
    refused = client.http.post(
        f"/api/briefs/{ours}/cancel",
        headers={
            "Cookie": two_organisations["eve"],
            "Content-Type": "text/plain",
            "Origin": "https://evil.example",
        },
        body="{}",
    )
    assert refused.status_code == 403
    assert (
        client.http.get(
            f"/api/briefs/{ours}", headers={"Cookie": two_organisations["eve"]}
        ).json_body["status"]
        != "CANCELLED"
    )


def test_a_manage_link_opens_its_one_brief_and_signs_nobody_in(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    dana_brief, eve_brief = two_organisations["dana_brief"], two_organisations["eve_brief"]
    page = client.http.get(f"/briefs/{dana_brief['brief_id']}?key={dana_brief['manage_token']}")
    assert page.status_code == 200
    assert not any(c.startswith("session=") for c in cookies_of(page))
    other = client.http.get(f"/briefs/{eve_brief['brief_id']}?key={dana_brief['manage_token']}")
    assert other.status_code == 403
    assert client.http.get("/dashboard").status_code == 303
    assert client.http.get("/api/me/briefs").status_code == 401


def test_api_keys_are_shown_once_listed_and_revoked(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    from chalicelib.adapters.store import get_store

    eve, key = two_organisations["eve"], two_organisations["eve_key"]
    assert key.startswith("mik_") and len(key) >= 47
    me = client.http.get("/api/me", headers={"Cookie": eve}).json_body
    organisation_id = me["organisation"]["organisation_id"]
    [item] = get_store().query(f"ORG#{organisation_id}", "APIKEY#")
    assert key not in json.dumps(item, default=str)
    listed = client.http.get("/api/keys", headers={"Cookie": eve}).json_body["keys"]
    assert [k["name"] for k in listed] == ["OtherCo HR"] and "key" not in listed[0]
    key_id = listed[0]["key_id"]
    # Another organisation cannot revoke it, nor see it.
    dana = two_organisations["dana"]
    assert client.http.delete(f"/api/keys/{key_id}", headers={"Cookie": dana}).status_code == 404
    assert client.http.get("/api/keys", headers={"Cookie": dana}).json_body == {"keys": []}

    gone = client.http.delete(f"/api/keys/{key_id}", headers={"Cookie": eve})
    assert gone.status_code == 200 and gone.json_body == {"key_id": key_id, "revoked": True}
    brief_id = two_organisations["eve_brief"]["brief_id"]
    after = client.http.get(f"/api/briefs/{brief_id}", headers={"Authorization": f"Bearer {key}"})
    assert after.status_code == 403
    assert (
        client.http.post(
            "/api/keys", headers={"Content-Type": "application/json"}, body="{}"
        ).status_code
        == 401
    )


def test_the_dashboard_creates_a_key_shown_once_and_revokes_it(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    eve = two_organisations["eve"]
    headers, token = csrf_of(client, "/dashboard", eve)
    made = post_form(client, "/dashboard/keys", headers, {"csrf_token": token, "name": "CI"})
    assert made.status_code == 200
    key = re.search(r'id="api-key">(mik_[A-Za-z0-9_\-]+)<', made.body.decode())
    assert key
    dashboard = client.http.get("/dashboard", headers={"Cookie": eve}).body.decode()
    assert "CI" in dashboard and key.group(1) not in dashboard
    key_id = next(
        k["key_id"]
        for k in client.http.get("/api/keys", headers={"Cookie": eve}).json_body["keys"]
        if k["name"] == "CI"
    )
    revoked = post_form(client, f"/dashboard/keys/{key_id}/revoke", headers, {"csrf_token": token})
    assert (
        revoked.status_code == 303
        and revoked.headers["Location"] == "/dashboard?notice=key_revoked"
    )
    shown = client.http.get(revoked.headers["Location"], headers={"Cookie": eve}).body.decode()
    assert "API key revoked" in shown


def test_an_emailed_manage_link_lands_on_the_signed_in_page_when_a_session_exists(
    client: Any, two_organisations: dict[str, Any]
) -> None:
    """Issue 14: "emails link to the signed-in page when a session exists" — the manage link
    in an email, opened where the brief's organisation is signed in, sends the browser to the
    page without the key; anywhere else (signed out, another organisation) it works as ever."""
    ours = two_organisations["eve_brief"]
    link = f"/briefs/{ours['brief_id']}?key={ours['manage_token']}"

    signed_in = client.http.get(link, headers={"Cookie": two_organisations["eve"]})
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == f"/briefs/{ours['brief_id']}"
    signed_out = client.http.get(link)
    assert signed_out.status_code == 200 and "OtherCo" in signed_out.body.decode()
    elsewhere = client.http.get(link, headers={"Cookie": two_organisations["dana"]})
    assert elsewhere.status_code == 200 and "OtherCo" in elsewhere.body.decode()

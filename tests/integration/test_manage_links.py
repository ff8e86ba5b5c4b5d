"""The employer's manage links expire (renewed by every email) and can be revoked.

Given/When/Then against moto and chalice's client; time moves by replacing the clock.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import load_event, without_nonce
from tests.integration.conftest import post_form, sent_emails

DAY = 24 * 3600


def submit(client: Any, **fields: Any) -> dict[str, str]:
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief", **fields)),
    )
    assert response.status_code == 201
    body: dict[str, str] = response.json_body
    return body


def api(client: Any, brief_id: str, token: str) -> Any:
    return client.http.get(f"/api/briefs/{brief_id}", headers={"Authorization": f"Bearer {token}"})


def page(client: Any, brief_id: str, token: str) -> Any:
    return client.http.get(f"/briefs/{brief_id}?key={token}")


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Set the app's clock `seconds` ahead of the real time (not of the clock set before)."""
    from chalicelib.adapters import clock

    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    monkeypatch.setattr(clock, "now", lambda: moment)


def emailed_link(brief_id: str) -> str:
    """The manage token of the latest email about `brief_id`."""
    raw = sent_emails()[-1].raw_data.replace("=\n", "").replace("=3D", "=")
    urls = re.findall(rf"https?://\S*/briefs/{brief_id}\?key=[\w-]+", raw)
    assert urls, "the email carries no manage link"
    return parse_qs(urlsplit(urls[-1]).query)["key"][0]


def send_confirmation(brief_id: str) -> str:
    """The workflow's confirmation email (announce.on_submitted), and the token it carries."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import announce

    brief = get_store().get_brief(brief_id)
    assert brief is not None
    announce.on_submitted(brief)
    return emailed_link(brief_id)


# -- expiry -----------------------------------------------------------------------------------


def test_a_manage_token_expires_after_the_configured_lifetime(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANAGE_LINK_LIFETIME_SECONDS", str(3 * DAY))
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    brief = submit(client)
    brief_id, token = brief["brief_id"], brief["manage_token"]

    later(monkeypatch, 3 * DAY - 60)
    assert api(client, brief_id, token).status_code == 200
    assert page(client, brief_id, token).status_code == 200

    later(monkeypatch, 3 * DAY + 1)
    assert api(client, brief_id, token).status_code == 403
    assert page(client, brief_id, token).status_code == 403


def test_the_production_lifetime_is_thirty_days(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    brief = submit(client)

    later(monkeypatch, 30 * DAY - 60)
    assert api(client, brief["brief_id"], brief["manage_token"]).status_code == 200
    later(monkeypatch, 30 * DAY + 1)
    assert api(client, brief["brief_id"], brief["manage_token"]).status_code == 403


def test_an_expired_link_is_answered_like_a_wrong_one_and_shows_nothing_of_the_brief(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    brief = submit(client, title="Pricing study for FreshBox meal kits")
    brief_id, token = brief["brief_id"], brief["manage_token"]
    later(monkeypatch, 31 * DAY)

    expired, wrong = api(client, brief_id, token), api(client, brief_id, "x" * 43)
    assert (expired.status_code, expired.json_body) == (wrong.status_code, wrong.json_body)
    message = expired.json_body["errors"][0]["message"]
    assert "most recent link we emailed you" in message

    expired_page, wrong_page = page(client, brief_id, token), page(client, brief_id, "x" * 43)
    assert expired_page.status_code == wrong_page.status_code == 403
    assert without_nonce(expired_page.body) == without_nonce(wrong_page.body)
    html = expired_page.body.decode()
    assert "most recent link we emailed you" in html
    assert "Pricing study" not in html and brief_id not in html
    assert expired_page.headers["Cache-Control"] == "no-store"


def test_every_email_carries_a_fresh_link_that_outlives_the_first(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    brief = submit(client)
    brief_id, first = brief["brief_id"], brief["manage_token"]

    later(monkeypatch, 20 * DAY)
    emailed = send_confirmation(brief_id)
    assert emailed != first
    later(monkeypatch, 40 * DAY)  # 40 days after submission, 20 after the email

    assert api(client, brief_id, first).status_code == 403
    assert api(client, brief_id, emailed).status_code == 200
    assert page(client, brief_id, emailed).status_code == 200


def test_a_link_stored_before_expiry_counts_as_issued_when_the_brief_was_created(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import clock, tokens
    from chalicelib.adapters.store import get_store

    store = get_store()
    old_token, old_hash = tokens.new_token()
    older_token, older_hash = tokens.new_token()
    brief_id = submit(client)["brief_id"]
    created = clock.iso(clock.now() - timedelta(days=29))
    store.update_brief(
        brief_id,
        {
            "created_at": created,
            "manage_token_hash": old_hash,
            "manage_token_hashes": {older_hash},
        },
    )

    assert api(client, brief_id, old_token).status_code == 200
    assert api(client, brief_id, older_token).status_code == 200
    later(monkeypatch, DAY)
    assert api(client, brief_id, old_token).status_code == 403
    assert api(client, brief_id, older_token).status_code == 403


# -- revocation -------------------------------------------------------------------------------


def test_revoking_leaves_only_the_link_in_hand_and_later_emails_working(client: Any) -> None:
    from chalicelib.services import access

    brief = submit(client)
    brief_id, mine = brief["brief_id"], brief["manage_token"]
    forwarded = send_confirmation(brief_id)
    assert api(client, brief_id, forwarded).status_code == 200

    response = client.http.post(
        f"/api/briefs/{brief_id}/revoke-links",
        headers={"Authorization": f"Bearer {mine}", "Content-Type": "application/json"},
        body="{}",
    )

    assert response.status_code == 200
    assert response.json_body["revoked_links"] == 1
    assert api(client, brief_id, forwarded).status_code == 403
    assert page(client, brief_id, forwarded).status_code == 403
    assert api(client, brief_id, mine).status_code == 200
    fresh = parse_qs(urlsplit(access.issue_manage_link(brief_id)).query)["key"][0]
    assert api(client, brief_id, fresh).status_code == 200
    timeline = api(client, brief_id, mine).json_body["timeline"]
    assert any("revoked" in e["detail"] for e in timeline)


def test_revoking_keeps_the_link_its_own_expiry(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    brief = submit(client)
    brief_id, mine = brief["brief_id"], brief["manage_token"]
    later(monkeypatch, 10 * DAY)
    headers = {"Authorization": f"Bearer {mine}", "Content-Type": "application/json"}

    response = client.http.post(f"/api/briefs/{brief_id}/revoke-links", headers=headers, body="")

    assert response.status_code == 200
    kept_until = datetime.fromisoformat(response.json_body["link_expires_at"])
    # Still the expiry it was issued with (30 days from submission), not a new lifetime.
    assert timedelta(days=29) < kept_until - datetime.now(UTC) <= timedelta(days=30)
    later(monkeypatch, 30 * DAY + 1)
    assert api(client, brief_id, mine).status_code == 403


def test_revoking_with_an_old_style_link_keeps_it_and_drops_the_others(client: Any) -> None:
    from chalicelib.adapters import tokens
    from chalicelib.adapters.store import get_store

    brief = submit(client)
    brief_id, issued = brief["brief_id"], brief["manage_token"]
    legacy, legacy_hash = tokens.new_token()
    other, other_hash = tokens.new_token()
    get_store().update_brief(
        brief_id, {"manage_token_hash": legacy_hash, "manage_token_hashes": {other_hash}}
    )
    headers = {"Authorization": f"Bearer {legacy}"}

    response = client.http.post(f"/api/briefs/{brief_id}/revoke-links", headers=headers)

    assert response.status_code == 200
    assert response.json_body["revoked_links"] == 2
    assert api(client, brief_id, legacy).status_code == 200
    assert api(client, brief_id, other).status_code == 403
    assert api(client, brief_id, issued).status_code == 403


def test_only_a_working_link_may_revoke(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    brief = submit(client)
    brief_id, mine = brief["brief_id"], brief["manage_token"]
    theirs = submit(client, employer_email="sam@other.example")["manage_token"]
    url = f"/api/briefs/{brief_id}/revoke-links"

    assert client.http.post(url).status_code == 401
    assert client.http.post(url, headers={"Authorization": f"Bearer {theirs}"}).status_code == 403
    later(monkeypatch, 31 * DAY)
    assert client.http.post(url, headers={"Authorization": f"Bearer {mine}"}).status_code == 403
    monkeypatch.undo()
    assert api(client, brief_id, mine).status_code == 200


def test_the_brief_page_revokes_other_links_with_its_form(client: Any) -> None:
    brief = submit(client)
    brief_id, mine = brief["brief_id"], brief["manage_token"]
    forwarded = send_confirmation(brief_id)
    cookie, csrf_token, _ = open_brief_page(client, brief_id, mine)
    action = f"/briefs/{brief_id}/revoke-links"

    forged = post_form(client, action, cookie, {"csrf_token": "forged", "key": mine})
    assert forged.status_code == 403
    assert api(client, brief_id, forwarded).status_code == 200

    done = post_form(client, action, cookie, {"csrf_token": csrf_token, "key": mine})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/briefs/{brief_id}?key={mine}")
    assert api(client, brief_id, forwarded).status_code == 403
    assert page(client, brief_id, mine).status_code == 200


def test_the_brief_page_says_until_when_its_link_works(client: Any) -> None:
    brief = submit(client)

    html = page(client, brief["brief_id"], brief["manage_token"]).body.decode()

    assert "This link works until" in html
    assert "Revoke all other links" in html


def test_opening_pages_changes_no_link(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.adapters.store import get_store

    brief = submit(client)
    brief_id, token = brief["brief_id"], brief["manage_token"]
    before = get_store().query(f"BRIEF#{brief_id}")

    page(client, brief_id, token)
    api(client, brief_id, token)
    later(monkeypatch, 31 * DAY)
    page(client, brief_id, token)

    assert get_store().query(f"BRIEF#{brief_id}") == before


def open_brief_page(client: Any, brief_id: str, token: str) -> tuple[str, str, str]:
    """(CSRF cookie, CSRF token, "") of the brief page (it has no nonce field to read)."""
    response = client.http.get(f"/briefs/{brief_id}?key={token}")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"].split(";")[0]
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.body.decode())
    assert found
    return cookie, found.group(1), ""

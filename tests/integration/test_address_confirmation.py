"""The first email to a typed address is a confirmation (issue 12, finding 6).

A brief or a registration naming an address nobody has confirmed is stored but waits: the
address gets one email, a confirmation link with none of the sender's text; no execution
starts and no intern is offered anything. The link's GET changes nothing; its button (POST,
CSRF) confirms once and starts what waited. Against moto and chalice's client; the twins run
the same flow through the emailed link (tests/e2e/test_address_confirmation_twin.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest

from tests.helpers import confirm_addresses, load_event
from tests.integration.conftest import post_form
from tests.integration.test_interns_api import intern, mails

STRANGER = "victim@inbox.example"
CONFIRM_LINK = re.compile(r"http://testserver(/confirm/[A-Za-z0-9_\-]{43,})")
POSTER_TEXT = ("meal-kit", "Dana", "FreshBox", "HelloFresh", "Comparison spreadsheet")


def post_brief(client: Any, email: str = STRANGER, **overrides: Any) -> dict[str, Any]:
    body = load_event("brief", employer_email=email, **overrides)
    response = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    assert response.status_code == 201, response.body
    return dict(response.json_body)


def executions(aws_env: dict[str, str]) -> list[str]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    runs = sfn.list_executions(stateMachineArn=aws_env["STATE_MACHINE_ARN"])["executions"]
    return sorted(run["name"] for run in runs)


def view(client: Any, brief: dict[str, Any]) -> dict[str, Any]:
    response = client.http.get(
        f"/api/briefs/{brief['brief_id']}",
        headers={"Authorization": f"Bearer {brief['manage_token']}"},
    )
    assert response.status_code == 200
    return dict(response.json_body)


def link_in(mail: dict[str, Any]) -> str:
    found = CONFIRM_LINK.search(mail["text"])
    assert found, mail["text"]
    return found.group(1)


def press(client: Any, path: str) -> Any:
    """Open the confirmation link like a browser and press its button."""
    page = client.http.get(path)
    assert page.status_code == 200, page.body
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    return post_form(client, path, cookie, {"csrf_token": token.group(1)})


def confirmed(address: str) -> bool:
    from chalicelib.adapters import address_confirmations

    return address_confirmations.is_confirmed(address)


def seeded_intern(skill: str = "Excel") -> str:
    """A returning intern (address confirmed, matchable) who shares the brief's skills."""
    from chalicelib.services.intern_signup import register_intern

    confirm_addresses("ida@uni.example")
    body = intern(name="Ida", email="ida@uni.example", skills=[skill, "market research"])
    return str(register_intern(body)["intern_id"])


# -- a brief from an unconfirmed address -----------------------------------------------------


def test_an_unconfirmed_address_gets_one_email_a_confirmation_and_nothing_starts(
    client: Any, aws_env: dict[str, str]
) -> None:
    seeded_intern()

    brief = post_brief(client)

    assert brief["status"] == "SUBMITTED" and brief["confirmation_required"] is True
    assert set(brief) == {
        "brief_id",
        "status",
        "manage_url",
        "manage_token",
        "confirmation_required",
    }
    assert executions(aws_env) == []  # no matching: no offer can reach any intern
    (mail,) = mails()
    assert mail["to"] == STRANGER
    assert mail["subject"] == "Confirm your email address for microintern"
    for part in (mail["subject"], mail["text"], mail["html"]):
        for typed in POSTER_TEXT:
            assert typed not in part
    assert "If this wasn't you, ignore this email. Nothing happens" in mail["text"]
    link_in(mail)
    seen = view(client, brief)
    assert seen["awaiting_confirmation"] is True and seen["status"] == "SUBMITTED"
    assert (
        "Waiting for the employer's email address to be confirmed" in seen["timeline"][-1]["detail"]
    )
    assert not confirmed(STRANGER)


def test_the_links_page_changes_nothing_and_its_button_starts_matching_once(
    client: Any, aws_env: dict[str, str]
) -> None:
    first = post_brief(client)
    second = post_brief(client, title="Another project for the same address")
    path = link_in(mails()[0])

    page = client.http.get(path)
    again = client.http.get(path)  # a mail scanner, then the person: GET changes nothing
    assert page.status_code == again.status_code == 200
    assert b"Confirm my email address" in page.body and b"meal-kit" not in page.body
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert executions(aws_env) == [] and not confirmed(STRANGER)

    done = press(client, path)

    assert done.status_code == 200 and b"confirmed" in done.body
    assert confirmed(STRANGER)
    # Both waiting briefs of the address start, each once (the execution is named by it).
    assert executions(aws_env) == sorted([first["brief_id"], second["brief_id"]])
    for brief in (first, second):
        seen = view(client, brief)
        assert seen["awaiting_confirmation"] is False
        assert seen["timeline"][-1]["detail"] == "Email address confirmed; matching starts"

    double = press(client, link_in(mails()[1]))  # the other email's link: already confirmed,
    cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert csrf
    replay = post_form(client, path, cookie, {"csrf_token": csrf.group(1)})  # pressed again
    assert double.status_code == 200  # a valid link of a confirmed address: nothing to start
    assert replay.status_code == 409 and b"already used" in replay.body
    assert client.http.get(path).status_code == 409
    assert len(executions(aws_env)) == 2

    later = post_brief(client)  # the address is confirmed now: as before confirmation existed
    assert later["confirmation_required"] is False
    assert len(executions(aws_env)) == 3 and len(mails()) == 2


def test_unknown_used_and_expired_links_answer_clearly_and_change_nothing(
    client: Any, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from chalicelib.adapters import clock

    post_brief(client)
    path = link_in(mails()[0])

    unknown = client.http.get("/confirm/" + "x" * 43)
    assert unknown.status_code == 404 and b"not valid" in unknown.body
    page = client.http.get(path)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    forged = post_form(client, path, cookie, {"csrf_token": "forged"})
    assert forged.status_code == 403
    unknown_post = post_form(client, "/confirm/" + "x" * 43, cookie, {"csrf_token": token.group(1)})
    assert unknown_post.status_code == 404

    real_now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: real_now + timedelta(hours=72, seconds=1))
    expired = post_form(client, path, cookie, {"csrf_token": token.group(1)})
    assert expired.status_code == 410 and b"expired" in expired.body
    assert client.http.get(path).status_code == 410

    assert executions(aws_env) == [] and not confirmed(STRANGER)
    assert len(mails()) == 1


def test_a_waiting_brief_page_says_so_resends_within_the_limit_and_can_be_cancelled(
    client: Any, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS_PER_HOUR", "2")
    get_settings.cache_clear()
    brief = post_brief(client)  # counted against the address by the route's limit: 1 of 2
    url = f"/briefs/{brief['brief_id']}?key={brief['manage_token']}"

    page = client.http.get(url)
    assert page.status_code == 200
    assert b"Waiting for you to confirm your email address" in page.body
    assert b"Send the confirmation again" in page.body
    cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert csrf
    fields = {"csrf_token": csrf.group(1), "key": brief["manage_token"]}
    resend = f"/briefs/{brief['brief_id']}/resend-confirmation"

    assert post_form(client, resend, cookie, fields).status_code == 303  # 2 of 2
    assert [m["subject"] for m in mails()] == ["Confirm your email address for microintern"] * 2
    assert link_in(mails()[0]) != link_in(mails()[1])
    refused = post_form(client, resend, cookie, fields)
    assert refused.status_code == 429 and len(mails()) == 2

    cancel = f"/briefs/{brief['brief_id']}/cancel"
    asked = post_form(client, cancel, cookie, fields)  # the page's "are you sure?" first
    assert asked.status_code == 200 and b"Yes, cancel the project" in asked.body
    assert view(client, brief)["status"] == "SUBMITTED"
    cancelled = post_form(client, cancel, cookie, {**fields, "confirmed": "yes"})
    assert cancelled.status_code == 303
    assert view(client, brief)["status"] == "CANCELLED"
    assert len(mails()) == 2  # no "cancelled" email to an address nobody confirmed

    assert press(client, link_in(mails()[1])).status_code == 200  # confirmed, nothing to start
    assert executions(aws_env) == [] and view(client, brief)["status"] == "CANCELLED"


def test_resending_for_a_confirmed_brief_is_refused(client: Any, returning_employer: str) -> None:
    brief = post_brief(client, returning_employer)

    response = client.http.post(
        f"/api/briefs/{brief['brief_id']}/resend-confirmation",
        headers={"Authorization": f"Bearer {brief['manage_token']}"},
    )

    assert brief["confirmation_required"] is False
    assert response.status_code == 409
    assert mails() == []  # the workflow, not the API, sends the brief's first email


# -- an intern registering with an unconfirmed address -----------------------------------------


def test_an_unconfirmed_intern_is_not_matchable_until_confirmed(
    client: Any, aws_env: dict[str, str], returning_employer: str
) -> None:
    from chalicelib.services import steps
    from chalicelib.services.interns import candidates_for

    response = client.http.post(
        "/api/interns",
        headers={"Content-Type": "application/json"},
        body=json.dumps(intern(skills=["Excel"], bio="I love spreadsheets and market research.")),
    )
    assert response.status_code == 201
    body = response.json_body
    assert body["onboarding_url"].startswith("http")  # the registrant gets it directly
    assert body["confirmation_required"] is True
    (mail,) = mails()
    assert mail["to"] == "ada@example.com" and "Confirm your email" in mail["subject"]
    for typed in ("Ada", "Okafor", "spreadsheets", "excel", "Excel"):
        assert typed not in mail["text"] and typed not in mail["html"]
    assert candidates_for(["Excel"]) == []

    brief = post_brief(client, returning_employer)
    steps.match(steps.StepEvent(brief_id=brief["brief_id"]))
    assert view(client, brief)["shortlist"] == []  # never offered a brief

    assert press(client, link_in(mail)).status_code == 200

    assert [c.intern_id for c in candidates_for(["Excel"])] == [body["intern_id"]]
    welcome = mails()[-1]
    assert welcome["to"] == "ada@example.com" and "Welcome" in welcome["subject"]
    assert "Set up payouts:\nhttp" in welcome["text"]  # a fresh Connect onboarding link
    assert sum("Welcome" in m["subject"] for m in mails()) == 1


def test_a_replayed_submission_waits_once_and_emails_once(
    client: Any, aws_env: dict[str, str]
) -> None:
    def post() -> Any:
        return client.http.post(
            "/api/briefs",
            headers={"Content-Type": "application/json", "Idempotency-Key": "k-wait"},
            body=json.dumps(load_event("brief", employer_email=STRANGER)),
        )

    first, again = post(), post()

    assert first.status_code == again.status_code == 201
    assert first.json_body == again.json_body
    assert first.json_body["confirmation_required"] is True
    assert len(mails()) == 1 and executions(aws_env) == []


def test_the_form_registration_asks_to_confirm_and_keeps_the_onboarding_link(
    client: Any,
) -> None:
    from tests.integration.test_intern_form import form_fields, open_form, submit

    cookie, token, nonce = open_form(client)

    page = submit(client, cookie, form_fields(csrf_token=token, nonce=nonce))

    assert page.status_code == 200
    assert b"First, confirm your email address" in page.body
    assert b"Connect your Stripe account</a>" in page.body
    (mail,) = mails()
    assert "Confirm your email" in mail["subject"]


def test_a_confirmation_that_failed_part_way_is_finished_by_pressing_again(
    client: Any, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import workflow

    brief = post_brief(client)
    path = link_in(mails()[0])
    page = client.http.get(path)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert csrf
    real = workflow.start_engagement

    def refused_once(*args: Any, **kwargs: Any) -> Any:  # Step Functions throttles, once
        monkeypatch.setattr(workflow, "start_engagement", real)
        raise RuntimeError("ThrottlingException: Rate exceeded")

    monkeypatch.setattr(workflow, "start_engagement", refused_once)
    failed = post_form(client, path, cookie, {"csrf_token": csrf.group(1)})
    assert failed.status_code >= 500 and confirmed(STRANGER)  # the link used, nothing started
    assert executions(aws_env) == []

    replay = post_form(client, path, cookie, {"csrf_token": csrf.group(1)})  # pressed again

    assert replay.status_code == 409
    assert executions(aws_env) == [brief["brief_id"]]
    assert view(client, brief)["awaiting_confirmation"] is False

"""The task and brief pages right after an action (issue 13, items 1, 6, 7, 8).

The action resumes the Step Functions execution; the flow's next step writes the new status a
moment later. Here that step never runs (the resume is recorded, not sent): the page the
action redirects to must show the action as done anyway, not the old state and its form.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import load_event
from tests.integration.conftest import post_form


@pytest.fixture
def resumed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Every resume / fail of a wait, recorded (the flow's next step does not run)."""
    from chalicelib.adapters import workflow

    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(workflow, "resume", lambda token, output: calls.append((token, output)))
    monkeypatch.setattr(
        workflow, "fail", lambda token, error, cause="": calls.append((token, error))
    )
    return calls


def engaged(
    client: Any, status: str, wait: str, *, nda_required: bool = True, mine: bool = True
) -> dict[str, str]:
    """A brief in `status` waiting on `wait` for Ada Quill (Europe/Berlin), by the API."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    brief = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief", nda_required=nda_required)),
    ).json_body
    intern = register_intern(
        {
            "name": "Ada Quill",
            "email": "ada@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "Europe/Berlin",
        }
    )
    brief_id, intern_id = brief["brief_id"], intern["intern_id"]
    store = get_store()
    store.update_brief(brief_id, {"status": status, **({"intern_id": intern_id} if mine else {})})
    store.put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "CANDIDATE#00",
            "intern_id": intern_id,
            "offer_status": "accepted" if mine else "offered",
        }
    )
    bound = intern_id if wait in ("offer", "nda") else None
    store.save_task_token(brief_id, wait, f"token-{wait}", "exec", bound)
    link = access.issue_task_link(brief_id, intern_id)
    return {
        "task": link.removeprefix("http://testserver"),
        "brief_id": brief_id,
        "brief": f"/briefs/{brief_id}?key={brief['manage_token']}",
        "key": brief["manage_token"],
        "intern_id": intern_id,
    }


def form_of(client: Any, path: str) -> tuple[str, str]:
    page = client.http.get(path)
    assert page.status_code == 200, page.body
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    return page.headers["Set-Cookie"].split(";")[0], token.group(1)


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(div|section)>', html, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def test_after_signing_the_nda_the_page_shows_it_signed_before_the_flow_moves_on(
    client: Any, resumed: list[Any]
) -> None:
    e = engaged(client, "NDA", "nda")
    cookie, csrf = form_of(client, e["task"])

    signed = post_form(
        client,
        f"{e['task']}/nda",
        cookie,
        {"csrf_token": csrf, "full_name": "Ada Quill", "agree": "yes"},
    )
    assert signed.status_code == 303
    assert resumed  # the flow was resumed; its next step has not run: the brief is still NDA
    page = client.http.get(signed.headers["Location"]).body.decode()

    assert "Sign the NDA</button>" not in page
    assert "You signed the NDA" in text_of(page, "task-state")
    current = re.search(r'<li class="current" aria-current="step">([^<]+)</li>', page)
    assert current and current.group(1) == "Waiting for funding"  # the flow's next step
    assert "NDA to sign — NDA signed" not in page
    assert "NDA signed</b> — NDA signed by Ada Quill" in page

    # Signing again (an old tab): refused, in words, with the way back to the task page.
    again = post_form(
        client,
        f"{e['task']}/nda",
        cookie,
        {"csrf_token": csrf, "full_name": "Ada Quill", "agree": "yes"},
    )
    assert again.status_code == 409
    assert "It has just been done: the next step starts in a moment." in again.body.decode()
    assert f'href="{e["task"]}">Back to your task page</a>' in again.body.decode()


def test_a_refused_action_says_where_things_stand_in_words_with_a_way_back(
    client: Any, resumed: list[Any]
) -> None:
    from chalicelib.adapters.store import get_store

    e = engaged(client, "NDA", "nda")
    cookie, csrf = form_of(client, e["task"])
    get_store().update_brief(e["brief_id"], {"status": "AWAITING_FUNDING"})

    again = post_form(
        client,
        f"{e['task']}/nda",
        cookie,
        {"csrf_token": csrf, "full_name": "Ada Quill", "agree": "yes"},
    )

    html = again.body.decode()
    assert again.status_code == 409
    assert "AWAITING_FUNDING" not in html
    assert "the employer is being asked to fund escrow" in html
    assert f'href="{e["task"]}">Back to your task page</a>' in html


def test_initials_do_not_sign_for_the_registered_name(client: Any, resumed: list[Any]) -> None:
    e = engaged(client, "NDA", "nda")
    cookie, csrf = form_of(client, e["task"])

    initials = post_form(
        client,
        f"{e['task']}/nda",
        cookie,
        {"csrf_token": csrf, "full_name": "A. Q.", "agree": "yes"},
    )
    html = initials.body.decode()
    assert initials.status_code == 422
    assert "Type your full name as you registered it: Ada Quill." in html
    field = re.search(r'<input id="full_name"[^>]*>', html)
    assert field and "autofocus" in field.group(0) and 'aria-invalid="true"' in field.group(0)
    assert "full_name-error" in field.group(0)  # the error is the field's description
    assert not resumed

    spaced = post_form(
        client,
        f"{e['task']}/nda",
        cookie,
        {"csrf_token": csrf, "full_name": "  ada   QUILL ", "agree": "yes"},
    )
    assert spaced.status_code == 303 and resumed


def test_the_offer_speaks_to_you_with_the_answer_by_time_in_your_zone(client: Any) -> None:
    e = engaged(client, "OFFERED", "offer", nda_required=False, mine=False)
    from chalicelib.adapters.store import get_store

    candidate = get_store().get(f"BRIEF#{e['brief_id']}", "CANDIDATE#00")
    get_store().put({**(candidate or {}), "offer_status": "offered"})

    html = client.http.get(e["task"]).body.decode()

    state = text_of(html, "task-state")
    assert "Offered to you" in state and "the intern" not in state.lower()
    assert re.search(r"Answer by \w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2} CET", state), state
    flow = re.search(r'<ol class="flow".*?</ol>', html, re.S)
    assert flow and "NDA" not in flow.group(0)  # this brief requires none
    assert " UTC" not in html


def test_your_deliveries_show_the_file_you_uploaded(client: Any) -> None:
    from chalicelib.adapters.store import get_store

    e = engaged(client, "IN_REVIEW", "review")
    get_store().put(
        {
            "pk": f"BRIEF#{e['brief_id']}",
            "sk": "DELIVERY#01",
            "type": "delivery",
            "number": 1,
            "summary": "The deck, first version.",
            "url": None,
            "file_key": f"deliverables/{e['brief_id']}/x/deck.pdf",
            "file_name": "deck.pdf",
            "delivered_at": "2026-11-20T10:00:00.000Z",
        }
    )

    html = client.http.get(e["task"]).body.decode()

    assert "deck.pdf" in html
    assert "Fri 20 Nov 2026, 11:00 CET" in html  # 10:00 UTC, as the intern's zone reads it


def test_approving_and_cancelling_are_confirmed_first(client: Any, resumed: list[Any]) -> None:
    e = engaged(client, "IN_REVIEW", "review")
    cookie, csrf = form_of(client, e["brief"])
    fields = {"csrf_token": csrf, "key": e["key"], "decision": "approve"}

    asked = post_form(client, f"/briefs/{e['brief_id']}/review", cookie, fields)
    assert asked.status_code == 200
    assert "Approve the delivery?" in asked.body.decode()
    assert not resumed  # nothing moved yet
    cancel = post_form(
        client, f"/briefs/{e['brief_id']}/cancel", cookie, {"csrf_token": csrf, "key": e["key"]}
    )
    assert cancel.status_code == 200 and "Cancel the project?" in cancel.body.decode()
    assert not resumed

    done = post_form(
        client, f"/briefs/{e['brief_id']}/review", cookie, {**fields, "confirmed": "yes"}
    )
    assert done.status_code == 303 and resumed
    page = client.http.get(done.headers["Location"]).body.decode()
    assert "You approved the delivery." in text_of(page, "brief-state")
    assert "Approve the delivery</button>" not in page


def test_declining_is_confirmed_first(client: Any, resumed: list[Any]) -> None:
    e = engaged(client, "NDA", "nda")
    cookie, csrf = form_of(client, e["task"])

    asked = post_form(client, f"{e['task']}/decline", cookie, {"csrf_token": csrf})

    assert asked.status_code == 200 and "Decline this project?" in asked.body.decode()
    assert not resumed


def test_the_employer_sees_their_own_change_request(client: Any, resumed: list[Any]) -> None:
    e = engaged(client, "IN_REVIEW", "review")
    cookie, csrf = form_of(client, e["brief"])

    asked = post_form(
        client,
        f"/briefs/{e['brief_id']}/review",
        cookie,
        {
            "csrf_token": csrf,
            "key": e["key"],
            "decision": "request_changes",
            "comment": "Please add the sources slide.",
        },
    )

    assert asked.status_code == 303
    page = client.http.get(asked.headers["Location"]).body.decode()
    assert "Please add the sources slide." in page
    assert "You asked for changes" in text_of(page, "brief-state")


def test_ratings_say_who_rated_whom_in_words(client: Any) -> None:
    from chalicelib.adapters.store import get_store

    e = engaged(client, "COMPLETED", "review")
    for party, score in (("employer", 4), ("intern", 5)):
        get_store().put(
            {
                "pk": f"BRIEF#{e['brief_id']}",
                "sk": f"RATING#{party}",
                "party": party,
                "score": score,
                "text": "Good work",
            }
        )

    employer = client.http.get(e["brief"]).body.decode()
    intern = client.http.get(e["task"]).body.decode()

    assert "Your rating of the intern:" in employer and 'aria-label="4 out of 5 stars"' in employer
    assert "The intern’s rating of you:" in employer
    assert "Your rating of the employer:" in intern and 'aria-label="5 out of 5 stars"' in intern


def test_back_from_stripe_onboarding_the_page_says_payouts_are_ready(client: Any) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services.intern_signup import register_intern

    intern = register_intern(
        {
            "name": "Ada Quill",
            "email": "ada2@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )
    profile = get_store().get(f"INTERN#{intern['intern_id']}", "PROFILE") or {}
    account = str(profile["stripe_account_id"])
    get_store().set_fields(f"INTERN#{intern['intern_id']}", "PROFILE", {"payout_ready": True})
    back = f"/interns/new?registered=1&intern={intern['intern_id']}&account={account}"

    ready = client.http.get(back).body.decode()
    foreign = client.http.get(back.replace(account, "acct_someone_else")).body.decode()

    assert "Your Stripe account is connected" in ready and "Payouts are ready" in ready
    assert "Connect Stripe to get paid" not in ready
    assert "Your Stripe account is connected" not in foreign

"""Sealed brief details (issue 15a): the confidential part of a brief reaches only the engaged
intern, after the NDA (or at once without one), while the engagement runs; every read is on
the employer's timeline; nothing else — the brief item matching reads, GET /api/briefs, the
shortlist, the offer email and page — carries it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import confirm_addresses, load_event
from tests.integration.conftest import open_form, page_form, post_form

SECRET = "The client is Globex; their churn is 14% (do not share)."


def engaged(client: Any, *, status: str, nda_required: bool = True, **extra: Any) -> dict[str, str]:
    """A brief with sealed details, its intern engaged in `status`: tokens and ids."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    confirm_addresses("dana@freshbox.example", "ida@uni.example")
    body = load_event("brief", nda_required=nda_required, confidential_details=SECRET, **extra)
    brief = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    assert brief.status_code == 201, brief.body
    intern = register_intern(
        {
            "name": "Ida",
            "email": "ida@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )
    brief_id = brief.json_body["brief_id"]
    get_store().update_brief(brief_id, {"status": status, "intern_id": intern["intern_id"]})
    link = access.issue_task_link(brief_id, intern["intern_id"])
    return {
        "token": link.rsplit("/", 1)[-1],
        "brief_id": brief_id,
        "manage": brief.json_body["manage_token"],
        "intern_id": intern["intern_id"],
    }


def sign(task: dict[str, str]) -> None:
    """The intern's NDA signature, as sign_nda records it."""
    from chalicelib.adapters.store import get_store

    get_store().put(
        {
            "pk": f"BRIEF#{task['brief_id']}",
            "sk": f"NDA#{task['intern_id']}",
            "full_name": "Ida",
            "signed_at": "2026-11-26T09:00:00.000Z",
            "text_sha256": "0" * 64,
        }
    )
    get_store().update_brief(task["brief_id"], {"status": "AWAITING_FUNDING"})


def summary(client: Any, token: str) -> Any:
    return client.http.get(f"/api/tasks/{token}")


def views(client: Any, task: dict[str, str]) -> list[str]:
    return [d for d in timeline(client, task) if "viewed the confidential details" in d]


def timeline(client: Any, task: dict[str, str]) -> list[str]:
    view = client.http.get(
        f"/api/briefs/{task['brief_id']}", headers={"Authorization": f"Bearer {task['manage']}"}
    ).json_body
    return [e["detail"] for e in view["timeline"]]


# -- intake ------------------------------------------------------------------------------------


def test_the_details_are_validated_and_kept_off_the_brief(client: Any) -> None:
    from chalicelib.adapters.store import get_store

    confirm_addresses("dana@freshbox.example")
    long = load_event("brief", confidential_details="x" * 20_001)
    answer = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(long)
    )
    assert answer.status_code == 422
    assert answer.json_body["errors"][0]["field"] == "confidential_details"
    assert "at most 20,000 characters" in answer.json_body["errors"][0]["message"]

    task = engaged(client, status="NDA")
    brief = get_store().get_brief(task["brief_id"])
    assert brief is not None
    assert SECRET not in json.dumps(brief)  # matching, the offer and the shortlist read this
    view = client.http.get(
        f"/api/briefs/{task['brief_id']}", headers={"Authorization": f"Bearer {task['manage']}"}
    )
    assert SECRET not in view.body.decode()
    page = client.http.get(f"/briefs/{task['brief_id']}?key={task['manage']}").body.decode()
    assert "The client is Globex" in page  # the employer sees their own


def test_the_form_takes_the_details_with_help_and_a_validation_message(client: Any) -> None:
    confirm_addresses("dana@freshbox.example")
    cookie, token, nonce = open_form(client, "/briefs/new")
    form = client.http.get("/briefs/new").body.decode()
    assert 'name="confidential_details"' in form and "only the intern who takes" in form
    event = load_event("brief")
    fields = {
        "csrf_token": token,
        "nonce": nonce,
        "title": event["title"],
        "description": event["description"],
        "deliverables": "\n".join(event["deliverables"]),
        "skills": ", ".join(event["skills"]),
        "estimated_hours": str(event["estimated_hours"]),
        "budget": str(event["budget_cents"] // 100),
        "deadline": event["deadline"],
        "nda_required": "yes",
        "employer_name": event["employer_name"],
        "employer_email": event["employer_email"],
        "company": event["company"],
        "confidential_details": "y" * 20_001,
    }
    refused = post_form(client, "/briefs", cookie, fields)
    assert refused.status_code == 422
    assert "Confidential details must be at most 20,000 characters" in refused.body.decode()
    accepted = post_form(client, "/briefs", cookie, {**fields, "confidential_details": SECRET})
    assert accepted.status_code == 303, accepted.body


# -- who sees them, when -------------------------------------------------------------------------


def test_hidden_before_the_nda_shown_after_and_every_view_recorded(client: Any) -> None:
    task = engaged(client, status="NDA")
    before = summary(client, task["token"])
    assert before.status_code == 200
    assert before.json_body["confidential_details"] is None
    assert set(before.json_body) == {
        "brief_id",
        "title",
        "status",
        "pay_cents",
        "confidential_details",
    }
    task_page = client.http.get(f"/tasks/{task['token']}").body.decode()
    assert "Globex" not in task_page and "/confidential" not in task_page
    unknown = client.http.get("/tasks/not-a-real-token/confidential")
    early = client.http.get(f"/tasks/{task['token']}/confidential")
    assert early.status_code == unknown.status_code == 404
    assert not any("confidential details" in d for d in timeline(client, task))

    sign(task)
    after = summary(client, task["token"]).json_body
    assert after["confidential_details"] == SECRET
    # The page's GET shows a button, not the details, and records nothing.
    cookie, csrf, page = page_form(client, f"/tasks/{task['token']}/confidential")
    assert "Show the confidential details" in page and "Globex" not in page
    assert "/confidential" in client.http.get(f"/tasks/{task['token']}").body.decode()
    assert len(views(client, task)) == 1  # the API read only
    show = f"/tasks/{task['token']}/confidential"
    forged = post_form(client, show, cookie, {"csrf_token": "not-the-token"})
    assert forged.status_code == 403 and "Globex" not in forged.body.decode()
    assert len(views(client, task)) == 1
    # The button's POST shows them and records the read.
    shown = post_form(client, show, cookie, {"csrf_token": csrf})
    assert shown.status_code == 200 and "Globex" in shown.body.decode()
    assert shown.headers["Cache-Control"] == "no-store"
    assert len(views(client, task)) == 2  # the API read and the page read
    brief_page = client.http.get(f"/briefs/{task['brief_id']}?key={task['manage']}").body.decode()
    assert "Read by the intern:</b> 2 times" in brief_page
    assert "The intern viewed the confidential details" in brief_page  # on the timeline


def test_without_an_nda_they_open_at_acceptance(client: Any) -> None:
    task = engaged(client, status="AWAITING_FUNDING", nda_required=False)
    assert summary(client, task["token"]).json_body["confidential_details"] == SECRET


@pytest.mark.parametrize("status", ["COMPLETED", "CANCELLED", "REFUNDED"])
def test_access_ends_with_the_engagement(client: Any, status: str) -> None:
    from chalicelib.adapters.store import get_store

    task = engaged(client, status="IN_PROGRESS", nda_required=False)
    assert summary(client, task["token"]).json_body["confidential_details"] == SECRET
    get_store().update_brief(task["brief_id"], {"status": status})
    assert summary(client, task["token"]).json_body["confidential_details"] is None
    assert client.http.get(f"/tasks/{task['token']}/confidential").status_code == 404
    cookie, csrf, _ = page_form(client, f"/tasks/{task['token']}")
    late = post_form(client, f"/tasks/{task['token']}/confidential", cookie, {"csrf_token": csrf})
    assert late.status_code == 404 and "Globex" not in late.body.decode()


def test_another_intern_or_a_wrong_link_gets_the_unknown_answer(client: Any) -> None:
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    task = engaged(client, status="IN_PROGRESS", nda_required=False)
    stranger = register_intern(
        {
            "name": "Sam",
            "email": "sam@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )
    foreign = access.issue_task_link(task["brief_id"], stranger["intern_id"]).rsplit("/", 1)[-1]
    assert summary(client, foreign).json_body["confidential_details"] is None
    unknown = client.http.get("/tasks/not-a-real-token/confidential")
    refused = client.http.get(f"/tasks/{foreign}/confidential")
    assert refused.status_code == unknown.status_code == 404
    assert "Globex" not in refused.body.decode()
    assert summary(client, "not-a-real-token").status_code == 404
    assert client.http.get(f"/tasks/{foreign}/confidential/1").status_code == 404
    cookie, csrf, _ = page_form(client, f"/tasks/{task['token']}")
    for path in (f"/tasks/{foreign}/confidential", f"/tasks/{foreign}/confidential/1"):
        posted = post_form(client, path, cookie, {"csrf_token": csrf})
        assert posted.status_code == 404 and "Globex" not in posted.body.decode()
    assert views(client, task) == []


# -- attachments ---------------------------------------------------------------------------------


def test_an_attachment_reaches_the_intern_only_after_the_nda(client: Any) -> None:
    import boto3

    from chalicelib.settings import get_settings
    from chalicelib.web.pages import files_source

    task = engaged(client, status="NDA")
    auth = {"Authorization": f"Bearer {task['manage']}", "Content-Type": "application/json"}
    target = client.http.post(
        f"/api/briefs/{task['brief_id']}/confidential-files",
        headers=auth,
        body=json.dumps({"filename": "figures.csv", "size": 9, "content_type": "text/csv"}),
    )
    assert target.status_code == 200, target.body
    key = target.json_body["file_key"]
    assert key.startswith(f"sealed/{task['brief_id']}/")
    boto3.client("s3").put_object(
        Bucket=get_settings().bucket_name, Key=key, Body=b"a,b\n1,2\n", ContentType="text/csv"
    )
    attached = client.http.post(
        f"/api/briefs/{task['brief_id']}/confidential-files/attach",
        headers=auth,
        body=json.dumps({"file_key": key}),
    )
    assert attached.status_code == 201, attached.body
    assert client.http.get(f"/tasks/{task['token']}/confidential/1").status_code == 404
    sign(task)
    # A GET of the file's address downloads and records nothing: the page with the button.
    cookie, csrf, page = page_form(client, f"/tasks/{task['token']}/confidential/1")
    assert "Show the confidential details" in page
    shown = post_form(client, f"/tasks/{task['token']}/confidential", cookie, {"csrf_token": csrf})
    assert "Download figures.csv" in shown.body.decode()
    # The page posts its downloads to S3's address: its form-action allows it.
    policy = shown.headers["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    assert files_source().rstrip("/") in form_action
    assert not any("downloaded a confidential attachment" in d for d in timeline(client, task))
    download = post_form(
        client, f"/tasks/{task['token']}/confidential/1", cookie, {"csrf_token": csrf}
    )
    assert download.status_code == 303 and "figures.csv" in download.headers["Location"]
    assert any("downloaded a confidential attachment" in d for d in timeline(client, task))
    # Another brief's upload cannot be attached here.
    bad = client.http.post(
        f"/api/briefs/{task['brief_id']}/confidential-files/attach",
        headers=auth,
        body=json.dumps({"file_key": "sealed/b_other/x/figures.csv"}),
    )
    assert bad.status_code == 422

"""Messages per engagement (issue 15a): the thread between the employer (manage token) and the
engaged intern (task link), its rules, files, read state, batched emails, finance's read of a
disputed thread, and one not-found answer for everyone else."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.conftest import open_form, page_form, post_form, task_in_progress

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def task(client: Any) -> dict[str, str]:
    return task_in_progress(client)


def employer_post(client: Any, brief_id: str, token: str, body: Any) -> Any:
    return client.http.post(
        f"/api/briefs/{brief_id}/messages",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps(body),
    )


def employer_list(client: Any, brief_id: str, token: str) -> Any:
    return client.http.get(
        f"/api/briefs/{brief_id}/messages", headers={"Authorization": f"Bearer {token}"}
    )


def intern_post(client: Any, token: str, body: Any) -> Any:
    return client.http.post(
        f"/api/tasks/{token}/messages",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body),
    )


def message_emails() -> list[Any]:
    from tests.integration.test_email_figures import emails_since

    return [m for m in emails_since(0) if m.kind == "new_messages"]


@pytest.fixture
def clock_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Move the app's clock: `clock_at(timedelta)` sets it that far from the real now."""
    from chalicelib.adapters import clock

    real = clock.now
    offset = {"by": timedelta(0)}
    monkeypatch.setattr(clock, "now", lambda: real() + offset["by"])

    def move(by: timedelta) -> None:
        offset["by"] = by

    yield move


# -- the exchange ------------------------------------------------------------------------------


def test_a_message_each_way_newest_last_with_read_state(client: Any, task: dict[str, str]) -> None:
    first = employer_post(client, task["brief_id"], task["manage"], {"text": "Hi Ida, welcome!"})
    assert first.status_code == 201, first.body
    assert set(first.json_body) == {"message_id", "at"}

    # The intern's POST reaches the messages route, not the task's `{action}` route.
    reply = intern_post(client, task["token"], {"text": "Thanks — starting today."})
    assert reply.status_code == 201, reply.body

    # Before the employer marks the thread read, the intern's reply is unread.
    mine = client.http.get(f"/api/tasks/{task['token']}/messages").json_body
    assert [m["text"] for m in mine] == ["Hi Ida, welcome!", "Thanks — starting today."]
    assert [m["from"] for m in mine] == ["employer", "intern"]
    assert mine[1]["read"] is False
    assert mine[0]["read"] is True  # the intern's reply came after it: read

    listed = employer_list(client, task["brief_id"], task["manage"]).json_body
    assert [m["message_id"] for m in listed] == [
        first.json_body["message_id"],
        reply.json_body["message_id"],
    ]
    assert listed[1]["read"] is False  # listing it (a GET) marks nothing read
    assert {"message_id", "from", "text", "at"} <= set(listed[0])
    read = client.http.post(
        f"/api/briefs/{task['brief_id']}/messages/read",
        headers={"Authorization": f"Bearer {task['manage']}"},
    )
    assert read.status_code == 200, read.body
    assert read.json_body == {"read_until": reply.json_body["message_id"]}
    listed = employer_list(client, task["brief_id"], task["manage"]).json_body
    assert listed[1]["read"] is True


def read_form(client: Any, path: str) -> tuple[str, dict[str, str]]:
    """A page's "Mark as read" form: (its CSRF cookie, its fields), as the page's script or the
    button sends them."""
    import re

    cookie, token, html = page_form(client, path)
    form = html[html.index('<form method="post" action="') :]
    form = form[: form.index("</form>")]
    assert 'id="message-read"' in form
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert fields["csrf_token"] == token
    return cookie, fields


def test_pages_show_the_thread_escaped_with_read_and_unread(
    client: Any, task: dict[str, str]
) -> None:
    employer_post(client, task["brief_id"], task["manage"], {"text": f"Look {HOSTILE}"})
    brief_page = f"/briefs/{task['brief_id']}?key={task['manage']}"
    page = client.http.get(brief_page).body.decode()
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "Unread" in page  # the intern has not opened the thread yet
    task_page = client.http.get(f"/tasks/{task['token']}").body.decode()
    assert 'id="messages"' in task_page and "&lt;script&gt;" in task_page
    assert 'id="message-read"' in task_page and "Mark as read" in task_page
    # Showing the thread (a GET) marks nothing read.
    page = client.http.get(brief_page).body.decode()
    assert "Unread" in page
    # The task page's POST (its script once the page is in view, or the button) does.
    cookie, fields = read_form(client, f"/tasks/{task['token']}")
    answer = post_form(client, f"/tasks/{task['token']}/messages/read", cookie, fields)
    assert answer.status_code == 303, answer.body
    assert answer.headers["Location"].endswith(f"/tasks/{task['token']}#messages")
    page = client.http.get(brief_page).body.decode()
    assert "Read" in page and "Unread" not in page
    # Nothing new to read: the task page offers no form.
    assert 'id="message-read"' not in client.http.get(f"/tasks/{task['token']}").body.decode()


def test_a_read_covers_what_the_page_showed_and_needs_its_csrf_token(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    intern_post(client, task["token"], {"text": "Shown on the page"})
    brief_page = f"/briefs/{task['brief_id']}?key={task['manage']}"
    cookie, fields = read_form(client, brief_page)
    assert fields["key"] == task["manage"]
    shown = client.http.get(f"/api/tasks/{task['token']}/messages").json_body
    assert fields["until"] == shown[-1]["message_id"]  # the id of the last message shown
    forged = post_form(
        client, f"/briefs/{task['brief_id']}/messages/read", cookie, {**fields, "csrf_token": "x"}
    )
    assert forged.status_code == 403
    clock_at(timedelta(minutes=1))
    intern_post(client, task["token"], {"text": "Came after the page was shown"})
    answer = post_form(client, f"/briefs/{task['brief_id']}/messages/read", cookie, fields)
    assert answer.status_code == 303, answer.body
    assert answer.headers["Location"].endswith("#messages")
    theirs = client.http.get(f"/api/tasks/{task['token']}/messages").json_body
    assert [m["read"] for m in theirs] == [True, False]  # the later message stays unread
    missing = post_form(
        client, f"/briefs/{task['brief_id']}/messages/read", cookie, {**fields, "until": ""}
    )
    assert missing.status_code == 422


def test_the_page_forms_post_and_come_back_to_the_thread(client: Any, task: dict[str, str]) -> None:
    cookie, token, _ = open_form(client, "/briefs/new")
    answer = post_form(
        client,
        f"/tasks/{task['token']}/messages",
        cookie,
        {"csrf_token": token, "text": "Posted from the task page"},
    )
    assert answer.status_code == 303, answer.body
    assert answer.headers["Location"].endswith(f"/tasks/{task['token']}#messages")
    answer = post_form(
        client,
        f"/briefs/{task['brief_id']}/messages",
        cookie,
        {"csrf_token": token, "key": task["manage"], "text": "Posted from the brief page"},
    )
    assert answer.status_code == 303, answer.body
    texts = [m["text"] for m in client.http.get(f"/api/tasks/{task['token']}/messages").json_body]
    assert texts == ["Posted from the task page", "Posted from the brief page"]
    too_long = post_form(
        client,
        f"/tasks/{task['token']}/messages",
        cookie,
        {"csrf_token": token, "text": "x" * 5001},
    )
    assert too_long.status_code == 422
    assert "at most 5,000 characters" in too_long.body.decode()


def test_text_rules(client: Any, task: dict[str, str]) -> None:
    assert intern_post(client, task["token"], {"text": "x" * 5000}).status_code == 201
    long = intern_post(client, task["token"], {"text": "x" * 5001})
    assert long.status_code == 422
    assert long.json_body["errors"][0]["field"] == "text"
    assert intern_post(client, task["token"], {"text": "   "}).status_code == 422
    assert intern_post(client, task["token"], {"text": 12}).status_code == 422
    assert intern_post(client, task["token"], {}).status_code == 422


# -- when the thread is open ---------------------------------------------------------------------


def test_no_thread_before_acceptance(client: Any, task: dict[str, str]) -> None:
    from chalicelib.adapters.store import get_store

    store = get_store()
    store.update_brief(task["brief_id"], {"status": "OFFERED"})
    store.remove_brief_fields(task["brief_id"], "intern_id")
    answer = employer_post(client, task["brief_id"], task["manage"], {"text": "Hello?"})
    assert answer.status_code == 409
    assert employer_list(client, task["brief_id"], task["manage"]).json_body == []
    # The candidate's own link does not open a thread before they accept.
    assert intern_post(client, task["token"], {"text": "Hi"}).status_code == 404


def test_read_only_thirty_days_after_the_end(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store

    assert intern_post(client, task["token"], {"text": "Delivered, thanks!"}).status_code == 201
    get_store().update_brief(task["brief_id"], {"status": "COMPLETED", "completed_at": clock.iso()})
    clock_at(timedelta(days=29))
    assert (
        employer_post(client, task["brief_id"], task["manage"], {"text": "Great work"}).status_code
        == 201
    )
    clock_at(timedelta(days=31))
    from chalicelib.services import access

    # The first manage link has expired by now; a fresh one (as every email carries) opens it.
    fresh = access.issue_manage_link(task["brief_id"]).rsplit("key=", 1)[-1]
    late = employer_post(client, task["brief_id"], fresh, {"text": "One more"})
    assert late.status_code == 409
    assert "30 days" in late.json_body["errors"][0]["message"]
    assert intern_post(client, task["token"], {"text": "Me too"}).status_code == 409
    listed = client.http.get(f"/api/tasks/{task['token']}/messages")
    assert listed.status_code == 200 and len(listed.json_body) == 2
    page = client.http.get(f"/tasks/{task['token']}").body.decode()
    assert "conversation closed" in page and 'id="message-form"' not in page


# -- who may read: everyone else gets what an unknown id gets ----------------------------------


def test_unauthorised_employer_access_is_answered_as_an_unknown_brief(
    client: Any, task: dict[str, str]
) -> None:
    other = task_in_progress_other(client)
    unknown = employer_list(client, "b_doesnotexist", task["manage"])
    assert unknown.status_code == 404
    for brief_id, token in (
        (task["brief_id"], "wrong-token"),
        (task["brief_id"], other["manage"]),  # another brief's manage token
        (task["brief_id"], task["token"]),  # the intern's task token
    ):
        for answer in (
            employer_list(client, brief_id, token),
            employer_post(client, brief_id, token, {"text": "Let me in"}),
        ):
            assert answer.status_code == 404
            assert answer.json_body == unknown.json_body
    # The page and the file links too: the not-found page.
    page = client.http.get(f"/briefs/{task['brief_id']}/messages/m_x/file?key={other['manage']}")
    assert page.status_code == 404


def test_unauthorised_intern_access_is_answered_as_an_unknown_link(
    client: Any, task: dict[str, str]
) -> None:
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    unknown = client.http.get("/api/tasks/not-a-real-token/messages")
    assert unknown.status_code == 404
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
    # A task link of this brief for an intern who is not the engaged one.
    foreign = access.issue_task_link(task["brief_id"], stranger["intern_id"]).rsplit("/", 1)[-1]
    for answer in (
        client.http.get(f"/api/tasks/{foreign}/messages"),
        intern_post(client, foreign, {"text": "Let me in"}),
    ):
        assert answer.status_code == 404
        assert answer.json_body == unknown.json_body
    assert client.http.get(f"/tasks/{foreign}/messages/m_x/file").status_code == 404


def engaged_intern(task: dict[str, str]) -> str:
    from chalicelib.adapters.store import get_store

    brief = get_store().get_brief(task["brief_id"])
    assert brief is not None
    return str(brief["intern_id"])


def test_another_intern_taking_over_starts_an_empty_thread(
    client: Any, task: dict[str, str]
) -> None:
    """The thread is the engagement's: the brief with its intern. A later intern (after the
    first stepped back) sees none of the earlier conversation, and the first no longer can."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    assert intern_post(client, task["token"], {"text": "First intern here"}).status_code == 201
    second = register_intern(
        {
            "name": "Noor",
            "email": "noor@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )
    get_store().update_brief(task["brief_id"], {"intern_id": second["intern_id"]})
    link = access.issue_task_link(task["brief_id"], second["intern_id"]).rsplit("/", 1)[-1]
    assert client.http.get(f"/api/tasks/{link}/messages").json_body == []
    assert employer_list(client, task["brief_id"], task["manage"]).json_body == []
    assert client.http.get(f"/api/tasks/{task['token']}/messages").status_code == 404


def task_in_progress_other(client: Any) -> dict[str, str]:
    """A second brief (another employer's manage token)."""
    from tests.helpers import load_event

    body = load_event("brief", title="Another brief entirely")
    answer = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    ).json_body
    return {"brief_id": answer["brief_id"], "manage": answer["manage_token"]}


# -- files -----------------------------------------------------------------------------------------


def _upload(client: Any, path: str, headers: dict[str, str], name: str, data: bytes) -> str:
    import boto3

    from chalicelib.settings import get_settings

    answer = client.http.post(
        path,
        headers={"Content-Type": "application/json", **headers},
        body=json.dumps({"filename": name, "size": len(data), "content_type": "text/plain"}),
    )
    assert answer.status_code == 200, answer.body
    key = str(answer.json_body["file_key"])
    boto3.client("s3").put_object(
        Bucket=get_settings().bucket_name, Key=key, Body=data, ContentType="text/plain"
    )
    return key


def test_a_file_goes_both_ways_privately(client: Any, task: dict[str, str]) -> None:
    key = _upload(
        client, f"/api/tasks/{task['token']}/messages/upload", {}, "notes.txt", b"my notes"
    )
    assert key.startswith(f"messages/{task['brief_id']}/")
    sent = intern_post(client, task["token"], {"text": "Notes attached", "file_key": key})
    assert sent.status_code == 201, sent.body
    message_id = sent.json_body["message_id"]
    listed = employer_list(client, task["brief_id"], task["manage"]).json_body
    assert listed[0]["file_name"] == "notes.txt"
    employer = client.http.get(
        f"/briefs/{task['brief_id']}/messages/{message_id}/file?key={task['manage']}"
    )
    assert employer.status_code == 302 and "notes.txt" in employer.headers["Location"]
    intern = client.http.get(f"/tasks/{task['token']}/messages/{message_id}/file")
    assert intern.status_code == 302
    # Another brief's manage token does not download it.
    other = task_in_progress_other(client)
    refused = client.http.get(
        f"/briefs/{task['brief_id']}/messages/{message_id}/file?key={other['manage']}"
    )
    assert refused.status_code == 404

    auth = {"Authorization": f"Bearer {task['manage']}"}
    path = f"/api/briefs/{task['brief_id']}/messages/upload"
    employer_key = _upload(client, path, auth, "brief.txt", b"more context")
    assert (
        employer_post(
            client, task["brief_id"], task["manage"], {"text": "Context", "file_key": employer_key}
        ).status_code
        == 201
    )


def test_a_file_must_be_this_threads_upload(client: Any, task: dict[str, str]) -> None:
    other = task_in_progress_other(client)
    for key in (
        f"deliverables/{task['brief_id']}/x/a.txt",  # not a message file
        f"messages/{other['brief_id']}/x/a.txt",  # another brief's
        f"messages/{task['brief_id']}/{engaged_intern(task)}/never/uploaded.txt",  # not in S3
    ):
        answer = intern_post(client, task["token"], {"text": "See file", "file_key": key})
        assert answer.status_code == 422, key
        assert answer.json_body["errors"][0]["field"] == "file"
    too_big = client.http.post(
        f"/api/tasks/{task['token']}/messages/upload",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"filename": "big.zip", "size": 10 * 1024 * 1024 + 1}),
    )
    assert too_big.status_code == 422


# -- batched emails ------------------------------------------------------------------------------


def test_at_most_one_email_per_recipient_per_ten_minutes_and_none_lost(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    from chalicelib.services import messages

    before = len(message_emails())
    employer_post(client, task["brief_id"], task["manage"], {"text": "First"})
    emails = message_emails()[before:]
    assert len(emails) == 1
    assert emails[0].to == ("ida@uni.example",)
    assert "First" not in emails[0].text  # a link to the thread, never the text
    assert "/tasks/" in emails[0].text and "#messages" in emails[0].text

    clock_at(timedelta(minutes=3))
    employer_post(client, task["brief_id"], task["manage"], {"text": "Second"})
    employer_post(client, task["brief_id"], task["manage"], {"text": "Third"})
    assert len(message_emails()[before:]) == 1  # inside the quiet period: batched
    assert messages.send_due_notifications() == 0  # not due yet

    clock_at(timedelta(minutes=10, seconds=5))
    assert messages.send_due_notifications() == 1
    emails = message_emails()[before:]
    # It counts what the intern has not read yet: all three (they never opened the thread).
    assert len(emails) == 2 and "3 new messages" in emails[1].subject
    assert messages.send_due_notifications() == 0  # nothing left waiting

    # The employer got nothing: they wrote all of it.
    assert not [e for e in emails if "dana@freshbox.example" in e.to]


def test_a_failed_send_is_retried_by_the_sweep(
    client: Any, task: dict[str, str], clock_at: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services import messages, notify

    real = notify.to_party

    def down(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SES is down")

    monkeypatch.setattr(notify, "to_party", down)
    before = len(message_emails())
    assert intern_post(client, task["token"], {"text": "Are you there?"}).status_code == 201
    assert len(message_emails()) == before
    monkeypatch.setattr(notify, "to_party", real)
    clock_at(timedelta(minutes=11))
    assert messages.send_due_notifications() == 1
    assert len(message_emails()) == before + 1


# -- limits and finance --------------------------------------------------------------------------


def test_messages_are_rate_limited_per_sender(
    client: Any, task: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain import collaboration

    monkeypatch.setattr(collaboration, "MESSAGES_PER_SENDER_PER_HOUR", 3)
    for n in range(3):
        assert intern_post(client, task["token"], {"text": f"msg {n}"}).status_code == 201
    limited = intern_post(client, task["token"], {"text": "one too many"})
    assert limited.status_code == 429
    # The other party's own limit is untouched.
    assert (
        employer_post(client, task["brief_id"], task["manage"], {"text": "ok"}).status_code == 201
    )


def test_finance_reads_a_disputed_thread_and_the_read_is_on_the_timeline(
    client: Any, task: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from chalicelib.adapters.store import get_store
    from chalicelib.settings import get_settings
    from tests.integration.test_finance_session import KEY, sign_in

    monkeypatch.setenv("FINANCE_API_KEY_SHA256", hashlib.sha256(KEY.encode()).hexdigest())
    get_settings.cache_clear()

    intern_post(client, task["token"], {"text": f"Here is my side {HOSTILE}"})
    path = f"/finance/disputes/{task['brief_id']}/messages"
    assert client.http.get(path).status_code == 401  # no session: the sign-in form
    cookie = sign_in(client)
    assert client.http.get(path, headers={"Cookie": cookie}).status_code == 404  # no dispute
    get_store().update_brief(task["brief_id"], {"status": "DISPUTED"})

    def finance_reads() -> int:
        timeline = client.http.get(
            f"/api/briefs/{task['brief_id']}",
            headers={"Authorization": f"Bearer {task['manage']}"},
        ).json_body["timeline"]
        return sum("Finance read the message thread" in e["detail"] for e in timeline)

    # The GET shows the button that reads the thread, and records nothing.
    page = client.http.get(path, headers={"Cookie": cookie})
    assert page.status_code == 200
    html = page.body.decode()
    assert "Read the message thread" in html and "Here is my side" not in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    assert finance_reads() == 0
    forged = post_form(client, path, cookie, {"csrf_token": "not-the-token"})
    assert forged.status_code == 403 and finance_reads() == 0
    # The button's POST shows the thread and puts the read on the timeline.
    shown = post_form(client, path, cookie, {"csrf_token": token.group(1)})
    assert shown.status_code == 200, shown.body
    html = shown.body.decode()
    assert "Here is my side" in html and HOSTILE not in html
    assert finance_reads() == 1


def test_a_file_that_did_not_upload_is_said_beside_the_message_form(
    client: Any, task: dict[str, str]
) -> None:
    cookie, token, _ = open_form(client, "/briefs/new")
    missing = f"messages/{task['brief_id']}/{engaged_intern(task)}/x/gone.txt"
    answer = post_form(
        client,
        f"/tasks/{task['token']}/messages",
        cookie,
        {"csrf_token": token, "text": "See the file", "file_key": missing},
    )
    assert answer.status_code == 422
    html = answer.body.decode()
    form = html[html.index('id="message-form"') :]
    assert "The file did not upload" in form[: form.index("</form>")]
    assert "See the file" in form  # the text is kept


def test_no_email_for_messages_already_read_on_the_page(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    from chalicelib.services import messages

    before = len(message_emails())
    employer_post(client, task["brief_id"], task["manage"], {"text": "First"})
    clock_at(timedelta(minutes=2))
    employer_post(client, task["brief_id"], task["manage"], {"text": "Second"})
    client.http.get(f"/tasks/{task['token']}")  # showing the task page reads nothing
    cookie, fields = read_form(client, f"/tasks/{task['token']}")  # its POST reads both
    assert (
        post_form(client, f"/tasks/{task['token']}/messages/read", cookie, fields).status_code
        == 303
    )
    clock_at(timedelta(minutes=11))
    assert messages.send_due_notifications() == 0
    assert len(message_emails()) == before + 1  # only the first message's email
    assert messages.send_due_notifications() == 0  # and nothing stays listed

"""Marking a thread read over the JSON API: `GET …/messages` only reads (no marker moves, nothing
is written); `POST /api/briefs/{brief_id}/messages/read` (employer) and
`POST /api/tasks/{token}/messages/read` (the engaged intern) move the caller's own read marker
up to a message (`{"until": <message_id>}`, or the newest), the same act as the pages' read
form. The batched `new_messages` email counts what the recipient has not marked read."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.integration import test_messages
from tests.integration.conftest import task_in_progress
from tests.integration.matching_fixtures import intern
from tests.integration.test_messages import (
    employer_list,
    employer_post,
    intern_post,
    message_emails,
    task_in_progress_other,
)

clock_at = test_messages.clock_at  # the fixture that moves the app's clock


@pytest.fixture
def task(client: Any) -> dict[str, str]:
    return task_in_progress(client)


def employer_read(client: Any, brief_id: str, token: str | None, body: Any = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = "" if body is None else body if isinstance(body, str) else json.dumps(body)
    return client.http.post(f"/api/briefs/{brief_id}/messages/read", headers=headers, body=data)


def intern_read(client: Any, token: str, body: Any = None) -> Any:
    data = "" if body is None else body if isinstance(body, str) else json.dumps(body)
    return client.http.post(
        f"/api/tasks/{token}/messages/read",
        headers={"Content-Type": "application/json"},
        body=data,
    )


def intern_list(client: Any, token: str) -> list[dict[str, Any]]:
    answer = client.http.get(f"/api/tasks/{token}/messages")
    assert answer.status_code == 200, answer.body
    return list(answer.json_body)


def markers(brief_id: str) -> dict[str, str]:
    """The thread's read markers as stored: {party: read_until}."""
    from chalicelib.adapters import collaboration_store as threads
    from chalicelib.adapters.store import get_store

    brief = get_store().get_brief(brief_id)
    assert brief is not None
    items = threads.thread_items(threads.thread_id(brief_id, str(brief["intern_id"])))
    return {
        str(i["sk"]).removeprefix("READ#"): str(i["read_until"])
        for i in items
        if str(i["sk"]).startswith("READ#")
    }


def test_listing_over_the_api_marks_nothing_read(client: Any, task: dict[str, str]) -> None:
    employer_post(client, task["brief_id"], task["manage"], {"text": "Hello from the employer"})
    intern_post(client, task["token"], {"text": "Hello from the intern"})
    before = markers(task["brief_id"])

    for _ in range(2):
        # The intern's reply came after the employer's message: that one is read (their post).
        assert [m["read"] for m in intern_list(client, task["token"])] == [True, False]
        mine = employer_list(client, task["brief_id"], task["manage"])
        assert mine.status_code == 200
        assert [m["read"] for m in mine.json_body] == [True, False]  # listed, not marked

    assert markers(task["brief_id"]) == before  # no marker moved, on either side


def test_a_read_moves_the_callers_own_marker_up_to_the_message_never_back(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    ids = []
    for n in range(3):
        clock_at(timedelta(seconds=n))
        sent = employer_post(client, task["brief_id"], task["manage"], {"text": f"Note {n}"})
        ids.append(sent.json_body["message_id"])
    employer_side = markers(task["brief_id"])["employer"]

    answer = intern_read(client, task["token"], {"until": ids[0]})
    assert answer.status_code == 200, answer.body
    assert answer.json_body == {"read_until": ids[0]}
    seen = employer_list(client, task["brief_id"], task["manage"]).json_body
    assert [m["read"] for m in seen] == [True, False, False]  # later messages stay unread

    # Marking an earlier message again moves nothing back and reports where the marker is.
    assert intern_read(client, task["token"], {"until": ids[1]}).json_body == {"read_until": ids[1]}
    assert intern_read(client, task["token"], {"until": ids[0]}).json_body == {"read_until": ids[1]}
    seen = employer_list(client, task["brief_id"], task["manage"]).json_body
    assert [m["read"] for m in seen] == [True, True, False]

    # Without `until`: up to the newest message. The intern's read never moves the employer's.
    assert intern_read(client, task["token"]).json_body == {"read_until": ids[2]}
    assert [
        m["read"] for m in employer_list(client, task["brief_id"], task["manage"]).json_body
    ] == [
        True,
        True,
        True,
    ]
    assert markers(task["brief_id"])["employer"] == employer_side


def test_a_repeated_read_changes_nothing(
    client: Any, task: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import collaboration_store as threads

    sent = intern_post(client, task["token"], {"text": "Draft attached soon"}).json_body
    first = employer_read(client, task["brief_id"], task["manage"], {"until": sent["message_id"]})
    assert first.status_code == 200 and first.json_body == {"read_until": sent["message_id"]}
    stored = markers(task["brief_id"])

    writes: list[tuple[Any, ...]] = []
    real = threads.mark_read
    monkeypatch.setattr(threads, "mark_read", lambda *a: (writes.append(a), real(*a))[1])
    for body in ({"until": sent["message_id"]}, None, {}):
        again = employer_read(client, task["brief_id"], task["manage"], body)
        assert again.status_code == 200
        assert again.json_body == first.json_body
    assert writes == [] and markers(task["brief_id"]) == stored


def test_an_empty_thread_has_nothing_to_read(client: Any, task: dict[str, str]) -> None:
    assert intern_read(client, task["token"]).json_body == {"read_until": None}
    answer = employer_read(client, task["brief_id"], task["manage"], {})
    assert answer.status_code == 200 and answer.json_body == {"read_until": None}
    assert markers(task["brief_id"]) == {}


def test_the_body_is_checked_and_a_refused_read_moves_nothing(
    client: Any, task: dict[str, str]
) -> None:
    intern_post(client, task["token"], {"text": "Hi"})
    from chalicelib.adapters.store import get_store

    other = task_in_progress_other(client)  # another engagement of the same intern
    intern_id = get_store().get_brief(task["brief_id"])["intern_id"]  # type: ignore[index]
    get_store().update_brief(other["brief_id"], {"status": "IN_PROGRESS", "intern_id": intern_id})
    theirs = employer_post(client, other["brief_id"], other["manage"], {"text": "Elsewhere"})
    assert theirs.status_code == 201, theirs.body
    before = markers(task["brief_id"])
    for body in (
        {"until": "m_nosuchmessage"},
        {"until": theirs.json_body["message_id"]},  # another thread's message
        {"until": ""},
        {"until": 5},
        {"until": ["m_x"]},
    ):
        answer = employer_read(client, task["brief_id"], task["manage"], body)
        assert answer.status_code == 422, body
        assert answer.json_body["errors"][0]["field"] == "until"
        assert intern_read(client, task["token"], body).status_code == 422
    for raw in ("not json", "[]", '"m_x"'):
        assert employer_read(client, task["brief_id"], task["manage"], raw).status_code == 400
        assert intern_read(client, task["token"], raw).status_code == 400
    assert markers(task["brief_id"]) == before


def test_only_the_parties_may_mark_and_everyone_else_gets_the_answer_of_the_get(
    client: Any, task: dict[str, str]
) -> None:
    from chalicelib.services import access

    sent = intern_post(client, task["token"], {"text": "Only for the employer"}).json_body
    employer_post(client, task["brief_id"], task["manage"], {"text": "Only for the intern"})
    before = markers(task["brief_id"])
    other = task_in_progress_other(client)
    body = {"until": sent["message_id"]}

    assert employer_read(client, task["brief_id"], None, body).status_code == 401
    assert employer_list(client, task["brief_id"], "").status_code == 401
    for token in ("wrong-token", other["manage"], task["token"]):
        listed = employer_list(client, task["brief_id"], token)
        answer = employer_read(client, task["brief_id"], token, body)
        assert listed.status_code == answer.status_code == 404, token
        assert answer.json_body == listed.json_body

    stranger = intern("Sam", "Spreadsheets and market research.", hours=10, skills=["Excel"])
    foreign = access.issue_task_link(task["brief_id"], stranger).rsplit("/", 1)[-1]
    for token in ("not-a-real-token", foreign, task["manage"]):
        listed = client.http.get(f"/api/tasks/{token}/messages")
        answer = intern_read(client, token)
        assert listed.status_code == answer.status_code == 404, token
        assert answer.json_body == listed.json_body
    assert markers(task["brief_id"]) == before


def test_no_read_before_acceptance(client: Any, task: dict[str, str]) -> None:
    from chalicelib.adapters.store import get_store

    store = get_store()
    store.update_brief(task["brief_id"], {"status": "OFFERED"})
    store.remove_brief_fields(task["brief_id"], "intern_id")
    assert employer_read(client, task["brief_id"], task["manage"]).status_code == 404
    assert intern_read(client, task["token"]).status_code == 404


def two_messages_to_the_intern(client: Any, task: dict[str, str], clock_at: Any) -> int:
    """The employer writes twice, two minutes apart; the emails sent before them."""
    before = len(message_emails())
    employer_post(client, task["brief_id"], task["manage"], {"text": "First"})
    clock_at(timedelta(minutes=2))
    employer_post(client, task["brief_id"], task["manage"], {"text": "Second"})
    return before


def test_a_thread_listed_but_not_marked_read_is_still_emailed(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    from chalicelib.services import messages

    before = two_messages_to_the_intern(client, task, clock_at)
    assert [m["text"] for m in intern_list(client, task["token"])] == ["First", "Second"]
    clock_at(timedelta(minutes=11))
    assert messages.send_due_notifications() == 1  # a GET read nothing: both are new
    emails = message_emails()[before:]
    assert len(emails) == 2 and "2 new messages" in emails[1].subject


def test_a_thread_marked_read_over_the_api_is_not_emailed(
    client: Any, task: dict[str, str], clock_at: Any
) -> None:
    from chalicelib.services import messages

    before = two_messages_to_the_intern(client, task, clock_at)
    listed = intern_list(client, task["token"])
    answer = intern_read(client, task["token"], {"until": listed[-1]["message_id"]})
    assert answer.json_body == {"read_until": listed[-1]["message_id"]}
    clock_at(timedelta(minutes=11))
    assert messages.send_due_notifications() == 0
    assert len(message_emails()) == before + 1  # only the first message's email
    assert messages.send_due_notifications() == 0  # and nothing stays listed

"""Email failures never end an engagement (issue 10, item 5).

SES refusing an email (a rejected message, an address suppressed after a bounce or complaint)
is recorded on the brief's timeline, counted, and the flow goes on; the reminder sweep treats
each reminder on its own; SES bounce and complaint notifications suppress the address.

Refusals are SES's own: the twin's SES refuses recipients at `unverified.example` the way the
SES sandbox refuses an unverified recipient (local/ses_faults.py), and a sender identity that
is not verified is refused by moto as by SES.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.services.steps import StepEvent
from tests.helpers import EVENTS, confirm_addresses, load_event
from tests.integration.conftest import sent_emails

REFUSED = "dana@unverified.example"


@pytest.fixture(autouse=True)
def _sandboxed_ses() -> None:
    from local import ses_faults

    ses_faults.install()


@pytest.fixture
def recorded_metrics() -> Any:
    from chalicelib.observability import metrics

    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def _submit(client: Any, **overrides: Any) -> tuple[str, str]:
    body = load_event("brief", **overrides)
    confirm_addresses(body["employer_email"])  # a returning employer: the flow's own emails
    response = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    assert response.status_code == 201, response.body
    return response.json_body["brief_id"], response.json_body["manage_token"]


def _view(client: Any, brief_id: str, token: str) -> dict[str, Any]:
    response = client.http.get(
        f"/api/briefs/{brief_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.body
    return dict(response.json_body)


def _details(client: Any, brief_id: str, token: str) -> list[str]:
    return [e["detail"] for e in _view(client, brief_id, token)["timeline"]]


def _refusals(details: list[str]) -> list[str]:
    return [d for d in details if "could not be delivered" in d]


# -- a refused email: on the timeline, counted, and the step goes on ---------------------------


def test_a_refused_first_email_is_recorded_and_the_match_step_goes_on(
    client: Any, recorded_metrics: Any
) -> None:
    from chalicelib.services import steps

    brief_id, token = _submit(client, employer_email=REFUSED)

    result = steps.match(StepEvent(brief_id=brief_id))  # sends the first email: refused

    assert "count" in result
    assert sent_emails() == []
    refusals = _refusals(_details(client, brief_id, token))
    assert refusals == [
        "Email to the employer could not be delivered (brief received): "
        "SES rejected the message (MessageRejected)"
    ]
    assert REFUSED not in refusals[0]
    assert _view(client, brief_id, token)["status"] == "MATCHING"
    assert "EmailsRefused" in recorded_metrics.metric_set


def test_a_retried_step_records_the_refusal_once(client: Any) -> None:
    from chalicelib.services import steps

    brief_id, token = _submit(client, employer_email=REFUSED)

    steps.match(StepEvent(brief_id=brief_id))
    steps.match(StepEvent(brief_id=brief_id))  # Step Functions retried the step

    assert len(_refusals(_details(client, brief_id, token))) == 1


def test_the_refusal_is_shown_on_the_brief_page(client: Any) -> None:
    from chalicelib.services import steps

    brief_id, token = _submit(client, employer_email=REFUSED)
    steps.match(StepEvent(brief_id=brief_id))

    page = client.http.get(f"/briefs/{brief_id}?key={token}")

    assert page.status_code == 200
    assert "Email to the employer could not be delivered" in page.body.decode()


def test_an_unverified_sender_refuses_every_email_and_the_flow_still_goes_on(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.services import steps
    from chalicelib.settings import get_settings

    brief_id, token = _submit(client)
    monkeypatch.setenv("MAIL_FROM", "microintern <no-reply@not-verified.example>")
    get_settings.cache_clear()

    steps.match(StepEvent(brief_id=brief_id))

    assert sent_emails() == []
    assert len(_refusals(_details(client, brief_id, token))) == 1


# -- the SES configuration set --------------------------------------------------------------


def test_sends_name_the_configuration_set_when_one_is_configured(
    aws_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import aws
    from chalicelib.services import notify
    from chalicelib.settings import get_settings

    monkeypatch.setenv("SES_CONFIGURATION_SET", "microintern-dev")
    get_settings.cache_clear()
    seen: list[dict[str, Any]] = []
    aws.client("sesv2").meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: seen.append(dict(params))
    )

    notify.send(
        "intern_welcome",
        to="ada@student.example",
        key="in_1:intern_welcome",
        brief_id=None,
        name="Ada",
        action_url="http://testserver/x",
    )

    assert [p.get("ConfigurationSetName") for p in seen] == ["microintern-dev"]


# -- the reminder sweep: each reminder on its own --------------------------------------------


def _due_funding_reminder(client: Any, **overrides: Any) -> str:
    """A brief waiting for funding whose reminder is due now; its id."""
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store

    brief_id, _ = _submit(client, **overrides)
    store = get_store()
    store.save_task_token(
        brief_id,
        "funding",
        f"tok-{uuid.uuid4().hex}",
        "execution",
        remind_at=clock.iso(clock.now() - timedelta(seconds=5)),
    )
    return brief_id


def _reminders_to(address: str) -> list[Any]:
    return [m for m in sent_emails() if address in m.destinations and "Reminder" in m.raw_data]


def test_a_poisoned_reminder_does_not_stop_the_others(client: Any, recorded_metrics: Any) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import reminders

    first = _due_funding_reminder(client, employer_email="first@company.example")
    poisoned = _due_funding_reminder(client, employer_email="poisoned@company.example")
    last = _due_funding_reminder(client, employer_email="last@company.example")
    store = get_store()
    token = store.get(f"BRIEF#{poisoned}", "TASKTOKEN#funding")
    assert token is not None
    store.put({**token, "created_at": "not a date"})  # a record no code path can read

    reminders.send_due()

    assert len(_reminders_to("first@company.example")) == 1
    assert len(_reminders_to("last@company.example")) == 1
    assert _reminders_to("poisoned@company.example") == []
    assert "RemindersFailed" in recorded_metrics.metric_set
    assert {first, last}.isdisjoint(
        str(t["brief_id"]) for t in store.due_reminders("9999-12-31T00:00:00Z")
    )


def test_a_refused_reminder_is_recorded_and_not_sent_again(client: Any) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import reminders

    refused = _due_funding_reminder(client, employer_email=REFUSED)
    other = _due_funding_reminder(client, employer_email="other@company.example")

    reminders.send_due()
    reminders.send_due()  # ten minutes later

    assert len(_reminders_to("other@company.example")) == 1
    refusals = [
        e["detail"]
        for e in get_store().timeline(refused)
        if "could not be delivered" in e["detail"]
    ]
    assert refusals == [
        "Email to the employer could not be delivered (reminder): "
        "SES rejected the message (MessageRejected)"
    ]
    still_due = {str(t["brief_id"]) for t in get_store().due_reminders("9999-12-31T00:00:00Z")}
    assert {refused, other}.isdisjoint(still_due)  # neither is tried again


# -- bounce and complaint notifications --------------------------------------------------------


def _feedback(name: str, address: str) -> str:
    """An SES event notification (as published to the configuration set's SNS topic)."""
    text = (EVENTS / f"{name}.json").read_text().replace("__ADDRESS__", address)
    return json.dumps(json.loads(text))


def _deliver_feedback(client: Any, message: str) -> Any:
    return client.lambda_.invoke("ses_feedback", client.events.generate_sns_event(message=message))


def test_a_bounce_suppresses_the_address_and_the_next_email_is_not_sent(client: Any) -> None:
    from chalicelib.services import steps

    address = f"gone-{uuid.uuid4().hex[:6]}@company.example"
    _deliver_feedback(client, _feedback("ses_bounce", address))
    brief_id, token = _submit(client, employer_email=address)

    steps.match(StepEvent(brief_id=brief_id))

    assert [m for m in sent_emails() if address in m.destinations] == []
    assert _refusals(_details(client, brief_id, token)) == [
        "Email to the employer could not be delivered (brief received): "
        "the address bounced permanently earlier, so it is no longer emailed"
    ]


def test_a_complaint_suppresses_the_address(client: Any) -> None:
    from chalicelib.services import steps

    address = f"annoyed-{uuid.uuid4().hex[:6]}@company.example"
    _deliver_feedback(client, _feedback("ses_complaint", address))
    brief_id, token = _submit(client, employer_email=address)

    steps.match(StepEvent(brief_id=brief_id))

    assert [m for m in sent_emails() if address in m.destinations] == []
    assert _refusals(_details(client, brief_id, token)) == [
        "Email to the employer could not be delivered (brief received): "
        "the recipient marked an earlier email as spam, so it is no longer emailed"
    ]


def test_a_transient_bounce_suppresses_nothing(client: Any) -> None:
    from chalicelib.services import steps

    address = f"full-{uuid.uuid4().hex[:6]}@company.example"
    message = json.loads(_feedback("ses_bounce", address))
    message["bounce"]["bounceType"] = "Transient"
    message["bounce"]["bounceSubType"] = "MailboxFull"
    _deliver_feedback(client, json.dumps(message))
    brief_id, token = _submit(client, employer_email=address)

    steps.match(StepEvent(brief_id=brief_id))

    assert len([m for m in sent_emails() if address in m.destinations]) == 1
    assert _refusals(_details(client, brief_id, token)) == []


def test_the_same_notification_twice_suppresses_once(client: Any) -> None:
    from chalicelib.adapters.store import get_store

    address = f"Twice-{uuid.uuid4().hex[:6]}@Company.example"
    _deliver_feedback(client, _feedback("ses_bounce", address))
    _deliver_feedback(client, _feedback("ses_bounce", address))

    items = get_store().query(f"EMAIL#{address.lower()}")
    assert [i["sk"] for i in items] == ["SUPPRESSED"]


def test_a_notification_that_is_not_ses_feedback_is_ignored(client: Any) -> None:
    response = _deliver_feedback(client, json.dumps({"hello": "world"}))

    assert response.payload == {"suppressed": 0}

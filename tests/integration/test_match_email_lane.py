"""The match step's employer email runs beside its reads (a background lane, docs/matching.md
"Fewer round trips"), joined before the shortlist is written: its failure still stops the
step before a shortlist exists, the retried step sends it once and writes the shortlist; a
cancelled brief still stops the step with its StepError and is never published."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import load_event
from tests.integration.conftest import sent_emails
from tests.integration.matching_fixtures import intern

BIO = "Market research on meal-kit pricing and retention, in Excel."


def _brief(client: Any) -> dict[str, Any]:
    response = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief")),
    )
    assert response.status_code == 201, response.body
    return dict(response.json_body)


def _shortlist(brief_id: str) -> list[dict[str, Any]]:
    from chalicelib.adapters.store import get_store

    return list(get_store().query(f"BRIEF#{brief_id}", "CANDIDATE#"))


def _received(brief_id: str) -> list[Any]:
    """The SES messages of the employer's "brief received" email for this brief."""
    return [m for m in sent_emails() if "X-Microintern-Kind: brief_received" in str(m.raw_data)]


def _published(brief: dict[str, Any]) -> list[dict[str, Any]]:
    from chalicelib.adapters.store import get_store

    store = get_store()
    return [
        item
        for skill in ("market research", "excel")
        for item in store.query(f"OPEN#{skill}", "")
        if item.get("brief_id") == brief["brief_id"]
    ]


def _ses_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """SES throttles the next send (a transient failure: the step's Retry sends it later)."""
    from botocore.exceptions import ClientError

    from chalicelib.adapters import aws

    ses = aws.client("sesv2")
    send = ses.send_email
    calls: list[int] = []

    def throttled(**request: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:  # the next attempt reaches SES
            return send(**request)
        raise ClientError({"Error": {"Code": "TooManyRequestsException"}}, "SendEmail")

    monkeypatch.setattr(ses, "send_email", throttled)
    return calls


def test_an_email_failure_leaves_no_shortlist_and_the_retried_step_completes_once(
    client: Any, returning_employer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters.mailer import TransientError
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    interns = {intern("Ana", BIO), intern("Ben", BIO)}
    brief = _brief(client)
    brief_id = brief["brief_id"]
    failed = _ses_fails_once(monkeypatch)

    with pytest.raises(TransientError):
        steps.match(steps.StepEvent(brief_id=brief_id, execution="run"))

    assert failed == [1]
    assert _shortlist(brief_id) == []  # joined before the shortlist write
    assert _received(brief_id) == []
    # The transition ran beside the email (the retry finds it done: a no-op).
    assert get_store().get_brief(brief_id)["status"] == "MATCHING"  # type: ignore[index]

    result = steps.match(steps.StepEvent(brief_id=brief_id, execution="run"))  # the Retry

    assert result == {"count": 2}
    assert {str(c["intern_id"]) for c in _shortlist(brief_id)} == interns
    assert len(_received(brief_id)) == 1
    assert failed == [1, 1]

    steps.match(steps.StepEvent(brief_id=brief_id, execution="run"))  # retried once more

    assert len(_received(brief_id)) == 1  # the same idempotency key: sent once
    assert len(_shortlist(brief_id)) == 2
    events = [
        e for e in get_store().query(f"BRIEF#{brief_id}", "EVENT#") if e["status"] == "MATCHING"
    ]
    assert len(events) == 1  # one transition


def test_a_cancelled_brief_stops_the_step_unpublished(client: Any, returning_employer: str) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    intern("Ana", BIO)
    brief = _brief(client)
    brief_id = brief["brief_id"]
    get_store().transition(
        brief_id, expected=["SUBMITTED"], to="CANCELLED", actor="employer", detail="cancelled"
    )

    with pytest.raises(steps.StepError, match="is CANCELLED, cannot move to"):
        steps.match(steps.StepEvent(brief_id=brief_id, execution="run"))

    assert _published(brief) == []  # never open to applicants
    assert _shortlist(brief_id) == []
    assert len(_received(brief_id)) == 1  # sent before the step stopped, as in sequence

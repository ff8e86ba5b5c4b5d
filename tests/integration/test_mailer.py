"""The SES mailer and the idempotency wiring against moto in-process (no network)."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.adapters import aws, idempotency
from chalicelib.adapters.emails import Email, render_email
from chalicelib.adapters.idempotency import CallInProgress, idempotent
from chalicelib.adapters.mailer import MailError, TransientError, send
from chalicelib.settings import get_settings
from tests.helpers import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TABLE = "microintern-test"
SENDER_DOMAIN = "microintern.example"
HOSTILE = "<script>alert(1)</script> Landing page"
URL = "https://app.microintern.example/tasks/tok_abc?step=1&x=2"
_CREATE_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


def _table_properties() -> dict[str, Any]:
    template = json.loads((ROOT / "infrastructure" / "resources.json").read_text())
    return dict(template["Resources"]["Table"]["Properties"])


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in {
            "AWS_PROFILE",
            "AWS_LAMBDA_FUNCTION_NAME",
            "POWERTOOLS_IDEMPOTENCY_DISABLED",
        }:
            monkeypatch.delenv(name)
    for name, value in TEST_SETTINGS.items():  # a complete configuration; the mailer's below
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("MAIL_FROM", f"microintern <no-reply@{SENDER_DOMAIN}>")
    with mock_aws():
        _forget_cached_state()
        properties = _table_properties()
        dynamodb = aws.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE, **{k: properties[k] for k in _CREATE_TABLE_KEYS if k in properties}
        )
        dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
        )
        aws.client("sesv2").create_email_identity(EmailIdentity=SENDER_DOMAIN)
        yield dynamodb
        _forget_cached_state()


def _forget_cached_state() -> None:
    get_settings.cache_clear()
    aws.reset_clients()
    idempotency.reset()


def _sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def _offer(to: str = "ada@student.example") -> Email:
    return render_email(
        "offer",
        to,
        title=HOSTILE,
        company="Acme",
        hours=10,
        pay_cents=18_000,
        currency="usd",
        deadline="2025-03-14",
        window_end="2025-03-03T17:00:00Z",
        action_url=URL,
    )


def _idempotency_items(dynamodb: Any, namespace: str) -> list[dict[str, Any]]:
    response = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"IDEMPOTENCY#{namespace}"}},
        ConsistentRead=True,
    )
    return list(response["Items"])


def _mail_sk(key: str) -> str:
    """Where Powertools keeps the record of `key` (sha256 of the JSON-encoded key)."""
    return "mail#" + hashlib.sha256(json.dumps(key).encode()).hexdigest()


def test_same_key_sends_one_email_and_returns_the_first_id(aws_env: Any) -> None:
    first = send(_offer(), idempotency_key="br_1#offer#in_1")
    second = send(_offer(), idempotency_key="br_1#offer#in_1")

    assert first and second == first
    assert len(_sent()) == 1


def test_the_key_survives_a_cold_start(aws_env: Any) -> None:
    first = send(_offer(), idempotency_key="br_1#offer#in_1")
    _forget_cached_state()  # a new Lambda container: nothing cached in memory

    assert send(_offer(), idempotency_key="br_1#offer#in_1") == first
    assert len(_sent()) == 1


def test_different_keys_send_two_emails(aws_env: Any) -> None:
    first = send(_offer(), idempotency_key="br_1#offer#in_1")
    second = send(_offer("bo@student.example"), idempotency_key="br_1#offer#in_2")

    assert first != second
    assert len(_sent()) == 2


def test_raw_message_is_multipart_alternative_with_both_parts(aws_env: Any) -> None:
    rendered = _offer()
    send(rendered, idempotency_key="br_1#offer#in_1")

    [sent] = _sent()
    message = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] == f"microintern <no-reply@{SENDER_DOMAIN}>"
    assert message["To"] == "ada@student.example"
    assert message["Subject"] == rendered.subject
    assert message["Date"]
    assert message["Message-ID"].endswith(f"@{SENDER_DOMAIN}>")
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().strip() == rendered.text.strip()
    assert URL in text.get_content()
    assert "&lt;script&gt;" in html.get_content() and "<script>" not in html.get_content()
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


def test_record_lives_beside_app_items_without_colliding(aws_env: Any) -> None:
    message_id = send(_offer(), idempotency_key="br_1#offer#in_1")

    [item] = _idempotency_items(aws_env, "mail")
    assert item["sk"]["S"] == _mail_sk("br_1#offer#in_1")  # the key itself is not stored
    assert item["idempotency_status"]["S"] == "COMPLETED"
    assert json.loads(item["result"]["S"]) == message_id
    expires_in_days = (int(item["expires_at"]["N"]) - time.time()) / 86_400
    assert 99 < expires_in_days <= 100  # the table's TTL attribute, past any engagement


def test_a_call_in_flight_with_the_same_key_is_transient(aws_env: Any) -> None:
    now = time.time()
    aws_env.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "IDEMPOTENCY#mail"},
            "sk": {"S": _mail_sk("br_1#offer#in_1")},
            "idempotency_status": {"S": "INPROGRESS"},
            "expires_at": {"N": str(int(now) + 3600)},
            "in_progress_expires_at": {"N": str(int(now * 1000) + 60_000)},
        },
    )

    with pytest.raises(TransientError):
        send(_offer(), idempotency_key="br_1#offer#in_1")
    assert _sent() == []


def test_a_crashed_call_frees_its_key_after_its_budget(aws_env: Any) -> None:
    now = time.time()
    aws_env.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": "IDEMPOTENCY#mail"},
            "sk": {"S": _mail_sk("br_1#offer#in_1")},
            "idempotency_status": {"S": "INPROGRESS"},
            "expires_at": {"N": str(int(now) + 3600)},
            "in_progress_expires_at": {"N": str(int(now * 1000) - 1)},
        },
    )

    assert send(_offer(), idempotency_key="br_1#offer#in_1")
    assert len(_sent()) == 1


def test_unverified_sender_is_a_permanent_error_that_leaves_no_record(
    aws_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_FROM", "no-reply@unverified.example")
    get_settings.cache_clear()

    with pytest.raises(MailError):
        send(_offer(), idempotency_key="br_1#offer#in_1")
    assert _sent() == []
    assert _idempotency_items(aws_env, "mail") == []  # a fixed retry may send it


class _Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.mark.parametrize(
    ("context", "budget_ms"),
    [(None, idempotency.DEFAULT_IN_PROGRESS_MILLIS), (_Context(5_000), 5_000)],
)
def test_in_flight_lock_is_bounded_by_the_lambda_time_left(
    aws_env: Any, context: Any, budget_ms: int
) -> None:
    if context is not None:
        idempotency.register_lambda_context(context)
    started_ms = time.time() * 1000

    send(_offer(), idempotency_key="br_1#offer#in_1")

    [item] = _idempotency_items(aws_env, "mail")
    held_ms = int(item["in_progress_expires_at"]["N"]) - started_ms
    assert budget_ms - 2_000 < held_ms <= budget_ms + 2_000


def test_idempotent_runs_once_and_replays_the_first_result(aws_env: Any) -> None:
    calls: list[int] = []

    @idempotent("test")
    def charge(amount: int, *, idempotency_key: str) -> dict[str, int]:
        calls.append(amount)
        return {"charged": amount}

    assert charge(5, idempotency_key="k1") == {"charged": 5}
    assert charge(7, idempotency_key="k1") == {"charged": 5}  # the first result, not rerun
    assert charge(7, idempotency_key="k2") == {"charged": 7}
    assert calls == [5, 7]
    assert {item["pk"]["S"] for item in _idempotency_items(aws_env, "test")} == {"IDEMPOTENCY#test"}


def test_a_failed_call_can_be_retried(aws_env: Any) -> None:
    attempts: list[str] = []

    @idempotent("test")
    def flaky(*, idempotency_key: str) -> str:
        attempts.append(idempotency_key)
        if len(attempts) == 1:
            raise RuntimeError("boom")
        return "done"

    with pytest.raises(RuntimeError):
        flaky(idempotency_key="k")
    assert flaky(idempotency_key="k") == "done"
    assert flaky(idempotency_key="k") == "done"
    assert len(attempts) == 2


def test_the_same_key_while_running_is_refused(aws_env: Any) -> None:
    @idempotent("test")
    def reentrant(*, idempotency_key: str) -> str:
        return reentrant(idempotency_key=idempotency_key)

    with pytest.raises(CallInProgress):
        reentrant(idempotency_key="k")


def test_a_key_is_required(aws_env: Any) -> None:
    @idempotent("test")
    def needs_key(*, idempotency_key: str = "") -> str:
        return "ran"

    with pytest.raises(TypeError, match="idempotency_key"):
        needs_key()

"""Abuse limits (issue 12, finding 6): past the hourly limit per IP or per address, a request
that would create a record and send mail is answered 429 with Retry-After, and nothing is
created or sent."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.helpers import load_event
from tests.integration.conftest import sent_emails
from tests.integration.test_intake_form import form_fields, open_form, submit
from tests.integration.test_interns_api import intern


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]) -> None:
    from datetime import UTC, datetime

    from chalicelib.adapters import clock
    from chalicelib.settings import get_settings

    # Mid-hour: the counters' windows are clock hours, and a test must not straddle two.
    half_past = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: half_past)

    monkeypatch.setenv("RATE_LIMIT_PER_IP_PER_HOUR", "4")
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS_PER_HOUR", "2")
    get_settings.cache_clear()


def post_brief(client: Any, email: str) -> Any:
    body = load_event("brief", employer_email=email)
    return client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )


def items(sk: str) -> list[dict[str, Any]]:
    import boto3

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["TABLE_NAME"])
    return [item for item in table.scan()["Items"] if item["sk"] == sk]


def executions() -> int:
    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = os.environ["STATE_MACHINE_ARN"]
    return len(sfn.list_executions(stateMachineArn=arn)["executions"])


def test_one_address_gets_two_briefs_an_hour_then_429(client: Any, limits: None) -> None:
    answers = [post_brief(client, "target@victim.example").status_code for _ in range(3)]

    assert answers == [201, 201, 429]
    refused = post_brief(client, "TARGET@victim.example ")  # the same address, spelled otherwise
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "try again in about" in refused.json_body["errors"][0]["message"]
    # Nothing created past the limit: two briefs, each waiting for the address's confirmation
    # (no execution), and two confirmation emails, the only mail the address gets.
    assert len(items("BRIEF")) == 2 and executions() == 0
    assert len(sent_emails()) == 2


def test_one_ip_gets_four_creations_an_hour_whatever_the_addresses(
    client: Any, limits: None
) -> None:
    answers = [post_brief(client, f"person{n}@example.com").status_code for n in range(5)]

    assert answers == [201, 201, 201, 201, 429]
    assert len(items("BRIEF")) == 4


def test_intern_registrations_are_limited_and_send_no_mail_when_refused(
    client: Any, limits: None
) -> None:
    def register() -> Any:
        return client.http.post(
            "/api/interns",
            headers={"Content-Type": "application/json"},
            body=json.dumps(intern(email="ada@victim.example")),
        )

    first, second, third = register(), register(), register()

    assert [first.status_code, third.status_code] == [201, 429]
    assert second.status_code == 409  # the address is registered already (nothing sent)
    mails_before = len(sent_emails())
    assert register().status_code == 429
    assert len(sent_emails()) == mails_before


def test_the_form_answers_a_page_that_says_to_slow_down(client: Any, limits: None) -> None:
    for _ in range(2):
        post_brief(client, "form@victim.example")
    cookie, token, nonce = open_form(client)

    page = submit(
        client,
        cookie,
        form_fields(csrf_token=token, nonce=nonce, employer_email="form@victim.example"),
    )

    assert page.status_code == 429
    assert page.headers["Retry-After"]
    assert "Please slow down" in page.body.decode()
    assert page.headers["Content-Type"].startswith("text/html")
    assert len(items("BRIEF")) == 2


def test_a_malformed_body_is_still_counted_against_the_ip(client: Any, limits: None) -> None:
    deep = "[" * 5000 + "]" * 5000
    answers = [
        client.http.post(
            "/api/briefs", headers={"Content-Type": "application/json"}, body=deep
        ).status_code
        for _ in range(5)
    ]

    assert answers == [400, 400, 400, 400, 429]


def test_concurrent_requests_never_pass_the_limit(
    aws_env: dict[str, str], limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.integration.test_escrow_support import _atomic_moto_dynamodb

    _atomic_moto_dynamodb(monkeypatch)  # each request atomic, as in DynamoDB

    from chalicelib.adapters.rate_limits import RateLimited, hit

    def one(_: int) -> bool:
        try:
            hit("test:burst", "same-key", limit=7, window_seconds=3600, now=1_800_000_000)
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        passed = list(pool.map(one, range(40)))

    assert sum(passed) == 7
    (counter,) = items("W#1800000000")  # the hour starting at 1_800_000_000
    assert int(counter["hits"]) == 7 and int(counter["expires_at"]) == 1_800_000_000 + 7200
    assert "same-key" not in json.dumps(counter, default=str)  # the key is stored hashed

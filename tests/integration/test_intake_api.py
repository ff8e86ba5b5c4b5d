"""Employer intake through the JSON API: Given/When/Then against moto and chalice's client."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3

from tests.helpers import load_event
from tests.integration.conftest import sent_emails


def post(client: Any, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json", **headers}, body=raw
    )


def executions(aws_env: dict[str, str]) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return list(sfn.list_executions(stateMachineArn=aws_env["STATE_MACHINE_ARN"])["executions"])


def test_valid_brief_is_stored_started_and_confirmed(
    client: Any, aws_env: dict[str, str], returning_employer: str
) -> None:
    response = post(client, load_event("brief"))

    assert response.status_code == 201
    body = response.json_body
    assert body["status"] == "SUBMITTED"
    assert (
        body["manage_url"]
        == f"http://testserver/briefs/{body['brief_id']}?key={body['manage_token']}"
    )
    assert len(body["manage_token"]) >= 43  # 256 bits, URL-safe

    (execution,) = executions(aws_env)
    assert execution["name"] == body["brief_id"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    run_input = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert run_input["brief_id"] == body["brief_id"]
    assert run_input["nda_required"] is True
    assert run_input["windows"]["offer_seconds"] == 48 * 3600
    assert run_input["windows"]["work_seconds"] > 13 * 24 * 3600

    # The API answers without sending email: the workflow's first step does (see e2e).
    assert sent_emails() == []


def test_manage_token_is_stored_hashed(client: Any, aws_env: dict[str, str]) -> None:
    body = post(client, load_event("brief")).json_body
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    items = ddb.query(
        TableName=aws_env["TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"BRIEF#{body['brief_id']}"}},
    )["Items"]
    assert body["manage_token"] not in json.dumps(items)
    (token,) = [i for i in items if i["sk"]["S"].startswith("MANAGE#")]
    assert len(token["sk"]["S"].removeprefix("MANAGE#")) == 64
    assert int(token["expires_at"]["N"]) > time.time() + 29 * 24 * 3600


def test_invalid_fields_are_named_and_nothing_is_stored(
    client: Any, aws_env: dict[str, str]
) -> None:
    bad = load_event("brief", title="Hey", estimated_hours=50, budget_cents=100, currency="eur")

    response = post(client, bad)

    assert response.status_code == 422
    fields = {e["field"] for e in response.json_body["errors"]}
    assert {"title", "estimated_hours", "currency"} <= fields
    assert executions(aws_env) == []
    assert sent_emails() == []


def test_budget_below_twenty_dollars_an_hour_is_refused(client: Any) -> None:
    response = post(client, load_event("brief", estimated_hours=20, budget_cents=39_999))

    assert response.status_code == 422
    (error,) = response.json_body["errors"]
    assert error["field"] == "budget_cents"
    assert "400.00" in error["message"]


def test_bodies_that_are_not_a_json_object_get_a_4xx(client: Any) -> None:
    for raw in ["", "not json", "[1, 2]", "42", '"text"', "{"]:
        response = post(client, raw)
        assert 400 <= response.status_code < 500, raw
        assert response.json_body["errors"][0]["message"]


def test_same_idempotency_key_gives_one_brief_and_one_run(
    client: Any, aws_env: dict[str, str], returning_employer: str
) -> None:
    first = post(client, load_event("brief"), **{"Idempotency-Key": "k-123"})
    again = post(client, load_event("brief"), **{"Idempotency-Key": "k-123"})

    assert first.status_code == again.status_code == 201
    assert first.json_body == again.json_body
    assert len(executions(aws_env)) == 1


def test_same_key_with_another_brief_is_refused(
    client: Any, aws_env: dict[str, str], returning_employer: str
) -> None:
    post(client, load_event("brief"), **{"Idempotency-Key": "k-9"})

    response = post(
        client, load_event("brief", title="Another project title"), **{"Idempotency-Key": "k-9"}
    )

    assert response.status_code == 422
    assert response.json_body["errors"][0]["field"] == "idempotency_key"
    assert len(executions(aws_env)) == 1


def test_brief_opens_only_with_its_own_token(client: Any, returning_employer: str) -> None:
    mine = post(client, load_event("brief")).json_body
    theirs = post(client, load_event("brief", employer_email="sam@other.example")).json_body
    url = f"/api/briefs/{mine['brief_id']}"

    assert client.http.get(url).status_code == 401
    assert client.http.get(url, headers={"Authorization": "Bearer nope"}).status_code == 403
    other = {"Authorization": f"Bearer {theirs['manage_token']}"}
    assert client.http.get(url, headers=other).status_code == 403
    unknown = client.http.get("/api/briefs/b_missing", headers=other)
    assert unknown.status_code == 404

    ok = client.http.get(url, headers={"Authorization": f"Bearer {mine['manage_token']}"})
    assert ok.status_code == 200
    view = ok.json_body
    assert view["brief_id"] == mine["brief_id"]
    assert view["status"] == "SUBMITTED"
    assert [e["status"] for e in view["timeline"]] == ["SUBMITTED"]
    assert view["escrow"] == {
        "funded_cents": 0,
        "released_cents": 0,
        "fee_cents": 0,
        "refunded_cents": 0,
        "held_cents": 0,
        "payment_intent_id": None,
    }
    assert view["shortlist"] == []
    assert view["engagement"] == {"intern_id": None, "status": "SUBMITTED"}
    assert view["payout"] == {"payout_id": None, "status": None}
    assert "cancel" in view["actions"]


def test_the_replayable_first_response_is_kept_one_day_only(
    client: Any, aws_env: dict[str, str]
) -> None:
    import time

    post(client, load_event("brief"), **{"Idempotency-Key": "k-ttl"})

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    records = ddb.query(
        TableName=aws_env["TABLE_NAME"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "IDEMPOTENCY#submit_brief"}},
    )["Items"]
    (record,) = records
    lifetime = int(record["expires_at"]["N"]) - time.time()
    assert 23 * 3600 < lifetime <= 24 * 3600 + 60

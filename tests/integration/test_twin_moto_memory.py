"""The twin's moto workarounds (local/moto_memory.py) keep DynamoDB's behaviour: a cancelled
transaction leaves every item as it was, a successful one writes them all; and what moto no
longer uses is freed."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_memory

TABLE = "memory-test"


@pytest.fixture
def ddb() -> Iterator[Any]:
    moto_memory.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "A"}}


def items(client: Any) -> dict[str, dict[str, Any]]:
    return {i["pk"]["S"]: i for i in client.scan(TableName=TABLE)["Items"]}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("a"), "n": {"N": "1"}})
    ddb.put_item(TableName=TABLE, Item={**key("gone"), "n": {"N": "7"}})
    before = items(ddb)
    with pytest.raises(ClientError) as refused:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("a"),
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": TABLE, "Item": {**key("b"), "n": {"N": "3"}}}},
                {"Delete": {"TableName": TABLE, "Key": key("gone")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("missing"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert items(ddb) == before


def test_a_transaction_that_holds_writes_every_item(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("a"), "n": {"N": "1"}})
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("a"),
                    "UpdateExpression": "SET n = :two",
                    "ConditionExpression": "n = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":two": {"N": "2"}},
                }
            },
            {"Put": {"TableName": TABLE, "Item": {**key("b"), "n": {"N": "3"}}}},
        ]
    )
    assert {k: v["n"]["N"] for k, v in items(ddb).items()} == {"a": "2", "b": "3"}


def test_objects_moto_no_longer_uses_are_freed(ddb: Any) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    for n in range(50):
        ddb.put_item(TableName=TABLE, Item={**key(f"i{n}"), "n": {"N": str(n)}})
    gc.collect()
    live = len(Item.instances_tracked)  # type: ignore[attr-defined]
    for _ in range(20):
        items(ddb)  # every scan returns copies of every item
        ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": {**key("i0"), "n": {"N": "0"}}}}]
        )
    gc.collect()
    assert len(Item.instances_tracked) <= live + 5  # type: ignore[attr-defined]
    assert len(list(Item.instances_tracked)) >= 50  # type: ignore[attr-defined]  # the table's


def test_sent_emails_are_kept_compressed_and_read_back_unchanged() -> None:
    from moto.ses.models import ses_backends

    moto_memory.install()
    raw = (
        "From: team@microintern.example\r\nTo: ada@students.example\r\n"
        "Subject: Paid project for you\r\n\r\n" + "Your offer, in words repeated. " * 200
    )
    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="team@microintern.example")
        ses.send_raw_email(RawMessage={"Data": raw})
        (message,) = ses_backends["123456789012"]["us-east-1"].sent_messages

        assert message.raw_data == raw
        held = message.__dict__
        assert "raw_data" not in held
        assert sum(len(v) for v in held.values() if isinstance(v, bytes)) < len(raw) / 4

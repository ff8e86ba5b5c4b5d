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


def live_items() -> int:
    from moto.dynamodb.models.dynamo_type import Item

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Item))


def test_objects_moto_no_longer_uses_are_freed(ddb: Any) -> None:
    for n in range(50):
        ddb.put_item(TableName=TABLE, Item={**key(f"i{n}"), "n": {"N": str(n)}})
    live = live_items()
    assert live >= 50  # the table's
    for _ in range(20):
        items(ddb)  # every scan returns copies of every item
        ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": {**key("i0"), "n": {"N": "0"}}}}]
        )
    assert live_items() <= live + 5


def test_other_models_are_tracked_weakly_for_the_dashboard() -> None:
    from local.moto_memory import WeakInstances

    class Model:
        pass

    tracked = WeakInstances()
    kept = [Model() for _ in range(3)]
    for obj in [*kept, Model(), Model()]:
        tracked.append(obj)
    del obj
    gc.collect()
    assert sorted(map(id, tracked)) == sorted(map(id, kept))
    assert len(tracked) == 3


def test_items_share_their_names_and_short_values(ddb: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    for n in range(2):
        ddb.put_item(
            TableName=TABLE,
            Item={**key(f"s{n}"), "status": {"S": "COMPLETED"}, "m": {"M": {"kind": {"S": "x"}}}},
        )
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[TABLE]
    first, second = (
        table.get_item(DynamoType({"S": f"s{n}"}), DynamoType({"S": "A"})) for n in range(2)
    )
    assert first.attrs["status"].value == "COMPLETED"
    assert first.attrs["status"].value is second.attrs["status"].value
    names = {id(k) for k in first.attrs} & {id(k) for k in second.attrs}
    assert len(names) == len(first.attrs)  # the same name strings
    assert next(iter(first.attrs["m"].value)) is next(iter(second.attrs["m"].value))


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
        other = raw.replace("ada@", "bo@").replace("words", "other words")
        ses.send_raw_email(RawMessage={"Data": other})
        first, second = ses_backends["123456789012"]["us-east-1"].sent_messages[-2:]

        assert first.raw_data == raw
        assert second.raw_data == other
        for message in (first, second):
            held = message.__dict__
            assert "raw_data" not in held
            assert sum(len(v) for v in held.values() if isinstance(v, bytes)) < len(raw) / 4

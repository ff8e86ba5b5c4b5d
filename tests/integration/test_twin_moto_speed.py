"""The twin's query workaround (local/moto_speed.py) answers every Query as moto does — the
same items, in the same order — while reading only the partition asked for, through writes of
every kind (puts, updates moving an item between index partitions or out of the index, deletes,
transactions that hold and that are cancelled, batch writes)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_memory, moto_speed

TABLE = "query-test"
VALUES = [f"V#{i}" for i in range(4)]


@pytest.fixture
def ddb(request: pytest.FixtureRequest) -> Iterator[Any]:
    moto_memory.install()
    moto_speed.index_queries()
    request.addfinalizer(moto_speed.unindex_queries)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def query_all(client: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """Every page of a query (pages of 3, so paging is exercised), as (pk, sk) in order."""
    found: list[tuple[str, str]] = []
    start: dict[str, Any] | None = None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client.query(TableName=TABLE, Limit=3, **kwargs, **extra)
        found.extend((i["pk"]["S"], i["sk"]["S"]) for i in page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def expected_from_scan(client: Any) -> dict[str, Any]:
    items = client.scan(TableName=TABLE)["Items"]
    by_pk: dict[str, list[tuple[str, str]]] = {}
    by_gsi: dict[str, list[tuple[str, tuple[str, str]]]] = {}
    for i in items:
        k = (i["pk"]["S"], i["sk"]["S"])
        by_pk.setdefault(k[0], []).append(k)
        if "gsi1pk" in i and "gsi1sk" in i:
            by_gsi.setdefault(i["gsi1pk"]["S"], []).append((i["gsi1sk"]["S"], k))
    return {
        "pk": {p: sorted(ks, key=lambda k: k[1]) for p, ks in by_pk.items()},
        "gsi": {v: [k for _, k in sorted(ks)] for v, ks in by_gsi.items()},
    }


def check_queries(client: Any) -> None:
    expected = expected_from_scan(client)
    for pk in ["P0", "P1", "P2", "P3", "P4"]:
        values = {":p": {"S": pk}}
        want = expected["pk"].get(pk, [])
        assert (
            query_all(client, KeyConditionExpression="pk = :p", ExpressionAttributeValues=values)
            == want
        )
        assert query_all(
            client,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
        ) == list(reversed(want))
    for value in VALUES:
        assert query_all(
            client,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :v",
            ExpressionAttributeValues={":v": {"S": value}},
        ) == expected["gsi"].get(value, [])
        assert query_all(
            client,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :v AND gsi1sk < :s",
            ExpressionAttributeValues={":v": {"S": value}, ":s": {"S": "M"}},
        ) == [k for k in expected["gsi"].get(value, []) if gsi_sk(client, k) < "M"]


def gsi_sk(client: Any, k: tuple[str, str]) -> str:
    item = client.get_item(TableName=TABLE, Key=key(*k))["Item"]
    return str(item["gsi1sk"]["S"])


def random_item(rng: random.Random) -> dict[str, Any]:
    item = {**key(f"P{rng.randrange(5)}", f"S{rng.randrange(6)}"), "n": {"N": "1"}}
    if rng.random() < 0.7:
        item["gsi1pk"] = {"S": rng.choice(VALUES)}
        item["gsi1sk"] = {"S": rng.choice("ABCMXYZ") + str(rng.randrange(99))}
    return item


def write(client: Any, rng: random.Random) -> None:
    kind = rng.choice(["put", "move", "unindex", "delete", "transact", "cancelled", "batch"])
    k = key(f"P{rng.randrange(5)}", f"S{rng.randrange(6)}")
    if kind == "put":
        client.put_item(TableName=TABLE, Item=random_item(rng))
    elif kind == "move":  # an update moving the item to another index partition
        client.update_item(
            TableName=TABLE,
            Key=k,
            UpdateExpression="SET gsi1pk = :v, gsi1sk = :s",
            ExpressionAttributeValues={
                ":v": {"S": rng.choice(VALUES)},
                ":s": {"S": rng.choice("ABMZ")},
            },
        )
    elif kind == "unindex":  # out of the (sparse) index
        client.update_item(TableName=TABLE, Key=k, UpdateExpression="REMOVE gsi1pk")
    elif kind == "delete":
        client.delete_item(TableName=TABLE, Key=k)
    elif kind in ("transact", "cancelled"):
        ops: list[dict[str, Any]] = [
            {"Put": {"TableName": TABLE, "Item": random_item(rng)}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("P9", f"S{rng.randrange(3)}"),
                    "UpdateExpression": "SET gsi1pk = :v, gsi1sk = :s",
                    "ExpressionAttributeValues": {
                        ":v": {"S": rng.choice(VALUES)},
                        ":s": {"S": "Q"},
                    },
                }
            },
        ]
        if kind == "cancelled":
            ops.append(
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": key("nowhere", "S0"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            client.transact_write_items(TransactItems=ops)
        except ClientError as refused:
            assert kind == "cancelled", refused
    else:
        first, second = random_item(rng), random_item(rng)
        if (first["pk"], first["sk"]) == (second["pk"], second["sk"]):
            second = {**second, "sk": {"S": "S-other"}}
        client.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": first}},
                    {"PutRequest": {"Item": second}},
                ]
            }
        )


def test_queries_answer_as_moto_does_through_every_kind_of_write(ddb: Any) -> None:
    rng = random.Random(16)
    check_queries(ddb)  # the index is built on the first query
    for _ in range(60):
        write(ddb, rng)
        check_queries(ddb)


def test_a_query_reads_its_partition_not_the_table(ddb: Any) -> None:
    for i in range(30):
        ddb.put_item(
            TableName=TABLE,
            Item={**key(f"P{i}", "S"), "gsi1pk": {"S": VALUES[i % 2]}, "gsi1sk": {"S": "A"}},
        )
    listings = moto_speed.STATS["whole_table_listings"]
    assert (
        len(
            query_all(
                ddb, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P3"}}
            )
        )
        == 1
    )
    gsi = query_all(
        ddb,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :v",
        ExpressionAttributeValues={":v": {"S": VALUES[1]}},
    )
    assert len(gsi) == 15
    assert moto_speed.STATS["whole_table_listings"] == listings
    ddb.scan(TableName=TABLE)  # a scan still reads the whole table, as it should
    assert moto_speed.STATS["whole_table_listings"] == listings + 1


def test_step_functions_tasks_share_one_lambda_client_whatever_their_credentials() -> None:
    # Every task passes its state's credentials (the execution's role when the state names
    # none); moto builds the client from fixed test keys regardless, so one client serves.
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import (
        StateCredentials,
    )

    moto_speed.cache_lambda_clients()
    with mock_aws():
        clients = [
            lambda_eval_utils.boto_client_for(  # type: ignore[attr-defined]
                region="us-east-1", service="lambda", state_credentials=StateCredentials(role)
            )
            for role in ("arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b")
        ]
    assert clients[0] is clients[1]
    assert clients[0].meta.region_name == "us-east-1"

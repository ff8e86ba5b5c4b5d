"""DynamoDB single-table store (see docs/data-model.md for every key and access path).

Every state change is a conditional write; the timeline event of a change is written in the
same transaction, so an engagement never changes state without its audit record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.clock import iso, now


class Conflict(Exception):
    """The item was not in the state the write expected: nothing changed."""


class NotFound(Exception):
    pass


class Busy(Exception):
    """DynamoDB throttled the request: nothing changed, try again shortly (HTTP 503)."""


class Rejected(Exception):
    """DynamoDB refused the request as invalid: nothing changed (HTTP 422)."""


THROTTLED = frozenset(
    {
        "ThrottlingException",
        "ThrottlingError",
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    }
)


def brief_key(brief_id: str) -> dict[str, str]:
    return {"pk": f"BRIEF#{brief_id}", "sk": "BRIEF"}


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def _storable(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    ser = _serializer()
    return {k: ser.serialize(_storable(v)) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    de = TypeDeserializer()
    return {k: _plain(de.deserialize(v)) for k, v in item.items()}


def _is_condition_failure(exc: Exception) -> bool:
    """True when the write was refused by its condition (or a concurrent transaction);
    Busy or Rejected when DynamoDB cancelled a transaction for another reason."""
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = {str(r.get("Code")) for r in response.get("CancellationReasons") or []}
    reasons -= {"None"}
    if reasons & THROTTLED:
        raise Busy(str(exc)) from exc
    if "ValidationError" in reasons:
        raise Rejected(str(exc)) from exc
    return reasons <= {"ConditionalCheckFailed", "TransactionConflict"}


class Store:
    def __init__(self, table_name: str) -> None:
        self.table = table_name

    @property
    def _db(self) -> Any:
        return aws.client("dynamodb")

    # -- generic -------------------------------------------------------------------------
    def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        resp = self._db.get_item(
            TableName=self.table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=consistent
        )
        item = resp.get("Item")
        return from_item(item) if item else None

    def query(
        self, pk: str, prefix: str = "", *, index: str | None = None, consistent: bool = False
    ) -> list[dict[str, Any]]:
        """Every item of `pk` (under `prefix`); `consistent` reads the table strongly
        consistently (a page right after an action reads that action's writes)."""
        key_pk, key_sk = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        expr = f"{key_pk} = :pk"
        values: dict[str, Any] = {":pk": pk}
        if prefix:
            expr += f" AND begins_with({key_sk}, :prefix)"
            values[":prefix"] = prefix
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": expr,
            "ExpressionAttributeValues": to_item(values),
        }
        if index:
            kwargs["IndexName"] = index
        elif consistent:
            kwargs["ConsistentRead"] = True
        return self._query_all(kwargs)

    def _query_all(self, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of a Query."""
        items: list[dict[str, Any]] = []
        while True:
            resp = self._db.query(**kwargs)
            items.extend(from_item(i) for i in resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                return items
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def page(
        self, pk: str, prefix: str, *, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` items of `pk` whose sort key starts with `prefix`, in order, after the
        sort key `after` (which need not exist); (items, whether more may follow)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": pk, ":prefix": prefix}),
            "Limit": limit,
        }
        if after:
            kwargs["ExclusiveStartKey"] = to_item({"pk": pk, "sk": after})
        resp = self._db.query(**kwargs)
        return [from_item(i) for i in resp.get("Items", [])], "LastEvaluatedKey" in resp

    def query_range(
        self, pk: str, low: str, high: str, *, index: str | None = None
    ) -> list[dict[str, Any]]:
        """Items of partition `pk` whose sort key lies between `low` and `high` (inclusive)."""
        key_pk, key_sk = ("gsi1pk", "gsi1sk") if index else ("pk", "sk")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": f"{key_pk} = :pk AND {key_sk} BETWEEN :low AND :high",
            "ExpressionAttributeValues": to_item({":pk": pk, ":low": low, ":high": f"{high}~"}),
        }
        if index:
            kwargs["IndexName"] = index
        return self._query_all(kwargs)

    def put_new(self, item: Mapping[str, Any]) -> None:
        """Create an item that must not exist yet."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as exc:
            if _is_condition_failure(exc):
                raise Conflict(f"{item['pk']}/{item['sk']} exists") from exc
            raise

    def put(self, item: Mapping[str, Any]) -> None:
        self._db.put_item(TableName=self.table, Item=to_item(item))

    def batch_put(self, items: list[dict[str, Any]]) -> None:
        """Unconditional bulk writes (seed data), 25 per request, unprocessed items retried."""
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": to_item(i)}} for i in items[start : start + 25]]
            pending: dict[str, Any] = {self.table: requests}
            while pending:
                resp = self._db.batch_write_item(RequestItems=pending)
                pending = resp.get("UnprocessedItems") or {}

    def transact(self, operations: list[dict[str, Any]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=operations)
        except Exception as exc:
            if _is_condition_failure(exc):
                raise Conflict(str(exc)) from exc
            raise

    def put_op(self, item: Mapping[str, Any], *, must_be_new: bool = True) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.table, "Item": to_item(item)}
        if must_be_new:
            op["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": op}

    # -- briefs and their timeline ---------------------------------------------------------
    def get_brief(self, brief_id: str) -> dict[str, Any] | None:
        key = brief_key(brief_id)
        return self.get(key["pk"], key["sk"])

    def get_briefs(self, brief_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The briefs of `brief_ids` that exist, by id: BatchGetItem, 100 keys a call, keys
        DynamoDB leaves unprocessed asked again (eventually consistent: a list, not a decision)."""
        found: dict[str, dict[str, Any]] = {}
        ids = list(dict.fromkeys(brief_ids))
        for start in range(0, len(ids), 100):
            keys = [to_item(brief_key(i)) for i in ids[start : start + 100]]
            request: dict[str, Any] = {self.table: {"Keys": keys}}
            for _attempt in range(5):
                resp = self._db.batch_get_item(RequestItems=request)
                for item in resp.get("Responses", {}).get(self.table, []):
                    brief = from_item(item)
                    found[str(brief["brief_id"])] = brief
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    @staticmethod
    def event_item(
        brief_id: str, *, status_from: str | None, status_to: str, actor: str, detail: str
    ) -> dict[str, Any]:
        moment = now()
        at = iso(moment)
        # Microseconds in the key keep events of the same millisecond in the order they happened.
        return {
            "pk": f"BRIEF#{brief_id}",
            "sk": f"EVENT#{moment.isoformat(timespec='microseconds')}#{uuid.uuid4().hex[:8]}",
            "type": "event",
            "at": at,
            "from": status_from,
            "status": status_to,
            "actor": actor,
            "detail": detail,
        }

    def transition(
        self,
        brief_id: str,
        *,
        expected: Iterable[str],
        to: str,
        actor: str,
        detail: str,
        updates: Mapping[str, Any] | None = None,
        extra: Iterable[dict[str, Any]] = (),
    ) -> None:
        """Move a brief from one of `expected` statuses to `to`, appending its timeline event.

        Raises Conflict (and changes nothing) when the brief is in another state.
        """
        expected = list(expected)
        names = {"#status": "status", "#version": "version", "#updated": "updated_at"}
        values: dict[str, Any] = {":to": to, ":one": 1, ":now": iso()}
        sets = ["#status = :to", "#updated = :now"]
        for i, (field, value) in enumerate((updates or {}).items()):
            names[f"#u{i}"] = field
            values[f":u{i}"] = value
            sets.append(f"#u{i} = :u{i}")
        placeholders = []
        for i, status in enumerate(expected):
            values[f":e{i}"] = status
            placeholders.append(f":e{i}")
        update = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(brief_key(brief_id)),
                "UpdateExpression": "SET " + ", ".join(sets) + " ADD #version :one",
                "ConditionExpression": f"#status IN ({', '.join(placeholders)})",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        event = self.event_item(
            brief_id, status_from="|".join(expected), status_to=to, actor=actor, detail=detail
        )
        self.transact([update, self.put_op(event), *extra])

    def flag(
        self,
        brief_id: str,
        *,
        expected: Iterable[str],
        fields: Mapping[str, Any],
        event: dict[str, Any],
    ) -> None:
        """Set fields (never the status) while the brief is in one of `expected`, with its
        timeline event, in one transaction; Conflict when the brief has moved on."""
        expected = list(expected)
        names = {f"#f{i}": k for i, k in enumerate(fields)} | {"#status": "status"}
        values = {f":f{i}": v for i, v in enumerate(fields.values())}
        values |= {f":e{i}": status for i, status in enumerate(expected)}
        sets = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        placeholders = ", ".join(f":e{i}" for i in range(len(expected)))
        update = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(brief_key(brief_id)),
                "UpdateExpression": f"SET {sets}",
                "ConditionExpression": f"#status IN ({placeholders})",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        self.transact([update, self.put_op(event)])

    def timeline(self, brief_id: str) -> list[dict[str, Any]]:
        return self.query(f"BRIEF#{brief_id}", "EVENT#")

    def update_brief(self, brief_id: str, fields: Mapping[str, Any]) -> None:
        """Set descriptive fields (never the status: that goes through `transition`)."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":f{i}": v for i, v in enumerate(fields.values())}
        self._db.update_item(
            TableName=self.table,
            Key=to_item(brief_key(brief_id)),
            UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
        )

    def remove_brief_fields(self, brief_id: str, *fields: str) -> None:
        self._db.update_item(
            TableName=self.table,
            Key=to_item(brief_key(brief_id)),
            UpdateExpression="REMOVE " + ", ".join(f"#r{i}" for i in range(len(fields))),
            ExpressionAttributeNames={f"#r{i}": f for i, f in enumerate(fields)},
        )

    def add_counters(self, pk: str, sk: str, deltas: Mapping[str, int]) -> None:
        """Atomically add to numeric attributes of an existing item."""
        fields = {k: v for k, v in deltas.items() if v}
        if not fields:
            return
        self._db.update_item(
            TableName=self.table,
            Key=to_item({"pk": pk, "sk": sk}),
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(fields))),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={f"#c{i}": k for i, k in enumerate(fields)},
            ExpressionAttributeValues=to_item({f":c{i}": v for i, v in enumerate(fields.values())}),
        )

    def count_up_to(self, pk: str, sk: str, *, limit: int, expires_at: int) -> bool:
        """Add one to the item's ``hits`` while it is below ``limit`` (one conditional
        UpdateItem, so concurrent callers never pass the limit); False once it is reached.
        The item expires at ``expires_at`` (TTL)."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=to_item({"pk": pk, "sk": sk}),
                UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :e)",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues=to_item({":one": 1, ":limit": limit, ":e": expires_at}),
            )
        except Exception as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    # -- interns: one open offer or engagement at a time ---------------------------------
    def hold_intern(self, intern_id: str, brief_id: str) -> bool:
        """Reserve the intern for this brief; False when another brief holds them."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=to_item({"pk": f"INTERN#{intern_id}", "sk": "PROFILE"}),
                UpdateExpression="SET holding = :b",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(holding) OR holding = :b)",
                ExpressionAttributeValues=to_item({":b": brief_id}),
            )
            return True
        except Exception as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def release_intern(self, intern_id: str, brief_id: str) -> None:
        """Free the intern if (and only if) this brief holds them."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=to_item({"pk": f"INTERN#{intern_id}", "sk": "PROFILE"}),
                UpdateExpression="REMOVE holding",
                ConditionExpression="holding = :b",
                ExpressionAttributeValues=to_item({":b": brief_id}),
            )
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise

    # -- task tokens (kept beside the engagement, under their own key prefix) ---------------
    def save_task_token(
        self,
        brief_id: str,
        kind: str,
        token: str,
        execution: str,
        intern_id: str | None = None,
        remind_at: str | None = None,
        closes_at: str | None = None,
    ) -> None:
        """Keep the wait's token beside the engagement (bound to the intern it waits for).

        With `remind_at`, the token is listed in the sparse `REMIND` index until its reminder
        is sent (see `due_reminders`). With `closes_at`, the wait counts as open only until then
        (`waiting_token`): nothing may act on a wait Step Functions is about to time out.
        """
        item: dict[str, Any] = {
            "pk": f"BRIEF#{brief_id}",
            "sk": f"TASKTOKEN#{kind}",
            "type": "task_token",
            "brief_id": brief_id,
            "kind": kind,
            "token": token,
            "execution": execution,
            "intern_id": intern_id,
            "consumed": False,
            "created_at": iso(),
        }
        if closes_at:
            item["closes_at"] = closes_at
        if remind_at:
            item.update({"gsi1pk": "REMIND", "gsi1sk": f"{remind_at}#{brief_id}#{kind}"})
        self.put(item)

    def due_reminders(self, now: str) -> list[dict[str, Any]]:
        """Waiting tokens whose reminder time has come: one Query on the sparse index."""
        resp = self._db.query(
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :r AND gsi1sk <= :now",
            ExpressionAttributeValues=to_item({":r": "REMIND", ":now": f"{now}~"}),
        )
        return [from_item(i) for i in resp.get("Items", [])]

    def reminder_sent(self, brief_id: str, kind: str, token: str) -> bool:
        """Take the token off the reminder index (only the holder of `token` can)."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=to_item({"pk": f"BRIEF#{brief_id}", "sk": f"TASKTOKEN#{kind}"}),
                UpdateExpression="REMOVE gsi1pk, gsi1sk SET reminded_at = :now",
                ConditionExpression="#token = :token AND attribute_exists(gsi1pk)",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues=to_item({":token": token, ":now": iso()}),
            )
            return True
        except Exception as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def consume_task_token(self, brief_id: str, kind: str, intern_id: str | None = None) -> str:
        """Mark the waiting token consumed and return it; Conflict when none is waiting.

        Only one caller can consume a token: five simultaneous accepts resume the flow once.
        With `intern_id`, only the token waiting for that intern is taken.
        """
        condition = "attribute_exists(pk) AND #consumed = :no"
        values: dict[str, Any] = {":yes": True, ":no": False, ":now": iso()}
        if intern_id is not None:
            condition += " AND intern_id = :intern"
            values[":intern"] = intern_id
        try:
            resp = self._db.update_item(
                TableName=self.table,
                Key=to_item({"pk": f"BRIEF#{brief_id}", "sk": f"TASKTOKEN#{kind}"}),
                UpdateExpression="SET #consumed = :yes, consumed_at = :now REMOVE gsi1pk, gsi1sk",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#consumed": "consumed"},
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if _is_condition_failure(exc):
                raise Conflict(f"nothing is waiting for {kind}") from exc
            raise
        return str(from_item(resp["Attributes"])["token"])

    def waiting_token(self, brief_id: str, kind: str) -> dict[str, Any] | None:
        """The wait's token while the wait is open: not consumed, and before its `closes_at`."""
        item = self.get(f"BRIEF#{brief_id}", f"TASKTOKEN#{kind}")
        return item if item and token_open(item) else None

    # -- escrow (issue 6): conditional updates inside money transactions -------------------
    def update_op(
        self,
        key: Mapping[str, str],
        *,
        condition: str,
        set_fields: Mapping[str, Any] | None = None,
        add_fields: Mapping[str, int] | None = None,
        remove_fields: Sequence[str] = (),
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One conditional Update for `transact`: SET `set_fields`, ADD `add_fields`, REMOVE.

        In `condition`, attributes are written `#name` and values `:name` (given in `values`).
        """
        import re

        names: dict[str, str] = {f"#{n}": n for n in re.findall(r"#(\w+)", condition)}
        expr_values: dict[str, Any] = dict(values or {})
        clauses = []
        sets = []
        for i, (field, value) in enumerate((set_fields or {}).items()):
            names[f"#set{i}"] = field
            expr_values[f":set{i}"] = value
            sets.append(f"#set{i} = :set{i}")
        if sets:
            clauses.append("SET " + ", ".join(sets))
        adds = []
        for i, (field, delta) in enumerate((add_fields or {}).items()):
            names[f"#add{i}"] = field
            expr_values[f":add{i}"] = delta
            adds.append(f"#add{i} :add{i}")
        if adds:
            clauses.append("ADD " + ", ".join(adds))
        removes = []
        for i, field in enumerate(remove_fields):
            names[f"#rem{i}"] = field
            removes.append(f"#rem{i}")
        if removes:
            clauses.append("REMOVE " + ", ".join(removes))
        op: dict[str, Any] = {
            "TableName": self.table,
            "Key": to_item(key),
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if expr_values:
            op["ExpressionAttributeValues"] = to_item(expr_values)
        return {"Update": op}

    def put_if_absent(self, item: Mapping[str, Any]) -> bool:
        """Create `item` unless it exists; False (and nothing written) when it does."""
        try:
            self.put_new(item)
            return True
        except Conflict:
            return False

    def unconsume_task_token(self, brief_id: str, kind: str, token: str) -> None:
        """Undo `consume_task_token` for `token` when the resume that followed it failed."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=to_item({"pk": f"BRIEF#{brief_id}", "sk": f"TASKTOKEN#{kind}"}),
                UpdateExpression="SET #consumed = :no REMOVE consumed_at",
                ConditionExpression="#token = :token AND #consumed = :yes",
                ExpressionAttributeNames={"#token": "token", "#consumed": "consumed"},
                ExpressionAttributeValues=to_item({":no": False, ":yes": True, ":token": token}),
            )
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise

    def delete(self, pk: str, sk: str) -> None:
        """Delete one item (nothing happens when it does not exist)."""
        self._db.delete_item(TableName=self.table, Key=to_item({"pk": pk, "sk": sk}))

    def set_fields(self, pk: str, sk: str, fields: Mapping[str, Any]) -> None:
        """SET descriptive `fields` on an existing item (NotFound when it does not exist)."""
        op = self.update_op(
            {"pk": pk, "sk": sk}, condition="attribute_exists(#pk)", set_fields=fields
        )
        try:
            self._db.update_item(**op["Update"])
        except Exception as exc:
            if _is_condition_failure(exc):
                raise NotFound(f"{pk}/{sk}") from exc
            raise


_store: Store | None = None


def token_open(item: Mapping[str, Any]) -> bool:
    """A task token item still answers its wait: not consumed and not past its `closes_at`."""
    closes_at = item.get("closes_at")
    return not item.get("consumed") and (not closes_at or iso() < str(closes_at))


def get_store() -> Store:
    global _store
    from chalicelib.settings import get_settings

    table = get_settings().table_name
    if _store is None or _store.table != table:
        _store = Store(table)
    return _store

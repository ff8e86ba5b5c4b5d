"""Two workarounds that keep the twin's time per request flat as the data grows (moto's, not the
app's; see docs/twin.md, "Time").

1. Queries cost what DynamoDB's cost: proportional to the partition read, not to the table.

moto answers every `Query` by listing the whole table, sorted (`Table.all_items`), and then
keeping the items of the partition asked for — for a query on the table's own key as for one on
a global secondary index. Every query therefore costs time proportional to the table, and a run
of N engagements (each making queries, into a table that grows with N) costs time proportional
to N²: at 100 engagements of bench.chaos the sorted listing was the twin's largest single cost.

The workaround hands `Table.query` only the candidates that can match, and moto's own code does
the rest (conditions, sorting, paging, projection, filters), so answers are unchanged:

- on the table's key or a local secondary index: the items of the partition asked for;
- on a global secondary index with one hash attribute: the items whose index hash attribute has
  that value, from an index of the table kept here. The index is rebuilt for exactly the items
  each write request names (`PutItem`, `UpdateItem`, `DeleteItem`, `TransactWriteItems`,
  `BatchWriteItem`: their keys are in the request), after the request, whatever its outcome
  (a failed transaction restores items: re-reading them is right either way). Any other request
  that is not a known read drops the index; it is rebuilt by one pass on the next query.

Every DynamoDB request goes through moto's HTTP handler (the app, the tests and the benches reach
the twin only over HTTP; the state machines call no DynamoDB integration), and the twin
serialises those requests (`local.twin._serialise_dynamodb`), so a query never sees an index
half-updated.

2. moto's server finds the service of every request by listing its own package directory (a
   `listdir` and ~200 `isdir` calls, under the dispatcher's one lock): `cache_module_list` lists
   it once.

3. moto's Step Functions interpreter creates a new boto3 client for every Lambda task it runs
   (boto3 loads the service model and builds the client each time, ~10 ms of CPU):
   `cache_lambda_clients` keeps one per region (boto3 clients are thread-safe). Every task
   passes its state's credentials (the execution's role when the state names none), and moto's
   `boto_client_for` ignores them (fixed test keys), so one client per region and service is
   what moto would build each time; a client each task was also garbage that only a full
   collection frees (a client is cyclic), about 100 KiB each.

All are idempotent and patch moto in this process only.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterable
from typing import Any

READS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "TransactGetItems",
        "Query",
        "Scan",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "DescribeEndpoints",
    }
)
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})

_candidates = threading.local()
_originals: dict[str, Any] = {}
# How often moto listed a whole table (a Scan does; a Query no longer should): for tests.
STATS = {"whole_table_listings": 0}


class PartitionIndex:
    """For one table: per global secondary index (with a single hash attribute), index hash
    value -> the table keys (hash, range) of the items that carry it."""

    def __init__(self, table: Any) -> None:
        self.attrs: dict[str, str] = {}  # index name -> its hash attribute
        for index in table.global_indexes or []:
            hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
            if len(hashes) == 1:
                self.attrs[index.name] = hashes[0]
        self.keys: dict[str, dict[tuple[str, Any], dict[tuple[Any, Any], None]]] = {
            name: {} for name in self.attrs
        }
        self.value_of: dict[str, dict[tuple[Any, Any], tuple[str, Any]]] = {
            name: {} for name in self.attrs
        }
        for key, _item in _every_item(table):
            self.refresh(table, key)

    def refresh(self, table: Any, key: tuple[Any, Any]) -> None:
        """Index the item now stored under `key` (or its absence)."""
        item = _stored(table, key)
        for name, attr in self.attrs.items():
            old = self.value_of[name].pop(key, None)
            if old is not None:
                bucket = self.keys[name].get(old)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del self.keys[name][old]
            value = _frozen(item.attrs.get(attr)) if item is not None else None
            if value is not None:
                self.keys[name].setdefault(value, {})[key] = None
                self.value_of[name][key] = value

    def items(self, table: Any, name: str, value: Any) -> list[Any]:
        found = (
            _stored(table, key) for key in self.keys[name].get(_frozen(value) or ("", None), {})
        )
        return [item for item in found if item is not None]


def _frozen(value: Any) -> tuple[str, Any] | None:
    """A key attribute's value as an immutable, hashable pair (type, value); None if absent or
    not a key type (such an item is in no index)."""
    if value is None or getattr(value, "type", None) not in ("S", "N", "B"):
        return None
    return str(value.type), value.cast_value


def _every_item(table: Any) -> Iterable[tuple[tuple[Any, Any], Any]]:
    for hash_value, stored in list(table.items.items()):
        if table.range_key_attr is None:
            yield (hash_value, None), stored
        else:
            for range_value, item in list(stored.items()):
                yield (hash_value, range_value), item


def _stored(table: Any, key: tuple[Any, Any]) -> Any:
    stored = table.items.get(key[0])  # .get: never let moto's defaultdict grow a partition
    if stored is None or table.range_key_attr is None:
        return stored
    return stored.get(key[1])


def _index_of(table: Any) -> PartitionIndex:
    index: PartitionIndex | None = table.__dict__.get("_twin_partition_index")
    if index is None:
        index = PartitionIndex(table)
        table._twin_partition_index = index
    return index


def _key_of(table: Any, attributes: Any) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    if not isinstance(attributes, dict) or table.hash_key_attr not in attributes:
        return None
    try:
        hash_value = DynamoType(attributes[table.hash_key_attr])
        if table.range_key_attr is None:
            return hash_value, None
        if table.range_key_attr not in attributes:
            return None
        return hash_value, DynamoType(attributes[table.range_key_attr])
    except Exception:  # a malformed key: moto refused the request, nothing was written
        return None


def written_keys(action: str, body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(table name, item attributes or key) of every item a write request names."""
    if action == "PutItem":
        return [(body.get("TableName", ""), body.get("Item"))]
    if action in ("UpdateItem", "DeleteItem"):
        return [(body.get("TableName", ""), body.get("Key"))]
    named: list[tuple[str, Any]] = []
    if action == "TransactWriteItems":
        for entry in body.get("TransactItems") or []:
            for kind, op in (entry or {}).items():
                if kind != "ConditionCheck" and isinstance(op, dict):
                    named.append((op.get("TableName", ""), op.get("Item") or op.get("Key")))
    elif action == "BatchWriteItem":
        for table_name, requests in (body.get("RequestItems") or {}).items():
            for request in requests or []:
                put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                if put:
                    named.append((table_name, put.get("Item")))
                if delete:
                    named.append((table_name, delete.get("Key")))
    return named


def _after_request(handler: Any) -> None:
    target = handler.headers.get("X-Amz-Target") or handler.headers.get("x-amz-target") or ""
    action = target.rpartition(".")[2]
    if action in READS:
        return
    tables = handler.dynamodb_backend.tables
    if action not in WRITES:  # anything else (a new index, a deleted table): start again
        for table in tables.values():
            table.__dict__.pop("_twin_partition_index", None)
        return
    body = handler.body if isinstance(handler.body, dict) else {}
    for table_name, attributes in written_keys(action, body):
        table = tables.get(table_name)
        if table is None or "_twin_partition_index" not in table.__dict__:
            continue  # not indexed yet: the first query indexes it whole
        key = _key_of(table, attributes)
        if key is not None:
            table._twin_partition_index.refresh(table, key)


def index_queries() -> None:
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    if getattr(Table.query, "_twin_indexed", False):
        return
    original_query = Table.query
    original_all_items = Table.all_items
    original_call = DynamoHandler.call_action

    def all_items(self: Any) -> list[Any]:
        narrowed = getattr(_candidates, "items", None)
        if narrowed is not None and getattr(_candidates, "table", None) is self:
            return sorted(
                narrowed,
                key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key,
            )
        STATS["whole_table_listings"] += 1
        return original_all_items(self)

    signature = inspect.signature(original_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        conditions = bound.get("hash_key_conditions") or []
        narrowed = _narrow(self, bound.get("index_name"), bound.get("hash_key"), conditions)
        if narrowed is None:
            return original_query(self, *args, **kwargs)
        _candidates.table, _candidates.items = self, narrowed
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _candidates.table = _candidates.items = None

    def call_action(self: Any) -> Any:
        try:
            return original_call(self)
        finally:
            _after_request(self)

    query._twin_indexed = True  # type: ignore[attr-defined]
    _originals.update(query=original_query, all_items=original_all_items, call=original_call)
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def unindex_queries() -> None:
    """Undo `index_queries` (tests that share a process with code writing to moto's tables
    directly, as bench/matching does: such writes bypass the index)."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    if not _originals:
        return
    Table.query = _originals.pop("query")  # type: ignore[method-assign]
    Table.all_items = _originals.pop("all_items")  # type: ignore[method-assign]
    DynamoHandler.call_action = _originals.pop("call")  # type: ignore[method-assign]


def _narrow(table: Any, index_name: Any, hash_key: Any, conditions: list[Any]) -> list[Any] | None:
    """The items a query can match, or None to let moto look at the whole table."""
    if hash_key is None:
        return None
    local = {i.name for i in table.indexes or []}
    if not index_name or index_name in local:
        if table.range_key_attr is None:
            item = table.items.get(hash_key)
            return [item] if item is not None else []
        return list((table.items.get(hash_key) or {}).values())
    index = _index_of(table)
    attr = index.attrs.get(index_name)
    if attr is None or len(conditions) > 1:
        return None
    if conditions and conditions[0][0] != attr:
        return None
    return index.items(table, index_name, hash_key)


def cache_module_list() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_twin_cached", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._twin_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules


def cache_lambda_clients() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.boto_client_for  # type: ignore[attr-defined]
    if getattr(original, "_twin_cached", False):
        return
    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto builds the client from fixed test keys whatever the credentials: one per
        # region and service answers the same.
        with lock:
            key = (region, service)
            if key not in clients:
                clients[key] = original(region, service)
            return clients[key]

    boto_client_for._twin_cached = True  # type: ignore[attr-defined]
    lambda_eval_utils.boto_client_for = boto_client_for  # type: ignore[attr-defined]


def install() -> None:
    index_queries()
    cache_module_list()
    cache_lambda_clients()

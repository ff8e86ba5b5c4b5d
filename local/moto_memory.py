"""Workarounds that keep the twin's memory flat under load (moto's, not the app's; see
docs/twin.md, "Memory").

1. moto remembers every model object it ever creates. `BaseModel.__new__` appends each instance
   to its class's `instances_tracked` list (for the `/moto-api/data.json` dashboard and S3's
   reset), and never removes it. DynamoDB's values (`DynamoType`) and items (`Item`) are models:
   every request's parsed attributes, every copy of an item a read returns, every table copied
   for a transaction stay alive for the life of the process. `track_instances_weakly` keeps the
   lists' contract (iterate the instances that exist) with weak references, so an object lives
   exactly as long as moto itself uses it.

2. `TransactWriteItems` deep-copies every table it touches before writing, to roll back on
   failure: a cost in time and memory proportional to the whole table, on every transaction.
   `roll_back_transactions_by_item` copies only the items the transaction names and puts them
   back if it fails, which is the same outcome (a transaction only ever writes the items it
   names). The twin serialises DynamoDB requests (`_serialise_dynamodb`), so nothing else
   writes between the copy and the rollback.

3. A finished Step Functions execution keeps its whole interpreter environment (the state
   data, the frames, the variable store, the history as Python objects), and moto's
   interpreter remembers every thread it ever started (`TMP_THREADS`, several per execution).
   `slim_finished_executions` keeps, once an execution has ended, only what moto reads of it
   afterwards — its history (compressed: it is read rarely and whole), its callback pool (a
   late SendTaskSuccess/Failure still gets the same answer), its map runs and its final
   state — and drops the finished threads from the list.

4. moto's SES keeps every raw email sent, as text (`compress_sent_emails`: kept compressed).

All are idempotent and patch moto in this process only.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import threading
import weakref
import zlib
from collections.abc import Iterator
from typing import Any


class _Ref(weakref.ref):  # type: ignore[type-arg]
    """A weak reference that knows its key in `WeakInstances` (one shared callback, no
    closure per instance)."""

    __slots__ = ("key",)
    key: int


class WeakInstances:
    """The part of a list moto uses for `instances_tracked` (append, iterate, len), holding its
    objects weakly. Objects that cannot be weakly referenced are not tracked.

    About 100 bytes per live instance (a slotted weak reference and its dict entry): DynamoDB's
    items are models, so this is paid per item the table holds."""

    def __init__(self) -> None:
        self._refs: dict[int, _Ref] = {}

    def _forget(self, ref: _Ref) -> None:
        if self._refs.get(ref.key) is ref:
            self._refs.pop(ref.key, None)

    def append(self, instance: Any) -> None:
        try:
            ref = _Ref(instance, self._forget)
        except TypeError:  # __slots__ without __weakref__: not tracked
            return
        ref.key = id(instance)
        self._refs[ref.key] = ref

    def __iter__(self) -> Iterator[Any]:
        for ref in list(self._refs.values()):
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        return sum(1 for _ in self)


def track_instances_weakly() -> None:
    from moto.core.common_models import BaseModel

    if getattr(BaseModel.__new__, "_twin_weak", False):
        return

    from moto.dynamodb.models.dynamo_type import Item

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        instance: Any = object.__new__(cls)
        if cls is Item:
            # DynamoDB's items, one per item the tables hold (and per copy a read makes): the
            # dashboard would list each as `{}` (none of an Item's attributes is JSON).
            return instance
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, WeakInstances):  # first use, or moto's reset_model_data
            tracked = WeakInstances()
            cls.instances_tracked = tracked  # type: ignore[attr-defined]
        tracked.append(instance)
        return instance

    __new__._twin_weak = True  # type: ignore[attr-defined]
    BaseModel.__new__ = __new__  # type: ignore[method-assign]


_in_transaction = threading.local()


class _CopyModule:
    """`copy` for moto's DynamoDB backend: during a transaction, "deep-copying" a table gives
    the table itself (moto's rollback then puts the same table back: a no-op)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(obj: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if getattr(_in_transaction, "active", False) and isinstance(obj, Table):
            return obj
        return copy.deepcopy(obj, memo)


def _item_key(table: Any, op: dict[str, Any]) -> tuple[Any, Any] | None:
    """(hash, range) DynamoType keys of the item an operation names; None if it names none
    that can exist (moto then refuses the transaction before writing)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    attributes = op.get("Item") if "Item" in op else op.get("Key")
    if not isinstance(attributes, dict) or table.hash_key_attr not in attributes:
        return None
    hash_value = DynamoType(attributes[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_value, None
    if table.range_key_attr not in attributes:
        return None
    return hash_value, DynamoType(attributes[table.range_key_attr])


def _restore(table: Any, hash_value: Any, range_value: Any, saved: Any) -> None:
    if range_value is None:
        if saved is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = saved
        return
    if saved is None:
        if hash_value in table.items:
            table.items[hash_value].pop(range_value, None)
    else:
        table.items[hash_value][range_value] = saved


def roll_back_transactions_by_item() -> None:
    import moto.dynamodb.models as models

    backend = models.DynamoDBBackend
    original = backend.transact_write_items
    if getattr(original, "_twin_by_item", False):
        return
    models.copy = _CopyModule()  # type: ignore[attr-defined,assignment]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            if not isinstance(entry, dict) or len(entry) != 1:
                continue  # moto refuses it before writing anything
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            key = _item_key(table, op) if table is not None else None
            if table is None or key is None:
                continue
            current = table.get_item(*key)
            saved.append((table, *key, copy.deepcopy(current)))
        _in_transaction.active = True
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, item in reversed(saved):
                _restore(table, hash_value, range_value, item)
            raise
        finally:
            _in_transaction.active = False

    transact_write_items._twin_by_item = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


SHORT = 24  # strings up to this length are shared (names, statuses, currencies, amounts)


def compact_dynamodb_items() -> None:
    """moto keeps each item as a dict of `DynamoType` objects built from the request's JSON, so
    every item has its own copy of every attribute name ("status", "brief_id", ...) and of every
    repeated short value ("COMPLETED", "usd", "1"). Names, map keys and string or number values
    up to `SHORT` characters are interned (`sys.intern`): one copy each, however many items
    hold it. Strings are immutable, so nothing moto or the app reads changes."""
    import sys

    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    original_value = DynamoType.__init__
    if getattr(original_value, "_twin_compact", False):
        return
    intern = sys.intern

    def value_init(self: Any, type_as_dict: Any) -> None:
        original_value(self, type_as_dict)
        value = self.value
        if type(value) is str:
            if len(value) <= SHORT:
                self.value = intern(value)
        elif type(value) is dict:
            self.value = {intern(k) if type(k) is str else k: v for k, v in value.items()}

    original_item = Item.__init__

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        original_item(
            self,
            hash_key,
            range_key,
            {intern(k) if type(k) is str else k: v for k, v in attrs.items()},
        )

    value_init._twin_compact = True  # type: ignore[attr-defined]
    DynamoType.__init__ = value_init  # type: ignore[method-assign]
    Item.__init__ = item_init  # type: ignore[method-assign]


class FinishedHistory:
    """A finished execution's event history, compressed; read whole, as moto's EventManager
    answers it (a fresh copy each time)."""

    def __init__(self, events: list[Any]) -> None:
        self._blob = zlib.compress(pickle.dumps(events, protocol=pickle.HIGHEST_PROTOCOL), 1)

    def get_event_history(self) -> list[Any]:
        events: list[Any] = pickle.loads(zlib.decompress(self._blob))  # noqa: S301 (our own)
        return events


class FinishedEnvironment:
    """What moto reads of an execution's environment once the execution has ended."""

    def __init__(self, env: Any) -> None:
        self.event_manager = FinishedHistory(env.event_manager.get_event_history())
        self.callback_pool_manager = env.callback_pool_manager
        self.map_run_record_pool_manager = env.map_run_record_pool_manager
        self._program_state = env.program_state()

    def program_state(self) -> Any:
        return self._program_state

    def is_running(self) -> bool:
        return False

    def set_stop(self, *args: Any, **kwargs: Any) -> None:
        """Stopping an execution that has ended changes nothing."""


def slim_finished_executions() -> None:
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
    from moto.stepfunctions.parser.utils import TMP_THREADS

    original = BaseExecutionWorkerCommunication.terminated
    if getattr(original, "_twin_slim", False):
        return
    lock = threading.Lock()

    def terminated(self: Any) -> None:
        original(self)  # the execution's status and output, read from the full environment
        worker = self.execution.exec_worker
        env = getattr(worker, "env", None)
        if env is not None and not isinstance(env, FinishedEnvironment):
            # A history that does not pickle stays as it was.
            with contextlib.suppress(Exception):
                worker.env = FinishedEnvironment(env)
        with lock:  # the list is shared by moto's modules: prune it in place
            TMP_THREADS[:] = [t for t in TMP_THREADS if t.is_alive()]

    terminated._twin_slim = True  # type: ignore[attr-defined]
    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]


class _SharedDictionary:
    """zlib with a preset dictionary: the first text compressed (its last 32 KiB, zlib's
    window). The twin's emails come from a few templates, so each later one is mostly what the
    first already says (the styles, the layout, the footer): kept as references to it."""

    def __init__(self) -> None:
        self._zdict: bytes | None = None
        self._lock = threading.Lock()

    def compress(self, data: bytes) -> bytes:
        with self._lock:
            if self._zdict is None:
                self._zdict = data[-32768:]
        packer = zlib.compressobj(6, zdict=self._zdict)
        return packer.compress(data) + packer.flush()

    def decompress(self, blob: bytes) -> bytes:
        assert self._zdict is not None  # set by the first compress
        unpacker = zlib.decompressobj(zdict=self._zdict)
        return unpacker.decompress(blob) + unpacker.flush()


def compress_sent_emails() -> None:
    """moto's SES keeps every raw email sent (the twin's outbox reads them), as a string of
    MIME text: about 10 emails and 80 KB per engagement. Kept zlib-compressed against the first
    email sent (`_SharedDictionary`), the string made again when read (`raw_data`, as before)."""
    from moto.ses.models import RawMessage

    if isinstance(RawMessage.__dict__.get("raw_data"), property):
        return
    shared = _SharedDictionary()

    def get(self: Any) -> str:
        return shared.decompress(self._twin_raw).decode("utf-8")

    def put(self: Any, value: str) -> None:
        self._twin_raw = shared.compress(value.encode("utf-8"))

    RawMessage.raw_data = property(get, put)  # type: ignore[assignment]


def no_class_per_request() -> None:
    """moto runs its Flask apps in debug mode, and in debug mode Flask gives every request that
    reads a form (moto's requests do) a new subclass of its files dict, for a friendlier
    KeyError (`flask.debughelpers.attach_enctype_error_multidict`). A class is cyclic garbage,
    freed only by a full collection: thousands of them waited for it. The helper is skipped:
    a missing uploaded file raises the same KeyError, with Flask's plain message."""
    import flask.debughelpers

    def attach_enctype_error_multidict(request: Any) -> None:
        """Skipped in the twin (see `no_class_per_request`)."""

    flask.debughelpers.attach_enctype_error_multidict = attach_enctype_error_multidict


def install() -> None:
    track_instances_weakly()
    no_class_per_request()
    compact_dynamodb_items()
    roll_back_transactions_by_item()
    slim_finished_executions()
    compress_sent_emails()

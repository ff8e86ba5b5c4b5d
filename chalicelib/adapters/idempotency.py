"""Run a side effect once per key: Powertools Idempotency on the app's single table.

    @idempotent("mail")
    def _send(email: Email, *, idempotency_key: str) -> str: ...

    _send(email, idempotency_key=f"{engagement_id}#offer#{intern_id}")  # runs once per key

The first call with a key runs the function and stores its (JSON-serialisable) result; later
calls with the same key return that result without running it. A call that raises leaves no
record, so a retry runs again. Another call with the same key still in flight raises
:class:`CallInProgress` (retry it later).

Records live in the app's table next to everything else, under their own partition per
namespace: ``pk = IDEMPOTENCY#<namespace>``, ``sk = <namespace>#<sha256 of the key>``, with
``expires_at`` (the table's TTL attribute) set :data:`EXPIRES_AFTER_SECONDS` ahead, longer
than any engagement lives. Keys do not depend on the Lambda function's name, so the same
logical side effect has the same key whichever function performs it.

Nothing is built at import: the persistence layer (which needs a DynamoDB client and the
table name from settings) is created on first use and cached; :func:`reset` forgets it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

KEY_ARGUMENT = "idempotency_key"
PK_PREFIX = "IDEMPOTENCY#"
EXPIRES_AFTER_SECONDS = 100 * 24 * 3600  # longer than any engagement (< 90 days)
EXPIRY_ATTRIBUTE = "expires_at"  # the table's TTL attribute (infrastructure/resources.json)
# How long an in-flight call holds its key when no Lambda context tells the time left
# (a crashed call frees its key after this; the SES client's retries fit well inside).
DEFAULT_IN_PROGRESS_MILLIS = 180_000

_lock = threading.Lock()
_layers: dict[str, Any] = {}
_lambda_context: ContextVar[Any] = ContextVar("idempotency_lambda_context", default=None)


class CallInProgress(Exception):
    """Another call with the same key is running (or crashed less than its budget ago)."""


class IdempotencyStoreError(Exception):
    """The idempotency table could not be read or written (transient: retry)."""


def register_lambda_context(context: Any) -> None:
    """Bound in-flight records by the invocation's remaining time (optional; per invocation)."""
    _lambda_context.set(context)


def reset() -> None:
    """Forget the cached persistence layers (tests that switch tables or endpoints)."""
    with _lock:
        _layers.clear()
    _lambda_context.set(None)


def idempotent(
    namespace: str, *, expires_after_seconds: int = EXPIRES_AFTER_SECONDS
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a function run once per ``idempotency_key`` (a keyword argument it accepts).

    ``namespace`` names the kind of side effect ("mail", "stripe.transfer"…); keys are unique
    within it. The function's result must be JSON-serialisable (it is stored and replayed).
    """
    if not namespace or "#" in namespace:
        raise ValueError(f"namespace must be non-empty and free of '#', got {namespace!r}")

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = kwargs.get(KEY_ARGUMENT)
            if not isinstance(key, str) or not key:
                raise TypeError(f"{fn.__qualname__}() needs a non-empty {KEY_ARGUMENT}= keyword")

            from aws_lambda_powertools.utilities.idempotency import idempotent_function
            from aws_lambda_powertools.utilities.idempotency.exceptions import (
                IdempotencyAlreadyInProgressError,
                IdempotencyPersistenceLayerError,
            )

            once = idempotent_function(
                fn,
                data_keyword_argument=KEY_ARGUMENT,
                persistence_store=_layer(namespace),
                config=_config(expires_after_seconds),
                key_prefix=namespace,
            )
            try:
                result: R = once(*args, **kwargs)
            except IdempotencyAlreadyInProgressError as exc:
                raise CallInProgress(f"{namespace}: a call with this key is in progress") from exc
            except IdempotencyPersistenceLayerError as exc:
                raise IdempotencyStoreError(f"{namespace}: idempotency store failed") from exc
            return result

        return wrapper

    return decorate


class _Budget:
    """What Powertools asks a Lambda context for: the time this call may hold its key."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def get_remaining_time_in_millis(self) -> int:
        if self._context is not None:
            try:
                remaining = int(self._context.get_remaining_time_in_millis())
            except (AttributeError, TypeError, ValueError):
                remaining = 0
            if remaining > 0:  # a stale context from an earlier invocation reports <= 0
                return remaining
        return DEFAULT_IN_PROGRESS_MILLIS


def _config(expires_after_seconds: int = EXPIRES_AFTER_SECONDS) -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    # Built per call (cheap): it carries this invocation's time budget.
    return IdempotencyConfig(
        expires_after_seconds=expires_after_seconds,
        hash_function="sha256",
        raise_on_no_idempotency_key=True,
        lambda_context=_Budget(_lambda_context.get()),  # type: ignore[arg-type]
    )


def _layer(namespace: str) -> Any:
    with _lock:
        layer = _layers.get(namespace)
        if layer is None:
            layer = _layers[namespace] = _build_layer(namespace)
        return layer


def _build_layer(namespace: str) -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.adapters import aws
    from chalicelib.settings import get_settings

    return DynamoDBPersistenceLayer(
        table_name=get_settings().table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=f"{PK_PREFIX}{namespace}",
        expiry_attr=EXPIRY_ATTRIBUTE,
        in_progress_expiry_attr="in_progress_expires_at",
        status_attr="idempotency_status",
        data_attr="result",
        validation_key_attr="validation",
        boto3_client=aws.client("dynamodb"),
    )

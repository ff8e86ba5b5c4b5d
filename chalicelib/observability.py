"""Powertools Logger, Metrics and Tracer: one of each for the whole app.

Configured through the standard POWERTOOLS_* environment variables (service name, namespace,
tracing disabled locally).

The tracer is lazy: Powertools' ``Tracer()`` imports the X-Ray SDK, whose recorder builds an
X-Ray boto3 client and patches botocore at construction — the largest single cost of a cold
start. :class:`LazyTracer` builds the real ``Tracer`` on first use, and its decorators apply
tracing at a handler's first call only when tracing is enabled (Powertools' own rule:
``POWERTOOLS_TRACE_DISABLED``, or not running in Lambda), so a container with tracing off
never imports ``aws_xray_sdk``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="microintern")
metrics = Metrics(namespace="microintern", service="microintern")

F = TypeVar("F", bound=Callable[..., Any])


class LazyTracer:
    """Stands for Powertools' ``Tracer``; attribute access reaches a real one, built once."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._tracer: Any = None
        self._enabled: bool | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether tracing is on, decided once, the way Powertools decides it."""
        if self._enabled is None:
            from aws_lambda_powertools.tracing.tracer import Tracer

            self._enabled = not Tracer._is_tracer_disabled()
        return self._enabled

    def real(self) -> Any:
        """The Powertools ``Tracer`` (imports the X-Ray SDK on first call)."""
        with self._lock:
            if self._tracer is None:
                from aws_lambda_powertools import Tracer

                self._tracer = Tracer(service=self._service)
            return self._tracer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    def _lazily(self, fn: F, trace: Callable[[Any, F], F]) -> F:
        traced: F | None = None

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal traced
            if traced is None:
                traced = trace(self.real(), fn) if self.enabled else fn
            return traced(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    @overload
    def capture_lambda_handler(
        self,
        lambda_handler: None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Callable[[F], F]: ...

    @overload
    def capture_lambda_handler(
        self,
        lambda_handler: F,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> F: ...

    def capture_lambda_handler(
        self,
        lambda_handler: F | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        """``Tracer.capture_lambda_handler``, applied at the handler's first call if tracing."""

        def decorate(fn: F) -> F:
            return self._lazily(
                fn,
                lambda real, f: real.capture_lambda_handler(
                    f, capture_response=capture_response, capture_error=capture_error
                ),
            )

        return decorate(lambda_handler) if lambda_handler is not None else decorate


tracer = LazyTracer(service="microintern")


def step_handler(fn: Callable[[dict[str, Any], Any], Any]) -> Callable[[dict[str, Any], Any], Any]:
    """Wrap a workflow step: Lambda context in logs, metrics flushed, a trace segment."""

    @functools.wraps(fn)
    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def wrapper(event: dict[str, Any], context: Any) -> Any:
        logger.append_keys(brief_id=event.get("brief_id"))
        return fn(event, context)

    return wrapper


def flush_metrics(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware: publish the metrics a request or schedule recorded, if any."""
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()

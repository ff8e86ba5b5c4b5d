"""Powertools Logger, Metrics and Tracer: one of each for the whole app.

Configured through the standard POWERTOOLS_* environment variables (service name, namespace,
tracing disabled locally).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="microintern")
metrics = Metrics(namespace="microintern", service="microintern")
tracer = Tracer(service="microintern")


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

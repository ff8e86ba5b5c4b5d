"""Lazy, cached boto3 clients.

Created on first use, never at import: a cold start pays only for the clients a request needs.
Endpoints come from boto3's own configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`),
so the same code reaches AWS when deployed and the local twin when run locally.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

_lock = threading.Lock()


def _session() -> Any:
    from chalicelib.aws_session import session

    return session()


def client(service: str) -> Any:
    """Return the process-wide client for `service` (thread-safe, created once)."""
    with _lock:
        return _client(service)


@cache
def _client(service: str) -> Any:
    from botocore.config import Config

    from chalicelib.settings import get_settings

    config = Config(
        retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3, read_timeout=30
    )
    return _session().client(service, region_name=get_settings().region, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests that switch endpoints between runs)."""
    from chalicelib.aws_session import session

    _client.cache_clear()
    session.cache_clear()

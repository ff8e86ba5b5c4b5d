"""Application rate limits: a fixed-window counter per (scope, key) in DynamoDB, kept by TTL.

    rate_limits.hit("briefs:ip", source_ip, limit=30, window_seconds=3600)

Each call adds one to the item ``LIMIT#<scope>#<sha256(key)> / W#<window start>`` in one
conditional UpdateItem (``ADD hits`` only while ``hits < limit``), so concurrent requests can
never let more than ``limit`` through in a window. Keys are stored hashed (no address or IP
in the table); items expire (``expires_at``, the table's TTL attribute) one window after theirs
ends. Over the limit, :class:`RateLimited` says how long until the next window.

API Gateway's stage throttling (infrastructure/resources.json) caps the request rate of the
whole API; these limits cap what one sender or one address can make the platform do.
"""

from __future__ import annotations

import hashlib

from chalicelib.adapters import clock
from chalicelib.adapters.store import get_store


class RateLimited(Exception):
    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"rate limit {scope} reached; retry after {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


def hit(scope: str, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> None:
    """Count one request of ``key`` in ``scope``; :class:`RateLimited` when the window's
    ``limit`` has been reached (the request is then not counted)."""
    moment = int(clock.now().timestamp() if now is None else now)
    start = moment - moment % window_seconds
    digest = hashlib.sha256(f"{scope}\n{key.strip().lower()}".encode()).hexdigest()[:32]
    counted = get_store().count_up_to(
        f"LIMIT#{scope}#{digest}", f"W#{start}", limit=limit, expires_at=start + 2 * window_seconds
    )
    if not counted:
        raise RateLimited(scope, max(1, start + window_seconds - moment))

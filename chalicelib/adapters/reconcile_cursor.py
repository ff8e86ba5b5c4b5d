"""The reconciler's cursor: one item (`RECONCILE / STATE`), leased by the run working on it.

The lease (`lease_id`, `lease_until`) keeps two overlapping invocations from working the same
pass; the run that holds it saves its cursor fields when it releases it, and a run whose lease
ran out (another took it over) saves nothing.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.observability import logger

STATE_KEY = {"pk": "RECONCILE", "sk": "STATE"}


def claim(store: Store, lease: str, left_ms: float) -> dict[str, Any] | None:
    """Take the lease on the cursor until this invocation's end; None when another run has it."""
    now = clock.now()
    seconds = 900.0 if left_ms == float("inf") else max(left_ms / 1000, 1.0)
    until = clock.iso(now + timedelta(seconds=seconds))
    op = store.update_op(
        STATE_KEY,
        condition="attribute_not_exists(#lease_until) OR #lease_until < :now",
        set_fields={"lease_until": until, "lease_id": lease},
        values={":now": clock.iso(now)},
    )
    try:
        store.transact([op])
    except Conflict:
        logger.info("reconcile skipped: another run holds the cursor")
        return None
    return store.get(STATE_KEY["pk"], STATE_KEY["sk"]) or {}


def release(store: Store, lease: str, fields: dict[str, Any]) -> None:
    op = store.update_op(
        STATE_KEY,
        condition="#lease_id = :lease",
        set_fields={**fields, "lease_until": ""},
        values={":lease": lease},
    )
    try:
        store.transact([op])
    except Conflict:  # the lease ran out and another run took it: its cursor wins
        logger.warning("reconcile cursor not saved: the lease was taken over")


def pass_due(state: dict[str, Any], interval: timedelta) -> bool:
    last = str(state.get("last_pass_started_at") or "")
    if not last:
        return True
    started = datetime.fromisoformat(last.replace("Z", "+00:00"))
    return clock.now() - started >= interval


def forget_last_pass() -> None:
    """Make a pass due now (the command line asks for one, whatever the schedule did)."""
    store = get_store()
    op = store.update_op(
        STATE_KEY,
        condition="attribute_not_exists(#lease_until) OR #lease_until = :free",
        set_fields={"last_pass_started_at": "", "after": "", "phase": ""},
        values={":free": ""},
    )
    with contextlib.suppress(Conflict):  # a scheduled run holds the cursor: go on with it
        store.transact([op])

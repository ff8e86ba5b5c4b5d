"""Reopened runs still to be confirmed started: the sweep's markers (docs/data-model.md,
"Reopened runs waiting to start").

    REOPEN#RUNS / AT#<reopened_at>#<brief_id>    brief_id, reopen_run, reopened_at

Put in the transaction that reopens an UNMATCHED brief (``adapters/open_briefs.place``): a
reopen is never recorded without its marker, so a start of its run that failed after the
write (throttling, an outage) is found by one ``Query`` on the partition, oldest first, the
sort key bounded by the grace period (``sk <= AT#<now − grace>~``) — never a Scan. The sweep
(``services/late_applicants.start_stalled_runs``) deletes a marker once the run is known to
have started (or the brief moved on), so the partition holds only the last minutes' reopens.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.store import get_store

PK = "REOPEN#RUNS"
PREFIX = "AT#"


def marker(brief_id: str, reopen_run: str, at: str) -> dict[str, Any]:
    """The item the reopening transaction puts (``at``: ``clock.iso()`` of the reopen)."""
    return {
        "pk": PK,
        "sk": f"{PREFIX}{at}#{brief_id}",
        "type": "reopen_marker",
        "brief_id": brief_id,
        "reopen_run": reopen_run,
        "reopened_at": at,
    }


def reopened_before(cutoff: str) -> list[dict[str, Any]]:
    """The markers of reopens at or before ``cutoff`` (an ISO timestamp), oldest first."""
    return get_store().query_range(PK, PREFIX, f"{PREFIX}{cutoff}")


def clear(item: dict[str, Any]) -> None:
    """The marker's run started (or will never be needed): delete it (idempotent)."""
    get_store().delete(PK, str(item["sk"]))

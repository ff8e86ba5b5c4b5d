"""The payout records, their gsi1 index, and resuming a wait with what finance decided.

Shared by the use cases that decide (services/payouts.py, services/disputes.py), the finance
webhook's orchestrator and the finance pages, so none of them imports another for it.

Keys (docs/data-model.md):

    PAYOUT#<payout_id> / PAYOUT           the payout; gsi1pk=PAYOUTS, gsi1sk=<status>#<created>#<id>
    PAYOUT#<payout_id> / ATTEMPT#<nnn>    one outbound delivery attempt (adapters/finance_hook.py)
    BRIEF#<brief_id> / BRIEF              `payout` = {payout_id, status}; `dispute_resolution`

The payout record (and, for disputes, the brief's `dispute_resolution`) is the truth about what
finance decided; `follow_up` resumes whichever wait is open with it, so a decision recorded
while no wait was open is applied by the next wait, never lost and never applied twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from chalicelib.adapters.store import Conflict, Store, get_store
from chalicelib.domain.money import format_money
from chalicelib.observability import logger

PAYOUTS_PK: Final = "PAYOUTS"  # gsi1 partition of every payout
PENDING, APPROVED, REJECTED, RESOLVED = "pending", "approved", "rejected", "resolved"
DECIDED: Final = (APPROVED, REJECTED, RESOLVED)


def pk(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}"


def get(payout_id: str) -> dict[str, Any] | None:
    return get_store().get(pk(payout_id), "PAYOUT")


def payout_of(brief: Mapping[str, Any]) -> dict[str, Any] | None:
    """The payout the brief refers to (`brief.payout.payout_id`), if any."""
    ref = brief.get("payout")
    if not isinstance(ref, Mapping) or not ref.get("payout_id"):
        return None
    return get(str(ref["payout_id"]))


def public(payout: Mapping[str, Any]) -> dict[str, Any]:
    """The payout as the step output and the finance API show it."""
    amount, fee = int(payout["amount_cents"]), int(payout["fee_cents"])
    return {
        "payout_id": payout["payout_id"],
        "brief_id": payout["brief_id"],
        "intern_id": payout.get("intern_id"),
        "title": payout.get("title", ""),
        "status": payout["status"],
        "amount_cents": amount,
        "fee_cents": fee,
        "payout_cents": amount - fee,
        "currency": payout["currency"],
        "created_at": payout["created_at"],
        "decided_at": payout.get("decided_at"),
        "approved_by": payout.get("approved_by"),
        "reason": payout.get("reason"),
        "resolution": payout.get("resolution"),
        "request_delivered": bool(payout.get("delivered")),
        "delivery_attempts": int(payout.get("attempts", 0)),
    }


def index(
    prefix: str, *, newest_first: bool, limit: int, since: str | None = None
) -> list[dict[str, Any]]:
    """Payouts whose gsi1sk starts with `prefix` (from `since` on): a Query of gsi1's PAYOUTS
    partition (never a Scan), at most `limit` when newest first."""
    from chalicelib.adapters import aws
    from chalicelib.adapters.store import from_item, to_item
    from chalicelib.settings import get_settings

    if since:
        condition = "gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high"
        values = {":pk": PAYOUTS_PK, ":low": since, ":high": prefix + "\uffff"}
    else:
        condition = "gsi1pk = :pk AND begins_with(gsi1sk, :prefix)"
        values = {":pk": PAYOUTS_PK, ":prefix": prefix}
    kwargs: dict[str, Any] = {
        "TableName": get_settings().table_name,
        "IndexName": "gsi1",
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": to_item(values),
        "ScanIndexForward": not newest_first,
    }
    items: list[dict[str, Any]] = []
    while len(items) < limit:
        resp = aws.client("dynamodb").query(**kwargs)
        items += [from_item(i) for i in resp.get("Items", [])]
        if "LastEvaluatedKey" not in resp:
            break
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    return items[:limit] if newest_first else items


def note(brief: Mapping[str, Any], detail: str) -> dict[str, Any]:
    """A finance note on the brief's timeline (its status unchanged)."""
    status = str(brief["status"])
    return Store.event_item(
        str(brief["brief_id"]), status_from=status, status_to=status, actor="finance", detail=detail
    )


def money(item: Mapping[str, Any], cents: int) -> str:
    return format_money(cents, str(item.get("currency", "usd")))


# -- resuming the open wait with what finance decided -----------------------------------------


def follow_up(brief_id: str) -> None:
    """Resume whichever wait is open with the decision already recorded (safe to repeat)."""
    store = get_store()
    brief = store.get_brief(brief_id)
    if brief is None:
        return
    payout = payout_of(brief)
    if payout is not None and payout["status"] == APPROVED:
        _resume(store, brief_id, "payout", {"decision": APPROVED})
    elif payout is not None and payout["status"] in (REJECTED, RESOLVED):
        # RESOLVED comes only after REJECTED: the flow still has to pass through the dispute.
        reason = str(payout.get("reason", ""))
        _resume(store, brief_id, "payout", {"decision": REJECTED, "reason": reason})
    resolution = brief.get("dispute_resolution")
    if isinstance(resolution, Mapping):
        _resume(
            store,
            brief_id,
            "dispute",
            {
                "resolution": str(resolution["resolution"]),
                "intern_share_cents": int(resolution["intern_share_cents"]),
            },
        )


def _resume(store: Store, brief_id: str, kind: str, output: dict[str, Any]) -> bool:
    from chalicelib.adapters import workflow

    if store.waiting_token(brief_id, kind) is None:
        return False
    try:
        token = store.consume_task_token(brief_id, kind)
    except Conflict:
        return False  # another caller resumed it
    try:
        workflow.resume(token, output)
    except workflow.WaitClosed:
        # The wait timed out into its reminder; the next wait applies the decision.
        logger.info("wait already closed", extra={"brief_id": brief_id, "kind": kind})
        return False
    except Exception:
        store.unconsume_task_token(brief_id, kind, token)
        raise
    logger.info("wait resumed", extra={"brief_id": brief_id, "kind": kind, **output})
    return True

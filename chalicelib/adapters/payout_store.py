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

The repository (``PayoutStore``) is what the finance use cases write through. Its invariants,
kept by ``DynamoPayoutStore`` with conditional transactions and by ``InMemoryPayoutStore`` with
the same checks (tests/integration/test_payout_store_contract.py runs one contract against
both), each violation raising ``Conflict`` with nothing written:

- ``commit_request``: one payout per brief — the brief exists and refers to no payout yet; the
  payout id is new. The payout, the brief's reference and the timeline note (an automatic
  approval's) are written together. The store owns the keys and the gsi1 index fields.
- ``commit_decision``: the payout is still ``pending`` (a payout is decided once), the brief is
  still in the status the caller read, the webhook receipt is new. Payout, brief reference,
  receipt and note are written together.
- ``commit_resolution``: the brief is still in the status the caller read and was never
  resolved; the payout (when given) still has the status the caller read; the receipt is new.

``get_payout_store()`` is the composition root's choice (DynamoDB by default); tests swap in
the fake with ``use(InMemoryPayoutStore())`` and back with ``use(None)``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final, Protocol

from chalicelib.adapters.memory_records import InMemoryRecords
from chalicelib.adapters.store import Conflict, Store, brief_key
from chalicelib.adapters.table_records import TableRecords
from chalicelib.domain.money import format_money
from chalicelib.observability import logger

PAYOUTS_PK: Final = "PAYOUTS"  # gsi1 partition of every payout
PENDING, APPROVED, REJECTED, RESOLVED = "pending", "approved", "rejected", "resolved"
DECIDED: Final = (APPROVED, REJECTED, RESOLVED)


def pk(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}"


def get(payout_id: str) -> dict[str, Any] | None:
    return get_payout_store().get(payout_id)


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


def payout_item(payout: Mapping[str, Any]) -> dict[str, Any]:
    """The stored payout: its keys and its place in gsi1 (by status, then creation)."""
    payout_id, status = str(payout["payout_id"]), str(payout["status"])
    return {
        "pk": pk(payout_id),
        "sk": "PAYOUT",
        "type": "payout",
        **payout,
        "gsi1pk": PAYOUTS_PK,
        "gsi1sk": f"{status}#{payout['created_at']}#{payout_id}",
    }


def _decided_fields(payout: Mapping[str, Any], status: str) -> dict[str, Any]:
    return {"status": status, "gsi1sk": f"{status}#{payout['created_at']}#{payout['payout_id']}"}


def _ref(payout_id: str, status: str) -> dict[str, str]:
    return {"payout_id": payout_id, "status": status}


# -- the repository ---------------------------------------------------------------------------


class PayoutStore(Protocol):
    """What the finance use cases read and write (see the module's invariants)."""

    def get(self, payout_id: str) -> dict[str, Any] | None: ...
    def brief(self, brief_id: str) -> dict[str, Any] | None: ...
    def intern(self, intern_id: str) -> dict[str, Any] | None: ...
    def receipt_seen(self, receipt: Mapping[str, Any]) -> bool: ...
    def keep_receipt(self, receipt: Mapping[str, Any]) -> bool: ...
    def waiting_token(self, brief_id: str, kind: str) -> str | None: ...
    def consume_token(self, brief_id: str, kind: str) -> str: ...
    def unconsume_token(self, brief_id: str, kind: str, token: str) -> None: ...

    def commit_request(
        self, brief: Mapping[str, Any], payout: Mapping[str, Any], *, note: str | None
    ) -> dict[str, Any]: ...

    def commit_decision(
        self,
        brief: Mapping[str, Any],
        payout: Mapping[str, Any],
        fields: Mapping[str, Any],
        *,
        receipt: Mapping[str, Any],
        note: str,
    ) -> None: ...

    def commit_resolution(
        self,
        brief: Mapping[str, Any],
        payout: Mapping[str, Any] | None,
        *,
        resolution: Mapping[str, Any],
        payout_fields: Mapping[str, Any],
        receipt: Mapping[str, Any],
        note: str,
    ) -> None: ...


class DynamoPayoutStore(TableRecords):
    """The payouts in the app's DynamoDB table (conditional transactions)."""

    def get(self, payout_id: str) -> dict[str, Any] | None:
        return self._db.get(pk(payout_id), "PAYOUT")

    def commit_request(
        self, brief: Mapping[str, Any], payout: Mapping[str, Any], *, note: str | None
    ) -> dict[str, Any]:
        db = self._db
        item = payout_item(payout)
        ops = [
            db.put_op(item),
            db.update_op(
                brief_key(str(brief["brief_id"])),
                condition="attribute_exists(#pk) AND attribute_not_exists(#payout)",
                set_fields={"payout": _ref(str(item["payout_id"]), str(item["status"]))},
            ),
        ]
        if note is not None:
            ops.append(db.put_op(_note(brief, note)))
        db.transact(ops)
        return item

    def commit_decision(
        self,
        brief: Mapping[str, Any],
        payout: Mapping[str, Any],
        fields: Mapping[str, Any],
        *,
        receipt: Mapping[str, Any],
        note: str,
    ) -> None:
        db = self._db
        payout_id, status = str(payout["payout_id"]), str(fields["status"])
        db.transact(
            [
                db.update_op(
                    {"pk": pk(payout_id), "sk": "PAYOUT"},
                    condition="#status = :pending",
                    set_fields={**fields, **_decided_fields(payout, status)},
                    values={":pending": PENDING},
                ),
                db.update_op(
                    brief_key(str(brief["brief_id"])),
                    condition="#status = :waiting",
                    set_fields={"payout": _ref(payout_id, status)},
                    values={":waiting": str(brief["status"])},
                ),
                db.put_op(receipt),
                db.put_op(_note(brief, note)),
            ]
        )

    def commit_resolution(
        self,
        brief: Mapping[str, Any],
        payout: Mapping[str, Any] | None,
        *,
        resolution: Mapping[str, Any],
        payout_fields: Mapping[str, Any],
        receipt: Mapping[str, Any],
        note: str,
    ) -> None:
        db = self._db
        brief_fields: dict[str, Any] = {"dispute_resolution": dict(resolution)}
        ops = []
        if payout is not None:
            payout_id = str(payout["payout_id"])
            brief_fields["payout"] = _ref(payout_id, RESOLVED)
            ops.append(
                db.update_op(
                    {"pk": pk(payout_id), "sk": "PAYOUT"},
                    condition="#status = :current",
                    set_fields={**payout_fields, **_decided_fields(payout, RESOLVED)},
                    values={":current": payout["status"]},
                )
            )
        ops += [
            db.update_op(
                brief_key(str(brief["brief_id"])),
                condition="#status = :status AND attribute_not_exists(#dispute_resolution)",
                set_fields=brief_fields,
                values={":status": brief["status"]},
            ),
            db.put_op(receipt),
            db.put_op(_note(brief, note)),
        ]
        db.transact(ops)


class InMemoryPayoutStore(InMemoryRecords):
    """The same repository in memory, for unit tests of finance's rules (no AWS).

    Set up with ``add_brief``, ``add_intern`` and ``add_token``; pass ``briefs`` to share the
    briefs with another fake (InMemoryEscrowStore's), as one table would. ``events`` shows the
    timeline notes written beside the decisions.
    """

    def __init__(self, briefs: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(briefs)
        self.payouts: dict[str, dict[str, Any]] = {}

    # set-up, as the other use cases would have left things
    # reads
    def get(self, payout_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.payouts.get(payout_id))

    # writes
    def _note(self, brief: Mapping[str, Any], detail: str) -> None:
        status = str(brief["status"])
        self.events.setdefault(str(brief["brief_id"]), []).append(
            {"from": status, "status": status, "actor": "finance", "detail": detail}
        )

    def _check_receipt(self, receipt: Mapping[str, Any]) -> None:
        if self.receipt_seen(receipt):
            raise Conflict("receipt exists")

    def commit_request(
        self, brief: Mapping[str, Any], payout: Mapping[str, Any], *, note: str | None
    ) -> dict[str, Any]:
        brief_id, payout_id = str(brief["brief_id"]), str(payout["payout_id"])
        current = self.briefs.get(brief_id)
        if current is None or "payout" in current:
            raise Conflict(f"brief {brief_id} is missing or already has a payout")
        if payout_id in self.payouts:
            raise Conflict(f"payout {payout_id} exists")
        item = payout_item(copy.deepcopy(dict(payout)))
        self.payouts[payout_id] = item
        current["payout"] = _ref(payout_id, str(item["status"]))
        if note is not None:
            self._note(brief, note)
        return copy.deepcopy(item)

    def commit_decision(
        self,
        brief: Mapping[str, Any],
        payout: Mapping[str, Any],
        fields: Mapping[str, Any],
        *,
        receipt: Mapping[str, Any],
        note: str,
    ) -> None:
        payout_id, status = str(payout["payout_id"]), str(fields["status"])
        stored = self.payouts.get(payout_id)
        current = self.briefs.get(str(brief["brief_id"]))
        if stored is None or stored["status"] != PENDING:
            raise Conflict(f"payout {payout_id} is not pending")
        if current is None or current.get("status") != brief["status"]:
            raise Conflict(f"brief {brief['brief_id']} is no longer {brief['status']}")
        self._check_receipt(receipt)
        stored.update({**copy.deepcopy(dict(fields)), **_decided_fields(stored, status)})
        current["payout"] = _ref(payout_id, status)
        self.keep_receipt(receipt)
        self._note(brief, note)

    def commit_resolution(
        self,
        brief: Mapping[str, Any],
        payout: Mapping[str, Any] | None,
        *,
        resolution: Mapping[str, Any],
        payout_fields: Mapping[str, Any],
        receipt: Mapping[str, Any],
        note: str,
    ) -> None:
        brief_id = str(brief["brief_id"])
        current = self.briefs.get(brief_id)
        stored = self.payouts.get(str(payout["payout_id"])) if payout is not None else None
        if payout is not None and (stored is None or stored["status"] != payout["status"]):
            raise Conflict(f"payout {payout['payout_id']} changed")
        if current is None or current.get("status") != brief["status"]:
            raise Conflict(f"brief {brief_id} is no longer {brief['status']}")
        if "dispute_resolution" in current:
            raise Conflict(f"the dispute on {brief_id} is already resolved")
        self._check_receipt(receipt)
        current["dispute_resolution"] = copy.deepcopy(dict(resolution))
        if payout is not None and stored is not None:
            stored.update(
                {**copy.deepcopy(dict(payout_fields)), **_decided_fields(stored, RESOLVED)}
            )
            current["payout"] = _ref(str(payout["payout_id"]), RESOLVED)
        self.keep_receipt(receipt)
        self._note(brief, note)


def _note(brief: Mapping[str, Any], detail: str) -> dict[str, Any]:
    return note(brief, detail)


# -- the composition root's choice -----------------------------------------------------------

_chosen: PayoutStore | None = None


def use(store: PayoutStore | None) -> None:
    """Wire `store` as the payouts' repository (None: back to DynamoDB)."""
    global _chosen
    _chosen = store


def get_payout_store() -> PayoutStore:
    return _chosen if _chosen is not None else DynamoPayoutStore()


# -- resuming the open wait with what finance decided -----------------------------------------


def follow_up(brief_id: str) -> None:
    """Resume whichever wait is open with the decision already recorded (safe to repeat)."""
    repo = get_payout_store()
    brief = repo.brief(brief_id)
    if brief is None:
        return
    payout = payout_of(brief)
    if payout is not None and payout["status"] == APPROVED:
        _resume(repo, brief_id, "payout", {"decision": APPROVED})
    elif payout is not None and payout["status"] in (REJECTED, RESOLVED):
        # RESOLVED comes only after REJECTED: the flow still has to pass through the dispute.
        reason = str(payout.get("reason", ""))
        _resume(repo, brief_id, "payout", {"decision": REJECTED, "reason": reason})
    resolution = brief.get("dispute_resolution")
    if isinstance(resolution, Mapping):
        _resume(
            repo,
            brief_id,
            "dispute",
            {
                "resolution": str(resolution["resolution"]),
                "intern_share_cents": int(resolution["intern_share_cents"]),
            },
        )


def _resume(repo: PayoutStore, brief_id: str, kind: str, output: dict[str, Any]) -> bool:
    from chalicelib.adapters import workflow

    if repo.waiting_token(brief_id, kind) is None:
        return False
    try:
        token = repo.consume_token(brief_id, kind)
    except Conflict:
        return False  # another caller resumed it
    try:
        workflow.resume(token, output)
    except workflow.WaitClosed:
        # The wait timed out into its reminder; the next wait applies the decision.
        logger.info("wait already closed", extra={"brief_id": brief_id, "kind": kind})
        return False
    except Exception:
        repo.unconsume_token(brief_id, kind, token)
        raise
    logger.info("wait resumed", extra={"brief_id": brief_id, "kind": kind, **output})
    return True

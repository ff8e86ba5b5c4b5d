"""The escrow's records: the repository that guards the money, and the books.

Keys (one table, see infrastructure/):

- ``BRIEF#<id> / LEDGER#<entry id>`` — one journal entry (domain/ledger.py), also indexed on
  gsi1 as ``LEDGER#<yyyy-mm> / <at>#<brief>#<entry>`` so finance reads any range of months;
- the brief's guards: ``escrow_funded_cents`` (set once) and ``escrow_held_cents`` (what an
  outgoing entry must name exactly);
- ``ESCROW#OPEN / BRIEF#<id>`` — one marker per engagement with a PaymentIntent (what the
  reconciler walks); ``BRIEF#<id> / STRAY#<pi>`` — a payment that did not belong, refunded;
  ``money_stuck`` on the brief — a failed payout/refund episode.

The repository (``EscrowStore``) is what services/escrow.py writes through. Its invariants,
kept by ``DynamoEscrowStore`` with conditional transactions and by ``InMemoryEscrowStore``
with the same checks (tests/integration/test_escrow_store_contract.py runs one contract
against both), each violation raising ``Conflict`` with nothing written:

- ``commit_funding``: the brief is still in the status the caller read and was never funded;
  the entry id is new; the funding token (when given) is the waiting, unconsumed one; the
  webhook receipt (when given) is new. Entry, guards, status, timeline event, consumed token
  and receipt are written together.
- ``commit_out``: the entry names exactly what is held, the brief's status is one the caller
  allows, the entry id is new; held drops to zero with the entry and its event. A ``Conflict``
  whose entry is already recorded (a concurrent retry) is not one: ``commit_out`` returns False.
- ``commit_stray``: the ``STRAY#<pi>`` marker is new (a payment is refunded once); when the
  PaymentIntent is the brief's own, it is still the brief's (the funding page makes a fresh one).

``get_escrow_store()`` is the composition root's choice (DynamoDB by default); tests swap in
the fake with ``use(InMemoryEscrowStore())`` and back with ``use(None)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Protocol

from chalicelib.adapters import clock
from chalicelib.adapters.memory_records import InMemoryRecords
from chalicelib.adapters.store import Conflict, brief_key
from chalicelib.adapters.table_records import TableRecords
from chalicelib.domain import ledger

LEDGER_PREFIX = "LEDGER#"
LEDGER_BOOK_PREFIX = "LEDGER#"  # gsi1: the month's books
FUNDED = "escrow_funded_cents"
HELD = "escrow_held_cents"
STUCK = "money_stuck"  # a failed payout/refund episode (services/payout_failures.py)
OPEN_PK = "ESCROW#OPEN"  # one marker per engagement with a PaymentIntent: what reconcile reads
MARKER_LIFETIME = timedelta(days=100)  # "recent": longer than any engagement lives

__all__ = [
    "FUNDED",
    "HELD",
    "LEDGER_BOOK_PREFIX",
    "LEDGER_PREFIX",
    "MARKER_LIFETIME",
    "OPEN_PK",
    "STUCK",
    "Conflict",
    "DynamoEscrowStore",
    "EscrowStore",
    "InMemoryEscrowStore",
    "brief_journal",
    "figures",
    "get_escrow_store",
    "journal",
    "ledger_item",
    "use",
]


# -- the records, whatever the store ---------------------------------------------------------


def journal(items: Iterable[Mapping[str, Any]]) -> list[ledger.JournalEntry]:
    return [ledger.entry_from_dict(i) for i in items if str(i["sk"]).startswith(LEDGER_PREFIX)]


def figures(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The brief's escrow figures (the contract's `escrow` object) from its journal lines."""
    items = list(items)
    balances = ledger.balances(journal(items)).as_dict()
    brief = next((i for i in items if i.get("sk") == "BRIEF"), {})
    return {**balances, "payment_intent_id": brief.get("payment_intent_id")}


def brief_journal(brief_id: str) -> list[ledger.JournalEntry]:
    return get_escrow_store().journal(brief_id)


def ledger_item(brief: Mapping[str, Any], entry: ledger.JournalEntry) -> dict[str, Any]:
    """The entry under its engagement, and in the month's books (`LEDGER#<yyyy-mm>` on gsi1)
    so finance exports any date range with one Query per month, whatever the engagement."""
    brief_id = str(brief["brief_id"])
    at = clock.iso(entry.at)
    return {
        "pk": f"BRIEF#{brief_id}",
        "sk": f"{LEDGER_PREFIX}{entry.entry_id}",
        "type": "ledger_entry",
        "brief_id": brief_id,
        "currency": str(brief.get("currency", "usd")),
        **ledger.entry_to_dict(entry),
        "gsi1pk": f"{LEDGER_BOOK_PREFIX}{at[:7]}",
        "gsi1sk": f"{at}#{brief_id}#{entry.entry_id}",
    }


def _open_marker(brief_id: str, payment_intent_id: str) -> dict[str, Any]:
    return {
        "pk": OPEN_PK,
        "sk": f"BRIEF#{brief_id}",
        "type": "escrow_marker",
        "brief_id": brief_id,
        "payment_intent_id": payment_intent_id,
        "created_at": clock.iso(),
        "expires_at": int((clock.now() + MARKER_LIFETIME).timestamp()),
    }


def _stray_marker(brief_id: str, payment_intent_id: str) -> dict[str, str]:
    return {"pk": f"BRIEF#{brief_id}", "sk": f"STRAY#{payment_intent_id}", "type": "stray_payment"}


def _escrow_of(entry: ledger.JournalEntry) -> int:
    return entry.amount(ledger.Account.ESCROW)


def _funding_fields(
    entry: ledger.JournalEntry, status_to: str, payment_intent_id: str, charge_id: str | None
) -> dict[str, Any]:
    amount = _escrow_of(entry)
    return {
        "status": status_to,
        FUNDED: amount,
        HELD: amount,
        "payment_intent_id": payment_intent_id,
        "charge_id": charge_id,
        "funded_at": clock.iso(),
        "updated_at": clock.iso(),
    }


# -- the repository ---------------------------------------------------------------------------


class EscrowStore(Protocol):
    """What the escrow use cases read and write (see the module's invariants)."""

    def brief(self, brief_id: str) -> dict[str, Any] | None: ...
    def journal(self, brief_id: str) -> list[ledger.JournalEntry]: ...
    def intern(self, intern_id: str) -> dict[str, Any] | None: ...
    def intent_created(self, brief_id: str, payment_intent_id: str, attempt: int) -> None: ...
    def receipt_seen(self, receipt: Mapping[str, Any]) -> bool: ...
    def keep_receipt(self, receipt: Mapping[str, Any]) -> bool: ...
    def waiting_token(self, brief_id: str, kind: str) -> str | None: ...
    def consume_token(self, brief_id: str, kind: str) -> str: ...
    def unconsume_token(self, brief_id: str, kind: str, token: str) -> None: ...
    def stray_refunded(self, brief_id: str, payment_intent_id: str) -> bool: ...

    def commit_stray(
        self,
        brief: Mapping[str, Any],
        *,
        payment_intent_id: str,
        refund_id: str,
        amount: int,
        currency: str,
        detail: str,
        receipt: Mapping[str, Any] | None,
    ) -> None: ...

    def commit_funding(
        self,
        brief: Mapping[str, Any],
        entry: ledger.JournalEntry,
        *,
        status_to: str,
        payment_intent_id: str,
        charge_id: str | None,
        token: str | None,
        detail: str,
        receipt: Mapping[str, Any] | None,
    ) -> None: ...

    def commit_out(
        self,
        brief: Mapping[str, Any],
        entry: ledger.JournalEntry,
        *,
        held: int,
        allowed: Iterable[str],
        detail: str,
        fields: Mapping[str, Any],
    ) -> bool: ...


class DynamoEscrowStore(TableRecords):
    """The escrow's records in the app's DynamoDB table (conditional transactions)."""

    def journal(self, brief_id: str) -> list[ledger.JournalEntry]:
        return journal(self._db.query(f"BRIEF#{brief_id}", LEDGER_PREFIX))

    def intent_created(self, brief_id: str, payment_intent_id: str, attempt: int) -> None:
        """The brief's PaymentIntent (and its attempt), and the reconciler's marker for it."""
        db = self._db
        db.update_brief(
            brief_id, {"payment_intent_id": payment_intent_id, "funding_attempt": attempt}
        )
        db.put(_open_marker(brief_id, payment_intent_id))

    def stray_refunded(self, brief_id: str, payment_intent_id: str) -> bool:
        marker = _stray_marker(brief_id, payment_intent_id)
        return self._db.get(marker["pk"], marker["sk"]) is not None

    def commit_stray(
        self,
        brief: Mapping[str, Any],
        *,
        payment_intent_id: str,
        refund_id: str,
        amount: int,
        currency: str,
        detail: str,
        receipt: Mapping[str, Any] | None,
    ) -> None:
        db = self._db
        brief_id = str(brief["brief_id"])
        status = str(brief["status"])
        marker = _stray_marker(brief_id, payment_intent_id)
        ops = [
            db.put_op({**marker, "refund_id": refund_id, "amount": amount, "currency": currency}),
            db.put_op(
                db.event_item(
                    brief_id, status_from=status, status_to=status, actor="stripe", detail=detail
                )
            ),
        ]
        if payment_intent_id == brief.get("payment_intent_id"):
            ops.append(
                db.update_op(
                    brief_key(brief_id),
                    condition="#payment_intent_id = :pi",
                    set_fields={"funding_attempt": int(brief.get("funding_attempt", 1)) + 1},
                    remove_fields=["payment_intent_id"],
                    values={":pi": payment_intent_id},
                )
            )
        if receipt is not None:
            ops.append(db.put_op(receipt))
        db.transact(ops)

    def commit_funding(
        self,
        brief: Mapping[str, Any],
        entry: ledger.JournalEntry,
        *,
        status_to: str,
        payment_intent_id: str,
        charge_id: str | None,
        token: str | None,
        detail: str,
        receipt: Mapping[str, Any] | None,
    ) -> None:
        db = self._db
        brief_id = str(brief["brief_id"])
        status = str(brief["status"])
        ops = [
            db.update_op(
                brief_key(brief_id),
                condition=f"#status = :expected AND attribute_not_exists(#{FUNDED})",
                set_fields=_funding_fields(entry, status_to, payment_intent_id, charge_id),
                add_fields={"version": 1},
                values={":expected": status},
            ),
            db.put_op(ledger_item(brief, entry)),
            db.put_op(
                db.event_item(
                    brief_id, status_from=status, status_to=status_to, actor="stripe", detail=detail
                )
            ),
        ]
        if token is not None:
            ops.append(
                db.update_op(
                    {"pk": f"BRIEF#{brief_id}", "sk": "TASKTOKEN#funding"},
                    condition="#token = :token AND #consumed = :no",
                    set_fields={"consumed": True, "consumed_at": clock.iso()},
                    values={":token": token, ":no": False},
                )
            )
        if receipt is not None:
            ops.append(db.put_op(receipt))
        db.transact(ops)

    def commit_out(
        self,
        brief: Mapping[str, Any],
        entry: ledger.JournalEntry,
        *,
        held: int,
        allowed: Iterable[str],
        detail: str,
        fields: Mapping[str, Any],
    ) -> bool:
        db = self._db
        brief_id = str(brief["brief_id"])
        allowed = sorted(set(allowed))
        placeholders = ", ".join(f":st{i}" for i in range(len(allowed)))
        status = str(brief["status"])
        ops = [
            db.update_op(
                brief_key(brief_id),
                condition=f"#{HELD} = :held AND #status IN ({placeholders})",
                set_fields={**fields, "updated_at": clock.iso()},
                add_fields={HELD: -held, "version": 1},
                values={":held": held, **{f":st{i}": s for i, s in enumerate(allowed)}},
            ),
            db.put_op(ledger_item(brief, entry)),
            db.put_op(
                db.event_item(
                    brief_id, status_from=status, status_to=status, actor="workflow", detail=detail
                )
            ),
        ]
        try:
            db.transact(ops)
        except Conflict:
            if db.get(f"BRIEF#{brief_id}", f"{LEDGER_PREFIX}{entry.entry_id}"):
                return False  # a concurrent retry recorded the same Stripe object: done
            raise
        return True


class InMemoryEscrowStore(InMemoryRecords):
    """The same repository in memory, for unit tests of the escrow rules (no AWS).

    Set up with ``add_brief``, ``add_intern`` and ``add_token``; ``events`` and ``markers``
    show what was written beside the entries.
    """

    def __init__(self, briefs: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(briefs)
        self.entries: dict[str, dict[str, ledger.JournalEntry]] = {}
        self.markers: dict[tuple[str, str], dict[str, Any]] = {}

    # set-up, as the other use cases would have left things
    # reads
    def journal(self, brief_id: str) -> list[ledger.JournalEntry]:
        return list(self.entries.get(brief_id, {}).values())

    def stray_refunded(self, brief_id: str, payment_intent_id: str) -> bool:
        return (f"BRIEF#{brief_id}", f"STRAY#{payment_intent_id}") in self.markers

    # writes
    def intent_created(self, brief_id: str, payment_intent_id: str, attempt: int) -> None:
        if brief_id not in self.briefs:
            raise Conflict(f"no brief {brief_id}")
        self.briefs[brief_id].update(payment_intent_id=payment_intent_id, funding_attempt=attempt)
        marker = _open_marker(brief_id, payment_intent_id)
        self.markers[(marker["pk"], marker["sk"])] = marker

    def _event(
        self, brief_id: str, status_from: str, status_to: str, actor: str, detail: str
    ) -> None:
        self.events.setdefault(brief_id, []).append(
            {"from": status_from, "status": status_to, "actor": actor, "detail": detail}
        )

    def _check_new_receipt(self, receipt: Mapping[str, Any] | None) -> None:
        if receipt is not None and self.receipt_seen(receipt):
            raise Conflict("receipt exists")

    def commit_stray(
        self,
        brief: Mapping[str, Any],
        *,
        payment_intent_id: str,
        refund_id: str,
        amount: int,
        currency: str,
        detail: str,
        receipt: Mapping[str, Any] | None,
    ) -> None:
        brief_id = str(brief["brief_id"])
        marker = _stray_marker(brief_id, payment_intent_id)
        if (marker["pk"], marker["sk"]) in self.markers:
            raise Conflict("stray payment already refunded")
        own = payment_intent_id == brief.get("payment_intent_id")
        current = self.briefs.get(brief_id, {})
        if own and current.get("payment_intent_id") != payment_intent_id:
            raise Conflict("the brief's PaymentIntent changed")
        self._check_new_receipt(receipt)
        self.markers[(marker["pk"], marker["sk"])] = {
            **marker,
            "refund_id": refund_id,
            "amount": amount,
            "currency": currency,
        }
        status = str(brief["status"])
        self._event(brief_id, status, status, "stripe", detail)
        if own:
            current["funding_attempt"] = int(brief.get("funding_attempt", 1)) + 1
            current.pop("payment_intent_id", None)
        if receipt is not None:
            self.keep_receipt(receipt)

    def commit_funding(
        self,
        brief: Mapping[str, Any],
        entry: ledger.JournalEntry,
        *,
        status_to: str,
        payment_intent_id: str,
        charge_id: str | None,
        token: str | None,
        detail: str,
        receipt: Mapping[str, Any] | None,
    ) -> None:
        brief_id = str(brief["brief_id"])
        status = str(brief["status"])
        current = self.briefs.get(brief_id)
        if current is None or current.get("status") != status or current.get(FUNDED) is not None:
            raise Conflict(f"brief {brief_id} is not {status} and unfunded")
        if entry.entry_id in self.entries.get(brief_id, {}):
            raise Conflict(f"entry {entry.entry_id} exists")
        if token is not None:
            item = self.tokens.get((brief_id, "funding"))
            if item is None or item["token"] != token or item["consumed"]:
                raise Conflict("the funding token is not the waiting one")
        self._check_new_receipt(receipt)
        fields = _funding_fields(entry, status_to, payment_intent_id, charge_id)
        current.update({k: v for k, v in fields.items() if v is not None})
        current["version"] = int(current.get("version", 0)) + 1
        self.entries.setdefault(brief_id, {})[entry.entry_id] = entry
        self._event(brief_id, status, status_to, "stripe", detail)
        if token is not None:
            self.tokens[(brief_id, "funding")]["consumed"] = True
        if receipt is not None:
            self.keep_receipt(receipt)

    def commit_out(
        self,
        brief: Mapping[str, Any],
        entry: ledger.JournalEntry,
        *,
        held: int,
        allowed: Iterable[str],
        detail: str,
        fields: Mapping[str, Any],
    ) -> bool:
        brief_id = str(brief["brief_id"])
        current = self.briefs.get(brief_id)
        recorded = entry.entry_id in self.entries.get(brief_id, {})
        if (
            current is None
            or int(current.get(HELD, -1)) != held
            or current.get("status") not in set(allowed)
            or recorded
        ):
            if recorded:
                return False
            raise Conflict(f"escrow of {brief_id} does not hold {held} in an allowed status")
        current.update({k: v for k, v in fields.items() if v is not None})
        current[HELD] = int(current[HELD]) - held
        current["version"] = int(current.get("version", 0)) + 1
        self.entries.setdefault(brief_id, {})[entry.entry_id] = entry
        status = str(brief["status"])
        self._event(brief_id, status, status, "workflow", detail)
        return True


# -- the composition root's choice -----------------------------------------------------------

_chosen: EscrowStore | None = None


def use(store: EscrowStore | None) -> None:
    """Wire `store` as the escrow's repository (None: back to DynamoDB)."""
    global _chosen
    _chosen = store


def get_escrow_store() -> EscrowStore:
    return _chosen if _chosen is not None else DynamoEscrowStore()

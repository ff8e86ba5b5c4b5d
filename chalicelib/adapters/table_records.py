"""What the DynamoDB repositories share (DynamoEscrowStore, DynamoPayoutStore): reading the
brief and the intern's profile, webhook receipts kept once, and the waits' task tokens, all in
the app's one table (adapters/store.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.store import Store, get_store


class TableRecords:
    def __init__(self, store: Store | None = None) -> None:
        self._given = store

    @property
    def _db(self) -> Store:
        return self._given if self._given is not None else get_store()

    def brief(self, brief_id: str) -> dict[str, Any] | None:
        return self._db.get_brief(brief_id)

    def intern(self, intern_id: str) -> dict[str, Any] | None:
        return self._db.get(f"INTERN#{intern_id}", "PROFILE")

    def receipt_seen(self, receipt: Mapping[str, Any]) -> bool:
        return self._db.get(str(receipt["pk"]), str(receipt["sk"])) is not None

    def keep_receipt(self, receipt: Mapping[str, Any]) -> bool:
        return self._db.put_if_absent(receipt)

    def waiting_token(self, brief_id: str, kind: str) -> str | None:
        item = self._db.waiting_token(brief_id, kind)
        return str(item["token"]) if item else None

    def consume_token(self, brief_id: str, kind: str) -> str:
        return self._db.consume_task_token(brief_id, kind)

    def unconsume_token(self, brief_id: str, kind: str, token: str) -> None:
        self._db.unconsume_task_token(brief_id, kind, token)

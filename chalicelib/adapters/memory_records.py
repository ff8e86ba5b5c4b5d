"""What the in-memory repositories share (InMemoryEscrowStore, InMemoryPayoutStore): the
briefs, intern profiles, wait tokens and webhook receipts one DynamoDB table would hold for
them, with the table's semantics (a token consumed once, a receipt kept once, copies out)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.store import Conflict, token_open


class InMemoryRecords:
    """Set up with ``add_brief``, ``add_intern`` and ``add_token``; pass ``briefs`` to share the
    briefs with another fake, as one table would. ``events`` holds the timeline written."""

    def __init__(self, briefs: dict[str, dict[str, Any]] | None = None) -> None:
        self.briefs: dict[str, dict[str, Any]] = briefs if briefs is not None else {}
        self.interns: dict[str, dict[str, Any]] = {}
        self.tokens: dict[tuple[str, str], dict[str, Any]] = {}
        self.receipts: dict[tuple[str, str], dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}

    # set-up, as the other use cases would have left things
    def add_brief(self, brief: Mapping[str, Any]) -> None:
        self.briefs[str(brief["brief_id"])] = copy.deepcopy(dict(brief))

    def add_intern(self, profile: Mapping[str, Any]) -> None:
        self.interns[str(profile["intern_id"])] = copy.deepcopy(dict(profile))

    def add_token(self, brief_id: str, kind: str, token: str) -> None:
        self.tokens[(brief_id, kind)] = {"token": token, "consumed": False}

    # reads
    def brief(self, brief_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.briefs.get(brief_id))

    def intern(self, intern_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.interns.get(intern_id))

    def receipt_seen(self, receipt: Mapping[str, Any]) -> bool:
        return (str(receipt["pk"]), str(receipt["sk"])) in self.receipts

    def waiting_token(self, brief_id: str, kind: str) -> str | None:
        item = self.tokens.get((brief_id, kind))
        return str(item["token"]) if item and token_open(item) else None

    # writes
    def keep_receipt(self, receipt: Mapping[str, Any]) -> bool:
        if self.receipt_seen(receipt):
            return False
        self.receipts[(str(receipt["pk"]), str(receipt["sk"]))] = copy.deepcopy(dict(receipt))
        return True

    def consume_token(self, brief_id: str, kind: str) -> str:
        item = self.tokens.get((brief_id, kind))
        if item is None or item["consumed"]:
            raise Conflict(f"nothing is waiting for {kind}")
        item["consumed"] = True
        return str(item["token"])

    def unconsume_token(self, brief_id: str, kind: str, token: str) -> None:
        item = self.tokens.get((brief_id, kind))
        if item is not None and item["token"] == token and item["consumed"]:
            item["consumed"] = False

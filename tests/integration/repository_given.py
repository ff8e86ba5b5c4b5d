"""What the repository contract tests share: set up, in one backend (the in-memory fake or
DynamoDB in moto), what the other use cases would have left — briefs, wait tokens, interns."""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.adapters.memory_records import InMemoryRecords


class GivenRecords:
    def __init__(self, memory: InMemoryRecords | None) -> None:
        self.memory = memory

    def put_brief(self, status: str, **fields: Any) -> dict[str, Any]:
        brief_id = f"b_{uuid.uuid4().hex[:12]}"
        item = {
            "pk": f"BRIEF#{brief_id}",
            "sk": "BRIEF",
            "brief_id": brief_id,
            "status": status,
            "budget_cents": 60_000,
            "currency": "usd",
            **fields,
        }
        self._put(item, self.memory.add_brief if self.memory is not None else None)
        return item

    def token(self, brief_id: str, kind: str = "funding") -> str:
        token = f"tok-{uuid.uuid4().hex[:8]}"
        if self.memory is not None:
            self.memory.add_token(brief_id, kind, token)
        else:
            from chalicelib.adapters.store import get_store

            get_store().save_task_token(brief_id, kind, token, "exec")
        return token

    def intern(self, **fields: Any) -> str:
        intern_id = f"i_{uuid.uuid4().hex[:8]}"
        profile = {"pk": f"INTERN#{intern_id}", "sk": "PROFILE", "intern_id": intern_id, **fields}
        self._put(profile, self.memory.add_intern if self.memory is not None else None)
        return intern_id

    @staticmethod
    def _put(item: dict[str, Any], into_memory: Any) -> None:
        if into_memory is not None:
            into_memory(item)
        else:
            from chalicelib.adapters.store import get_store

            get_store().put(item)

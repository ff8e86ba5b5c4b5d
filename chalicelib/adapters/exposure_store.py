"""The offers each intern received recently (fair exposure, ``domain/exposure.py``).

One item per intern, ``INTERN#<id> / EXPOSURE``: ``offers`` (``[{"brief_id", "at"}]``, the
last week's only, oldest first), ``last_offered_at`` and ``version``. Read with GetItem (the
offer) or BatchGetItem (the candidates of a match); never a Scan.

``record_offer`` is a conditional write: the item is put only if its ``version`` is still
the one read (or it does not exist yet), so two briefs offering the same intern at once
cannot both take the last slot of the week; the loser reads again and finds the cap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, from_item, get_store, to_item
from chalicelib.domain import exposure as rules

SK = "EXPOSURE"
ATTEMPTS = 5


def _key(intern_id: str) -> dict[str, str]:
    return {"pk": f"INTERN#{intern_id}", "sk": SK}


def _to_exposure(item: Mapping[str, Any]) -> rules.Exposure:
    offers = tuple(
        (str(o["brief_id"]), clock.parse(str(o["at"]))) for o in item.get("offers") or []
    )
    last = item.get("last_offered_at")
    return rules.Exposure(str(item["intern_id"]), offers, clock.parse(str(last)) if last else None)


def read(intern_id: str) -> rules.Exposure | None:
    item = get_store().get(_key(intern_id)["pk"], SK)
    return _to_exposure(item) if item else None


def read_many(intern_ids: Iterable[str]) -> dict[str, rules.Exposure]:
    """The exposure of each intern that has one: BatchGetItem, 100 keys a call."""
    from chalicelib.adapters import aws

    store = get_store()
    ids = list(dict.fromkeys(intern_ids))
    found: dict[str, rules.Exposure] = {}
    for start in range(0, len(ids), 100):
        request: dict[str, Any] = {
            store.table: {"Keys": [to_item(_key(i)) for i in ids[start : start + 100]]}
        }
        for _attempt in range(5):
            resp = aws.client("dynamodb").batch_get_item(RequestItems=request)
            for raw in resp.get("Responses", {}).get(store.table, []):
                exposure = _to_exposure(from_item(raw))
                found[exposure.intern_id] = exposure
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
    return found


def record_offer(intern_id: str, brief_id: str, now: datetime, cap: int) -> bool:
    """Count the offer of ``brief_id`` to the intern; False (nothing written) when the intern
    already had ``cap`` offers in the rolling week. The same brief again is counted once."""
    store = get_store()
    for _attempt in range(ATTEMPTS):
        item = store.get(_key(intern_id)["pk"], SK)
        current = _to_exposure(item) if item else None
        after = rules.record_offer(current, intern_id, brief_id, now, cap)
        if after is None:
            return False
        if after is current:
            return True  # a retried step: this offer is already counted
        version = int(item.get("version", 0)) if item else 0
        new = {
            **_key(intern_id),
            "type": "exposure",
            "intern_id": intern_id,
            "offers": [{"brief_id": b, "at": clock.iso(at)} for b, at in after.offers],
            "last_offered_at": clock.iso(now),
            "version": version + 1,
        }
        try:
            _put_if_version(new, version)
            return True
        except Conflict:
            continue  # another offer was counted meanwhile: read it and decide again
    raise Conflict(f"intern {intern_id}: exposure kept conflicting")


def _put_if_version(item: Mapping[str, Any], version: int) -> None:
    from chalicelib.adapters import aws
    from chalicelib.adapters.store import _is_condition_failure

    condition = "version = :v" if version else "attribute_not_exists(pk)"
    kwargs: dict[str, Any] = {
        "TableName": get_store().table,
        "Item": to_item(item),
        "ConditionExpression": condition,
    }
    if version:
        kwargs["ExpressionAttributeValues"] = to_item({":v": version})
    try:
        aws.client("dynamodb").put_item(**kwargs)
    except Exception as exc:
        if _is_condition_failure(exc):
            raise Conflict(f"exposure of {item['intern_id']} moved on") from exc
        raise

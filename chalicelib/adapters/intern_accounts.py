"""An intern's account records (issue 14): who the profile of an address is, the engagements
an intern was offered, and the "not available until" pause matching respects.

    INTERNEMAIL#<email> / INTERNEMAIL     intern_id (the registration's claim: one profile per
                                          address; read here, written by intern sign-up)
    INTERN#<intern_id>  / BRIEF#<brief_id>  brief_id, offered_at: written once when the flow
                                          holds the intern for a brief's offer (steps); the
                                          access path of "my engagements, past and present"
    PAUSED              / <until>#<intern_id>   intern_id, until, expires_at (TTL: the day after
                                          `until`): the interns not available until a date;
                                          matching reads `sk >= <tomorrow>` (one Query) and
                                          leaves them out
    INTERN#<intern_id>  / PROFILE         + paused_until, email_prefs {"reminders": bool}

Invariants: at most one pause marker per intern — the profile's `paused_until` names it, and
a change moves it in one transaction conditional on the `paused_until` read. No Scan.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, get_store, to_item
from chalicelib.domain.accounts import normal_address

PAUSED_PK = "PAUSED"
MARKER_PREFIX = "BRIEF#"


def intern_id_of(address: str) -> str | None:
    """The intern whose profile registered `address` (one GetItem of the email claim)."""
    found = get_store().get(f"INTERNEMAIL#{normal_address(address)}", "INTERNEMAIL")
    return str(found["intern_id"]) if found and found.get("intern_id") else None


def profile(intern_id: str) -> dict[str, Any] | None:
    return get_store().get(f"INTERN#{intern_id}", "PROFILE")


# -- engagements ------------------------------------------------------------------------------


def note_offer(intern_id: str, brief_id: str) -> None:
    """Remember that `brief_id` was offered to the intern (once; a retried step writes
    nothing)."""
    get_store().put_if_absent(
        {
            "pk": f"INTERN#{intern_id}",
            "sk": f"{MARKER_PREFIX}{brief_id}",
            "type": "intern_engagement",
            "brief_id": brief_id,
            "offered_at": clock.iso(),
        }
    )


def offered_briefs(intern_id: str) -> list[str]:
    """The briefs offered to the intern, newest offer first (one Query)."""
    markers = get_store().query(f"INTERN#{intern_id}", MARKER_PREFIX, consistent=True)
    markers.sort(key=lambda m: str(m.get("offered_at", "")), reverse=True)
    return [str(m["brief_id"]) for m in markers]


def brief_partition(brief_id: str, prefix: str) -> list[dict[str, Any]]:
    return get_store().query(f"BRIEF#{brief_id}", prefix)


def briefs(brief_ids: list[str]) -> dict[str, dict[str, Any]]:
    return get_store().get_briefs(brief_ids)


# -- the pause --------------------------------------------------------------------------------


def _expires(until: date) -> int:
    return int(datetime(until.year, until.month, until.day, tzinfo=UTC).timestamp()) + 86_400


def set_pause(intern_id: str, until: date | None) -> None:
    """Not available until `until` (None: available again): the profile's `paused_until` and
    the marker moved together, conditional on the value read (Conflict when it moved)."""
    store = get_store()
    found = profile(intern_id)
    if found is None:
        raise Conflict(f"intern {intern_id}: no profile")
    old = str(found.get("paused_until") or "")
    new = until.isoformat() if until else ""
    if old == new:
        return
    key = {"pk": f"INTERN#{intern_id}", "sk": "PROFILE"}
    condition = "#paused_until = :old" if old else "attribute_not_exists(#paused_until)"
    ops: list[dict[str, Any]] = [
        store.update_op(
            key,
            condition=f"attribute_exists(pk) AND {condition}",
            set_fields={"paused_until": new} if new else None,
            remove_fields=() if new else ["paused_until"],
            values={":old": old} if old else None,
        )
    ]
    if old:
        ops.append(
            {
                "Delete": {
                    "TableName": store.table,
                    "Key": to_item({"pk": PAUSED_PK, "sk": f"{old}#{intern_id}"}),
                }
            }
        )
    if until:
        marker = {
            "pk": PAUSED_PK,
            "sk": f"{new}#{intern_id}",
            "type": "intern_pause",
            "intern_id": intern_id,
            "until": new,
            "expires_at": _expires(until),
        }
        ops.append(store.put_op(marker, must_be_new=False))
    store.transact(ops)


def paused_interns(today: date) -> frozenset[str]:
    """The interns not available today: their pause ends after today (one Query, `sk >=`
    tomorrow; markers whose day has come fall out of the range, the TTL removes them)."""
    from chalicelib.adapters import aws

    tomorrow = (today + timedelta(days=1)).isoformat()
    store = get_store()
    kwargs: dict[str, Any] = {
        "TableName": store.table,
        "KeyConditionExpression": "pk = :pk AND sk >= :from",
        "ExpressionAttributeValues": to_item({":pk": PAUSED_PK, ":from": tomorrow}),
    }
    found: set[str] = set()
    while True:
        resp = aws.client("dynamodb").query(**kwargs)
        found.update(str(i["intern_id"]["S"]) for i in resp.get("Items", []))
        if "LastEvaluatedKey" not in resp:
            return frozenset(found)
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def set_fields(intern_id: str, fields: dict[str, Any]) -> None:
    get_store().set_fields(f"INTERN#{intern_id}", "PROFILE", fields)

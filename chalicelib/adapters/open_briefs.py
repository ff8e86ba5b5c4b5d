"""The index of open briefs by skill, and interns' applications (issue 17).

Items (Query / GetItem / BatchGetItem / conditional writes only, never a Scan):

- ``OPEN#<skill> / <deadline>#<brief_id>`` — one per required skill (canonical) of a brief
  open to applicants: ``brief_id``, ``skills``, ``deadline``, ``expires_at`` (TTL: the day
  after the deadline). Written when the brief starts matching and on every offer wait;
  deleted when an intern accepts (the NDA or funding wait starts) or the brief ends (but
  UNMATCHED: still open to applicants). A skill's open briefs are read soonest deadline first
  from tomorrow on (``KeyCondition sk >= <tomorrow>``), so a passed deadline is never read;
  every read also checks the brief itself (``domain/open_briefs.is_open``).
- ``BRIEF#<brief_id> / APPLY#<intern_id>`` and its mirror ``INTERN#<intern_id> /
  APPLY#<brief_id>`` — an application (``note``, ``at``), both put in one transaction only
  if absent (one per intern and brief), both deleted on withdrawal. ``placed_sk``: the sort
  key of the shortlist entry a late applicant was given (``place``).
- ``BRIEF#<brief_id> / CANDIDATE#…#L<inverted score>#<intern_id>`` — a late applicant's
  shortlist entry (``late: true``), sorted into place after the entry before it
  (``domain/open_briefs.late_sort_key``); put in one transaction with the application's
  ``placed_sk`` and a condition on the brief. Withdrawal deletes the intern's entries still
  ``pending`` (a conditional delete: an entry offered meanwhile stays).
- ``REOPEN#RUNS / AT#<at>#<brief_id>`` — put in the transaction that reopens an UNMATCHED
  brief (adapters/reopened_runs.py): the sweep that starts a reopened run whose start failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from chalicelib.adapters import clock, reopened_runs
from chalicelib.adapters.store import Conflict, brief_key, from_item, get_store, to_item
from chalicelib.domain.skills import normalise_skills

PER_SKILL = 50  # open briefs read per skill (Limit), soonest deadline first


def _index_keys(brief: Mapping[str, Any]) -> list[dict[str, str]]:
    brief_id, deadline = str(brief["brief_id"]), str(brief["deadline"])
    return [
        {"pk": f"OPEN#{skill}", "sk": f"{deadline}#{brief_id}"}
        for skill in normalise_skills(list(brief["skills"]))
    ]


def publish(brief: Mapping[str, Any]) -> None:
    """Put the brief in the index under each required skill (idempotent)."""
    deadline = date.fromisoformat(str(brief["deadline"]))
    expires = clock.parse(f"{deadline + timedelta(days=1)}T00:00:00Z").timestamp()
    skills = normalise_skills(list(brief["skills"]))
    get_store().batch_put(
        [
            {
                **key,
                "type": "open_brief",
                "brief_id": str(brief["brief_id"]),
                "skills": skills,
                "deadline": str(brief["deadline"]),
                "expires_at": int(expires),
            }
            for key in _index_keys(brief)
        ]
    )


def unpublish(brief: Mapping[str, Any]) -> None:
    store = get_store()
    for key in _index_keys(brief):
        store.delete(key["pk"], key["sk"])


def open_brief_ids(skills: Iterable[str], today: date) -> dict[str, list[str]]:
    """Brief id → its required skills, for the briefs in the index under any of ``skills``
    whose deadline is after ``today`` (one Query with a Limit per skill)."""
    from chalicelib.adapters import aws

    store = get_store()
    tomorrow = (today + timedelta(days=1)).isoformat()
    found: dict[str, list[str]] = {}
    for skill in dict.fromkeys(skills):
        resp = aws.client("dynamodb").query(
            TableName=store.table,
            KeyConditionExpression="pk = :pk AND sk >= :from",
            ExpressionAttributeValues=to_item({":pk": f"OPEN#{skill}", ":from": tomorrow}),
            Limit=PER_SKILL,
        )
        for raw in resp.get("Items", []):
            item = from_item(raw)
            found[str(item["brief_id"])] = [str(s) for s in item.get("skills", [])]
    return found


def _application_items(brief_id: str, intern_id: str, note: str, at: str) -> list[dict[str, Any]]:
    fields = {"type": "application", "brief_id": brief_id, "intern_id": intern_id, "note": note}
    return [
        {"pk": f"BRIEF#{brief_id}", "sk": f"APPLY#{intern_id}", **fields, "at": at},
        {"pk": f"INTERN#{intern_id}", "sk": f"APPLY#{brief_id}", **fields, "at": at},
    ]


def apply(brief_id: str, intern_id: str, note: str) -> tuple[dict[str, Any], bool]:
    """The intern's application to the brief, and whether this call created it (a repeated
    call finds the first one and changes nothing)."""
    store = get_store()
    items = _application_items(brief_id, intern_id, note, clock.iso())
    try:
        store.transact([store.put_op(item) for item in items])
        return items[0], True
    except Conflict:
        existing = store.get(f"BRIEF#{brief_id}", f"APPLY#{intern_id}")
        if existing is None:
            raise
        return existing, False


def withdraw(brief_id: str, intern_id: str) -> bool:
    """Delete the application, and the intern's shortlist entries still waiting for an offer
    (not one made or answered, not an employer's invitation); True when there was one."""
    store = get_store()
    existed = store.get(f"BRIEF#{brief_id}", f"APPLY#{intern_id}") is not None
    store.delete(f"BRIEF#{brief_id}", f"APPLY#{intern_id}")
    store.delete(f"INTERN#{intern_id}", f"APPLY#{brief_id}")
    for entry in shortlist(brief_id):
        if entry["intern_id"] == intern_id and not entry.get("invited"):
            _delete_if_pending(str(entry["sk"]), brief_id)
    return existed


def _delete_if_pending(sk: str, brief_id: str) -> None:
    store = get_store()
    delete = {
        "Delete": {
            "TableName": store.table,
            "Key": to_item({"pk": f"BRIEF#{brief_id}", "sk": sk}),
            "ConditionExpression": "attribute_not_exists(#s) OR #s = :pending",
            "ExpressionAttributeNames": {"#s": "offer_status"},
            "ExpressionAttributeValues": to_item({":pending": "pending"}),
        }
    }
    with contextlib.suppress(Conflict):  # offered (or answered) meanwhile: history now
        store.transact([delete])


# -- late applicants: the shortlist as matching left it, and a place in it --------------------


def shortlist(brief_id: str) -> list[dict[str, Any]]:
    """The brief's ``CANDIDATE#`` entries in sort-key order (the order offers are made in)."""
    items = get_store().query(f"BRIEF#{brief_id}", "CANDIDATE#", consistent=True)
    return sorted(items, key=lambda i: str(i["sk"]))


def application(brief_id: str, intern_id: str) -> dict[str, Any] | None:
    return get_store().get(f"BRIEF#{brief_id}", f"APPLY#{intern_id}")


# Statuses a late applicant may be placed in without reopening the brief: matching has made
# the shortlist, or an offer (or an NDA that lapsed: no intern_id) waits for the next one.
PLACEABLE = ("MATCHING", "OFFERED", "NDA")


def place(
    brief_id: str,
    intern_id: str,
    entry: Mapping[str, Any],
    *,
    reopen: Mapping[str, Any] | None = None,
) -> bool:
    """Put the applicant's shortlist ``entry`` in one transaction with the application's mark
    (``placed_sk``: the application exists and was not placed yet) and a condition on the
    brief: still looking for someone (no ``intern_id``, not cancelled) — or, with ``reopen``
    (the fields to set), UNMATCHED, which moves it to MATCHING. False when a condition fails:
    nothing is written."""
    store = get_store()
    mark = store.update_op(
        {"pk": f"BRIEF#{brief_id}", "sk": f"APPLY#{intern_id}"},
        condition="attribute_exists(#pk) AND attribute_not_exists(#placed_sk)",
        set_fields={"placed_sk": str(entry["sk"])},
    )
    ops = [store.put_op(entry), mark]
    try:
        if reopen is not None:
            # The sweep's marker: a run whose start fails after this write is started later.
            run = str(reopen["reopen_run"])
            ops.append(store.put_op(reopened_runs.marker(brief_id, run, clock.iso())))
            store.transition(
                brief_id,
                expected=["UNMATCHED"],
                to="MATCHING",
                actor="intern",
                detail="Reopened: an intern applied with the time to do the work",
                updates=reopen,
                extra=ops,
            )
            return True
        statuses = {f":s{i}": s for i, s in enumerate(PLACEABLE)}
        check = {
            "ConditionCheck": {
                "TableName": store.table,
                "Key": to_item(brief_key(brief_id)),
                "ConditionExpression": f"#status IN ({', '.join(statuses)}) AND "
                "attribute_not_exists(#intern) AND attribute_not_exists(#cancel)",
                "ExpressionAttributeNames": {
                    "#status": "status",
                    "#intern": "intern_id",
                    "#cancel": "cancel_requested",
                },
                "ExpressionAttributeValues": to_item(statuses),
            }
        }
        store.transact([*ops, check])
        return True
    except Conflict:
        return False


def applications(brief_id: str) -> dict[str, dict[str, Any]]:
    """Intern id → application, for one brief."""
    items = get_store().query(f"BRIEF#{brief_id}", "APPLY#", consistent=True)
    return {str(i["intern_id"]): i for i in items}


def applied_briefs(intern_id: str) -> dict[str, dict[str, Any]]:
    """Brief id → application, for one intern."""
    items = get_store().query(f"INTERN#{intern_id}", "APPLY#", consistent=True)
    return {str(i["brief_id"]): i for i in items}


def is_application(item: Mapping[str, Any]) -> bool:
    return str(item.get("sk", "")).startswith("APPLY#")


def profiles(intern_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The profiles of ``intern_ids`` that exist: BatchGetItem, 100 keys a call."""
    from chalicelib.adapters import aws

    store = get_store()
    ids = list(dict.fromkeys(intern_ids))
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 100):
        keys = [to_item({"pk": f"INTERN#{i}", "sk": "PROFILE"}) for i in ids[start : start + 100]]
        request: dict[str, Any] = {store.table: {"Keys": keys}}
        for _attempt in range(5):
            resp = aws.client("dynamodb").batch_get_item(RequestItems=request)
            found.extend(from_item(i) for i in resp.get("Responses", {}).get(store.table, []))
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
    return found

"""The items of the collaboration between an engagement's parties (docs/data-model.md,
"Messages and sealed details"). Query and GetItem only; every access path starts from the
brief id, except the notification sweep, which reads the sparse `gsi1` partition
`MSGNOTIFY`.

    THREAD#<brief_id>#<intern_id> / MSG#<at>#<message_id>   a message (from, text, at, file)
    THREAD#<brief_id>#<intern_id> / READ#<party>            what <party> has read
    THREAD#<brief_id>#<intern_id> / NOTIFY#<party>          <party>'s email batching marker
    SEALED#<brief_id> / DETAILS                 the confidential details and attachments
    SEALED#<brief_id> / VIEW#<at>#<rand>        one view of them (who, when, how)

A thread belongs to one engagement: the brief and the intern who accepted it. When the intern
steps back (declining at the NDA) and another accepts, the new pair starts an empty thread.

The sealed details never sit on the brief item: whatever reads a brief (matching, the offer
email and page, the shortlist, logs of a brief) cannot carry them along.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import _is_condition_failure, from_item, get_store, to_item

NOTIFY_INDEX = "MSGNOTIFY"


def thread_id(brief_id: str, intern_id: str) -> str:
    """The engagement's thread: the brief and its engaged intern."""
    return f"{brief_id}#{intern_id}"


def thread_pk(thread: str) -> str:
    return f"THREAD#{thread}"


def sealed_pk(brief_id: str) -> str:
    return f"SEALED#{brief_id}"


# -- messages ---------------------------------------------------------------------------------


def new_message(
    thread: str, *, sender: str, text: str, file_key: str | None = None
) -> dict[str, Any]:
    """Store a message; returns its item."""
    moment = clock.now()
    message_id = f"m_{uuid.uuid4().hex[:20]}"
    item: dict[str, Any] = {
        "pk": thread_pk(thread),
        "sk": f"MSG#{moment.isoformat(timespec='microseconds')}#{message_id}",
        "type": "message",
        "brief_id": thread.split("#", 1)[0],
        "message_id": message_id,
        "from": sender,
        "text": text,
        "at": clock.iso(moment),
    }
    if file_key:
        item["file_key"] = file_key
        item["file_name"] = file_key.rsplit("/", 1)[-1]
    get_store().put_new(item)
    return item


def messages(thread: str) -> list[dict[str, Any]]:
    """The thread, oldest first (read strongly consistently: a page after a post shows it)."""
    return get_store().query(thread_pk(thread), "MSG#", consistent=True)


def thread_items(thread: str) -> list[dict[str, Any]]:
    """Messages, read markers and notification markers of the thread, in one Query."""
    return get_store().query(thread_pk(thread), consistent=True)


def mark_read(thread: str, party: str, until: str) -> None:
    """`party` has read everything up to `until` (never moves backwards)."""
    store = get_store()
    try:
        store._db.update_item(
            TableName=store.table,
            Key=to_item({"pk": thread_pk(thread), "sk": f"READ#{party}"}),
            UpdateExpression="SET read_until = :until, #type = :type",
            ConditionExpression="attribute_not_exists(read_until) OR read_until < :until",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues=to_item({":until": until, ":type": "read_marker"}),
        )
    except Exception as exc:
        if not _is_condition_failure(exc):
            raise


# -- notification batching -------------------------------------------------------------------


def _notify_key(thread: str, party: str) -> dict[str, Any]:
    return to_item({"pk": thread_pk(thread), "sk": f"NOTIFY#{party}"})


def notify_marker(thread: str, party: str) -> dict[str, Any] | None:
    return get_store().get(thread_pk(thread), f"NOTIFY#{party}")


def mark_unsent(thread: str, party: str, *, at: str, due: str) -> None:
    """A message to `party` waits for a notification: listed on the sparse index under `due`
    (kept if an earlier due is listed already) with `latest_at` the newest message."""
    store = get_store()
    store._db.update_item(
        TableName=store.table,
        Key=_notify_key(thread, party),
        UpdateExpression=(
            "SET unsent_since = if_not_exists(unsent_since, :at), latest_at = :at, "
            "gsi1pk = :index, gsi1sk = if_not_exists(gsi1sk, :due), brief_id = :brief, "
            "intern_id = :intern, party = :party, #type = :type"
        ),
        ExpressionAttributeNames={"#type": "type"},
        ExpressionAttributeValues=to_item(
            {
                ":at": at,
                ":index": NOTIFY_INDEX,
                ":due": f"{due}#{thread}#{party}",
                ":brief": thread.split("#", 1)[0],
                ":intern": thread.split("#", 1)[1],
                ":party": party,
                ":type": "notify_marker",
            }
        ),
    )


def claim_notification(
    thread: str, party: str, *, now: str, quiet_before: str, next_due: str
) -> dict[str, Any] | None:
    """Take the right to send `party` one email now: only while messages wait for one and the
    last email went before `quiet_before` (one conditional write, so of two racing senders one
    wins). The marker stays listed, due at `next_due`, until `finish_notification` confirms
    the send: a sender that dies after claiming leaves it for the sweep. None when not now."""
    store = get_store()
    try:
        resp = store._db.update_item(
            TableName=store.table,
            Key=_notify_key(thread, party),
            UpdateExpression="SET last_sent_at = :now, gsi1sk = :next",
            ConditionExpression=(
                "attribute_exists(unsent_since) AND "
                "(attribute_not_exists(last_sent_at) OR last_sent_at <= :quiet)"
            ),
            ExpressionAttributeValues=to_item(
                {":now": now, ":quiet": quiet_before, ":next": f"{next_due}#{thread}#{party}"}
            ),
            ReturnValues="ALL_NEW",
        )
    except Exception as exc:
        if _is_condition_failure(exc):
            return None
        raise
    return from_item(resp["Attributes"])


def finish_notification(thread: str, party: str, *, covered_until: str) -> bool:
    """The email covering messages up to `covered_until` went: off the index, unless a newer
    message arrived meanwhile (then it stays listed for the next email). True when cleared."""
    store = get_store()
    try:
        store._db.update_item(
            TableName=store.table,
            Key=_notify_key(thread, party),
            UpdateExpression="REMOVE unsent_since, gsi1pk, gsi1sk",
            ConditionExpression="latest_at <= :covered",
            ExpressionAttributeValues=to_item({":covered": covered_until}),
        )
    except Exception as exc:
        if _is_condition_failure(exc):
            return False
        raise
    return True


def due_notifications(now: str) -> list[dict[str, Any]]:
    """Markers whose next email is due: one Query on the sparse index."""
    return get_store().query_range(NOTIFY_INDEX, "0", now, index="gsi1")


# -- sealed details ---------------------------------------------------------------------------


def sealed_item(brief_id: str, text: str) -> dict[str, Any]:
    """The item holding a brief's confidential details (written with the brief)."""
    return {
        "pk": sealed_pk(brief_id),
        "sk": "DETAILS",
        "type": "sealed_details",
        "brief_id": brief_id,
        "text": text,
        "attachments": [],
        "updated_at": clock.iso(),
    }


def sealed(brief_id: str) -> dict[str, Any] | None:
    return get_store().get(sealed_pk(brief_id), "DETAILS")


def add_attachment(brief_id: str, attachment: Mapping[str, Any]) -> None:
    """Append an attachment to the sealed details (creating them when the brief had none)."""
    store = get_store()
    store._db.update_item(
        TableName=store.table,
        Key=to_item({"pk": sealed_pk(brief_id), "sk": "DETAILS"}),
        UpdateExpression=(
            "SET attachments = list_append(if_not_exists(attachments, :empty), :one), "
            "#text = if_not_exists(#text, :blank), brief_id = :brief, #type = :type, "
            "updated_at = :now"
        ),
        ExpressionAttributeNames={"#text": "text", "#type": "type"},
        ExpressionAttributeValues=to_item(
            {
                ":empty": [],
                ":one": [dict(attachment)],
                ":blank": "",
                ":brief": brief_id,
                ":type": "sealed_details",
                ":now": clock.iso(),
            }
        ),
    )


def record_view(brief_id: str, *, intern_id: str, via: str) -> dict[str, Any]:
    """One view of the sealed details: who, when, through what (page, api, file)."""
    moment = clock.now()
    item = {
        "pk": sealed_pk(brief_id),
        "sk": f"VIEW#{moment.isoformat(timespec='microseconds')}#{uuid.uuid4().hex[:8]}",
        "type": "sealed_view",
        "brief_id": brief_id,
        "intern_id": intern_id,
        "via": via,
        "at": clock.iso(moment),
    }
    get_store().put(item)
    return item


def views(brief_id: str) -> list[dict[str, Any]]:
    return get_store().query(sealed_pk(brief_id), "VIEW#", consistent=True)

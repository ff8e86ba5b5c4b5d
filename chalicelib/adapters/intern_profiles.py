"""The intern's records in DynamoDB: the profile and its impact-ordered skill postings, and
the track record both carry.

Keys: ``INTERN#<id> / PROFILE`` (the profile) and one posting per skill the profile is
credited with (listed, implied by a listed tool, or shown in the bio — see
``domain/retrieval.py``), ``SKILL#<skill> / Q#<tier><prior>#<yymm>#<id>``: a skill's
postings read in descending key order come strongest evidence and best static quality
first, so a match reads each required skill with a ``Limit``. A posting holds only what the
scorer reads — never name, email or school. The profile keeps ``postings`` (skill → sort
key) so an update replaces exactly the postings it wrote. A posting carries the profile's
prepared features packed in one JSON string attribute, ``scoring`` (``retrieval.pack_scoring``:
term counts, evidence credits, track record — computed at write time, so a match only reads
them; no bio). Readers go through ``retrieval.to_prepared`` / ``posting_fields``, which also
read postings written before (fields packed with the bio, or attributes of their own: prepared
on read; the next profile update repacks them, no migration). A match's Query projects only
the sort key and the scoring fields; ``rank`` and ``intern_id`` are read from the sort key.

Every write is conditional: registration puts all items new (``attribute_not_exists``); a
track-record update is one transaction — the profile guarded by its ``postings_version``,
the old postings deleted only if present, the new ones put only if absent — retried on a
concurrent update. Postings are written by ``posting_items`` alone, the one place that
decides whether (and when) a profile is matchable.

A profile whose address is not confirmed yet has no postings (``awaiting_confirmation`` on the
profile): matching, which reads only postings, cannot offer it anything. ``activate`` writes
them, in the same kind of transaction, once the address is confirmed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, from_item, get_store, to_item
from chalicelib.domain.retrieval import postings_of
from chalicelib.domain.skills import normalise_skills

SCORING_FIELDS = (
    "skills",
    "bio",
    "hours_per_week",
    "timezone",
    "portfolio_url",
    "completed",
    "rating_sum",
    "rating_count",
)
POSTING_PREFIX = "Q#"
# What a match reads of a posting: the sort key (rank, intern id) and the scoring fields —
# packed, or as attributes of their own in a posting written before packing.
_READ = ("sk", "scoring", *SCORING_FIELDS)
UPDATE_ATTEMPTS = 5


def _yymm() -> str:
    now = clock.iso()
    return now[2:4] + now[5:7]


def scoring_fields(intern_id: str, profile: Mapping[str, Any]) -> dict[str, Any]:
    """What the scorer reads of a profile (copied onto every posting)."""
    return {
        "intern_id": intern_id,
        "skills": normalise_skills(list(profile["skills"])),
        "bio": profile["bio"],
        "hours_per_week": int(profile["hours_per_week"]),
        "timezone": profile["timezone"],
        "portfolio_url": profile.get("portfolio_url") or "",
        "completed": int(profile.get("completed", 0)),
        "rating_sum": int(profile.get("rating_sum", 0)),
        "rating_count": int(profile.get("rating_count", 0)),
    }


def posting_items(scoring: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The skill postings that make a profile matchable (the one function that writes them)."""
    ranks, packed = postings_of(scoring, _yymm())
    return [
        {
            "pk": f"SKILL#{skill}",
            "sk": POSTING_PREFIX + rank,
            "type": "skill_posting",
            "rank": rank,
            "intern_id": scoring["intern_id"],
            "scoring": packed,
        }
        for skill, rank in ranks.items()
    ]


def profile_items(
    intern_id: str, profile: Mapping[str, Any], *, matchable: bool = True
) -> list[dict[str, Any]]:
    """The profile item and its skill postings (none, and the profile flagged as awaiting its
    address's confirmation, when not `matchable`)."""
    scoring = scoring_fields(intern_id, profile)
    postings = posting_items(scoring) if matchable else []
    item = {
        "pk": f"INTERN#{intern_id}",
        "sk": "PROFILE",
        "type": "intern",
        **scoring,
        "portfolio_url": profile.get("portfolio_url"),
        "skills_as_written": list(profile["skills"]),
        "name": profile["name"],
        "email": profile["email"],
        "payout_ready": bool(profile.get("payout_ready", False)),
        "created_at": clock.iso(),
        "postings": {str(p["pk"])[len("SKILL#") :]: p["sk"] for p in postings},
        "postings_version": 1,
    }
    if not matchable:
        item["awaiting_confirmation"] = True
    return [item, *postings]


def activate(intern_id: str) -> bool:
    """Make a profile waiting for its address's confirmation matchable: its postings put and
    the flag cleared in one conditional transaction. True for the one call that cleared it;
    False when there is no such profile or it was matchable already."""
    for _attempt in range(UPDATE_ATTEMPTS):
        profile = get_store().get(f"INTERN#{intern_id}", "PROFILE")
        if profile is None or not profile.get("awaiting_confirmation"):
            return False
        try:
            _rewrite_postings(profile, {}, activating=True)
            return True
        except Conflict:
            continue  # activated meanwhile, or a track-record update moved it on: read again
    raise Conflict(f"intern {intern_id}: activation kept conflicting")


def add_track_record(intern_id: str, *, completed: int = 0, rating: int | None = None) -> None:
    """Add a completed engagement and/or a rating to the profile and re-rank its postings, so
    the scorer's track-record factor and the postings' static prior see it on the next match."""
    add = {"completed": completed, "rating_sum": rating or 0, "rating_count": 1 if rating else 0}
    for _attempt in range(UPDATE_ATTEMPTS):
        store = get_store()
        profile = store.get(f"INTERN#{intern_id}", "PROFILE")
        if profile is None:
            return
        updated = {k: int(profile.get(k, 0)) + v for k, v in add.items()}
        try:
            _rewrite_postings(profile, updated)
            return
        except Conflict:
            continue  # a concurrent update moved the profile on: read it again
    raise Conflict(f"intern {intern_id}: track record update kept conflicting")


def edit(intern_id: str, changes: Mapping[str, Any], written: Mapping[str, Any]) -> bool:
    """The intern edited their profile (issue 14): the scoring `changes` (validated, skills
    normalised) and the profile-only `written` fields (e.g. skills as written) set, and the
    postings rewritten in the same transaction. False when there is no such profile."""
    for _attempt in range(UPDATE_ATTEMPTS):
        profile = get_store().get(f"INTERN#{intern_id}", "PROFILE")
        if profile is None:
            return False
        try:
            _rewrite_postings(profile, changes, written=written)
            return True
        except Conflict:
            continue  # a concurrent update moved the profile on: read it again
    raise Conflict(f"intern {intern_id}: profile edit kept conflicting")


def _rewrite_postings(
    profile: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    activating: bool = False,
    written: Mapping[str, Any] | None = None,
) -> None:
    """One transaction: the profile (if its postings_version is unchanged — and, `activating`,
    still awaiting its address's confirmation), the postings whose key changed deleted, the new
    ones put. A profile awaiting confirmation keeps none."""
    store = get_store()
    intern_id = str(profile["intern_id"])
    scoring = {**scoring_fields(intern_id, profile), **changes}
    matchable = activating or not profile.get("awaiting_confirmation")
    new = posting_items(scoring) if matchable else []
    old_keys = {str(s): str(k) for s, k in (profile.get("postings") or {}).items()}
    new_keys = {str(p["pk"])[len("SKILL#") :]: str(p["sk"]) for p in new}
    version = int(profile.get("postings_version", 0))
    guard = "postings_version = :v" if version else "attribute_not_exists(postings_version)"
    values: dict[str, Any] = {":v": version} if version else {}
    fields = {**(written or {}), **changes, "postings": new_keys, "postings_version": version + 1}
    if activating:
        guard += " AND #awaiting_confirmation = :yes"
        values[":yes"] = True
        fields["confirmed_at"] = clock.iso()
    ops: list[dict[str, Any]] = [
        store.update_op(
            {"pk": f"INTERN#{intern_id}", "sk": "PROFILE"},
            condition=guard,
            set_fields=fields,
            remove_fields=["awaiting_confirmation"] if activating else (),
            values=values or None,
        )
    ]
    for skill, sk in old_keys.items():
        if new_keys.get(skill) != sk:
            ops.append(_delete_op(store.table, f"SKILL#{skill}", sk))
    for posting in new:
        same = old_keys.get(str(posting["pk"])[len("SKILL#") :]) == posting["sk"]
        ops.append(_put_op(store.table, posting, replace=same))
    store.transact(ops)


def _delete_op(table: str, pk: str, sk: str) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": table,
            "Key": to_item({"pk": pk, "sk": sk}),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }


def _put_op(table: str, item: Mapping[str, Any], *, replace: bool) -> dict[str, Any]:
    condition = "attribute_exists(pk)" if replace else "attribute_not_exists(pk)"
    return {"Put": {"TableName": table, "Item": to_item(item), "ConditionExpression": condition}}


def postings_page(
    skill: str, cursor: Mapping[str, Any] | None, limit: int
) -> tuple[list[dict[str, Any]], Mapping[str, Any] | None]:
    """Up to `limit` postings of a skill, best first (one Query with a Limit, projected on what
    the scorer reads), and the cursor to the next page (None at the end)."""
    from chalicelib.adapters import aws

    names = {f"#a{n}": name for n, name in enumerate(_READ)}
    kwargs: dict[str, Any] = {
        "TableName": get_store().table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :q)",
        "ExpressionAttributeValues": to_item({":pk": f"SKILL#{skill}", ":q": POSTING_PREFIX}),
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
        "ScanIndexForward": False,
        "Limit": max(1, limit),
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = cursor
    client = aws.client("dynamodb")
    client.meta.events.register(
        "before-parse.dynamodb.Query", _answer_as_sent, unique_id="postings-as-sent"
    )
    _as_sent.on = True
    try:
        resp = client.query(**kwargs)
    finally:
        _as_sent.on = False
    return [_posting(i) for i in resp.get("Items", [])], resp.get("LastEvaluatedKey")


_as_sent = threading.local()  # set around the postings Query on the thread that makes it


def _answer_as_sent(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    """botocore hook (``before-parse``): a postings page's answer read by one ``json.loads``.

    botocore's parser walks every attribute value through the AttributeValue shape (ten
    members checked per value) — ~16 % of a 2,000-posting match's CPU. DynamoDB's JSON already
    is the low-level client's form (``{"sk": {"S": …}}``, ``Count``, ``LastEvaluatedKey``), so
    a successful answer is taken as sent and botocore is handed an empty body; errors (status
    ≥ 300) and every other request are parsed by botocore as usual. Registered on the shared
    client; acts only while ``postings_page`` asks on this thread."""
    if not getattr(_as_sent, "on", False) or response_dict.get("status_code", 500) >= 300:
        return
    customized_response_dict.update(json.loads(response_dict["body"]))
    response_dict["body"] = b"{}"


def _posting(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A projected posting with its rank and intern id, read from its sort key
    (``Q#<tier><prior>#<yymm>#<intern_id>``). Two strings (sort key and packed scoring) are
    taken as they are; an older posting's attributes go through the deserialiser."""
    if raw.keys() == {"sk", "scoring"}:
        item: dict[str, Any] = {"sk": raw["sk"]["S"], "scoring": raw["scoring"]["S"]}
    else:
        item = from_item(raw)
    rank = str(item["sk"])[len(POSTING_PREFIX) :]
    item["rank"] = rank
    item["intern_id"] = rank.split("#", 2)[2]
    return item


def bios(intern_ids: Sequence[str]) -> dict[str, str]:
    """Intern id → bio, for the few candidates a match explains (the postings carry features,
    not the bio): one BatchGetItem per 100, projected on the bio."""
    from chalicelib.adapters import aws

    table = get_store().table
    ids = list(dict.fromkeys(intern_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 100):
        keys = [to_item({"pk": f"INTERN#{i}", "sk": "PROFILE"}) for i in ids[start : start + 100]]
        request: dict[str, Any] = {
            table: {
                "Keys": keys,
                "ProjectionExpression": "#i, #b",
                "ExpressionAttributeNames": {"#i": "intern_id", "#b": "bio"},
            }
        }
        for _attempt in range(5):
            resp = aws.client("dynamodb").batch_get_item(RequestItems=request)
            for item in resp.get("Responses", {}).get(table, []):
                plain = from_item(item)
                found[str(plain["intern_id"])] = str(plain.get("bio") or "")
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
    return found

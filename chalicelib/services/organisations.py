"""Employer organisations: their briefs on one dashboard, their colleagues, their receipts.

    adopt_briefs(person)        at sign-in: the briefs an address posted before organisations
                                existed join its (new) organisation
    dashboard(person)           every brief of the person's organisation: status, next action
                                and its deadline, the ledger's figures
    my_briefs(person)           GET /api/me/briefs
    invite(person, email, role) an owner emails a colleague an invitation (owner | member)
    check_invite / accept_invite  the invitation link: GET shows it, POST joins and signs in
    receipts(person, brief_id)  Stripe's receipt of each payment of one of the briefs
    prefill(person)             "post another brief": the organisation's details

A brief belongs to the organisation of its employer's address, filed in the brief's own
creation transaction (services/briefs.py, `ORG#<id> / BRIEF#<brief id>`); listing is one Query
of the organisation's partition and one BatchGetItem of its briefs, never a Scan. A person
sees only their own organisation's briefs (the brief's `organisation_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from chalicelib.adapters import accounts as people
from chalicelib.adapters import clock, escrow_store, links, organisations, sessions
from chalicelib.adapters.store import get_store, token_open
from chalicelib.domain.accounts import MEMBER, OWNER, Person
from chalicelib.domain.engagement import LABELS, Status, is_terminal
from chalicelib.observability import logger
from chalicelib.services import notify
from chalicelib.services.errors import Forbidden, Gone, Invalid, NotAllowed, NotFound

MAX_BRIEFS: Final = 200  # the dashboard's briefs, newest first

# What the brief waits for, from the employer's side: (what happens next, whose turn).
NEXT: Final[Mapping[str, tuple[str, bool]]] = {
    "offer": ("The intern answers the offer", False),
    "nda": ("The intern signs the NDA", False),
    "funding": ("Fund escrow", True),
    "work": ("The intern delivers", False),
    "deadline": ("Extend the deadline or cancel", True),
    "review": ("Review the delivery", True),
    "payout": ("Finance approves the payout", False),
    "dispute": ("Finance resolves the dispute", False),
    "account": ("The intern connects a payout account", False),
    "payout_failed": ("Finance looks into the failed payout", False),
    "refund_failed": ("Finance looks into the failed refund", False),
}
UNKNOWN_INVITE = "This invitation link is not valid. Ask your colleague for a new one."
USED_INVITE = "This invitation was already used. Sign in with your email address instead."
EXPIRED_INVITE = "This invitation has expired (invitations work for 7 days). Ask for a new one."
OTHER_ORGANISATION = (
    "This address already belongs to another organisation on microintern; it cannot join a "
    "second one."
)
NOT_AN_OWNER = "Only an owner of the organisation can invite colleagues."


# -- the organisation's briefs --------------------------------------------------------------


def adopt_briefs(person: Person) -> Person:
    """Briefs the person's address posted before organisations existed join their organisation
    (a new one, named after the latest brief's company, when they have none). The person as
    they are afterwards."""
    posted = [b for b in organisations.briefs_posted_by(person.email) if b.get("brief_id")]
    orphans = [b for b in posted if not b.get("organisation_id")]
    if not orphans:
        return person
    latest = max(orphans, key=lambda b: str(b.get("created_at", "")))
    organisation_id = person.organisation_id or organisations.ensure_for(
        person.email,
        name=str(latest.get("company") or person.email),
        details={
            "company": str(latest.get("company") or ""),
            "employer_name": str(latest.get("employer_name") or ""),
        },
    )
    store = get_store()
    for brief in orphans:
        brief_id = str(brief["brief_id"])
        filed = organisations.brief_item(organisation_id, brief_id, str(brief.get("title", "")))
        filed["created_at"] = str(brief.get("created_at") or filed["created_at"])
        organisations.transact(
            [
                organisations.adopt_op(organisation_id, brief_id),
                store.put_op(filed, must_be_new=False),
            ]
        )
    logger.info("briefs adopted", extra={"count": len(orphans)})
    found = people.find(person.email)
    return people.as_person(found, session_id_hash=person.session_id_hash) if found else person


def organisation_briefs(person: Person) -> list[dict[str, Any]]:
    """The organisation's brief items, newest first (none for a person without one)."""
    if not person.organisation_id:
        return []
    ids = organisations.brief_ids(person.organisation_id)[:MAX_BRIEFS]
    found = get_store().get_briefs(ids)
    return [
        found[i]
        for i in ids
        if i in found and found[i].get("organisation_id") == person.organisation_id
    ]


def next_action(brief: Mapping[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """What happens next on the brief, whether it is the employer's turn, and by when."""
    status = Status(brief["status"])
    if brief.get("awaiting_confirmation"):
        return {
            "text": "Confirm your email address (we emailed you a link)",
            "yours": True,
            "by": None,
        }
    waits = [i for i in items if str(i["sk"]).startswith("TASKTOKEN#") and token_open(i)]
    waits.sort(key=lambda i: str(i.get("created_at", "")), reverse=True)
    for wait in waits:
        text, yours = NEXT.get(str(wait.get("kind")), ("", False))
        if text:
            return {"text": text, "yours": yours, "by": wait.get("closes_at")}
    if status in (Status.SUBMITTED, Status.MATCHING):
        return {"text": "We find an intern", "yours": False, "by": None}
    if status == Status.RELEASING:
        return {"text": "The payment is being released", "yours": False, "by": None}
    if is_terminal(status):
        return {"text": None, "yours": False, "by": None}
    return {"text": None, "yours": False, "by": None}


def brief_row(brief: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the dashboard: one Query of the brief's partition (its waits and ledger)."""
    brief_id = str(brief["brief_id"])
    items = get_store().query(f"BRIEF#{brief_id}", consistent=True)
    figures = escrow_store.figures(items)
    status = Status(brief["status"])
    return {
        "brief_id": brief_id,
        "title": str(brief["title"]),
        "status": status.value,
        "status_label": LABELS[status],
        "created_at": str(brief.get("created_at", "")),
        "employer_email": str(brief.get("employer_email", "")),
        "budget_cents": int(brief["budget_cents"]),
        "currency": str(brief.get("currency", "usd")),
        "next": next_action(brief, items),
        "escrow": figures,
        "paid": bool(brief.get("payment_intent_id")) and int(figures["funded_cents"]) > 0,
    }


def dashboard(person: Person) -> dict[str, Any]:
    """The employer's dashboard: the organisation, its members and every brief's line."""
    if not person.organisation_id:
        raise NotFound("You are not in an organisation yet: post a brief to start one.")
    found = organisations.find(person.organisation_id) or {}
    rows = [brief_row(b) for b in organisation_briefs(person)]
    totals: dict[str, dict[str, int]] = {}
    for row in rows:  # per currency: committed (paid into escrow), released, refunded, held
        total = totals.setdefault(
            row["currency"], {"funded": 0, "released": 0, "refunded": 0, "held": 0}
        )
        for name in total:
            total[name] += int(row["escrow"][f"{name}_cents"])
    return {
        "organisation": {
            "organisation_id": person.organisation_id,
            "name": str(found.get("name", "")),
        },
        "members": sorted(
            (
                {"email": str(m["email"]), "role": str(m["role"])}
                for m in organisations.members(person.organisation_id)
            ),
            key=lambda m: (m["role"] != OWNER, m["email"]),
        ),
        "briefs": rows,
        "totals": totals,
    }


def my_briefs(person: Person) -> list[dict[str, Any]]:
    """GET /api/me/briefs: {"brief_id", "title", "status", "next_action"} of each brief."""
    out = []
    for brief in organisation_briefs(person):
        row = brief_row(brief)
        out.append(
            {
                "brief_id": row["brief_id"],
                "title": row["title"],
                "status": row["status"],
                "next_action": row["next"]["text"],
                "next_action_by": row["next"]["by"],
            }
        )
    return out


def prefill(person: Person) -> dict[str, str]:
    """What "post another brief" is prefilled with: the organisation's company, the person."""
    values = {"employer_email": person.email}
    if person.organisation_id:
        found = organisations.find(person.organisation_id) or {}
        values["company"] = str(found.get("company") or found.get("name") or "")
    item = people.find(person.email) or {}
    if item.get("name"):
        values["employer_name"] = str(item["name"])
    return values


def brief_of(person: Person, brief_id: str) -> dict[str, Any]:
    """One of the organisation's briefs; 404 for any other (the same as an unknown id)."""
    brief = get_store().get_brief(brief_id)
    if (
        brief is None
        or not person.organisation_id
        or brief.get("organisation_id") != person.organisation_id
    ):
        raise NotFound("No brief with this id.", "brief_id")
    return brief


def receipts(person: Person, brief_id: str) -> list[dict[str, Any]]:
    """Stripe's receipts of the brief's payment (read from Stripe: each charge's receipt_url)."""
    from chalicelib.adapters import stripe_gateway

    brief = brief_of(person, brief_id)
    intent = brief.get("payment_intent_id")
    if not intent:
        return []
    return [
        {
            "charge_id": r.charge_id,
            "amount_cents": r.amount_cents,
            "currency": r.currency,
            "paid_at": clock.iso(datetime.fromtimestamp(r.created, UTC)),
            "receipt_url": r.receipt_url,
        }
        for r in stripe_gateway.list_receipts(str(intent))
        if r.receipt_url
    ]


# -- colleagues -------------------------------------------------------------------------------


def invite(person: Person, email: object, role: object) -> dict[str, Any]:
    """An owner invites a colleague: the invitation is an emailed link (7 days, once)."""
    from pydantic_core import PydanticCustomError

    from chalicelib.domain.brief import normalize_email

    if not person.is_owner or not person.organisation_id:
        raise Forbidden(NOT_AN_OWNER)
    try:
        address = normalize_email(email)
    except PydanticCustomError as exc:
        raise Invalid([{"field": "email", "message": str(exc)}]) from None
    if role not in (OWNER, MEMBER):
        raise Invalid([{"field": "role", "message": "Choose owner or member."}])
    found = organisations.find(person.organisation_id) or {}
    token = organisations.issue_invite(person.organisation_id, address, str(role), person.email)
    expires = datetime.fromtimestamp(
        int(clock.now().timestamp()) + organisations.INVITE_SECONDS, UTC
    )
    notify.send(
        "organisation_invite",
        to=address,
        key=f"invite:{token[:16]}",
        brief_id=None,
        organisation=str(found.get("name") or "an organisation"),
        invited_by=person.email,
        role=str(role),
        window_end=expires,
        action_url=links.url(f"/invites/{token}"),
    )
    return {"email": address, "role": str(role)}


def check_invite(token: str) -> dict[str, Any]:
    """The invitation a usable link stands for (with its organisation's name): 404/409/410."""
    found = organisations.find_invite(token)
    if found is None:
        raise NotFound(UNKNOWN_INVITE)
    if "used_at" in found:
        raise NotAllowed(USED_INVITE)
    if int(found["expires_at"]) <= clock.now().timestamp():
        raise Gone(EXPIRED_INVITE)
    organisation = organisations.find(str(found["organisation_id"])) or {}
    return {**found, "organisation_name": str(organisation.get("name", ""))}


def accept_invite(token: str) -> tuple[str, int]:
    """Join the organisation (once) and sign in as the invited address: the link proves the
    mailbox, as a sign-in link does. (cookie value, lifetime)."""
    found = check_invite(token)
    address, organisation_id, role = (
        str(found["email"]),
        str(found["organisation_id"]),
        str(found["role"]),
    )
    person = people.find(address)
    if person and person.get("organisation_id") not in (None, organisation_id):
        raise NotAllowed(OTHER_ORGANISATION)
    already = bool(person and person.get("organisation_id") == organisation_id)
    store = get_store()
    done = organisations.transact(
        [
            organisations.use_invite_op(token),
            *([] if already else people.join_ops(address, organisation_id, role)),
            *(
                []
                if already
                else [
                    store.put_op(
                        organisations.member_item(organisation_id, address, role),
                        must_be_new=False,
                    )
                ]
            ),
        ]
    )
    if not done:
        raise NotAllowed(USED_INVITE)
    logger.info("invitation accepted", extra={"role": role})
    return sessions.start(address)

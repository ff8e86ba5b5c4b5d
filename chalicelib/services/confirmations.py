"""Confirming an email address: the link in the confirmation email, and what it sets going.

    check(token)      # GET /confirm/{token}: what the link is for; changes nothing
    confirm(token)    # POST /confirm/{token} (the page's button): confirm, then start everything
                      # that waited for the address

An orchestrator (like `steps`): confirming starts the waiting briefs (`briefs.start_confirmed`)
and makes the waiting intern profiles matchable (`intern_signup.activate`). A token confirms
once (a conditional write): a double click, a replay or a race confirms once and starts each
brief's execution once (its name is the brief id). Unknown, used and expired links are refused
with an answer that says which, and change nothing. The records are
`adapters/address_confirmations.py`; the email is `confirmation_mail`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import address_confirmations as records
from chalicelib.observability import logger, metrics
from chalicelib.services import briefs, intern_signup
from chalicelib.services.errors import NotAllowed, usable_link

UNKNOWN = (
    "This confirmation link is not valid. Check that you copied the whole link from the email."
)
USED = "This confirmation link was already used: the address is confirmed. Nothing else to do."
EXPIRED = (
    "This confirmation link has expired (links work for 72 hours). An employer can ask for a "
    "new one from the brief page."
)


def check(token: str) -> records.Confirmation:
    """The confirmation a usable link stands for: 404 unknown, 409 used, 410 expired."""
    return usable_link(records.find(token), unknown=UNKNOWN, used=USED, expired=EXPIRED)


def confirm(token: str) -> dict[str, Any]:
    """Use the link (once), record the address as confirmed, start what waited for it."""
    found = records.find(token)
    if found is not None and found.used:
        # Pressed again (or a simultaneous click): the address is confirmed. Finish what a
        # first attempt that failed part-way left waiting (each marker goes once done), then
        # answer as for any used link.
        start_waiting(found.address_hash)
        raise NotAllowed(USED)
    found = check(token)
    # The address first (idempotent), then the token: a failure between the two leaves the
    # link usable, never a used link with its address unconfirmed.
    records.confirm(found.address_hash)
    if not records.use(token):  # a simultaneous click took it: what waits starts once anyway
        start_waiting(found.address_hash)
        raise NotAllowed(USED)
    started = start_waiting(found.address_hash)
    metrics.add_metric(name="AddressesConfirmed", unit="Count", value=1)
    logger.info("address confirmed", extra={"purpose": found.purpose, "started": len(started)})
    return {"purpose": found.purpose, "started": started}


def start_waiting(digest: str) -> list[str]:
    """Start every brief and activate every profile waiting for the address of `digest`; the
    ids started. Each marker goes once its brief or profile is done (a retry finds the rest)."""
    started: list[str] = []
    for purpose, subject_id in records.awaiting(digest):
        if purpose == "brief":
            ran = briefs.start_confirmed(subject_id)
        else:
            ran = intern_signup.activate(subject_id)
        if ran:
            started.append(subject_id)
        records.done_waiting(digest, purpose, subject_id)
    return started

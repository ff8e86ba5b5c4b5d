"""The first email to an address someone typed into a form: a confirmation, and nothing else.

    ask_to_confirm(address, "brief", brief_id, brief_id=brief_id)

Posting a brief or registering names an address the sender may not own. Until someone opening
that mailbox confirms it (`services/confirmations.py`), the platform sends it only this email:
what the platform is, one link, and "if this wasn't you, ignore this; nothing happens" — no
title, no name, no text the sender typed. Shared by the use cases that take an address
(`briefs`, `intern_signup`); the records are `adapters/address_confirmations.py`.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.adapters import address_confirmations, clock, links, tokens
from chalicelib.adapters.address_confirmations import Purpose
from chalicelib.observability import logger
from chalicelib.services import notify


def confirm_url(token: str) -> str:
    return links.url(f"/confirm/{token}")


def ask_to_confirm(
    address: str, purpose: Purpose, subject_id: str, *, brief_id: str | None
) -> None:
    """Issue a confirmation link for `address` (bound to this brief or intern) and email it.

    A mail failure is logged (and, for a brief, put on its timeline by `notify`); the sender
    can ask for the link again from the brief page, or the intern by registering again."""
    from chalicelib.adapters.mailer import TransientError

    token = address_confirmations.issue(address, purpose, subject_id)
    expires = clock.now() + timedelta(seconds=address_confirmations.LIFETIME_SECONDS)
    try:
        notify.send(
            "confirm_address",
            to=address,
            key=f"confirm:{tokens.hash_token(token)[:32]}",
            brief_id=brief_id,
            purpose=purpose,
            window_end=expires,
            action_url=confirm_url(token),
        )
    except TransientError:
        logger.exception("confirmation email not sent", extra={"brief_id": brief_id})

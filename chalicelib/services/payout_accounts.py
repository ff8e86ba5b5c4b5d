"""The intern's payout account: Stripe Connect (express) onboarding.

    (the account itself and its links: adapters/connect.py, shared with sign-up)
    remind_onboarding    the payout waits for the account: email the intern a fresh link
                         (at most once a day per engagement; never blocks the step)
    resume_payout_for    the account became payout-ready (Stripe's `account.updated`): resume
                         the release that waits for it (the `account` wait)
    resume_if_ready      the wait's token is stored: resume it if the account is ready already
                         (a "ready" applied between the release's check and the wait)

The release itself (services/escrow.py) reads the intern's destination account from the
escrow repository and raises `errors.PayoutAccountNotReady` when it cannot receive transfers;
the step orchestrator (services/steps.py) then calls `remind_onboarding`, and the state
machine waits in AwaitPayoutAccount until `resume_payout_for` or the window's end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock
from chalicelib.adapters.connect import connect_account, onboarding_link
from chalicelib.adapters.escrow_store import HELD
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.domain import money
from chalicelib.observability import logger


def remind_onboarding(brief_id: str) -> None:
    """The payout waits for the intern's Stripe account: send them a fresh onboarding link."""
    store = get_store()
    brief = store.get_brief(brief_id)
    if brief is None:
        return
    intern = store.get(f"INTERN#{brief.get('intern_id')}", "PROFILE")
    if intern is not None:
        _remind(brief, intern)


def _remind(brief: Mapping[str, Any], intern: Mapping[str, Any]) -> None:
    """Email the intern a fresh onboarding link (at most once a day per engagement)."""
    from chalicelib.services import notify

    brief_id = str(brief["brief_id"])
    try:
        account = str(intern.get("stripe_account_id") or "") or connect_account(
            str(intern["intern_id"]), str(intern["email"])
        )
        url = onboarding_link(str(intern["intern_id"]), account)
        pay = money.release(int(brief.get(HELD, 0)), money.fee_bps_of(brief)).payout_cents
        notify.send(
            "connect_onboarding",
            to=str(intern["email"]),
            key=f"{brief_id}:connect_onboarding:{clock.today().isoformat()}",
            brief_id=brief_id,
            name=str(intern.get("name", "")),
            title=str(brief.get("title", "")),
            pay_cents=pay,
            currency=str(brief.get("currency", "usd")),
            action_url=url,
        )
    except Exception:  # a reminder never blocks the retry that follows
        logger.exception("onboarding reminder failed", extra={"brief_id": brief_id})


def resume_if_ready(brief_id: str) -> bool:
    """The release's wait has stored its token: resume it at once if the intern's account is
    payout-ready already (Stripe's ``account.updated`` applied between the release's check and
    the wait: it found no token to resume then, and would not come again)."""
    store = get_store()
    brief = store.get_brief(brief_id)
    intern_id = str((brief or {}).get("intern_id") or "")
    intern = store.get(f"INTERN#{intern_id}", "PROFILE") if intern_id else None
    if not intern or not intern.get("payout_ready") or not intern.get("stripe_account_id"):
        return False
    return _resume(brief_id)


def resume_payout_for(intern_id: str) -> bool:
    """The intern's account became payout-ready: resume the release that waits for it."""
    intern = get_store().get(f"INTERN#{intern_id}", "PROFILE")
    brief_id = str((intern or {}).get("holding") or "")
    return bool(brief_id) and _resume(brief_id)


def _resume(brief_id: str) -> bool:
    """Resume the brief's open `account` wait, once (the token is consumed conditionally)."""
    from chalicelib.adapters import workflow

    store = get_store()
    if store.waiting_token(brief_id, "account") is None:
        return False
    try:
        token = store.consume_task_token(brief_id, "account")
    except Conflict:
        return False
    try:
        workflow.resume(token, {"ready": True})
    except workflow.WaitClosed:
        return False
    logger.info("payout account ready, releasing", extra={"brief_id": brief_id})
    return True

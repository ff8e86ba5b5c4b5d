"""The intern's Stripe Connect express account and its onboarding links (used by sign-up and by
the payout's onboarding reminder, services/payout_accounts.py)."""

from __future__ import annotations

from chalicelib.adapters import clock, links
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.store import get_store


def connect_account(intern_id: str, email: str) -> str:
    """The intern's express account (created once: the key derives from the intern id)."""
    account = gateway.create_express_account(
        email=email, intern_id=intern_id, idempotency_key=gateway.key(intern_id, "connect")
    )
    get_store().set_fields(f"INTERN#{intern_id}", "PROFILE", {"stripe_account_id": account})
    return account


def onboarding_link(intern_id: str, account_id: str) -> str:
    """A fresh Account Link (they expire within minutes; each one is a new attempt)."""
    # Back on our page, it reads this account's state (the intern id and the account id
    # must belong together: services/queries.payout_account_state).
    back = links.url("/interns/new", registered=1, intern=intern_id, account=account_id)
    return gateway.create_account_link(
        account_id,
        return_url=back,
        refresh_url=back,
        idempotency_key=gateway.key(intern_id, "account-link", int(clock.now().timestamp())),
    )

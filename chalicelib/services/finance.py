"""TRANSITIONAL (issue 11): the old finance module, split into services/payouts.py,
services/disputes.py, services/finance_webhooks.py, adapters/finance_hook.py,
adapters/payout_store.py and web/finance_views.py.

Only the names steps.py, engagement.py and payout_failures.py still import from here are
re-exported, until the merge points those imports at their new homes; then this file goes.
"""

from __future__ import annotations

from chalicelib.adapters.finance_hook import send_signed
from chalicelib.services.payouts import on_dispute, reminder, request_payout_approval

__all__ = ["on_dispute", "reminder", "request_payout_approval", "send_signed"]

"""What the finance page shows beyond the payouts API: ages, flags, held escrow, filters.

    board(view, status)    the page's sections from `finance_views.payouts_view()`: payouts
                           waiting first (oldest first, with their age and flags), then what needs
                           attention (failed payouts and refunds, escrow held where it should not
                           wait), then the decided ones; `status` filters them
    held_escrow()          every engagement with a PaymentIntent (the `ESCROW#OPEN` markers the
                           reconciler walks) whose escrow still holds money, and which of those
                           wait on finance or on nobody: a dispute, an approved payout waiting for
                           the intern's Stripe account, money held after the project ended
    moment(text)           a stored time as the page writes it: the ISO value for <time datetime>
                           and its UTC text (a small script on the page turns it into the
                           viewer's zone; without JavaScript the UTC text stays)
    age(text, now)         "3 h", "2 days": how long a payout has waited

Read-only, like the rest of the finance books. The JSON API (`/api/finance/payouts`) keeps its
fields; this is the page's arrangement of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from chalicelib.adapters import clock
from chalicelib.adapters.escrow_store import HELD, OPEN_PK, STUCK
from chalicelib.adapters.store import get_store
from chalicelib.domain.money import format_money

# The status filter: its values, in the order the page offers them.
FILTERS: Final = {
    "": "Everything",
    "pending": "Waiting for approval",
    "attention": "Needs attention",
    "approved": "Approved",
    "rejected": "Rejected",
    "resolved": "Resolved disputes",
}
OVERDUE: Final = timedelta(hours=24)  # a payout waiting longer is flagged (reminders are daily)
HELD_SCAN_LIMIT: Final = 500  # open-escrow markers read per page view (markers live 100 days)
_PAGE: Final = 100
ENDED: Final = frozenset({"COMPLETED", "CANCELLED", "REFUNDED", "UNMATCHED"})


def moment(text: str | None) -> dict[str, str]:
    """`{"iso", "text"}` for a stored time: "26 Nov 2026, 06:03 UTC" (empty when absent)."""
    if not text:
        return {"iso": "", "text": "—"}
    try:
        value = clock.parse(str(text))
    except ValueError:
        return {"iso": "", "text": str(text)}
    return {"iso": clock.iso(value), "text": value.strftime("%-d %b %Y, %H:%M UTC")}


def age(text: str | None, now: datetime) -> str:
    """How long ago `text` was, in the largest whole unit: "5 min", "3 h", "2 days"."""
    if not text:
        return "—"
    seconds = max(0, int((now - clock.parse(str(text))).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _pending_row(p: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    flags = []
    waited = now - clock.parse(str(p["created_at"]))
    if waited > OVERDUE:
        flags.append(f"waiting for {age(p['created_at'], now)}")
    if not p.get("request_delivered"):
        flags.append(f"webhook not delivered ({p.get('delivery_attempts', 0)} attempts)")
    return {
        **p,
        "age": age(p["created_at"], now),
        "flags": flags,
        "requested": moment(p["created_at"]),
    }


def held_escrow(limit: int = HELD_SCAN_LIMIT) -> dict[str, Any]:
    """Escrow held now: totals per currency, and the engagements to look at (`stuck`).

    A payout or refund that failed has its own list (`payout_failures.open_episodes`) and is
    left out of `stuck` here.
    """
    store = get_store()
    totals: dict[str, int] = {}
    count = 0
    stuck: list[dict[str, Any]] = []
    after: str | None = None
    read = 0
    while read < limit:
        markers, more = store.page(OPEN_PK, "BRIEF#", after=after, limit=min(_PAGE, limit - read))
        read += len(markers)
        briefs = store.get_briefs([str(m["sk"]).removeprefix("BRIEF#") for m in markers])
        for marker in markers:
            brief = briefs.get(str(marker["sk"]).removeprefix("BRIEF#"))
            held = int((brief or {}).get(HELD, 0) or 0)
            if brief is None or held <= 0:
                continue
            currency = str(brief.get("currency", "usd"))
            totals[currency] = totals.get(currency, 0) + held
            count += 1
            why = _why_stuck(store, brief)
            if why:
                stuck.append(
                    {
                        "brief_id": brief["brief_id"],
                        "title": brief.get("title", ""),
                        "status": brief["status"],
                        "held": format_money(held, currency),
                        "why": why,
                        "since": moment(brief.get("updated_at") or brief.get("created_at")),
                    }
                )
        if not more or not markers:
            break
        after = str(markers[-1]["sk"])
    stuck.sort(key=lambda s: s["since"]["iso"])
    return {
        "totals": [format_money(cents, cur) for cur, cents in sorted(totals.items())],
        "count": count,
        "stuck": stuck,
        "complete": read < limit,
    }


def _why_stuck(store: Any, brief: Mapping[str, Any]) -> str:
    """Why money held for this brief needs finance's eye ("" when it is simply at work)."""
    if brief.get(STUCK):
        return ""  # listed with the failed payouts and refunds
    status = str(brief["status"])
    if status == "DISPUTED":
        return "Dispute open: held until you resolve it (signed dispute.resolved webhook)."
    if status == "RELEASING" and store.waiting_token(str(brief["brief_id"]), "account"):
        return "Payout approved; waiting for the intern to connect a Stripe account (reminded)."
    if status in ENDED:
        return f"Still held although the project is {status.lower()}: run the reconciler."
    return ""


def board(view: Mapping[str, Any], status: str) -> dict[str, Any]:
    """The page's sections, filtered by `status` (one of FILTERS; anything else: everything)."""
    status = status if status in FILTERS else ""
    now = clock.now()
    show = {
        "pending": status in ("", "pending"),
        "attention": status in ("", "attention"),
        "recent": status in ("", "approved", "rejected", "resolved"),
    }
    recent = [
        {**p, "when": moment(p.get("decided_at") or p["created_at"])}
        for p in view["recent"]
        if status in ("", "pending", "attention") or p["status"] == status
    ]
    failures = [
        {**a, "since_at": moment(a["since"]), "retry_at": moment(a["next_retry_at"])}
        for a in view["attention"]
    ]
    held = held_escrow()
    return {
        "chosen": status,
        "filters": FILTERS,
        "show": show,
        "pending": [_pending_row(p, now) for p in view["pending"]],
        "failures": failures,
        "held": held,
        "recent": recent,
        "now": moment(clock.iso(now)),
    }

"""The home page's figures, every one from the rules that enforce it (never typed into HTML).

how_it_works(settings)   the fee (PLATFORM_FEE_BPS) with a worked example, every waiting
                         window of the flow (settings.windows), the brief's rules (hours,
                         pay per hour, deadline: domain/brief.py), the revision rounds and
                         finance's auto-approve threshold
duration(seconds)        "48 hours", "7 days", "30 seconds": a window as people say it
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import brief, money
from chalicelib.settings import Settings

EXAMPLE_HOURS = 20  # the worked example: a 20-hour project at the platform's minimum rate x 1.25


def duration(seconds: int) -> str:
    """The largest unit that divides the window exactly (hours up to 3 days, then days)."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0 and (unit != "day" or seconds > 3 * 86_400):
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _money(cents: int) -> str:
    return money.format_money(cents, brief.CURRENCY, drop_zero_cents=True)


def how_it_works(settings: Settings) -> dict[str, Any]:
    fee_bps = settings.platform_fee_bps
    budget = brief.MIN_CENTS_PER_HOUR * EXAMPLE_HOURS * 5 // 4
    example = money.release(budget, fee_bps)
    windows = settings.windows
    return {
        "fee_percent": f"{fee_bps / 100:g} %",
        "example_hours": EXAMPLE_HOURS,
        "example_budget": _money(budget),
        "example_fee": _money(example.fee_cents),
        "example_payout": _money(example.payout_cents),
        "hours_min": brief.HOURS_MIN,
        "hours_max": brief.HOURS_MAX,
        "min_per_hour": _money(brief.MIN_CENTS_PER_HOUR),
        "deadline_min_days": brief.DEADLINE_MIN_DAYS,
        "deadline_max_days": brief.DEADLINE_MAX_DAYS,
        "offer_window": duration(windows.offer_seconds),
        "nda_window": duration(windows.nda_seconds),
        "funding_window": duration(windows.funding_seconds),
        "deadline_decision_window": duration(windows.deadline_decision_seconds),
        "review_window": duration(windows.review_seconds),
        "payout_reminder": duration(windows.payout_reminder_seconds),
        "revision_rounds": settings.max_revision_rounds,
        "auto_approve": _money(settings.finance_auto_approve_cents)
        if settings.finance_auto_approve_cents
        else "",
    }

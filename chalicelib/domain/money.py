"""Money arithmetic in integer minor units (cents). Never floats.

Every function rejects amounts that are not ``int`` (``bool`` is *not* accepted although it
is a subclass of ``int``) or that are negative, with ``ValueError``.

Rounding choice: the platform fee is ``amount × fee_bps / 10 000`` rounded **half up** to the
cent (``0.5`` cent goes to the platform). All quantities are non-negative, so half up equals
"round half away from zero", the rule people expect from a receipt, and unlike banker's
rounding it does not depend on the parity of the cent. The intern's payout is whatever is
left (``amount − fee``), so the two always add up to the amount exactly and no cent is ever
created or lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

BPS_DENOMINATOR: Final = 10_000

# ISO 4217 currencies whose minor unit is the major unit (Stripe's "zero-decimal" list).
_ZERO_DECIMAL: Final = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)


def check_cents(value: object, name: str = "amount") -> int:
    """``value`` if it is a non-negative ``int`` (not ``bool``); else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer number of cents, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def check_fee_bps(fee_bps: object) -> int:
    """``fee_bps`` if it is an ``int`` in 0..10 000 basis points; else ``ValueError``."""
    if isinstance(fee_bps, bool) or not isinstance(fee_bps, int):
        raise ValueError(f"fee_bps must be an integer number of basis points, got {fee_bps!r}")
    if not 0 <= fee_bps <= BPS_DENOMINATOR:
        raise ValueError(f"fee_bps must be between 0 and {BPS_DENOMINATOR}, got {fee_bps}")
    return fee_bps


def platform_fee(amount_cents: int, fee_bps: int) -> int:
    """The platform's fee on ``amount_cents``: ``amount × fee_bps / 10 000``, half up to the cent.

    >>> platform_fee(10_000, 1000)
    1000
    >>> platform_fee(5, 1000)  # 0.5 cent rounds up
    1
    >>> platform_fee(4, 1000)  # 0.4 cent rounds down
    0
    """
    amount = check_cents(amount_cents, "amount_cents")
    bps = check_fee_bps(fee_bps)
    return (amount * bps + BPS_DENOMINATOR // 2) // BPS_DENOMINATOR


def intern_payout(amount_cents: int, fee_bps: int) -> int:
    """What the intern receives: ``amount − platform_fee(amount)``. Never negative."""
    return release(amount_cents, fee_bps).payout_cents


def fee_bps_of(brief: Mapping[str, Any]) -> int:
    """The fee rate a brief was submitted under (``fee_bps``, fixed at submission): the one
    place a brief's rate is read, so no caller carries its own default."""
    if "fee_bps" not in brief:
        raise ValueError(f"brief {brief.get('brief_id')!r} has no fee_bps")
    return check_fee_bps(int(brief["fee_bps"]))


@dataclass(frozen=True, slots=True)
class Release:
    """Everything held, divided at release: ``payout + fee == held``."""

    held_cents: int
    payout_cents: int
    fee_cents: int


def release(held_cents: int, fee_bps: int) -> Release:
    """The division of a release: the intern's payout and the platform fee on ``held_cents``.

    Every figure of a release — what finance approves, what the transfer moves, what the ledger
    books, what emails and pages show — is this one computation.

    >>> release(60_000, 1000)
    Release(held_cents=60000, payout_cents=54000, fee_cents=6000)
    """
    held = check_cents(held_cents, "held_cents")
    fee = platform_fee(held, fee_bps)
    return Release(held_cents=held, payout_cents=held - fee, fee_cents=fee)


@dataclass(frozen=True, slots=True)
class Split:
    """How a disputed budget is divided: ``transfer + fee + refund == budget``."""

    transfer_cents: int
    fee_cents: int
    refund_cents: int

    @property
    def total_cents(self) -> int:
        return self.transfer_cents + self.fee_cents + self.refund_cents


def split(budget_cents: int, intern_share_cents: int, fee_bps: int) -> Split:
    """Divide an escrowed budget after a dispute.

    The intern's share carries the platform fee (the fee is charged on the share only); the
    rest of the budget is refunded to the employer. ``0 <= intern_share_cents <= budget_cents``.
    """
    budget = check_cents(budget_cents, "budget_cents")
    share = check_cents(intern_share_cents, "intern_share_cents")
    if share > budget:
        raise ValueError(f"intern_share_cents ({share}) must not exceed budget_cents ({budget})")
    fee = platform_fee(share, fee_bps)
    return Split(transfer_cents=share - fee, fee_cents=fee, refund_cents=budget - share)


def minor_unit_digits(currency: str) -> int:
    """Number of decimal digits of ``currency``'s minor unit (2 for USD, 0 for JPY)."""
    return 0 if currency.upper() in _ZERO_DECIMAL else 2


def format_money(cents: int, currency: str, *, drop_zero_cents: bool = False) -> str:
    """Human format: ``format_money(123456, "usd") == "USD 1,234.56"``.

    With ``drop_zero_cents=True`` a whole amount is written without decimals ("USD 20").
    """
    amount = check_cents(cents, "cents")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"currency must be a 3-letter ISO code, got {currency!r}")
    code = currency.upper()
    if minor_unit_digits(code) == 0:
        return f"{code} {amount:,}"
    major, minor = divmod(amount, 100)
    if drop_zero_cents and minor == 0:
        return f"{code} {major:,}"
    return f"{code} {major:,}.{minor:02d}"

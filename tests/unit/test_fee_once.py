"""Fee once: for any budget and rate, what finance approves, what the transfer moves and what
the ledger books are one computation (domain.money.release), and they add up to what is held."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import ledger, money

held_cents = st.integers(min_value=1, max_value=10**12)
fee_rates = st.integers(min_value=0, max_value=money.BPS_DENOMINATOR)
AT = datetime(2026, 1, 1, tzinfo=UTC)


@given(held=held_cents, fee_bps=fee_rates)
def test_release_figures_agree_everywhere_and_sum_to_what_is_held(held: int, fee_bps: int) -> None:
    figures = money.release(held, fee_bps)  # what finance approves and the pages show
    entry = ledger.release_entry(held, fee_bps, reference="tr_x", at=AT)  # what is booked

    assert figures.payout_cents == entry.amount(ledger.Account.INTERN_PAID)  # the transfer
    assert figures.fee_cents == entry.amount(ledger.Account.PLATFORM_FEE)
    assert figures.payout_cents == money.intern_payout(held, fee_bps)
    assert figures.fee_cents == money.platform_fee(held, fee_bps)
    assert figures.payout_cents + figures.fee_cents == held == -entry.amount(ledger.Account.ESCROW)
    assert figures.payout_cents >= 0 and figures.fee_cents >= 0


@given(held=held_cents, fee_bps=fee_rates, data=st.data())
def test_split_figures_agree_with_the_split_entry(
    held: int, fee_bps: int, data: st.DataObject
) -> None:
    share = data.draw(st.integers(min_value=0, max_value=held))
    parts = money.split(held, share, fee_bps)
    entry = ledger.split_entry(held, share, fee_bps, reference="tr_x+re_y", at=AT)

    assert parts.transfer_cents == entry.amount(ledger.Account.INTERN_PAID)
    assert parts.fee_cents == entry.amount(ledger.Account.PLATFORM_FEE)
    assert parts.refund_cents == entry.amount(ledger.Account.REFUNDED)
    assert parts.total_cents == held == -entry.amount(ledger.Account.ESCROW)
    assert money.release(share, fee_bps).payout_cents == parts.transfer_cents


@given(fee_bps=fee_rates)
def test_a_briefs_rate_is_read_in_one_place(fee_bps: int) -> None:
    assert money.fee_bps_of({"brief_id": "b", "fee_bps": fee_bps}) == fee_bps

"""Money in integer cents: fee rounding, payouts, dispute splits, formatting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import (
    Split,
    format_money,
    intern_payout,
    platform_fee,
    split,
)

amounts = st.integers(min_value=0, max_value=10**12)
bps = st.integers(min_value=0, max_value=10_000)


@pytest.mark.parametrize(
    ("amount", "fee_bps", "fee"),
    [
        (10_000, 1000, 1000),  # 10 % of USD 100.00
        (20_000, 1000, 2000),
        (0, 1000, 0),
        (5, 1000, 1),  # 0.5 cent rounds half up
        (4, 1000, 0),  # 0.4 cent rounds down
        (15, 1000, 2),  # 1.5 cents -> 2
        (14, 1000, 1),  # 1.4 cents -> 1
        (25, 1000, 3),  # 2.5 cents -> 3 (not banker's 2)
        (12_345, 1000, 1235),  # 1234.5 -> 1235
        (12_344, 1000, 1234),
        (9_999, 250, 250),  # 249.975 -> 250
        (1, 5000, 1),  # 0.5 -> 1
        (1, 4999, 0),
        (12_345, 0, 0),
        (12_345, 10_000, 12_345),
    ],
)
def test_platform_fee_rounds_half_up(amount: int, fee_bps: int, fee: int) -> None:
    assert platform_fee(amount, fee_bps) == fee
    assert intern_payout(amount, fee_bps) == amount - fee


@given(amounts, bps)
def test_transfer_plus_fee_is_the_amount(amount: int, fee_bps: int) -> None:
    fee = platform_fee(amount, fee_bps)
    payout = intern_payout(amount, fee_bps)
    assert payout + fee == amount
    assert 0 <= fee <= amount
    assert payout >= 0
    # Within half a cent of the exact fee, ties going up.
    exact_times_2 = 2 * amount * fee_bps
    assert 2 * 10_000 * fee - 10_000 <= exact_times_2 < 2 * 10_000 * fee + 10_000


@given(amounts, amounts, bps)
def test_fee_is_monotonic_in_amount(a: int, b: int, fee_bps: int) -> None:
    lo, hi = sorted((a, b))
    assert platform_fee(lo, fee_bps) <= platform_fee(hi, fee_bps)


@given(st.data(), amounts, bps)
def test_split_sums_to_the_budget(data: st.DataObject, budget: int, fee_bps: int) -> None:
    share = data.draw(st.integers(min_value=0, max_value=budget))
    parts = split(budget, share, fee_bps)
    assert parts.transfer_cents + parts.fee_cents + parts.refund_cents == budget
    assert parts.total_cents == budget
    assert parts.fee_cents == platform_fee(share, fee_bps)
    assert parts.transfer_cents == intern_payout(share, fee_bps)
    assert parts.refund_cents == budget - share
    assert min(parts.transfer_cents, parts.fee_cents, parts.refund_cents) >= 0


def test_split_examples() -> None:
    assert split(20_000, 20_000, 1000) == Split(
        transfer_cents=18_000, fee_cents=2000, refund_cents=0
    )
    assert split(20_000, 0, 1000) == Split(transfer_cents=0, fee_cents=0, refund_cents=20_000)
    assert split(20_000, 12_345, 1000) == Split(
        transfer_cents=11_110, fee_cents=1235, refund_cents=7655
    )


@pytest.mark.parametrize(("budget", "share"), [(100, 101), (100, -1), (0, 1)])
def test_split_rejects_share_out_of_range(budget: int, share: int) -> None:
    with pytest.raises(ValueError):
        split(budget, share, 1000)


@pytest.mark.parametrize("bad", [-1, 1.0, 10.5, True, False, "100", None])
def test_amounts_must_be_non_negative_ints(bad: object) -> None:
    with pytest.raises(ValueError):
        platform_fee(bad, 1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        intern_payout(bad, 1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        split(bad, 0, 1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        split(100, bad, 1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_money(bad, "usd")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 10_001, True, 10.0])
def test_fee_bps_must_be_0_to_10000(bad: object) -> None:
    with pytest.raises(ValueError):
        platform_fee(100, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [
        (123_456, "usd", "USD 1,234.56"),
        (0, "usd", "USD 0.00"),
        (5, "USD", "USD 0.05"),
        (100, "usd", "USD 1.00"),
        (99_999_999, "usd", "USD 999,999.99"),
        (123_456_789_012, "usd", "USD 1,234,567,890.12"),
        (1500, "jpy", "JPY 1,500"),
    ],
)
def test_format_money(cents: int, currency: str, text: str) -> None:
    assert format_money(cents, currency) == text


def test_format_money_can_drop_zero_cents() -> None:
    assert format_money(2000, "usd", drop_zero_cents=True) == "USD 20"
    assert format_money(2050, "usd", drop_zero_cents=True) == "USD 20.50"


@pytest.mark.parametrize("currency", ["", "us", "dollars", "12$"])
def test_format_money_rejects_bad_currency(currency: str) -> None:
    with pytest.raises(ValueError):
        format_money(100, currency)

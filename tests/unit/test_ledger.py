"""The per-engagement double-entry journal and its invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.ledger import (
    EMPTY,
    Account,
    Balances,
    JournalEntry,
    LedgerError,
    Line,
    account_totals,
    apply,
    balances,
    check_invariants,
    entry_from_dict,
    entry_to_dict,
    fund_entry,
    refund_entry,
    release_entry,
    split_entry,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_fund_then_release_moves_everything_held() -> None:
    journal = [
        fund_entry(20_000, reference="pi_1", at=at(0)),
        release_entry(20_000, 1000, reference="tr_1", at=at(1)),
    ]
    result = check_invariants(journal)
    assert result == Balances(
        funded_cents=20_000, released_cents=18_000, fee_cents=2000, refunded_cents=0, held_cents=0
    )
    assert journal[1].amount(Account.ESCROW) == -20_000
    assert journal[1].amount(Account.INTERN_PAID) == 18_000
    assert journal[1].amount(Account.PLATFORM_FEE) == 2000


def test_entries_balance_and_use_signed_lines() -> None:
    entry = fund_entry(20_000, reference="pi_1", at=at(0))
    assert entry.kind == "fund"
    assert entry.entry_id == "fund:pi_1"
    assert set(entry.lines) == {
        Line(Account.ESCROW, 20_000),
        Line(Account.EMPLOYER_FUNDS, -20_000),
    }
    assert sum(line.amount_cents for line in entry.lines) == 0


def test_fund_then_refund() -> None:
    journal = [
        fund_entry(20_000, reference="pi_1", at=at(0)),
        refund_entry(20_000, reference="re_1", at=at(1)),
    ]
    assert check_invariants(journal) == Balances(
        funded_cents=20_000, refunded_cents=20_000, held_cents=0
    )


def test_split_entry() -> None:
    journal = [
        fund_entry(20_000, reference="pi_1", at=at(0)),
        split_entry(20_000, 12_345, 1000, reference="whk_1", at=at(1)),
    ]
    assert check_invariants(journal) == Balances(
        funded_cents=20_000,
        released_cents=11_110,
        fee_cents=1235,
        refunded_cents=7655,
        held_cents=0,
    )


def test_split_with_zero_share_is_a_full_refund_without_zero_lines() -> None:
    entry = split_entry(20_000, 0, 1000, reference="whk_1", at=at(1))
    assert {line.account for line in entry.lines} == {Account.ESCROW, Account.REFUNDED}


def test_release_with_zero_fee_has_no_fee_line() -> None:
    entry = release_entry(20_000, 0, reference="tr_1", at=at(1))
    assert {line.account for line in entry.lines} == {Account.ESCROW, Account.INTERN_PAID}


def test_double_fund_rejected_even_after_refund() -> None:
    funded = apply(EMPTY, fund_entry(20_000, reference="pi_1", at=at(0)))
    with pytest.raises(LedgerError, match="already funded"):
        apply(funded, fund_entry(20_000, reference="pi_2", at=at(1)))
    refunded = apply(funded, refund_entry(20_000, reference="re_1", at=at(1)))
    with pytest.raises(LedgerError, match="already funded"):
        apply(refunded, fund_entry(20_000, reference="pi_2", at=at(2)))


def test_over_release_and_over_refund_rejected() -> None:
    funded = apply(EMPTY, fund_entry(20_000, reference="pi_1", at=at(0)))
    with pytest.raises(LedgerError, match="exceeds"):
        apply(funded, release_entry(20_001, 1000, reference="tr_1", at=at(1)))
    with pytest.raises(LedgerError, match="exceeds"):
        apply(funded, refund_entry(20_001, reference="re_1", at=at(1)))
    with pytest.raises(LedgerError, match="exceeds"):
        apply(funded, split_entry(20_001, 100, 1000, reference="x", at=at(1)))
    released = apply(funded, release_entry(20_000, 1000, reference="tr_1", at=at(1)))
    with pytest.raises(LedgerError, match="exceeds"):
        apply(released, release_entry(1, 1000, reference="tr_2", at=at(2)))
    with pytest.raises(LedgerError, match="exceeds"):
        apply(released, refund_entry(1, reference="re_2", at=at(2)))


def test_release_before_funding_rejected() -> None:
    with pytest.raises(LedgerError):
        balances([release_entry(100, 1000, reference="tr_1", at=at(0))])


def test_partial_refund_leaves_the_rest_held() -> None:
    result = balances(
        [
            fund_entry(20_000, reference="pi_1", at=at(0)),
            refund_entry(5_000, reference="re_1", at=at(1)),
        ]
    )
    assert result.held_cents == 15_000
    assert result.refunded_cents == 5_000


def test_balances_apply_entries_in_time_order() -> None:
    fund = fund_entry(20_000, reference="pi_1", at=at(0))
    release = release_entry(20_000, 1000, reference="tr_1", at=at(5))
    assert balances([release, fund]) == balances([fund, release])


def test_duplicate_entry_ids_rejected() -> None:
    fund = fund_entry(20_000, reference="pi_1", at=at(0))
    refund = refund_entry(100, reference="re_1", at=at(1))
    with pytest.raises(LedgerError, match="duplicate"):
        balances([fund, refund, refund])


@pytest.mark.parametrize("amount", [0, -5, 1.5, True])
def test_builders_reject_non_positive_or_non_int_amounts(amount: object) -> None:
    with pytest.raises(ValueError):
        fund_entry(amount, reference="pi_1", at=at(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        refund_entry(amount, reference="re_1", at=at(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        release_entry(amount, 1000, reference="tr_1", at=at(0))  # type: ignore[arg-type]


def test_unbalanced_entry_rejected() -> None:
    with pytest.raises(LedgerError, match="does not balance"):
        JournalEntry(
            entry_id="x",
            kind="fund",
            lines=(Line(Account.ESCROW, 100), Line(Account.EMPLOYER_FUNDS, -99)),
            reference="pi_1",
            at=at(0),
        )


@pytest.mark.parametrize(
    ("kind", "lines"),
    [
        # A "refund" that takes money back from the intern.
        ("refund", (Line(Account.INTERN_PAID, -100), Line(Account.REFUNDED, 100))),
        # A "release" that debits escrow instead of crediting it.
        ("release", (Line(Account.ESCROW, 100), Line(Account.INTERN_PAID, -100))),
        # A "fund" that bypasses escrow.
        ("fund", (Line(Account.EMPLOYER_FUNDS, -100), Line(Account.PLATFORM_FEE, 100))),
        # The same account twice.
        ("refund", (Line(Account.ESCROW, -100), Line(Account.ESCROW, 100))),
        # An unknown kind.
        ("payout", (Line(Account.ESCROW, -100), Line(Account.INTERN_PAID, 100))),
    ],
)
def test_misshapen_entries_rejected(kind: str, lines: tuple[Line, ...]) -> None:
    with pytest.raises(LedgerError):
        JournalEntry(entry_id="x", kind=kind, lines=lines, reference="r", at=at(0))  # type: ignore[arg-type]


def test_entry_metadata_validated() -> None:
    with pytest.raises(LedgerError, match="timezone-aware"):
        fund_entry(100, reference="pi_1", at=datetime(2026, 12, 1))
    with pytest.raises(LedgerError, match="reference"):
        fund_entry(100, reference="", at=at(0))
    with pytest.raises(LedgerError, match="zero"):
        Line(Account.ESCROW, 0)
    with pytest.raises(LedgerError):
        Line(Account.ESCROW, True)


def test_balances_constructor_enforces_the_invariant() -> None:
    with pytest.raises(LedgerError):
        Balances(funded_cents=100, released_cents=50)
    with pytest.raises(LedgerError):
        Balances(funded_cents=-1, held_cents=-1)
    assert Balances(funded_cents=100, held_cents=100).as_dict()["held_cents"] == 100


def test_check_invariants_rejects_a_tampered_entry() -> None:
    entry = fund_entry(100, reference="pi_1", at=at(0))
    # Bypass the frozen dataclass to simulate corrupt storage.
    object.__setattr__(entry, "lines", (Line(Account.ESCROW, 100), Line(Account.REFUNDED, -100)))
    with pytest.raises(LedgerError):
        check_invariants([entry])


def test_dict_round_trip_including_dynamodb_decimals() -> None:
    entry = split_entry(20_000, 12_345, 1000, reference="whk_1", at=at(3))
    data = entry_to_dict(entry)
    assert entry_from_dict(data) == entry
    as_dynamo = {
        **data,
        "lines": [
            {**line, "amount_cents": Decimal(line["amount_cents"])} for line in data["lines"]
        ],
    }
    assert entry_from_dict(as_dynamo) == entry
    with pytest.raises(LedgerError):
        entry_from_dict({**data, "lines": [{"account": "escrow", "amount_cents": Decimal("1.5")}]})
    with pytest.raises(LedgerError):
        entry_from_dict({**data, "kind": "bogus"})
    with pytest.raises(LedgerError):
        entry_from_dict({"entry_id": "x"})


# --------------------------------------------------------------------------- properties

operation = st.one_of(
    st.tuples(st.just("fund"), st.integers(min_value=1, max_value=10**9)),
    st.tuples(st.just("release"), st.integers(min_value=1, max_value=10**9)),
    st.tuples(st.just("refund"), st.integers(min_value=1, max_value=10**9)),
    st.tuples(st.just("refund_all"), st.just(0)),
    st.tuples(st.just("release_all"), st.just(0)),
    st.tuples(st.just("split"), st.integers(min_value=0, max_value=10**9)),
)


def build(op: str, value: int, state: Balances, fee_bps: int, n: int) -> JournalEntry:
    when = at(n)
    ref = f"obj_{n}"
    if op == "fund":
        return fund_entry(value, reference=ref, at=when)
    if op == "release":
        return release_entry(value, fee_bps, reference=ref, at=when)
    if op == "release_all":
        return release_entry(max(state.held_cents, 1), fee_bps, reference=ref, at=when)
    if op == "refund":
        return refund_entry(value, reference=ref, at=when)
    if op == "refund_all":
        return refund_entry(max(state.held_cents, 1), reference=ref, at=when)
    held = max(state.held_cents, 1)
    return split_entry(held, min(value, held), fee_bps, reference=ref, at=when)


@given(st.lists(operation, max_size=12), st.integers(min_value=0, max_value=10_000))
def test_accepted_operations_keep_the_ledger_consistent(
    ops: list[tuple[str, int]], fee_bps: int
) -> None:
    journal: list[JournalEntry] = []
    state = EMPTY
    for n, (op, value) in enumerate(ops):
        entry = build(op, value, state, fee_bps, n)
        outflow = -entry.amount(Account.ESCROW) if entry.kind != "fund" else 0
        try:
            new_state = apply(state, entry)
        except LedgerError:
            # Rejected exactly when it funds twice or moves more than is held.
            assert (entry.kind == "fund" and state.funded_cents > 0) or outflow > state.held_cents
            continue
        assert entry.kind != "fund" or state.funded_cents == 0
        assert outflow <= state.held_cents
        journal.append(entry)
        state = new_state

        totals = account_totals(journal)
        assert sum(totals.values()) == 0
        assert all(sum(line.amount_cents for line in e.lines) == 0 for e in journal)
        assert min(state.as_dict().values()) >= 0
        assert state.released_cents + state.fee_cents + state.refunded_cents <= state.funded_cents
        assert (
            state.released_cents + state.fee_cents + state.refunded_cents + state.held_cents
            == state.funded_cents
        )
        assert check_invariants(journal) == state == balances(reversed(journal))


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=10_000),
    st.data(),
)
def test_release_or_split_empties_escrow_exactly(
    budget: int, fee_bps: int, data: st.DataObject
) -> None:
    fund = fund_entry(budget, reference="pi", at=at(0))
    share = data.draw(st.integers(min_value=0, max_value=budget))
    for closing in (
        release_entry(budget, fee_bps, reference="tr", at=at(1)),
        split_entry(budget, share, fee_bps, reference="sp", at=at(1)),
    ):
        result = check_invariants([fund, closing])
        assert result.held_cents == 0
        assert result.funded_cents == budget
        with pytest.raises(LedgerError):
            apply(result, refund_entry(1, reference="re", at=at(2)))


def test_replace_keeps_validation() -> None:
    entry = fund_entry(100, reference="pi_1", at=at(0))
    with pytest.raises(LedgerError):
        replace(entry, lines=(Line(Account.ESCROW, 100), Line(Account.EMPLOYER_FUNDS, -1)))

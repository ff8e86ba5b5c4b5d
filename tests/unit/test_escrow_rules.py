"""The escrow's rules on the in-memory repository: no AWS, Stripe replaced by a recording fake.

Given a brief in some state, when a money use case runs, then Stripe moves exactly what the
ledger books, or nothing at all when a guard refuses.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.adapters import escrow_store
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import FUNDED, HELD, InMemoryEscrowStore
from chalicelib.domain import ledger
from chalicelib.services import escrow
from chalicelib.services.errors import PayoutAccountNotReady

BUDGET = 60_000


@dataclass
class FakeStripe:
    """Records every movement; Stripe's own objects are not needed by these rules."""

    transfers: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=itertools.count)

    def create_transfer(self, **kw: Any) -> gateway.Movement:
        self.transfers.append(kw)
        return gateway.Movement(f"tr_{next(self.ids)}", int(kw["amount_cents"]))

    def create_refund(self, **kw: Any) -> gateway.Movement:
        self.refunds.append(kw)
        return gateway.Movement(f"re_{next(self.ids)}", int(kw["amount_cents"]))


@pytest.fixture
def repo() -> Iterator[InMemoryEscrowStore]:
    fake = InMemoryEscrowStore()
    escrow_store.use(fake)
    yield fake
    escrow_store.use(None)


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> FakeStripe:
    fake = FakeStripe()
    monkeypatch.setattr(gateway, "create_transfer", fake.create_transfer)
    monkeypatch.setattr(gateway, "create_refund", fake.create_refund)
    for name in (
        "find_transfer",
        "find_refund",
        "create_payment_intent",
        "retrieve_payment_intent",
    ):
        monkeypatch.setattr(gateway, name, _no_call(name))
    return fake


def _no_call(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{name} was not expected")

    return refuse


def funded(
    repo: InMemoryEscrowStore,
    status: str,
    *,
    fee_bps: int = 1000,
    ready: bool = True,
    **extra: Any,
) -> str:
    """A funded brief in `status`, its intern's account `ready` or not."""
    brief_id = f"b_{len(repo.briefs)}"
    repo.add_intern({"intern_id": "i_1", "stripe_account_id": "acct_1", "payout_ready": ready})
    repo.add_brief(
        {
            "brief_id": brief_id,
            "status": status,
            "budget_cents": BUDGET,
            "currency": "usd",
            "fee_bps": fee_bps,
            "deadline": (date.today() + timedelta(days=14)).isoformat(),
            "intern_id": "i_1",
            "payment_intent_id": f"pi_{brief_id}",
            "charge_id": f"ch_{brief_id}",
            FUNDED: BUDGET,
            HELD: BUDGET,
            **extra,
        }
    )
    fund = ledger.fund_entry(BUDGET, reference=f"pi_{brief_id}", at=ledger_time())
    repo.entries[brief_id] = {fund.entry_id: fund}
    return brief_id


def ledger_time() -> Any:
    from chalicelib.adapters import clock

    return clock.now() - timedelta(minutes=5)


def booked(repo: InMemoryEscrowStore, brief_id: str) -> ledger.Balances:
    return ledger.check_invariants(repo.journal(brief_id))


# -- release -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fee_bps", [0, 1000, 1250, 9999])
def test_release_transfers_exactly_what_the_ledger_books(
    repo: InMemoryEscrowStore, stripe: FakeStripe, fee_bps: int
) -> None:
    brief_id = funded(repo, "RELEASING", fee_bps=fee_bps)

    result = escrow.release_escrow(brief_id)

    (transfer,) = stripe.transfers
    books = booked(repo, brief_id)
    assert transfer["amount_cents"] == books.released_cents == result["moved_cents"]
    assert books.fee_cents == result["fee_cents"]
    assert books.released_cents + books.fee_cents == BUDGET and books.held_cents == 0
    assert transfer["destination"] == "acct_1"
    assert repo.journal(brief_id)[-1].entry_id == f"release:{result['transfer_id']}"


def test_release_moves_money_once(repo: InMemoryEscrowStore, stripe: FakeStripe) -> None:
    brief_id = funded(repo, "RELEASING")
    escrow.release_escrow(brief_id)

    again = escrow.release_escrow(brief_id)

    assert again["moved_cents"] == 0 and len(stripe.transfers) == 1


@pytest.mark.parametrize("status", ["IN_PROGRESS", "IN_REVIEW", "PAYOUT_APPROVAL", "DISPUTED"])
def test_release_only_while_releasing(
    repo: InMemoryEscrowStore, stripe: FakeStripe, status: str
) -> None:
    brief_id = funded(repo, status)

    with pytest.raises(escrow.EscrowError):
        escrow.release_escrow(brief_id)

    assert stripe.transfers == [] and repo.briefs[brief_id][HELD] == BUDGET


def test_release_waits_for_a_payout_ready_account_and_asks_for_a_reminder(
    repo: InMemoryEscrowStore, stripe: FakeStripe
) -> None:
    brief_id = funded(repo, "RELEASING", ready=False)

    with pytest.raises(PayoutAccountNotReady) as raised:
        escrow.settle_release(brief_id)

    assert raised.value.remind and raised.value.intern_id == "i_1"
    assert stripe.transfers == [] and booked(repo, brief_id).held_cents == BUDGET


def test_a_100_percent_fee_books_the_fee_without_a_transfer(
    repo: InMemoryEscrowStore, stripe: FakeStripe
) -> None:
    brief_id = funded(repo, "RELEASING", fee_bps=10_000)

    result = escrow.release_escrow(brief_id)

    assert stripe.transfers == [] and result["moved_cents"] == 0
    books = booked(repo, brief_id)
    assert (books.fee_cents, books.released_cents, books.held_cents) == (BUDGET, 0, 0)


# -- refund --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(escrow.NO_REFUND))
def test_nothing_is_refunded_while_the_work_or_the_payout_is_under_way(
    repo: InMemoryEscrowStore, stripe: FakeStripe, status: str
) -> None:
    brief_id = funded(repo, status)

    with pytest.raises(escrow.EscrowError):
        escrow.refund_escrow(brief_id)

    assert stripe.refunds == []


@pytest.mark.parametrize("status", ["CANCELLED", "DEADLINE_MISSED", "DISPUTED"])
def test_a_refund_returns_everything_held_once(
    repo: InMemoryEscrowStore, stripe: FakeStripe, status: str
) -> None:
    brief_id = funded(repo, status)

    first = escrow.refund_escrow(brief_id)
    second = escrow.refund_escrow(brief_id)

    assert [r["amount_cents"] for r in stripe.refunds] == [BUDGET] == [first["moved_cents"]]
    assert second == {"moved_cents": 0}
    assert booked(repo, brief_id).refunded_cents == BUDGET


def test_a_never_funded_engagement_refunds_nothing(
    repo: InMemoryEscrowStore, stripe: FakeStripe
) -> None:
    repo.add_brief({"brief_id": "b_new", "status": "CANCELLED", "fee_bps": 1000})

    assert escrow.refund_escrow("b_new") == {"moved_cents": 0}
    assert stripe.refunds == []


# -- split -----------------------------------------------------------------------------------------


def test_a_split_moves_the_entrys_own_figures(
    repo: InMemoryEscrowStore, stripe: FakeStripe
) -> None:
    brief_id = funded(
        repo,
        "RELEASING",
        fee_bps=1250,
        dispute_resolution={"resolution": "split", "intern_share_cents": 30_001},
    )

    result = escrow.settle_release(brief_id)

    books = booked(repo, brief_id)
    assert [t["amount_cents"] for t in stripe.transfers] == [books.released_cents]
    assert [r["amount_cents"] for r in stripe.refunds] == [books.refunded_cents]
    assert (result["transfer_cents"], result["refund_cents"], result["fee_cents"]) == (
        books.released_cents,
        books.refunded_cents,
        books.fee_cents,
    )
    assert books.refunded_cents == BUDGET - 30_001 and books.held_cents == 0


# -- funding ---------------------------------------------------------------------------------------


def payment(
    brief_id: str, *, amount: int = BUDGET, status: str = "succeeded"
) -> gateway.PaymentIntent:
    return gateway.PaymentIntent(
        id=f"pi_{brief_id}",
        status=status,
        amount=amount,
        amount_received=amount if status == "succeeded" else 0,
        currency="usd",
        client_secret=None,
        latest_charge=f"ch_{brief_id}",
        metadata={"brief_id": brief_id},
    )


def awaiting(repo: InMemoryEscrowStore) -> str:
    repo.add_brief(
        {
            "brief_id": "b_await",
            "status": "AWAITING_FUNDING",
            "budget_cents": BUDGET,
            "currency": "usd",
            "fee_bps": 1000,
            "payment_intent_id": "pi_b_await",
        }
    )
    return "b_await"


def test_a_payment_that_did_not_succeed_is_ignored(
    repo: InMemoryEscrowStore, stripe: FakeStripe
) -> None:
    brief_id = awaiting(repo)

    assert escrow.record_funding(brief_id, payment(brief_id, status="processing")) == "ignored"
    assert repo.journal(brief_id) == [] and stripe.refunds == []


def test_money_that_is_not_the_budget_is_refunded_once_and_never_funds(
    repo: InMemoryEscrowStore, stripe: FakeStripe
) -> None:
    brief_id = awaiting(repo)
    wrong = payment(brief_id, amount=BUDGET - 1)

    assert escrow.record_funding(brief_id, wrong) == "refunded_stray"
    assert [r["amount_cents"] for r in stripe.refunds] == [BUDGET - 1]
    # a later delivery is answered from the marker, without Stripe
    assert escrow.record_funding(brief_id, wrong) == "already_refunded"
    assert len(stripe.refunds) == 1
    assert repo.journal(brief_id) == [] and FUNDED not in repo.briefs[brief_id]

"""Finance's rules on the in-memory repositories: no AWS. The finance endpoint, the mailer and
Step Functions are replaced at their adapter seams by recording fakes.

Given an engagement waiting for finance, when a payout is requested or decided, then the payout
carries the release's figures, a decision is taken once, and only an approval lets money move.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.adapters import escrow_store, finance_hook, mailer, payout_store, workflow
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import FUNDED, HELD, InMemoryEscrowStore
from chalicelib.adapters.payout_store import APPROVED, PENDING, REJECTED, InMemoryPayoutStore
from chalicelib.domain import ledger, money
from chalicelib.services import escrow, notify, payouts
from chalicelib.services.errors import NotAllowed

BUDGET = 60_000


@dataclass
class Seams:
    """What left the system: approval requests posted, emails sent, waits resumed, transfers."""

    payouts: InMemoryPayoutStore
    escrow: InMemoryEscrowStore
    requests: list[str] = field(default_factory=list)
    mails: list[tuple[str, str]] = field(default_factory=list)
    resumed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)

    def deliver(self, payout: dict[str, Any]) -> bool:
        self.requests.append(str(payout["payout_id"]))
        self.payouts.payouts[str(payout["payout_id"])]["delivered"] = True
        return True

    def send(self, email: Any, *, idempotency_key: str) -> str:
        self.mails.append((email.kind, idempotency_key))
        return f"m_{len(self.mails)}"

    def resume(self, token: str, output: dict[str, Any]) -> None:
        self.resumed.append((token, output))

    def transfer(self, engagement_id: str, step: str, **kw: Any) -> gateway.Movement:
        self.transfers.append(kw)
        return gateway.Movement(f"tr_{len(self.transfers)}", int(kw["amount_cents"]))


@pytest.fixture
def seams(monkeypatch: pytest.MonkeyPatch) -> Iterator[Seams]:
    escrow_fake = InMemoryEscrowStore()
    fake = Seams(InMemoryPayoutStore(briefs=escrow_fake.briefs), escrow_fake)  # one "table"
    escrow_store.use(escrow_fake)
    payout_store.use(fake.payouts)
    monkeypatch.setattr(finance_hook, "deliver_approval_request", fake.deliver)
    monkeypatch.setattr(mailer, "send", fake.send)
    monkeypatch.setattr(workflow, "resume", fake.resume)
    monkeypatch.setattr(gateway, "transfer_for", fake.transfer)
    # Each email carries its party's link; issuing a manage or task link writes a token.
    monkeypatch.setattr(notify, "party_link", lambda brief, role, intern_id="": f"https://x/{role}")
    yield fake
    escrow_store.use(None)
    payout_store.use(None)


def auto_approve_up_to(monkeypatch: pytest.MonkeyPatch, cents: int) -> None:
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FINANCE_AUTO_APPROVE_CENTS", str(cents))
    get_settings.cache_clear()


def waiting(seams: Seams, *, held: int = BUDGET, fee_bps: int = 1000) -> dict[str, Any]:
    """A funded engagement in PAYOUT_APPROVAL holding `held`, its payout wait open."""
    brief_id = f"b_{len(seams.escrow.briefs)}"
    seams.escrow.add_intern(
        {"intern_id": "i_1", "stripe_account_id": "acct_1", "payout_ready": True}
    )
    seams.payouts.add_intern({"intern_id": "i_1", "email": "ada@example.com", "name": "Ada"})
    seams.escrow.add_brief(
        {
            "brief_id": brief_id,
            "status": "PAYOUT_APPROVAL",
            "title": "Landing page",
            "employer_email": "emp@example.com",
            "budget_cents": BUDGET,
            "currency": "usd",
            "fee_bps": fee_bps,
            "intern_id": "i_1",
            "payment_intent_id": f"pi_{brief_id}",
            "charge_id": f"ch_{brief_id}",
            FUNDED: held,
            HELD: held,
        }
    )
    fund = ledger.fund_entry(held, reference=f"pi_{brief_id}", at=ledger_time())
    seams.escrow.entries[brief_id] = {fund.entry_id: fund}
    seams.payouts.add_token(brief_id, "payout", f"tok_{brief_id}")
    return seams.payouts.brief(brief_id) or {}


def ledger_time() -> Any:
    from datetime import timedelta

    from chalicelib.adapters import clock

    return clock.now() - timedelta(minutes=5)


def receipt(webhook_id: str) -> dict[str, Any]:
    return {"pk": f"WEBHOOK#finance#{webhook_id}", "sk": "WEBHOOK", "webhook_id": webhook_id}


def decide(payout_id: str, decision: str, webhook_id: str, reason: str = "") -> dict[str, Any]:
    return payouts.decide_payout(receipt(webhook_id), payout_id, decision, "fin", reason)


# -- the request: once per brief, with the release's figures -----------------------------------


@pytest.mark.parametrize(
    ("held", "fee_bps"), [(60_000, 1000), (12_345, 1250), (99, 0), (777, 9999)]
)
def test_a_payout_is_requested_once_with_the_release_figures(
    seams: Seams, held: int, fee_bps: int
) -> None:
    brief = waiting(seams, held=held, fee_bps=fee_bps)

    first = payouts.request_payout_approval(brief, "tok")
    again = payouts.request_payout_approval(seams.payouts.brief(brief["brief_id"]) or {}, "tok")

    figures = money.release(held, fee_bps)
    assert list(seams.payouts.payouts) == [first["payout_id"]] and again == first
    assert (first["amount_cents"], first["fee_cents"], first["payout_cents"]) == (
        figures.held_cents,
        figures.fee_cents,
        figures.payout_cents,
    )
    assert first["status"] == PENDING and seams.resumed == []
    assert seams.requests == [first["payout_id"]]  # delivered once: not posted again
    assert {kind for kind, _ in seams.mails} == {"payout_approval_requested", "payout_pending"}


@pytest.mark.parametrize(
    ("threshold", "approved"), [(BUDGET, True), (BUDGET + 1, True), (BUDGET - 1, False)]
)
def test_auto_approval_at_or_under_the_threshold(
    seams: Seams, monkeypatch: pytest.MonkeyPatch, threshold: int, approved: bool
) -> None:
    auto_approve_up_to(monkeypatch, threshold)
    brief = waiting(seams)

    result = payouts.request_payout_approval(brief, "tok")

    if approved:
        assert result["status"] == APPROVED and result["approved_by"] == "auto"
        assert seams.requests == [] and seams.mails == []
        assert seams.resumed == [(f"tok_{brief['brief_id']}", {"decision": APPROVED})]
        assert "automatically" in seams.payouts.events[brief["brief_id"]][0]["detail"]
    else:
        assert result["status"] == PENDING and seams.resumed == []
        assert seams.requests == [result["payout_id"]]


# -- the decision: once ----------------------------------------------------------------------------


def test_approval_resumes_the_wait_once(seams: Seams) -> None:
    brief = waiting(seams)
    payout_id = payouts.request_payout_approval(brief, "tok")["payout_id"]

    assert decide(payout_id, APPROVED, "wh_1")["outcome"] == APPROVED
    assert decide(payout_id, APPROVED, "wh_2")["outcome"] == "already_applied"

    assert seams.resumed == [(f"tok_{brief['brief_id']}", {"decision": APPROVED})]
    stored = seams.payouts.get(payout_id) or {}
    assert (stored["status"], stored["approved_by"]) == (APPROVED, "fin")
    assert (seams.payouts.brief(brief["brief_id"]) or {})["payout"]["status"] == APPROVED


@pytest.mark.parametrize(("first", "second"), [(APPROVED, REJECTED), (REJECTED, APPROVED)])
def test_a_second_decision_is_refused_and_changes_nothing(
    seams: Seams, first: str, second: str
) -> None:
    brief = waiting(seams)
    payout_id = payouts.request_payout_approval(brief, "tok")["payout_id"]
    decide(payout_id, first, "wh_1", reason="Invoice missing")
    before = (seams.payouts.get(payout_id), seams.payouts.brief(brief["brief_id"]))
    notes, resumed = list(seams.payouts.events[brief["brief_id"]]), list(seams.resumed)

    with pytest.raises(NotAllowed):
        decide(payout_id, second, "wh_2", reason="changed our mind")

    assert (seams.payouts.get(payout_id), seams.payouts.brief(brief["brief_id"])) == before
    assert seams.payouts.events[brief["brief_id"]] == notes and seams.resumed == resumed
    assert not seams.payouts.receipt_seen(receipt("wh_2"))


def test_a_decision_is_refused_while_the_engagement_is_not_waiting(seams: Seams) -> None:
    brief = waiting(seams)
    payout_id = payouts.request_payout_approval(brief, "tok")["payout_id"]
    seams.escrow.briefs[brief["brief_id"]]["status"] = "IN_REVIEW"

    with pytest.raises(NotAllowed):
        decide(payout_id, APPROVED, "wh_1")

    assert (seams.payouts.get(payout_id) or {})["status"] == PENDING and seams.resumed == []


def test_rejection_holds_the_money_and_tells_both_parties(seams: Seams) -> None:
    brief = waiting(seams)
    brief_id = brief["brief_id"]
    payout_id = payouts.request_payout_approval(brief, "tok")["payout_id"]

    assert decide(payout_id, REJECTED, "wh_1", reason="Invoice missing")["outcome"] == REJECTED

    assert seams.resumed == [
        (f"tok_{brief_id}", {"decision": REJECTED, "reason": "Invoice missing"})
    ]
    stored = seams.payouts.get(payout_id) or {}
    assert (stored["status"], stored["reason"]) == (REJECTED, "Invoice missing")
    after = seams.escrow.brief(brief_id) or {}
    assert after[HELD] == BUDGET and [e.kind for e in seams.escrow.journal(brief_id)] == ["fund"]
    assert seams.transfers == []
    held_mails = {key for kind, key in seams.mails if key.startswith(f"{payout_id}:held:")}
    assert held_mails == {f"{payout_id}:held:employer", f"{payout_id}:held:intern"}


# -- what finance approved is what moves -----------------------------------------------------------


@pytest.mark.parametrize(("held", "fee_bps"), [(60_000, 1000), (12_345, 1250), (1, 5000)])
def test_the_approved_payout_is_what_the_release_transfers(
    seams: Seams, held: int, fee_bps: int
) -> None:
    brief = waiting(seams, held=held, fee_bps=fee_bps)
    approved = payouts.request_payout_approval(brief, "tok")
    decide(approved["payout_id"], APPROVED, "wh_1")
    seams.escrow.briefs[brief["brief_id"]]["status"] = "RELEASING"  # the workflow's next step

    escrow.release_escrow(brief["brief_id"])

    moved = sum(t["amount_cents"] for t in seams.transfers)  # none when the fee takes it all
    books = ledger.check_invariants(seams.escrow.journal(brief["brief_id"]))
    assert moved == approved["payout_cents"] == books.released_cents
    assert books.fee_cents == approved["fee_cents"]

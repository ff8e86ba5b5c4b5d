"""One contract for the escrow repository, run against the in-memory fake and DynamoDB (moto).

Each test states a guarantee services/escrow.py relies on: funded once, an outgoing entry
names exactly what is held in an allowed status, entry ids and receipts are new, the funding
token is consumed with the entry, a stray payment is refunded once. A refused commit raises
`Conflict` and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.escrow_store import (
    FUNDED,
    HELD,
    OPEN_PK,
    DynamoEscrowStore,
    EscrowStore,
    InMemoryEscrowStore,
)
from chalicelib.adapters.store import Conflict
from chalicelib.domain import ledger
from tests.integration.repository_given import GivenRecords

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
BUDGET = 60_000


class Given(GivenRecords):
    """Sets up what the other use cases would have left, in one backend."""

    memory: InMemoryEscrowStore | None

    def __init__(self, backend: str) -> None:
        self.backend = backend
        super().__init__(InMemoryEscrowStore() if backend == "memory" else None)

    @property
    def repo(self) -> EscrowStore:
        return self.memory if self.memory is not None else DynamoEscrowStore()

    def brief(self, status: str = "AWAITING_FUNDING", **fields: Any) -> str:
        item = self.put_brief(status, **{"fee_bps": 1000, "version": 1, **fields})
        return item["brief_id"]

    def open_marker(self, brief_id: str) -> dict[str, Any] | None:
        if self.memory is not None:
            return self.memory.markers.get((OPEN_PK, f"BRIEF#{brief_id}"))
        from chalicelib.adapters.store import get_store

        return get_store().get(OPEN_PK, f"BRIEF#{brief_id}")

    def events(self, brief_id: str) -> list[str]:
        if self.memory is not None:
            return [e["detail"] for e in self.memory.events.get(brief_id, [])]
        from chalicelib.adapters.store import get_store

        return [str(e["detail"]) for e in get_store().timeline(brief_id)]


@pytest.fixture(params=["memory", "dynamo"])
def given(request: pytest.FixtureRequest) -> Iterator[Given]:
    if request.param == "dynamo":
        request.getfixturevalue("aws_env")
    yield Given(request.param)


def receipt(event_id: str | None = None) -> dict[str, Any]:
    return {"pk": f"WEBHOOK#stripe#{event_id or uuid.uuid4().hex}", "sk": "WEBHOOK"}


def fund(given: Given, brief_id: str, *, token: str | None, status_to: str = "IN_PROGRESS") -> Any:
    repo = given.repo
    entry = ledger.fund_entry(BUDGET, reference=f"pi_{brief_id}", at=AT)
    repo.commit_funding(
        repo.brief(brief_id) or {},
        entry,
        status_to=status_to,
        payment_intent_id=f"pi_{brief_id}",
        charge_id=f"ch_{brief_id}",
        token=token,
        detail="funded",
        receipt=None,
    )
    return entry


def release(brief_id: str, reference: str = "tr_1", held: int = BUDGET) -> ledger.JournalEntry:
    return ledger.release_entry(held, 1000, reference=f"{reference}-{brief_id}", at=AT)


# -- reads and plain writes ---------------------------------------------------------------------


def test_an_unknown_brief_is_none_and_has_no_journal(given: Given) -> None:
    assert given.repo.brief("b_missing") is None
    assert given.repo.journal("b_missing") == []
    assert given.repo.intern("i_missing") is None


def test_the_interns_profile_is_read_for_the_payout_destination(given: Given) -> None:
    intern_id = given.intern(stripe_account_id="acct_1", payout_ready=True)

    profile = given.repo.intern(intern_id) or {}
    assert (profile["stripe_account_id"], profile["payout_ready"]) == ("acct_1", True)


def test_a_payment_intent_is_kept_on_the_brief_with_the_reconcilers_marker(given: Given) -> None:
    brief_id = given.brief()
    given.repo.intent_created(brief_id, "pi_123", 2)

    brief = given.repo.brief(brief_id) or {}
    assert (brief["payment_intent_id"], brief["funding_attempt"]) == ("pi_123", 2)
    marker = given.open_marker(brief_id) or {}
    assert marker["payment_intent_id"] == "pi_123"


def test_a_receipt_is_kept_once(given: Given) -> None:
    item = receipt()
    assert not given.repo.receipt_seen(item)
    assert given.repo.keep_receipt(item) is True
    assert given.repo.keep_receipt(item) is False
    assert given.repo.receipt_seen(item)


def test_a_token_is_consumed_once_and_can_be_given_back(given: Given) -> None:
    brief_id = given.brief()
    token = given.token(brief_id)
    repo = given.repo

    assert repo.waiting_token(brief_id, "funding") == token
    assert repo.consume_token(brief_id, "funding") == token
    assert repo.waiting_token(brief_id, "funding") is None
    with pytest.raises(Conflict):
        repo.consume_token(brief_id, "funding")
    repo.unconsume_token(brief_id, "funding", token)
    assert repo.waiting_token(brief_id, "funding") == token


# -- funding: once, with its token and receipt --------------------------------------------------


def test_funding_sets_the_guards_books_the_entry_and_consumes_the_token(given: Given) -> None:
    brief_id = given.brief()
    token = given.token(brief_id)
    event = receipt()
    repo = given.repo
    entry = ledger.fund_entry(BUDGET, reference="pi_x", at=AT)

    repo.commit_funding(
        repo.brief(brief_id) or {},
        entry,
        status_to="IN_PROGRESS",
        payment_intent_id="pi_x",
        charge_id="ch_x",
        token=token,
        detail="Escrow funded",
        receipt=event,
    )

    brief = repo.brief(brief_id) or {}
    assert (brief["status"], brief[FUNDED], brief[HELD]) == ("IN_PROGRESS", BUDGET, BUDGET)
    assert brief["charge_id"] == "ch_x" and brief["version"] == 2
    assert repo.journal(brief_id) == [entry]
    assert repo.waiting_token(brief_id, "funding") is None
    assert repo.receipt_seen(event)
    assert "Escrow funded" in given.events(brief_id)


def test_a_brief_is_funded_once(given: Given) -> None:
    brief_id = given.brief()
    fund(given, brief_id, token=given.token(brief_id))
    funded = given.repo.brief(brief_id) or {}

    with pytest.raises(Conflict):  # even read fresh, with another entry
        given.repo.commit_funding(
            funded,
            ledger.fund_entry(BUDGET, reference="pi_other", at=AT),
            status_to="IN_PROGRESS",
            payment_intent_id="pi_other",
            charge_id=None,
            token=None,
            detail="again",
            receipt=None,
        )
    assert len(given.repo.journal(brief_id)) == 1
    assert (given.repo.brief(brief_id) or {})["payment_intent_id"] == f"pi_{brief_id}"


@pytest.mark.parametrize("spoil", ["status", "token", "receipt"])
def test_funding_refused_writes_nothing(given: Given, spoil: str) -> None:
    brief_id = given.brief()
    token = given.token(brief_id)
    event = receipt()
    brief = given.repo.brief(brief_id) or {}
    if spoil == "status":  # the state moved since the caller read it
        brief = {**brief, "status": "CANCELLED"}
    elif spoil == "token":
        token = "not-the-waiting-token"
    else:
        given.repo.keep_receipt(event)

    with pytest.raises(Conflict):
        given.repo.commit_funding(
            brief,
            ledger.fund_entry(BUDGET, reference="pi_y", at=AT),
            status_to="IN_PROGRESS",
            payment_intent_id="pi_y",
            charge_id="ch_y",
            token=token,
            detail="funded",
            receipt=event,
        )

    after = given.repo.brief(brief_id) or {}
    assert after["status"] == "AWAITING_FUNDING" and FUNDED not in after
    assert given.repo.journal(brief_id) == []
    assert "funded" not in given.events(brief_id)


# -- money out: exactly what is held, in an allowed status, once -----------------------------------


def releasing(given: Given) -> str:
    brief_id = given.brief()
    fund(given, brief_id, token=given.token(brief_id), status_to="RELEASING")
    return brief_id


def commit_out(given: Given, brief_id: str, entry: ledger.JournalEntry, **kw: Any) -> bool:
    options: dict[str, Any] = {"held": BUDGET, "allowed": {"RELEASING"}, "detail": "out"}
    options.update(kw)
    brief = given.repo.brief(brief_id) or {}
    return given.repo.commit_out(brief, entry, fields={"transfer_id": "tr"}, **options)


def test_an_outgoing_entry_empties_what_is_held(given: Given) -> None:
    brief_id = releasing(given)
    entry = release(brief_id)

    assert commit_out(given, brief_id, entry) is True

    brief = given.repo.brief(brief_id) or {}
    assert brief[HELD] == 0 and brief[FUNDED] == BUDGET and brief["transfer_id"] == "tr"
    assert [e.kind for e in given.repo.journal(brief_id)] == ["fund", "release"]
    assert ledger.check_invariants(given.repo.journal(brief_id)).released_cents == 54_000


@pytest.mark.parametrize(
    ("held", "allowed"),
    [(BUDGET - 1, {"RELEASING"}), (BUDGET + 1, {"RELEASING"}), (BUDGET, {"DISPUTED"})],
)
def test_an_outgoing_entry_must_name_what_is_held_in_an_allowed_status(
    given: Given, held: int, allowed: set[str]
) -> None:
    brief_id = releasing(given)

    with pytest.raises(Conflict):
        commit_out(given, brief_id, release(brief_id, held=held), held=held, allowed=allowed)

    assert (given.repo.brief(brief_id) or {})[HELD] == BUDGET
    assert [e.kind for e in given.repo.journal(brief_id)] == ["fund"]


def test_nothing_moves_out_twice(given: Given) -> None:
    brief_id = releasing(given)
    entry = release(brief_id)
    commit_out(given, brief_id, entry)

    # the same Stripe object again (a concurrent retry) is already recorded: not a conflict
    assert commit_out(given, brief_id, entry) is False
    with pytest.raises(Conflict):  # another movement of the same money is one
        commit_out(given, brief_id, release(brief_id, reference="tr_2"))
    assert len(given.repo.journal(brief_id)) == 2
    assert (given.repo.brief(brief_id) or {})[HELD] == 0


# -- stray payments: refunded once ---------------------------------------------------------------


def test_a_stray_payment_is_noted_once_and_the_funding_page_starts_afresh(given: Given) -> None:
    brief_id = given.brief(payment_intent_id="pi_own", funding_attempt=1)
    repo = given.repo
    brief = repo.brief(brief_id) or {}
    event = receipt()

    assert not repo.stray_refunded(brief_id, "pi_own")
    repo.commit_stray(
        brief,
        payment_intent_id="pi_own",
        refund_id="re_1",
        amount=1234,
        currency="usd",
        detail="refunded in full",
        receipt=event,
    )

    assert repo.stray_refunded(brief_id, "pi_own") and repo.receipt_seen(event)
    after = repo.brief(brief_id) or {}
    assert "payment_intent_id" not in after and after["funding_attempt"] == 2
    assert "refunded in full" in given.events(brief_id)
    with pytest.raises(Conflict):
        repo.commit_stray(
            brief,
            payment_intent_id="pi_own",
            refund_id="re_1",
            amount=1234,
            currency="usd",
            detail="again",
            receipt=None,
        )
    assert "again" not in given.events(brief_id)


def test_a_foreign_stray_payment_leaves_the_briefs_own_intent(given: Given) -> None:
    brief_id = given.brief(payment_intent_id="pi_own")
    repo = given.repo

    repo.commit_stray(
        repo.brief(brief_id) or {},
        payment_intent_id="pi_foreign",
        refund_id="re_2",
        amount=99,
        currency="usd",
        detail="foreign",
        receipt=None,
    )

    assert (repo.brief(brief_id) or {})["payment_intent_id"] == "pi_own"
    assert repo.stray_refunded(brief_id, "pi_foreign")
    assert not repo.stray_refunded(brief_id, "pi_own")

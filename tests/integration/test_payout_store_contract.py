"""One contract for the payouts' repository, run against the in-memory fake and DynamoDB (moto).

Each test states a guarantee the finance use cases (services/payouts.py, services/disputes.py)
rely on: one payout per brief, a payout decided once while its brief waits for it, a dispute
resolved once, each webhook receipt used once, a wait's token consumed once. A refused commit
raises `Conflict` and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.adapters.payout_store import (
    APPROVED,
    PAYOUTS_PK,
    PENDING,
    REJECTED,
    RESOLVED,
    DynamoPayoutStore,
    InMemoryPayoutStore,
    PayoutStore,
)
from chalicelib.adapters.store import Conflict
from tests.integration.repository_given import GivenRecords

CREATED = "2026-03-02T10:00:00Z"


class Given(GivenRecords):
    """Sets up what the other use cases would have left, in one backend."""

    memory: InMemoryPayoutStore | None

    def __init__(self, backend: str) -> None:
        self.backend = backend
        super().__init__(InMemoryPayoutStore() if backend == "memory" else None)

    @property
    def repo(self) -> PayoutStore:
        return self.memory if self.memory is not None else DynamoPayoutStore()

    def brief(self, status: str = "PAYOUT_APPROVAL", **fields: Any) -> dict[str, Any]:
        item = self.put_brief(status, **fields)
        return self.repo.brief(str(item["brief_id"])) or {}

    def notes(self, brief_id: str) -> list[str]:
        if self.memory is not None:
            return [e["detail"] for e in self.memory.events.get(brief_id, [])]
        from chalicelib.adapters.store import get_store

        return [str(e["detail"]) for e in get_store().timeline(brief_id) if e["actor"] == "finance"]


@pytest.fixture(params=["memory", "dynamo"])
def given(request: pytest.FixtureRequest) -> Iterator[Given]:
    if request.param == "dynamo":
        request.getfixturevalue("aws_env")
    yield Given(request.param)


def receipt() -> dict[str, Any]:
    webhook_id = uuid.uuid4().hex
    return {"pk": f"WEBHOOK#finance#{webhook_id}", "sk": "WEBHOOK", "webhook_id": webhook_id}


def record(brief: dict[str, Any], status: str = PENDING, **fields: Any) -> dict[str, Any]:
    return {
        "payout_id": f"po_{uuid.uuid4().hex[:10]}",
        "brief_id": brief["brief_id"],
        "intern_id": "i_1",
        "title": "Landing page",
        "amount_cents": 60_000,
        "fee_cents": 6_000,
        "currency": "usd",
        "status": status,
        "created_at": CREATED,
        "updated_at": CREATED,
        "delivered": False,
        "attempts": 0,
        **fields,
    }


def requested(given: Given, status: str = PENDING) -> tuple[dict[str, Any], dict[str, Any]]:
    """A brief waiting for finance, with its payout in `status`."""
    brief = given.brief()
    payout = given.repo.commit_request(brief, record(brief), note=None)
    if status != PENDING:
        decide(given, brief, payout, status)
    return given.repo.brief(brief["brief_id"]) or {}, given.repo.get(payout["payout_id"]) or {}


def decide(
    given: Given, brief: dict[str, Any], payout: dict[str, Any], status: str, **kw: Any
) -> dict[str, Any]:
    event = kw.pop("receipt", None) or receipt()
    fields = {"status": status, "decided_at": CREATED, "decision_webhook_id": event["webhook_id"]}
    given.repo.commit_decision(brief, payout, fields, receipt=event, note=kw.pop("note", status))
    return event


# -- reads and plain writes ---------------------------------------------------------------------


def test_unknown_records_are_none(given: Given) -> None:
    assert given.repo.get("po_missing") is None
    assert given.repo.brief("b_missing") is None
    assert given.repo.intern("i_missing") is None


def test_the_interns_profile_is_read_for_the_emails(given: Given) -> None:
    intern_id = given.intern(email="ada@example.com", name="Ada")

    assert (given.repo.intern(intern_id) or {})["email"] == "ada@example.com"


def test_a_receipt_is_kept_once(given: Given) -> None:
    event = receipt()
    assert not given.repo.receipt_seen(event)
    assert given.repo.keep_receipt(event) is True
    assert given.repo.keep_receipt(event) is False
    assert given.repo.receipt_seen(event)


def test_a_wait_is_consumed_once_and_can_be_given_back(given: Given) -> None:
    brief_id = given.brief()["brief_id"]
    token = given.token(brief_id, "payout")
    repo = given.repo

    assert repo.waiting_token(brief_id, "dispute") is None
    assert repo.waiting_token(brief_id, "payout") == token
    assert repo.consume_token(brief_id, "payout") == token
    assert repo.waiting_token(brief_id, "payout") is None
    with pytest.raises(Conflict):
        repo.consume_token(brief_id, "payout")
    repo.unconsume_token(brief_id, "payout", "another-token")  # not the consumed one: no-op
    assert repo.waiting_token(brief_id, "payout") is None
    repo.unconsume_token(brief_id, "payout", token)
    assert repo.waiting_token(brief_id, "payout") == token


# -- the request: one payout per brief ----------------------------------------------------------


def test_a_payout_is_stored_under_its_keys_and_referred_to_by_its_brief(given: Given) -> None:
    brief = given.brief()
    asked = record(brief)

    returned = given.repo.commit_request(brief, asked, note=None)

    stored = given.repo.get(asked["payout_id"]) or {}
    assert stored == returned
    assert (stored["pk"], stored["sk"], stored["type"]) == (
        f"PAYOUT#{asked['payout_id']}",
        "PAYOUT",
        "payout",
    )
    assert stored["gsi1pk"] == PAYOUTS_PK
    assert stored["gsi1sk"] == f"{PENDING}#{CREATED}#{asked['payout_id']}"
    assert {k: stored[k] for k in asked} == asked
    after = given.repo.brief(brief["brief_id"]) or {}
    assert after["payout"] == {"payout_id": asked["payout_id"], "status": PENDING}
    assert given.notes(brief["brief_id"]) == []


def test_an_automatic_approval_is_noted_with_the_payout(given: Given) -> None:
    brief = given.brief()
    asked = record(brief, APPROVED, approved_by="auto", decided_at=CREATED)

    given.repo.commit_request(brief, asked, note="approved automatically")

    assert (given.repo.get(asked["payout_id"]) or {})["gsi1sk"].startswith(f"{APPROVED}#")
    assert given.notes(brief["brief_id"]) == ["approved automatically"]


def test_a_brief_has_one_payout(given: Given) -> None:
    brief = given.brief()
    first = given.repo.commit_request(brief, record(brief), note=None)
    second = record(brief)

    with pytest.raises(Conflict):  # even with the brief as read before the first
        given.repo.commit_request(brief, second, note="second")

    assert given.repo.get(second["payout_id"]) is None
    assert (given.repo.brief(brief["brief_id"]) or {})["payout"]["payout_id"] == first["payout_id"]
    assert given.notes(brief["brief_id"]) == []


def test_no_payout_without_its_brief(given: Given) -> None:
    brief = {"brief_id": "b_gone", "status": "PAYOUT_APPROVAL"}
    asked = record(brief)

    with pytest.raises(Conflict):
        given.repo.commit_request(brief, asked, note=None)

    assert given.repo.get(asked["payout_id"]) is None


# -- the decision: pending -> approved / rejected, once -----------------------------------------


@pytest.mark.parametrize("decision", [APPROVED, REJECTED])
def test_a_decision_moves_the_payout_its_index_and_its_brief_together(
    given: Given, decision: str
) -> None:
    brief, payout = requested(given)

    event = decide(given, brief, payout, decision, note="Finance decided")

    stored = given.repo.get(payout["payout_id"]) or {}
    assert (stored["status"], stored["decision_webhook_id"]) == (decision, event["webhook_id"])
    assert stored["gsi1sk"] == f"{decision}#{CREATED}#{payout['payout_id']}"
    after = given.repo.brief(brief["brief_id"]) or {}
    assert after["payout"] == {"payout_id": payout["payout_id"], "status": decision}
    assert after["status"] == brief["status"]
    assert given.repo.receipt_seen(event)
    assert given.notes(brief["brief_id"]) == ["Finance decided"]


@pytest.mark.parametrize("spoil", ["decided", "brief_moved", "receipt_used"])
def test_a_refused_decision_writes_nothing(given: Given, spoil: str) -> None:
    brief, payout = requested(given)
    event = receipt()
    if spoil == "decided":  # another decision came first (read before it)
        decide(given, brief, payout, APPROVED, note="first")
    elif spoil == "brief_moved":  # the engagement left the wait since the caller read it
        brief = {**brief, "status": "DISPUTED"}
    else:
        given.repo.keep_receipt(event)
    before = given.repo.get(payout["payout_id"])
    before_brief = given.repo.brief(brief["brief_id"])

    with pytest.raises(Conflict):
        decide(given, brief, payout, REJECTED, receipt=event, note="refused")

    assert given.repo.get(payout["payout_id"]) == before
    assert given.repo.brief(brief["brief_id"]) == before_brief
    assert "refused" not in given.notes(brief["brief_id"])
    assert given.repo.receipt_seen(event) is (spoil == "receipt_used")


# -- the dispute's resolution: once, with the payout finance held --------------------------------


def resolve(given: Given, brief: dict[str, Any], payout: dict[str, Any] | None, **kw: Any) -> None:
    event = kw.pop("receipt", None) or receipt()
    given.repo.commit_resolution(
        brief,
        payout,
        resolution={"resolution": "split", "intern_share_cents": 30_000, "resolved_by": "fin"},
        payout_fields={"resolution": "split", "intern_share_cents": 30_000, "decided_at": CREATED},
        receipt=event,
        note=kw.pop("note", "resolved"),
    )


def test_a_resolution_marks_the_held_payout_resolved(given: Given) -> None:
    brief, payout = requested(given, REJECTED)

    resolve(given, brief, payout)

    stored = given.repo.get(payout["payout_id"]) or {}
    assert (stored["status"], stored["resolution"], stored["intern_share_cents"]) == (
        RESOLVED,
        "split",
        30_000,
    )
    assert stored["gsi1sk"] == f"{RESOLVED}#{CREATED}#{payout['payout_id']}"
    after = given.repo.brief(brief["brief_id"]) or {}
    assert after["payout"] == {"payout_id": payout["payout_id"], "status": RESOLVED}
    assert after["dispute_resolution"]["intern_share_cents"] == 30_000
    assert "resolved" in given.notes(brief["brief_id"])


def test_a_dispute_without_a_payout_is_resolved_on_the_brief(given: Given) -> None:
    brief = given.brief("DISPUTED")

    resolve(given, brief, None)

    after = given.repo.brief(brief["brief_id"]) or {}
    assert after["dispute_resolution"]["resolution"] == "split" and "payout" not in after


@pytest.mark.parametrize("spoil", ["resolved", "payout_changed", "brief_moved", "receipt_used"])
def test_a_refused_resolution_writes_nothing(given: Given, spoil: str) -> None:
    brief, payout = requested(given, REJECTED)
    event = receipt()
    if spoil == "resolved":
        resolve(given, brief, None, note="first")
    elif spoil == "payout_changed":  # the caller read the payout while it was still pending
        payout = {**payout, "status": PENDING}
    elif spoil == "brief_moved":
        brief = {**brief, "status": "RELEASING"}
    else:
        given.repo.keep_receipt(event)
    before = given.repo.get(payout["payout_id"])
    before_brief = given.repo.brief(brief["brief_id"])

    with pytest.raises(Conflict):
        resolve(given, brief, payout, receipt=event, note="refused")

    assert given.repo.get(payout["payout_id"]) == before
    assert given.repo.brief(brief["brief_id"]) == before_brief
    assert "refused" not in given.notes(brief["brief_id"])
    assert given.repo.receipt_seen(event) is (spoil == "receipt_used")

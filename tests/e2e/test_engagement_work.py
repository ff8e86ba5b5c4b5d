"""After funding: work, delivery (with a file), review rounds, auto-approval, missed
deadlines, disputes — on the twin, through the public HTTP contract and the Stripe sandbox."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    employer,
    engaged,
    fund,
    timeline,
    view,
    wait_email,
    wait_status,
)

pytestmark = pytest.mark.e2e

SUMMARY = "Spreadsheet and a 10-slide deck comparing onboarding, pricing and retention."


def deliver(twin: RunningTwin, link: str, **extra: str) -> requests.Response:
    return act(
        twin, link, "deliver", {"summary": SUMMARY, "url": "https://example.org/deck", **extra}
    )


def test_declined_card_waits_then_a_good_card_starts_work_and_delivery_is_reviewed(
    twin: RunningTwin,
) -> None:
    brief_id, token, employer_email, intern, link = engaged(twin, "Happy path study", nda=True)

    declined = fund(twin, brief_id, token, card="pm_card_chargeDeclined")
    assert declined.status_code == 402
    assert view(twin, brief_id, token)["status"] == "AWAITING_FUNDING"

    assert fund(twin, brief_id, token).status_code == 200
    state = wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert state["escrow"]["funded_cents"] == 60_000
    assert state["escrow"]["held_cents"] == 60_000
    wait_email(twin, intern["email"], "start work")

    upload = act(twin, link, "upload", {"filename": "deck final.pdf", "size": 11})
    assert upload.status_code == 200, upload.text
    target = upload.json()
    stored = requests.post(
        target["url"],
        data=target["fields"],
        files={"file": ("deck final.pdf", b"%PDF-1.4 ok")},
        timeout=10,
    )
    assert stored.status_code in (200, 204), stored.text
    assert deliver(twin, link, file_key=target["file_key"]).status_code == 200

    review = wait_status(twin, brief_id, token, "IN_REVIEW")
    (delivery,) = review["deliveries"]
    assert delivery["file_name"] == "deck-final.pdf"
    wait_email(twin, employer_email, "Delivery ready for review")
    download = requests.get(
        f"{twin.url}/briefs/{brief_id}/deliveries/1/file?key={token}",
        allow_redirects=False,
        timeout=10,
    )
    assert download.status_code == 302
    assert requests.get(download.headers["Location"], timeout=10).content == b"%PDF-1.4 ok"

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        codes = sorted(
            r.status_code
            for r in pool.map(
                lambda _: employer(twin, brief_id, token, "review", {"decision": "approve"}),
                range(2),
            )
        )
    assert codes == [200, 409]
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")
    assert timeline(twin, brief_id, token).count("The employer approved the delivery") == 1
    wait_email(twin, intern["email"], "awaiting finance approval")


def test_changes_can_be_requested_up_to_the_limit(twin: RunningTwin) -> None:
    brief_id, token, _, intern, link = engaged(twin, "Revision rounds study")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")

    for round_number in (1, 2):
        assert deliver(twin, link).status_code == 200
        wait_status(twin, brief_id, token, "IN_REVIEW")
        no_comment = employer(twin, brief_id, token, "review", {"decision": "request_changes"})
        assert no_comment.status_code == 422
        asked = employer(
            twin,
            brief_id,
            token,
            "review",
            {"decision": "request_changes", "comment": f"Round {round_number}: add sources"},
        )
        assert asked.status_code == 200
        wait_status(twin, brief_id, token, "IN_PROGRESS")
        wait_email(twin, intern["email"], "Changes requested")

    assert deliver(twin, link).status_code == 200
    wait_status(twin, brief_id, token, "IN_REVIEW")
    third = employer(
        twin,
        brief_id,
        token,
        "review",
        {"decision": "request_changes", "comment": "One more time please"},
    )
    assert third.status_code == 409
    assert "rounds of changes are used" in third.json()["errors"][0]["message"]
    assert view(twin, brief_id, token)["status"] == "IN_REVIEW"
    assert employer(twin, brief_id, token, "review", {"decision": "approve"}).status_code == 200
    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL")


def test_no_review_in_time_approves_automatically(twin: RunningTwin) -> None:
    brief_id, token, _, _, link = engaged(twin, "Auto approve study")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert deliver(twin, link).status_code == 200
    wait_status(twin, brief_id, token, "IN_REVIEW")

    wait_status(twin, brief_id, token, "PAYOUT_APPROVAL", timeout=30)

    assert "No review in time: the delivery was approved automatically" in timeline(
        twin, brief_id, token
    )


def test_missed_deadline_extended_then_delivered(twin: RunningTwin) -> None:
    from datetime import date, timedelta

    brief_id, token, employer_email, _, link = engaged(twin, "Late but extended study")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")

    wait_status(twin, brief_id, token, "DEADLINE_MISSED", timeout=30)
    wait_email(twin, employer_email, "missed deadline")
    assert deliver(twin, link).status_code == 409
    bad = employer(twin, brief_id, token, "extend", {"deadline": "tomorrow"})
    assert bad.status_code == 422
    new_deadline = (date.today() + timedelta(days=5)).isoformat()
    assert employer(twin, brief_id, token, "extend", {"deadline": new_deadline}).ok

    state = wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert state["deadline"] == new_deadline
    assert deliver(twin, link).status_code == 200
    wait_status(twin, brief_id, token, "IN_REVIEW")


def test_missed_deadline_cancelled_refunds_in_full(twin: RunningTwin) -> None:
    brief_id, token, employer_email, intern, _ = engaged(twin, "Late and cancelled study")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "DEADLINE_MISSED", timeout=40)

    assert employer(twin, brief_id, token, "cancel").status_code == 200

    final = wait_status(twin, brief_id, token, "CANCELLED")
    assert final["escrow"]["refunded_cents"] == 60_000
    assert final["escrow"]["held_cents"] == 0
    refunds = requests.get(
        f"{twin.stripe_url}/v1/refunds",
        params={"payment_intent": final["escrow"]["payment_intent_id"]},
        headers={"Authorization": "Bearer sk_test_local_twin"},
        timeout=10,
    ).json()["data"]
    assert sum(r["amount"] for r in refunds) == 60_000
    wait_email(twin, employer_email, "cancelled and refunded")
    wait_email(twin, intern["email"], "was cancelled")


def test_dispute_waits_for_finance(twin: RunningTwin) -> None:
    brief_id, token, _, _, link = engaged(twin, "Dispute study")
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    assert deliver(twin, link).status_code == 200
    wait_status(twin, brief_id, token, "IN_REVIEW")

    disputed = employer(
        twin,
        brief_id,
        token,
        "review",
        {"decision": "dispute", "comment": "The deck is missing entirely."},
    )

    assert disputed.status_code == 200
    state = wait_status(twin, brief_id, token, "DISPUTED")
    assert state["escrow"]["held_cents"] == 60_000
    wait_email(twin, "finance@microintern.example", "Dispute opened")

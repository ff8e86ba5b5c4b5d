"""Every path of the engagement on the twin, driven only through the public HTTP contract:
the JSON API, the emails in the outbox and the links inside them. Windows are seconds."""

from __future__ import annotations

import concurrent.futures
import re

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import (
    act,
    emails_to,
    employer,
    offered_to,
    register,
    submit,
    timeline,
    unique_skill,
    view,
    wait_email,
    wait_status,
)

pytestmark = pytest.mark.e2e


def test_decline_moves_to_the_next_candidate_then_accept_nda_and_cancel(twin: RunningTwin) -> None:
    skill = unique_skill()
    interns = [register(twin, skill, hours=20), register(twin, skill, hours=25)]
    brief_id, token, employer_email = submit(twin, skill, title="Decline then accept study")

    first, first_token = offered_to(twin, interns, "Decline then accept study")
    page = requests.get(f"{twin.url}/tasks/{first_token}", timeout=10)
    assert page.status_code == 200 and "Accept the offer" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert act(twin, first_token, "decline").status_code == 200

    second = next(i for i in interns if i is not first)
    _, second_token = offered_to(twin, [second], "Decline then accept study")
    assert act(twin, first_token, "accept").status_code == 409  # declined is final
    assert act(twin, second_token, "accept").status_code == 200
    wait_status(twin, brief_id, token, "NDA")
    bad = act(twin, second_token, "nda", {"full_name": "X", "agree": False})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"full_name", "agree"}
    signed = act(twin, second_token, "nda", {"full_name": second["name"], "agree": True})
    assert signed.status_code == 200
    nda_copy = requests.get(f"{twin.url}/tasks/{second_token}/nda.txt", timeout=10)
    assert second["name"] in nda_copy.text and signed.json()["text_sha256"] in nda_copy.text

    state = wait_status(twin, brief_id, token, "AWAITING_FUNDING")
    assert state["engagement"]["intern_id"] == second["intern_id"]
    wait_email(twin, employer_email, "fund escrow to start")

    assert employer(twin, brief_id, token, "cancel").status_code == 200
    final = wait_status(twin, brief_id, token, "CANCELLED")
    assert final["escrow"]["funded_cents"] == 0
    wait_email(twin, employer_email, "was cancelled")
    wait_email(twin, second["email"], "was cancelled")
    details = timeline(twin, brief_id, token)
    assert "The intern declined the offer" in details
    assert "The employer cancelled the project" in details


def test_offers_expire_down_the_shortlist_to_unmatched(twin: RunningTwin) -> None:
    skill = unique_skill()
    interns = [register(twin, skill), register(twin, skill)]
    brief_id, token, employer_email = submit(twin, skill, title="Nobody answers study")

    final = wait_status(twin, brief_id, token, "UNMATCHED", timeout=60)

    assert [c["offer_status"] for c in final["shortlist"]] == ["expired", "expired"]
    assert timeline(twin, brief_id, token).count("The offer expired without an answer") == 2
    for intern in interns:
        assert [m for m in emails_to(twin, intern["email"]) if "Paid project" in m["subject"]]
    advice = wait_email(twin, employer_email, "No intern matched")
    assert "none accepted it in time" in advice["text"]


def test_no_intern_with_the_skill_is_unmatched_with_advice(twin: RunningTwin) -> None:
    brief_id, token, employer_email = submit(twin, unique_skill(), title="Rare skill study")

    final = wait_status(twin, brief_id, token, "UNMATCHED")

    assert final["shortlist"] == []
    confirmation = wait_email(twin, employer_email, "We received your brief")
    link = re.search(r"http://\S+/briefs/\S+\?key=\S+", confirmation["text"])
    assert link and brief_id in link.group(0)
    assert "Rare skill study" in requests.get(link.group(0), timeout=10).text
    advice = wait_email(twin, employer_email, "No intern matched")
    assert "No registered intern lists any of the required skills" in advice["text"]


def test_nda_not_signed_in_time_moves_on(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    brief_id, token, _ = submit(twin, skill, title="NDA lapses study")
    _, link = offered_to(twin, [intern], "NDA lapses study")
    assert act(twin, link, "accept").status_code == 200

    final = wait_status(twin, brief_id, token, "UNMATCHED", timeout=40)

    assert "The NDA was not signed in time" in timeline(twin, brief_id, token)
    assert final["engagement"]["intern_id"] is None
    assert act(twin, link, "nda", {"full_name": "Too Late", "agree": True}).status_code == 409


def test_funding_not_paid_in_time_cancels(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    brief_id, token, _ = submit(twin, skill, title="Unfunded study", nda_required=False)
    _, link = offered_to(twin, [intern], "Unfunded study")
    assert act(twin, link, "accept").status_code == 200
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")

    wait_status(twin, brief_id, token, "CANCELLED", timeout=40)

    assert "Escrow was not funded in time" in timeline(twin, brief_id, token)
    wait_email(twin, intern["email"], "was cancelled")


def test_five_simultaneous_accepts_take_effect_once(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    brief_id, token, _ = submit(twin, skill, title="Race study", nda_required=False)
    _, link = offered_to(twin, [intern], "Race study")

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        codes = sorted(
            r.status_code for r in pool.map(lambda _: act(twin, link, "accept"), range(5))
        )

    assert codes == [200, 409, 409, 409, 409]
    wait_status(twin, brief_id, token, "AWAITING_FUNDING")
    assert timeline(twin, brief_id, token).count("The intern accepted the offer") == 1
    employer(twin, brief_id, token, "cancel")


def test_task_links_are_opaque_and_get_changes_nothing(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    brief_id, token, _ = submit(twin, skill, title="Link study", nda_required=False)
    _, link = offered_to(twin, [intern], "Link study")

    for _ in range(3):
        assert requests.get(f"{twin.url}/tasks/{link}", timeout=10).status_code == 200
    assert view(twin, brief_id, token)["status"] == "OFFERED"

    forged = requests.get(f"{twin.url}/tasks/{link[:-2]}xx", timeout=10)
    assert forged.status_code == 404 and "Link study" not in forged.text
    assert act(twin, "x" * 43, "accept").status_code == 404
    employer(twin, brief_id, token, "cancel")
    wait_status(twin, brief_id, token, "CANCELLED")


def test_a_reminder_comes_before_the_offer_window_closes(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    brief_id, token, _ = submit(twin, skill, title="Reminder study")

    reminder = wait_email(twin, intern["email"], "Reminder: your answer to the offer")

    assert "/tasks/" in reminder["text"]
    wait_status(twin, brief_id, token, "UNMATCHED", timeout=30)
    reminders = [m for m in emails_to(twin, intern["email"]) if m["subject"].startswith("Reminder")]
    assert len(reminders) == 1


def test_an_intern_holds_one_open_offer_at_a_time(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    first_id, first_token, _ = submit(twin, skill, title="First claim study")
    _, link = offered_to(twin, [intern], "First claim study")

    second_id, second_token, _ = submit(twin, skill, title="Second claim study")

    second = wait_status(twin, second_id, second_token, "UNMATCHED")
    assert [c["offer_status"] for c in second["shortlist"]] == ["busy"]
    offers = [
        m for m in emails_to(twin, intern["email"]) if m["subject"].startswith("Paid project")
    ]
    assert len(offers) == 1
    assert view(twin, first_id, first_token)["status"] == "OFFERED"
    assert act(twin, link, "decline").status_code == 200


def test_cancel_while_matching_stops_the_flow(twin: RunningTwin) -> None:
    skill = unique_skill()
    intern = register(twin, skill)
    brief_id, token, employer_email = submit(twin, skill, title="Cancelled early study")

    first = employer(twin, brief_id, token, "cancel")
    again = employer(twin, brief_id, token, "cancel")

    assert first.status_code == 200
    assert again.status_code == 409
    final = wait_status(twin, brief_id, token, "CANCELLED", timeout=30)
    assert final["escrow"]["funded_cents"] == 0
    assert timeline(twin, brief_id, token).count("The employer cancelled the project") == 1
    wait_email(twin, employer_email, "was cancelled")
    # the intern is free again for other projects
    submit(twin, skill, title="After the cancel study")
    _, link = offered_to(twin, [intern], "After the cancel study")
    assert act(twin, link, "decline").status_code == 200

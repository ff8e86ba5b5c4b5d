"""Completion certificates against moto's KMS through boto3 and the app (chalice.test.Client):
issued at completion, signed, verifiable offline, revoked after a reversing dispute, listed on
the intern's portfolio only by choice."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from scripts.verify_certificate import verify
from tests.helpers import confirm_addresses, load_event
from tests.integration.conftest import post_form, sent_emails


def _complete(client: Any, *, brief: dict[str, Any] | None = None, **fields: Any) -> dict[str, str]:
    """A brief (through the API) completed by its intern, and the Settle step run."""
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store
    from chalicelib.services import access, steps
    from chalicelib.services.intern_signup import register_intern

    confirm_addresses("dana@freshbox.example", "ada@uni.example")
    body = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(brief or load_event("brief")),
    ).json_body
    profile = get_store().get("INTERN#" + fields.get("intern_id", ""), "PROFILE")
    intern_id = fields.pop("intern_id", None)
    if profile is None:
        intern_id = register_intern(
            {
                "name": "Ada Analyst",
                "email": "ada@uni.example",
                "skills": ["Excel", "market research"],
                "bio": "I love market research and spreadsheets.",
                "hours_per_week": 15,
                "timezone": "Europe/Berlin",
            }
        )["intern_id"]
    get_store().update_brief(
        body["brief_id"],
        {"status": "RELEASING", "intern_id": intern_id, "completed_at": clock.iso(), **fields},
    )
    steps.settle(steps.StepEvent(brief_id=body["brief_id"], status="COMPLETED"))
    link = access.issue_task_link(body["brief_id"], str(intern_id))
    return {
        "brief_id": body["brief_id"],
        "manage": body["manage_token"],
        "task": link.rsplit("/", 1)[1],
        "intern_id": str(intern_id),
    }


def _brief(client: Any, c: dict[str, str]) -> dict[str, Any]:
    response = client.http.get(
        f"/api/briefs/{c['brief_id']}", headers={"Authorization": f"Bearer {c['manage']}"}
    )
    assert response.status_code == 200
    return dict(response.json_body)


def _certificate(client: Any, c: dict[str, str]) -> dict[str, Any]:
    url = _brief(client, c)["certificate_url"]
    certificate_id = url.rsplit("/", 1)[1]
    response = client.http.get(f"/api/certificates/{certificate_id}")
    assert response.status_code == 200
    return dict(response.json_body)


def _keys(client: Any) -> dict[str, Any]:
    response = client.http.get("/.well-known/microintern-keys.json")
    assert response.status_code == 200
    return dict(response.json_body)


def _task_form(client: Any, c: dict[str, str], choice: str) -> Any:
    page = client.http.get(f"/tasks/{c['task']}")
    cookie = page.headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    return post_form(
        client, f"/tasks/{c['task']}/certificate/{choice}", cookie, {"csrf_token": token.group(1)}
    )


def test_a_completed_brief_has_a_certificate_that_verifies_offline(client: Any) -> None:
    c = _complete(client)
    envelope = _certificate(client, c)
    keys = _keys(client)

    assert set(envelope) >= {"certificate", "signature", "key_id", "algorithm"}
    assert envelope["algorithm"] == "ECDSA_SHA_256"
    assert envelope["status"] == "valid"
    document = envelope["certificate"]
    assert document["intern_name"] == "Ada Analyst"
    assert document["project_title"] == load_event("brief")["title"]
    assert document["hours"] == load_event("brief")["estimated_hours"]
    assert "employer_name" not in document  # the brief did not allow it (default off)
    assert "rating" not in document
    assert [k["key_id"] for k in keys["keys"]] == [envelope["key_id"]]

    assert verify(envelope, keys)[0] is True
    tampered = copy.deepcopy(envelope)
    tampered["certificate"]["hours"] += 1
    assert verify(tampered, keys)[0] is False

    page = client.http.get(f"/certificates/{document['certificate_id']}")
    assert page.status_code == 200
    assert 'data-status="verified"' in page.body.decode()


def test_the_certificate_is_issued_once_whatever_the_retries(client: Any) -> None:
    from chalicelib.services import steps

    c = _complete(client)
    first = _certificate(client, c)
    steps.settle(steps.StepEvent(brief_id=c["brief_id"], status="COMPLETED"))
    assert _certificate(client, c)["certificate"] == first["certificate"]


def test_the_company_is_named_only_when_the_employer_allows_it(client: Any) -> None:
    brief = {**load_event("brief"), "show_employer_on_certificate": True}
    c = _complete(client, brief=brief)
    assert _certificate(client, c)["certificate"]["employer_name"] == brief["company"]


def test_a_split_dispute_revokes_the_certificate(client: Any) -> None:
    c = _complete(client, dispute_resolution={"resolution": "split", "intern_share_cents": 100})
    envelope = _certificate(client, c)
    assert envelope["status"] == "revoked"
    assert "dispute" in envelope["revoked_reason"]
    assert verify(envelope, _keys(client))[0] is True  # authentic, but revoked
    page = client.http.get(f"/certificates/{envelope['certificate']['certificate_id']}")
    assert 'data-status="revoked"' in page.body.decode()


def test_the_rating_appears_only_when_both_agree(client: Any) -> None:
    c = _complete(client)
    _task_form(client, c, "show-rating")  # the intern agrees, the employer has not rated
    assert "rating" not in _certificate(client, c)["certificate"]

    rated = client.http.post(
        f"/api/briefs/{c['brief_id']}/rate",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {c['manage']}"},
        body=json.dumps({"score": 4, "text": "Good work"}),
    )
    assert rated.status_code == 200
    envelope = _certificate(client, c)
    assert envelope["certificate"]["rating"] == {"score": 4, "out_of": 5, "by": "employer"}
    assert verify(envelope, _keys(client))[0] is True  # re-signed with the rating

    assert _task_form(client, c, "hide-rating").status_code == 303
    assert "rating" not in _certificate(client, c)["certificate"]


def test_the_portfolio_lists_only_what_the_intern_chose(client: Any) -> None:
    c = _complete(client)
    listed = client.http.post(
        f"/api/tasks/{c['task']}/certificate/list", headers={"Content-Type": "application/json"}
    )
    assert listed.status_code == 200
    portfolio = listed.json_body["portfolio_url"]
    path = "/portfolio/" + portfolio.rsplit("/", 1)[1]
    html = client.http.get(path).body.decode()
    assert load_event("brief")["title"] in html
    assert "ada@uni.example" not in html

    client.http.post(
        f"/api/tasks/{c['task']}/certificate/unlist", headers={"Content-Type": "application/json"}
    )
    assert load_event("brief")["title"] not in client.http.get(path).body.decode()
    assert client.http.get("/portfolio/p_unknown").status_code == 404


def test_unknown_certificates_are_not_found(client: Any) -> None:
    assert client.http.get("/api/certificates/c_unknown").status_code == 404
    assert client.http.get("/certificates/c_unknown").status_code == 404


@pytest.mark.parametrize("who", ["stranger", "unknown"])
def test_only_an_intern_who_completed_a_project_for_the_employer_can_be_invited(
    client: Any, who: str
) -> None:
    c = _complete(client)
    brief = load_event("brief")
    if who == "stranger":  # another employer address invites the same intern
        confirm_addresses("someone@else.example")
        brief = {
            **brief,
            "employer_email": "someone@else.example",
            "invite_intern_id": c["intern_id"],
        }
    else:
        brief = {**brief, "invite_intern_id": "i_0000000000000000000"}
    refused = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(brief)
    )
    assert refused.status_code == 422
    assert refused.json_body["errors"] == [{"field": "invite_intern_id", "message": _refusal()}]


def _refusal() -> str:
    from chalicelib.services.briefs import INVITE_REFUSED

    return INVITE_REFUSED


def test_the_invited_intern_is_offered_the_brief_first(client: Any) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    c = _complete(client)
    brief = {**load_event("brief"), "invite_intern_id": c["intern_id"]}
    created = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(brief)
    )
    assert created.status_code == 201
    brief_id = created.json_body["brief_id"]
    steps.match(steps.StepEvent(brief_id=brief_id))
    shortlist = get_store().query(f"BRIEF#{brief_id}", "CANDIDATE#")
    assert shortlist[0]["intern_id"] == c["intern_id"] and shortlist[0]["invited"] is True
    assert len({s["intern_id"] for s in shortlist}) == len(shortlist) <= 5
    assert steps.next_candidate(steps.StepEvent(brief_id=brief_id)) == {"intern_id": c["intern_id"]}


def test_hiring_interest_shares_the_contact_only_with_the_interns_consent(client: Any) -> None:
    c = _complete(client)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {c['manage']}"}
    before = len(sent_emails())
    for _ in range(2):  # idempotent: one email
        flagged = client.http.post(f"/api/briefs/{c['brief_id']}/hiring-interest", headers=headers)
        assert flagged.status_code == 200
    told = [
        m.raw_data
        for m in sent_emails()[before:]
        if "To: ada@uni.example" in m.raw_data and "interested in hiring you" in m.raw_data
    ]
    assert len(told) == 1

    page = client.http.get(f"/briefs/{c['brief_id']}?key={c['manage']}").body.decode()
    assert "ada@uni.example" not in page
    assert "Invite Ada Analyst to a new brief" in page
    task = client.http.get(f"/tasks/{c['task']}").body.decode()
    assert "is interested in hiring you" in task

    assert _task_form(client, c, "share-contact").status_code == 303
    page = client.http.get(f"/briefs/{c['brief_id']}?key={c['manage']}").body.decode()
    assert "ada@uni.example" in page


def test_another_interns_link_gets_the_unknown_link_answer(client: Any) -> None:
    """A candidate whose offer lapsed keeps a task link to the brief: it opens nothing of the
    certificate or the hiring interest, and answers exactly as an unknown link does."""
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern

    c = _complete(client)
    client.http.post(
        f"/api/briefs/{c['brief_id']}/hiring-interest",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {c['manage']}"},
    )
    confirm_addresses("lapsed@uni.example")
    lapsed = register_intern(
        {
            "name": "Lapsed Candidate",
            "email": "lapsed@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )["intern_id"]
    foreign = access.issue_task_link(c["brief_id"], lapsed).rsplit("/", 1)[1]
    headers = {"Content-Type": "application/json"}
    for choice in ("list", "show-rating", "share-contact"):
        theirs = client.http.post(f"/api/tasks/{foreign}/certificate/{choice}", headers=headers)
        unknown = client.http.post(f"/api/tasks/{'x' * 43}/certificate/{choice}", headers=headers)
        assert (theirs.status_code, theirs.json_body) == (404, unknown.json_body), choice
    page = client.http.get(f"/tasks/{foreign}").body.decode()
    assert "after-project" not in page and "interested in hiring" not in page

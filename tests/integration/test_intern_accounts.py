"""Intern accounts (issue 14): the address of an intern profile signs in as that intern; the
dashboard and GET /api/me/engagements show money from the ledger and payout records; profile
edits follow the registration's rules and rewrite the skill postings; a "not available until"
pause keeps the intern out of matching until that day; reminders can be turned off. Against
moto in-process, chalice's client and the Stripe sandbox."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import retrieval
from chalicelib.services.steps import StepEvent
from tests.integration.conftest import post_form
from tests.integration.test_accounts import sign_in
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    escrow_sandbox_fixture,
    money_fixture,
    move,
    put_brief,
    ready_intern,
)

BIO = "Analyst who loves spreadsheets, pricing pages and customer research."


def register(email: str, *, skills: tuple[str, ...] = ("excel",), hours: int = 15) -> str:
    from chalicelib.services.intern_signup import register_intern
    from tests.helpers import confirm_addresses

    confirm_addresses(email)
    return str(
        register_intern(
            {
                "name": "Sam Lee",
                "email": email,
                "skills": list(skills),
                "bio": BIO,
                "hours_per_week": hours,
                "timezone": "Europe/Berlin",
            }
        )["intern_id"]
    )


def profile(intern_id: str) -> dict[str, Any]:
    from chalicelib.adapters.store import get_store

    return dict(get_store().get(f"INTERN#{intern_id}", "PROFILE") or {})


def email_of(intern_id: str) -> str:
    return str(profile(intern_id)["email"])


def csrf_of(client: Any, cookie: str) -> tuple[str, str]:
    """GET /dashboard with the session: (Cookie header with the CSRF cookie, the form token)."""
    page = client.http.get("/dashboard", headers={"Cookie": cookie})
    assert page.status_code == 200, page.body
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
    assert token
    csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
    return f"{cookie}; {csrf_cookie}", token.group(1)


def dashboard_post(client: Any, cookie: str, path: str, fields: dict[str, str]) -> Any:
    both, token = csrf_of(client, cookie)
    return post_form(client, path, both, {"csrf_token": token, **fields})


def offered(brief_id: str, intern_id: str) -> None:
    """The flow holds the intern for the brief's offer (the match's shortlist, then
    next_candidate, as the state machine runs them)."""
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    get_store().put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "CANDIDATE#00",
            "type": "candidate",
            "intern_id": intern_id,
            "offer_status": "pending",
        }
    )
    assert steps.next_candidate(StepEvent(brief_id=brief_id)) == {"intern_id": intern_id}


# -- the role ----------------------------------------------------------------------------------


def test_signing_in_with_the_profiles_address_links_the_intern_role(client: Any) -> None:
    from chalicelib.adapters import accounts

    intern_id = register("Ida.Lee@Uni.example")

    cookie = sign_in(client, "ida.lee@uni.example")

    me = client.http.get("/api/me", headers={"Cookie": cookie}).json_body
    assert me["roles"] == ["intern"]
    assert (accounts.find("ida.lee@uni.example") or {})["intern_id"] == intern_id
    page = client.http.get("/dashboard", headers={"Cookie": cookie})
    assert page.status_code == 200
    assert "Your intern dashboard" in page.body.decode()
    # A second sign-in keeps one role, not two.
    cookie = sign_in(client, "ida.lee@uni.example")
    assert client.http.get("/api/me", headers={"Cookie": cookie}).json_body["roles"] == ["intern"]


def test_another_address_gets_no_intern_role_and_no_engagements(client: Any) -> None:
    register("ida@uni.example")

    cookie = sign_in(client, "someone.else@uni.example")

    assert client.http.get("/api/me", headers={"Cookie": cookie}).json_body["roles"] == []
    engagements = client.http.get("/api/me/engagements", headers={"Cookie": cookie})
    assert engagements.status_code == 200 and engagements.json_body == []
    refused = dashboard_post(client, cookie, "/dashboard/pause", {"until": "2099-01-01"})
    assert refused.status_code == 403
    assert client.http.get("/api/me/engagements").status_code == 401


# -- engagements and money -----------------------------------------------------------------------


def test_after_a_completed_engagement_the_figures_come_from_the_ledger(money: Money) -> None:
    from chalicelib.services import escrow, payouts
    from tests.integration.test_finance_webhooks import wait_opens

    intern_id = ready_intern(money)
    brief_id, token = put_brief(budget_cents=60_000)
    offered(brief_id, intern_id)
    cookie = sign_in(money.client, email_of(intern_id))
    from chalicelib.adapters.store import get_store

    get_store().update_brief(brief_id, {"intern_id": intern_id})
    money.pay(brief_id, token)
    move(brief_id, "IN_REVIEW")
    wait_opens(brief_id, "payout", f"payout-token-{brief_id}")
    pending = money.client.http.get("/api/me/engagements", headers={"Cookie": cookie}).json_body
    assert pending == [
        {
            "brief_id": brief_id,
            "title": "Competitive analysis of three meal-kit apps",
            "status": "PAYOUT_APPROVAL",
            "pay_cents": 54_000,
            "paid_cents": 0,
        }
    ]
    page = money.client.http.get("/dashboard", headers={"Cookie": cookie}).body.decode()
    assert re.search(r"Pending<b class=\"money\" data-pending>USD 540\.00", page)

    payout = (get_store().get_brief(brief_id) or {})["payout"]
    payouts.decide_payout(
        {"pk": "WEBHOOK#finance#t1", "sk": "WEBHOOK", "webhook_id": "t1"},
        str(payout["payout_id"]),
        "approved",
        "ana@finance.example",
    )
    move(brief_id, "RELEASING")
    escrow.release_escrow(brief_id)
    move(brief_id, "COMPLETED")

    done = money.client.http.get("/api/me/engagements", headers={"Cookie": cookie}).json_body
    assert done == [
        {
            "brief_id": brief_id,
            "title": "Competitive analysis of three meal-kit apps",
            "status": "COMPLETED",
            "pay_cents": 54_000,
            "paid_cents": 54_000,
        }
    ]
    page = money.client.http.get("/dashboard", headers={"Cookie": cookie}).body.decode()
    assert re.search(r"Paid to you<b class=\"money\" data-paid>USD 540\.00", page)
    assert re.search(r"Pending<b class=\"money\" data-pending>USD 0\.00", page)


def test_the_current_offer_shows_its_deadline_and_a_way_to_act(money: Money) -> None:
    from chalicelib.adapters.store import get_store

    intern_id = ready_intern(money)
    brief_id, _ = put_brief("OFFERED")
    offered(brief_id, intern_id)
    get_store().save_task_token(brief_id, "offer", "offer-token", "exec", intern_id)
    cookie = sign_in(money.client, email_of(intern_id))

    listed = money.client.http.get("/api/me/engagements", headers={"Cookie": cookie}).json_body
    page = money.client.http.get("/dashboard", headers={"Cookie": cookie}).body.decode()

    assert listed == [
        {
            "brief_id": brief_id,
            "title": "Competitive analysis of three meal-kit apps",
            "status": "OFFERED",
            "pay_cents": 54_000,
            "paid_cents": 0,
        }
    ]
    assert "Answer by <time" in page
    assert f"/dashboard/engagements/{brief_id}/open" in page and "Open the offer" in page


def test_the_paid_figure_is_the_ledgers_not_the_budgets(money: Money) -> None:
    """A split moves less than the budget: the dashboard shows what the ledger moved."""
    from chalicelib.services import escrow

    intern_id = ready_intern(money)
    brief_id, token = put_brief(budget_cents=80_000)
    offered(brief_id, intern_id)
    from chalicelib.adapters.store import get_store

    get_store().update_brief(brief_id, {"intern_id": intern_id})
    money.pay(brief_id, token)
    move(brief_id, "IN_REVIEW", "DISPUTED")
    escrow.split_escrow(brief_id, 30_000)
    cookie = sign_in(money.client, email_of(intern_id))

    [row] = money.client.http.get("/api/me/engagements", headers={"Cookie": cookie}).json_body

    from chalicelib.domain import money as rules

    assert row["paid_cents"] == rules.split(80_000, 30_000, 1000).transfer_cents
    assert row["paid_cents"] < row["pay_cents"]


def test_the_express_dashboard_link_is_made_on_a_post_for_an_onboarded_account(
    money: Money,
) -> None:
    intern_id = ready_intern(money)
    cookie = sign_in(money.client, email_of(intern_id))

    done = dashboard_post(money.client, cookie, "/dashboard/stripe", {})

    assert done.status_code == 303
    assert "/_sandbox/express/acct_" in done.headers["Location"]
    waiting = ready_intern(money, onboard=False)
    cookie = sign_in(money.client, email_of(waiting))
    refused = dashboard_post(money.client, cookie, "/dashboard/stripe", {})
    assert refused.status_code == 409
    assert "finish onboarding" in refused.body.decode()


def test_an_engagement_link_opens_only_the_interns_own(money: Money) -> None:
    intern_id = ready_intern(money)
    other = ready_intern(money)
    mine, _ = put_brief("OFFERED")
    theirs, _ = put_brief("OFFERED")
    offered(mine, intern_id)
    offered(theirs, other)
    cookie = sign_in(money.client, email_of(intern_id))

    opened = dashboard_post(money.client, cookie, f"/dashboard/engagements/{mine}/open", {})
    refused = dashboard_post(money.client, cookie, f"/dashboard/engagements/{theirs}/open", {})

    assert opened.status_code == 303 and "/tasks/" in opened.headers["Location"]
    assert refused.status_code == 404


# -- profile editing -----------------------------------------------------------------------------


def test_a_profile_edit_is_validated_like_registration_and_rewrites_the_postings(
    client: Any,
) -> None:
    from chalicelib.adapters.store import get_store

    intern_id = register("ida@uni.example", skills=("excel",))
    cookie = sign_in(client, "ida@uni.example")
    good = {
        "skills": "JS, copywriting",
        "bio": "Writes product copy and landing pages; builds small web apps for student clubs.",
        "hours_per_week": "12",
        "timezone": "Europe/Paris",
        "portfolio_url": "https://ida.example",
    }

    bad = dashboard_post(
        client, cookie, "/dashboard/profile", {**good, "hours_per_week": "99", "timezone": "Mars"}
    )
    assert bad.status_code == 422
    html = bad.body.decode()
    assert "Hours per week must be" in html and "IANA" in html
    assert profile(intern_id)["skills"] == ["excel"]  # nothing changed
    assert get_store().query("SKILL#excel", "Q#")

    saved = dashboard_post(client, cookie, "/dashboard/profile", good)

    assert saved.status_code == 200 and "Profile saved" in saved.body.decode()
    stored = profile(intern_id)
    assert stored["skills"] == ["javascript", "copywriting"]
    assert stored["skills_as_written"] == ["JS", "copywriting"]
    assert stored["hours_per_week"] == 12 and stored["timezone"] == "Europe/Paris"
    assert not get_store().query("SKILL#excel", "Q#")  # the old posting is gone
    [posting] = get_store().query("SKILL#javascript", "Q#")
    fields = retrieval.posting_fields(posting)
    assert fields["intern_id"] == intern_id and fields["hours_per_week"] == 12
    assert "email" not in str(posting) and "name" not in fields


# -- the pause and matching ----------------------------------------------------------------------


def _shortlist(brief_id: str) -> list[str]:
    from chalicelib.adapters.store import get_store

    return [str(c["intern_id"]) for c in get_store().query(f"BRIEF#{brief_id}", "CANDIDATE#")]


def test_a_paused_intern_is_left_out_of_matching_until_the_day(
    client: Any, returning_employer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import clock
    from chalicelib.services import steps

    paused = register("paused@uni.example")
    available = register("available@uni.example")
    cookie = sign_in(client, "paused@uni.example")
    until = clock.today() + timedelta(days=7)

    early = dashboard_post(client, cookie, "/dashboard/pause", {"until": clock.today().isoformat()})
    assert early.status_code == 422 and "after today" in early.body.decode()
    done = dashboard_post(client, cookie, "/dashboard/pause", {"until": until.isoformat()})
    assert done.status_code == 200 and f"no new offers until {until}" in done.body.decode()

    first, _ = put_brief("SUBMITTED")
    steps.match(StepEvent(brief_id=first))
    assert _shortlist(first) == [available]

    moment = datetime.combine(until, datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: moment)
    second, _ = put_brief("SUBMITTED")
    steps.match(StepEvent(brief_id=second))
    assert sorted(_shortlist(second)) == sorted([paused, available])


def test_available_now_ends_the_pause_at_once(client: Any, returning_employer: str) -> None:
    from chalicelib.adapters import clock
    from chalicelib.adapters.store import get_store
    from chalicelib.services import steps

    intern_id = register("ida@uni.example")
    cookie = sign_in(client, "ida@uni.example")
    until = (clock.today() + timedelta(days=30)).isoformat()
    dashboard_post(client, cookie, "/dashboard/pause", {"until": until})
    later = (date.fromisoformat(until) + timedelta(days=5)).isoformat()
    dashboard_post(client, cookie, "/dashboard/pause", {"until": later})
    assert [m["until"] for m in get_store().query("PAUSED", "")] == [later]  # moved, not added

    dashboard_post(client, cookie, "/dashboard/pause", {"available_now": "yes"})

    assert "paused_until" not in profile(intern_id)
    assert not get_store().query("PAUSED", "")
    brief_id, _ = put_brief("SUBMITTED")
    steps.match(StepEvent(brief_id=brief_id))
    assert _shortlist(brief_id) == [intern_id]


# -- email preferences ---------------------------------------------------------------------------


def test_reminders_off_stops_the_interns_reminders_only(
    client: Any, returning_employer: str
) -> None:
    from chalicelib.adapters.store import get_store
    from chalicelib.services import reminders
    from tests.integration.test_interns_api import mails

    quiet = register("quiet@uni.example")
    told = register("told@uni.example")
    cookie = sign_in(client, "quiet@uni.example")
    saved = dashboard_post(client, cookie, "/dashboard/email-preferences", {})
    assert "Reminders off" in saved.body.decode()
    assert profile(quiet)["email_prefs"] == {"reminders": False}
    store = get_store()
    for intern_id in (quiet, told):
        brief_id, _ = put_brief("OFFERED")
        store.save_task_token(
            brief_id, "offer", f"t-{intern_id}", "exec", intern_id, remind_at="2000-01-01T00:00Z"
        )

    reminders.send_due()

    reminded = [m["to"] for m in mails() if m["subject"].startswith("Reminder")]
    assert reminded == ["told@uni.example"]
    assert not store.due_reminders("9999")  # the opted-out one is not tried again either

"""The intern's account (issue 14): the role linked at sign-in, the dashboard's figures,
GET /api/me/engagements, profile editing, the "not available until" pause, email preferences,
the Stripe Express dashboard link.

    link(address)                    at sign-in: the address registered a profile -> the
                                     person gets the `intern` role and its `intern_id`
    intern_id_of(person)             the signed-in intern's profile id (403 when not an intern)
    dashboard(intern_id)             offer, engagements, earnings, ratings, profile, pause, prefs
    engagements(intern_id)           GET /api/me/engagements: {brief_id, title, status,
                                     pay_cents, paid_cents}
    edit_profile / pause / set_email_prefs / express_dashboard_url / open_engagement

Money shown comes from the records that moved it: `paid_cents` is the sum of the ledger's
`intern_paid` lines for the brief (domain/ledger.py), a payout waiting or approved shows its
payout record's amount less its fee; nothing is recomputed from the budget except the offer's
pay before any payout record exists (the same rule the task page uses: domain/money.release).

Email preferences: `reminders` (the intern's reminders of an open offer, NDA or delivery) can
be turned off. Always sent, whatever the preference, because an action or money depends on
them: the offer itself, NDA / work-started / changes-requested notices, approval and payout
notices, Stripe onboarding reminders for a payout that waits for the account, offer expired or
withdrawn, sign-in links.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final

from chalicelib.adapters import clock, intern_accounts, payout_store, person_roles
from chalicelib.adapters.intern_profiles import edit as edit_postings
from chalicelib.domain import ledger, money
from chalicelib.domain.accounts import Person
from chalicelib.domain.engagement import TERMINAL, Status
from chalicelib.domain.intern import InternInvalid, parse_intern
from chalicelib.domain.skills import normalise_skills
from chalicelib.observability import logger
from chalicelib.services.errors import Forbidden, Invalid, NotAllowed, NotFound

INTERN: Final = "intern"
PAUSE_MAX_DAYS: Final = 366
EDITABLE: Final = ("skills", "bio", "hours_per_week", "timezone", "portfolio_url")
NOT_AN_INTERN: Final = (
    "This page is for interns: sign in with the address your intern profile was registered with."
)

# What happens next in each state, as the intern reads it (None: nothing left to do).
NEXT: Final[Mapping[str, str]] = {
    Status.OFFERED: "Accept or decline the offer",
    Status.NDA: "Sign the NDA",
    Status.AWAITING_FUNDING: "The employer funds escrow; then you start",
    Status.IN_PROGRESS: "Deliver the work",
    Status.DEADLINE_MISSED: "The employer decides on the missed deadline",
    Status.IN_REVIEW: "The employer reviews your delivery",
    Status.PAYOUT_APPROVAL: "Finance approves your payout",
    Status.RELEASING: "Your payout is on its way",
    Status.DISPUTED: "Finance resolves the dispute",
}
YOU_ACT: Final = frozenset({Status.OFFERED, Status.NDA, Status.IN_PROGRESS})


# -- the role -----------------------------------------------------------------------------------


def link(address: str) -> bool:
    """The person signing in with `address` is the intern who registered it: give them the
    `intern` role and the profile's id (one GetItem of the email claim; the sign-in link proved
    the address). True when the role is new."""
    intern_id = intern_accounts.intern_id_of(address)
    if intern_id is None:
        return False
    added = person_roles.grant(address, INTERN, {"intern_id": intern_id})
    if added:
        logger.info("intern role linked", extra={"intern_id": intern_id})
    return added


def intern_id_of(person: Person) -> str:
    """The profile of a signed-in intern; 403 for a person without the intern role."""
    if INTERN not in person.roles:
        raise Forbidden(NOT_AN_INTERN)
    item = person_roles.person_item(person.email) or {}
    intern_id = str(item.get("intern_id") or "")
    if not intern_id:
        raise Forbidden(NOT_AN_INTERN)
    return intern_id


# -- reading ------------------------------------------------------------------------------------


def _profile(intern_id: str) -> dict[str, Any]:
    found = intern_accounts.profile(intern_id)
    if found is None:
        raise NotFound("No intern profile for this account.")
    return found


def _ledger_paid(brief_id: str) -> int:
    """What the ledger moved to the intern for this brief (sum of `intern_paid` lines)."""
    entries = [
        ledger.entry_from_dict(i) for i in intern_accounts.brief_partition(brief_id, "LEDGER#")
    ]
    return ledger.account_totals(entries)[ledger.Account.INTERN_PAID]


def _row(intern_id: str, brief: Mapping[str, Any], holding: str) -> dict[str, Any]:
    brief_id = str(brief["brief_id"])
    status = str(brief["status"])
    mine = brief.get("intern_id") == intern_id
    offered_now = holding == brief_id and status == Status.OFFERED and not mine
    if not (mine or offered_now):
        return {  # offered once, not taken (declined, lapsed, or another intern took it)
            "brief_id": brief_id,
            "title": str(brief["title"]),
            "status": "NOT_TAKEN",
            "mine": False,
            "next_action": None,
            "you_act": False,
            "pay_cents": 0,
            "paid_cents": 0,
            "pending_cents": 0,
            "payout_status": None,
            "currency": str(brief.get("currency", "usd")),
            "company": str(brief.get("company", "")),
            "deadline": str(brief.get("deadline", "")),
        }
    payout = payout_store.payout_of(brief) if mine else None
    paid = _ledger_paid(brief_id) if mine else 0
    if payout is not None:
        pay = int(payout["amount_cents"]) - int(payout["fee_cents"])
    else:
        pay = money.release(int(brief["budget_cents"]), money.fee_bps_of(brief)).payout_cents
    payout_status = str(payout["status"]) if payout else None
    pending = pay - paid if payout_status in (payout_store.PENDING, payout_store.APPROVED) else 0
    return {
        "brief_id": brief_id,
        "title": str(brief["title"]),
        "status": status,
        "mine": mine,
        "next_action": NEXT.get(status),
        "you_act": status in YOU_ACT,
        "pay_cents": pay,
        "paid_cents": paid,
        "pending_cents": max(pending, 0),
        "payout_status": payout_status,
        "currency": str(brief.get("currency", "usd")),
        "company": str(brief.get("company", "")),
        "deadline": str(brief.get("deadline", "")),
    }


def _rows(intern_id: str, profile: Mapping[str, Any]) -> list[dict[str, Any]]:
    ids = intern_accounts.offered_briefs(intern_id)
    holding = str(profile.get("holding") or "")
    if holding and holding not in ids:  # held before markers existed
        ids.insert(0, holding)
    found = intern_accounts.briefs(ids)
    rows = []
    for brief_id in ids:
        brief = found.get(brief_id)
        if brief is not None:
            rows.append(_row(intern_id, brief, holding))
    return rows


def engagements(intern_id: str) -> list[dict[str, Any]]:
    """GET /api/me/engagements: the offer open now and every engagement the intern took."""
    rows = _rows(intern_id, _profile(intern_id))
    return [
        {k: r[k] for k in ("brief_id", "title", "status", "pay_cents", "paid_cents")}
        for r in rows
        if r["mine"] or r["status"] == Status.OFFERED
    ]


def _offer_deadline(brief_id: str) -> str | None:
    """When the open offer lapses: its wait's start plus the offer window."""
    from chalicelib.settings import get_settings

    tokens = intern_accounts.brief_partition(brief_id, "TASKTOKEN#offer")
    if not tokens or not tokens[0].get("created_at"):
        return None
    start = datetime.fromisoformat(str(tokens[0]["created_at"]).replace("Z", "+00:00"))
    return clock.iso(start + timedelta(seconds=get_settings().windows.offer_seconds))


def _ratings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if row["mine"] and row["status"] == Status.COMPLETED:
            for item in intern_accounts.brief_partition(row["brief_id"], "RATING#employer"):
                out.append(
                    {
                        "title": row["title"],
                        "score": int(item["score"]),
                        "text": str(item.get("text") or ""),
                        "at": str(item.get("at", "")),
                    }
                )
    return out


def dashboard(intern_id: str) -> dict[str, Any]:
    """Everything the intern's dashboard shows (read-only)."""
    profile = _profile(intern_id)
    rows = _rows(intern_id, profile)
    offer = next((r for r in rows if not r["mine"] and r["status"] == Status.OFFERED), None)
    if offer is not None:
        offer = {**offer, "answer_by": _offer_deadline(offer["brief_id"])}
    mine = [r for r in rows if r["mine"]]
    currencies = sorted({r["currency"] for r in mine}) or ["usd"]
    earnings = {
        c: {
            "paid_cents": sum(r["paid_cents"] for r in mine if r["currency"] == c),
            "pending_cents": sum(r["pending_cents"] for r in mine if r["currency"] == c),
        }
        for c in currencies
    }
    prefs = profile.get("email_prefs") or {}
    paused = str(profile.get("paused_until") or "")
    if paused and paused <= clock.today().isoformat():
        paused = ""  # the day has come: available again
    return {
        "intern_id": intern_id,
        "name": str(profile.get("name", "")),
        "offer": offer,
        "current": [r for r in mine if Status(r["status"]) not in TERMINAL],
        "past": [r for r in mine if Status(r["status"]) in TERMINAL],
        "earnings": earnings,
        "payouts": [r for r in mine if r["payout_status"]],
        "ratings": _ratings(rows),
        "profile": {
            "skills": ", ".join(profile.get("skills_as_written") or profile.get("skills") or []),
            "bio": str(profile.get("bio", "")),
            "hours_per_week": int(profile.get("hours_per_week", 0)),
            "timezone": str(profile.get("timezone") or "UTC"),
            "portfolio_url": str(profile.get("portfolio_url") or ""),
        },
        "paused_until": paused,
        "reminders": prefs.get("reminders", True) is not False,
        "stripe_connected": bool(profile.get("stripe_account_id")),
        "payout_ready": bool(profile.get("payout_ready")),
    }


# -- changing -----------------------------------------------------------------------------------


def edit_profile(intern_id: str, data: Mapping[str, Any]) -> None:
    """Skills, bio, hours per week, time zone, portfolio: validated by the registration's own
    rules (domain/intern.py), stored and the skill postings rewritten in one transaction."""
    profile = _profile(intern_id)
    given = {k: data.get(k) for k in EDITABLE}
    try:
        parsed = parse_intern(
            {"name": profile.get("name") or "Intern", "email": profile["email"], **given}
        )
    except InternInvalid as exc:
        raise Invalid(exc.errors) from None
    changes = {
        "skills": normalise_skills(parsed.skills),
        "bio": parsed.bio,
        "hours_per_week": parsed.hours_per_week,
        "timezone": parsed.timezone,
        "portfolio_url": parsed.portfolio_url or "",
    }
    written = {"skills_as_written": list(parsed.skills), "profile_edited_at": clock.iso()}
    if not edit_postings(intern_id, changes, written):
        raise NotFound("No intern profile for this account.")
    logger.info("intern profile edited", extra={"intern_id": intern_id})


def pause(intern_id: str, until: object) -> date | None:
    """ "Not available until <date>" (empty: available now). The date must be after today and
    within a year. Matching leaves a paused intern out until that day."""
    text = str(until or "").strip()
    today = clock.today()
    day: date | None = None
    if text:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise Invalid([{"field": "until", "message": "Give a date like 2026-12-31."}]) from None
        if day <= today:
            raise Invalid([{"field": "until", "message": "Give a date after today."}])
        if day > today + timedelta(days=PAUSE_MAX_DAYS):
            raise Invalid([{"field": "until", "message": "Pause for at most a year."}])
    _profile(intern_id)
    from chalicelib.adapters.store import Conflict

    try:
        intern_accounts.set_pause(intern_id, day)
    except Conflict:
        raise NotAllowed("Your availability changed meanwhile: reload and try again.") from None
    return day


def set_email_prefs(intern_id: str, *, reminders: bool) -> None:
    _profile(intern_id)
    intern_accounts.set_fields(intern_id, {"email_prefs": {"reminders": reminders}})


def express_dashboard_url(intern_id: str) -> str:
    """A fresh login link to the intern's Stripe Express dashboard (single use, so made on the
    intern's POST, never on a page view). 409 before the Stripe account is connected."""
    from chalicelib.adapters import stripe_gateway

    account = str(_profile(intern_id).get("stripe_account_id") or "")
    if not account:
        raise NotAllowed("Connect your Stripe account first (the link is in your welcome email).")
    try:
        return stripe_gateway.create_login_link(account)
    except stripe_gateway.StripeRejected:
        raise NotAllowed(
            "Stripe has not finished setting up your account yet: finish onboarding first."
        ) from None


def open_engagement(intern_id: str, brief_id: str) -> str:
    """A fresh task link to one of the intern's engagements (or the open offer); 404 for a
    brief that is not theirs."""
    from chalicelib.services.access import issue_task_link

    profile = _profile(intern_id)
    brief = intern_accounts.briefs([brief_id]).get(brief_id)
    known = [*intern_accounts.offered_briefs(intern_id), str(profile.get("holding") or "")]
    if brief is None or brief_id not in known:
        raise NotFound("No engagement of yours with this id.")
    row = _row(intern_id, brief, str(profile.get("holding") or ""))
    if not (row["mine"] or row["status"] == Status.OFFERED):
        raise NotFound("No engagement of yours with this id.")
    return issue_task_link(brief_id, intern_id)

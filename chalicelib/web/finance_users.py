"""Finance people on the finance page (issue 14): decisions that name who took them, and the
team an owner manages.

    finance_person(headers)     the signed-in person if they have the `finance` role; None
                                signed out; 403 (Forbidden) for a person without the role
    decide_post(action, subject_id, headers, body)
                                POST /finance/payouts/{payout_id}/approve | /reject (reason),
                                POST /finance/disputes/{brief_id}/resolve (resolution,
                                intern_share_cents): CSRF, the person's session, a form nonce;
                                303 back to /finance?done=<action>
    team_post(headers, body)    POST /finance/team (email, remove=yes to take the role away):
                                finance owners only
    dashboard(person, headers)  /dashboard for a finance person: 303 to /finance

The finance key's session (web/finance_session.py) still opens the page read-only, for the
transition: it names nobody, so it shows no decision buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.services import finance_desk, finance_users
from chalicelib.web.account_session import current_person
from chalicelib.web.person_forms import person_post, see_other

DONE: Final[Mapping[str, str]] = {
    "approve": "Payout approved: it is recorded with your address and the release starts.",
    "retry": "Retry requested: recorded with your address; the money step runs again now.",
    "reject": "Payout held: the intern and the employer are told; resolve it when ready.",
    "resolve": "Dispute resolved: recorded with your address; the money moves now.",
    "invited": "Finance user added: they were emailed where to sign in.",
    "removed": "Finance user removed: their sessions no longer open the finance page.",
}


def wants(person: Person) -> bool:
    return finance_users.FINANCE in person.roles


def finance_person(headers: Mapping[str, str]) -> Person | None:
    person = current_person(headers)
    if person is None:
        return None
    return finance_users.require_finance(person)


def dashboard(person: Person, headers: Mapping[str, str]) -> Response:
    return _back("")


def _back(done: str) -> Response:
    return see_other(links.href("/finance") + (f"?done={done}" if done else ""))


def _finance_post(
    headers: Mapping[str, str],
    body: bytes | str | None,
    act: Callable[[Person, dict[str, str]], Response],
) -> Response:
    """A finance person's form (web/person_forms): CSRF, their session, the `finance` role."""
    return person_post(
        headers,
        body,
        require=finance_users.require_finance,
        act=act,
        hint="Reload the finance page and decide again.",
        back=(links.href("/finance"), "Back to the finance page"),
    )


def decide_post(
    action: str, subject_id: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    def act(person: Person, form: dict[str, str]) -> Response:
        nonce = form.get("nonce", "")
        if action == "approve":
            finance_desk.approve(person, subject_id, nonce)
        elif action == "reject":
            finance_desk.reject(person, subject_id, form.get("reason", ""), nonce)
        elif action == "retry":
            finance_desk.retry(person, subject_id, nonce)
        else:
            finance_desk.resolve(
                person,
                subject_id,
                form.get("resolution", ""),
                form.get("intern_share_cents", ""),
                nonce,
            )
        return _back(action)

    return _finance_post(headers, body, act)


def team_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    def act(person: Person, form: dict[str, str]) -> Response:
        removing = form.get("remove") == "yes"
        if removing:
            finance_users.remove(person, form.get("email", ""))
        else:
            finance_users.invite(person, form.get("email", ""))
        return _back("removed" if removing else "invited")

    return _finance_post(headers, body, act)


def page_context(person: Person | None, query: Mapping[str, str]) -> dict[str, Any]:
    """What finance.html adds for a signed-in finance person (decision forms, the team)."""
    import secrets

    owner = bool(
        person
        and finance_users.FINANCE_OWNER in person.roles
        and person.email in finance_users.owner_addresses()
    )
    return {
        "person": person,
        "decide": person is not None,
        "owner": owner,
        "team": finance_users.users() if person is not None else [],
        "done": DONE.get(str(query.get("done", "")), ""),
        "nonce": secrets.token_urlsafe(16),
    }

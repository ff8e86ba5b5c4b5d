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

from collections.abc import Mapping
from typing import Any, Final

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.services import finance_desk, finance_users
from chalicelib.services.errors import AppError
from chalicelib.web import csrf, forms
from chalicelib.web.account_session import current_person
from chalicelib.web.pages import error_page, page

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
    path = links.href("/finance") + (f"?done={done}" if done else "")
    return Response(
        body="",
        status_code=303,
        headers={"Location": path, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


def _checked(
    headers: Mapping[str, str], body: bytes | str | None
) -> tuple[Person | None, dict[str, str], Response | None]:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get(csrf.FIELD))
    except csrf.CsrfError as exc:
        refused = page(
            "error.html",
            status=403,
            tokened=True,
            heading="Please try again",
            message=str(exc),
            hint="Reload the finance page and decide again.",
        )
        return None, form, refused
    try:
        person = finance_person(headers)
    except AppError as exc:
        return None, form, error_page(exc, back=(links.href("/dashboard"), "Your dashboard"))
    if person is None:
        return None, form, _to_signin()
    return person, form, None


def _to_signin() -> Response:
    return Response(
        body="",
        status_code=303,
        headers={"Location": links.href("/signin"), "Cache-Control": "no-store"},
    )


def decide_post(
    action: str, subject_id: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    person, form, refused = _checked(headers, body)
    if refused is not None or person is None:
        return refused or _to_signin()
    nonce = form.get("nonce", "")
    try:
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
    except AppError as exc:
        return error_page(exc, back=(links.href("/finance"), "Back to the finance page"))
    return _back(action)


def team_post(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    person, form, refused = _checked(headers, body)
    if refused is not None or person is None:
        return refused or _to_signin()
    removing = form.get("remove") == "yes"
    try:
        if removing:
            finance_users.remove(person, form.get("email", ""))
        else:
            finance_users.invite(person, form.get("email", ""))
    except AppError as exc:
        return error_page(exc, back=(links.href("/finance"), "Back to the finance page"))
    return _back("removed" if removing else "invited")


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

"""GET /dashboard: the signed-in person's dashboard, chosen by role.

    DASHBOARDS   (who it is for, the page): the first whose predicate wants the person draws
                 the dashboard; a person nobody wants gets the welcome page ("post a brief",
                 "join as an intern"). The intern and finance dashboards add their line here.

Every dashboard takes (person, request headers, notice) and renders with `form_page` (its
account bar carries the sign-out forms); `notice` is the `?notice=` of a redirect after an
action (the feedback line).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain.accounts import Person
from chalicelib.web import org_views
from chalicelib.web.account_session import current_person
from chalicelib.web.pages import form_page

Dashboard = Callable[[Person, Mapping[str, str], str], Response]


def _intern(person: Person, headers: Mapping[str, str], notice: str) -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.dashboard(person, headers, notice=notice)


def _finance(person: Person, headers: Mapping[str, str], notice: str) -> Response:
    from chalicelib.web import finance_users

    return finance_users.dashboard(person, headers)


# An employer who is also an intern sees the organisation's briefs first (the intern's own
# page is one link away); a finance person is sent to /finance.
DASHBOARDS: list[tuple[Callable[[Person], bool], Dashboard]] = [
    (lambda p: p.is_employer, lambda p, h, n: org_views.employer_dashboard(p, h, notice=n)),
    (lambda p: "intern" in p.roles, _intern),
    (lambda p: "finance" in p.roles, _finance),
]


def dashboard(headers: Mapping[str, str], notice: str = "") -> Response:
    person = current_person(headers)
    if person is None:
        return Response(
            body="",
            status_code=303,
            headers={"Location": links.href("/signin"), "Cache-Control": "no-store"},
        )
    for wants, show in DASHBOARDS:
        if wants(person):
            return show(person, headers, notice)
    return form_page("dashboard_welcome.html", headers, tokened=True, person=person)

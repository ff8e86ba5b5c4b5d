"""Who is told what, by name, with the link their next step needs: the rating emails open the
page where each party rates, and an intern hears when their offer lapses or the employer
cancels while they hold it (once, however often the step runs)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.services.steps import StepEvent
from tests.integration.conftest import sent_emails
from tests.integration.test_email_figures import Journey, Sent, emails_since
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    escrow_sandbox_fixture,
    money_fixture,
    put_brief,
    ready_intern,
)
from tests.integration.test_finance_webhooks import (  # noqa: F401 - fixtures
    Finance,
    finance,
    receiver,
)

ACTION = re.compile(r'<a class="button" data-action="primary" href="([^"]+)"')


def _action(mail: Sent) -> str:
    match = ACTION.search(mail.html)
    assert match, f"{mail.kind} has no button"
    url = match.group(1).replace("&amp;", "&")
    assert url.startswith("http://testserver/")
    return url.removeprefix("http://testserver")


def test_the_rating_emails_open_the_page_where_each_party_rates(
    finance: Finance,  # noqa: F811 - the imported fixture
) -> None:
    journey = Journey(money=finance.money, finance=finance)
    start = len(sent_emails())
    journey.complete()

    released = {m.to[0]: m for m in emails_since(start) if m.kind == "released"}
    employer = released["dana@freshbox.example"]
    (intern,) = [m for address, m in released.items() if address != "dana@freshbox.example"]

    assert "Rate your intern" in employer.html and "Rate your intern:\nhttp" in employer.text
    assert "Rate the employer" in intern.html and "Rate the employer:\nhttp" in intern.text
    manage = _action(employer)
    assert manage.startswith(f"/briefs/{journey.brief_id}?key=")
    task = _action(intern)
    assert task.startswith("/tasks/")
    client = finance.money.client
    for path, form in ((manage, f"/briefs/{journey.brief_id}/rate"), (task, "/rate")):
        page = client.http.get(path)
        assert page.status_code == 200
        assert re.search(
            rf'<form method="post" action="[^"]*{re.escape(form)}"', page.body.decode()
        )


def _offered(status: str = "OFFERED", *, engaged: bool = False, money: Money) -> tuple[str, str]:
    """A brief whose offer (or NDA) wait is open for a registered intern: (brief_id, intern)."""
    from chalicelib.adapters.store import get_store

    intern_id = ready_intern(money, onboard=False)
    brief_id, token = put_brief(status, intern_id=intern_id if engaged else None)
    store = get_store()
    store.put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "CANDIDATE#00",
            "type": "candidate",
            "intern_id": intern_id,
            "offer_status": "accepted" if engaged else "offered",
        }
    )
    kind = "nda" if status == "NDA" else "offer"
    store.save_task_token(brief_id, kind, f"{kind}-token-{brief_id}", f"exec-{brief_id}", intern_id)
    return brief_id, token


@pytest.mark.parametrize(("status", "words"), [("OFFERED", "not answered"), ("NDA", "NDA for")])
def test_an_intern_whose_offer_lapses_is_told_once(money: Money, status: str, words: str) -> None:
    from chalicelib.services import steps

    brief_id, _ = _offered(status, engaged=status == "NDA", money=money)
    start = len(sent_emails())
    kind = "nda" if status == "NDA" else "offer"

    steps.window_closed(StepEvent(brief_id=brief_id, kind=kind))  # type: ignore[arg-type]
    steps.window_closed(StepEvent(brief_id=brief_id, kind=kind))  # type: ignore[arg-type]

    (lapsed,) = emails_since(start)
    assert lapsed.kind == "offer_expired" and lapsed.to[0].startswith("sam.")
    assert lapsed.text.startswith("Hi Sam,")
    assert words in lapsed.text and "gone to another intern" in lapsed.text
    assert "has lapsed" in lapsed.subject


def test_an_intern_holding_the_offer_is_told_when_the_employer_cancels(
    money: Money, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.adapters import workflow
    from chalicelib.services import steps

    failed: list[tuple[str, str]] = []
    monkeypatch.setattr(
        workflow, "fail", lambda token, error, cause="": failed.append((token, error))
    )
    brief_id, token = _offered(money=money)
    start = len(sent_emails())

    cancel = money.client.http.post(
        f"/api/briefs/{brief_id}/cancel",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body="{}",
    )
    assert cancel.status_code in (200, 202), cancel.body
    assert failed == [(f"offer-token-{brief_id}", "Cancelled")]
    steps.refund(StepEvent(brief_id=brief_id))
    for _ in range(2):  # a retried step tells nobody twice
        steps.settle(StepEvent(brief_id=brief_id, status="CANCELLED"))

    sent = emails_since(start)
    by_kind: dict[str, list[Sent]] = {}
    for mail in sent:
        by_kind.setdefault(mail.kind, []).append(mail)
    assert sorted(by_kind) == ["cancelled", "offer_withdrawn"]
    (withdrawn,) = by_kind["offer_withdrawn"]
    assert withdrawn.to[0].startswith("sam.") and withdrawn.text.startswith("Hi Sam,")
    assert "FreshBox cancelled" in withdrawn.text and "withdrawn" in withdrawn.subject
    (employer,) = by_kind["cancelled"]
    assert employer.to == ("dana@freshbox.example",) and employer.text.startswith("Hi Dana,")
    assert "nothing was charged" in employer.text


def test_the_engaged_intern_hears_that_the_employer_cancelled(
    finance: Finance,  # noqa: F811 - the imported fixture
) -> None:
    journey = Journey(money=finance.money, finance=finance)
    start = len(sent_emails())
    journey.cancel_after_funding()

    cancelled: dict[str, Any] = {m.to[0]: m for m in emails_since(start) if m.kind == "cancelled"}
    intern = next(m for address, m in cancelled.items() if address.startswith("sam."))
    assert intern.text.startswith("Hi Sam,")
    assert "The employer cancelled the project." in intern.text
    assert _action(intern).startswith("/tasks/")
    assert _action(cancelled["dana@freshbox.example"]).startswith(f"/briefs/{journey.brief_id}")


def test_both_parties_hear_that_escrow_was_not_funded_in_time(money: Money) -> None:
    from chalicelib.services import steps

    intern_id = ready_intern(money, onboard=False)
    brief_id, _ = put_brief(intern_id=intern_id)
    start = len(sent_emails())

    steps.window_closed(StepEvent(brief_id=brief_id, kind="funding"))
    steps.refund(StepEvent(brief_id=brief_id))
    steps.settle(StepEvent(brief_id=brief_id, status="CANCELLED"))

    told = {m.to[0]: m for m in emails_since(start) if m.kind == "cancelled"}
    assert len(told) == 2
    for mail in told.values():
        assert "Escrow was not funded in time." in mail.text
    assert "nothing was charged" in told["dana@freshbox.example"].text

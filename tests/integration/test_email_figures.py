"""Every money figure in every email equals the ledger's.

Engagements are driven to each money ending — completed, dispute resolved by release, refund or
split, cancelled after funding — with the Stripe sandbox over HTTP, the finance webhooks signed
and the workflow's steps run as the state machine runs them. Then every "USD 123.45" in the
subject, the text part and the HTML part of every email sent about the brief is read with the
words before it ("released", "fee", "refunded", "in escrow", ...) and must equal that figure of
the brief's ledger entries: what the intern was paid, the platform fee, the refund, the amount
funded. A figure no phrase names fails too, so a new email cannot state money unchecked.

Every email about the brief also greets its reader by name and carries a link.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.services.steps import StepEvent
from tests.integration.conftest import sent_emails
from tests.integration.test_escrow_support import (  # noqa: F401 - fixtures
    Money,
    brief,
    escrow_sandbox_fixture,
    money_fixture,
    put_brief,
    ready_intern,
)
from tests.integration.test_finance_webhooks import (  # noqa: F401 - fixtures
    Finance,
    finance,
    receiver,
    wait_opens,
)

EMPLOYER = "dana@freshbox.example"  # put_brief's employer, Dana Reyes
BUDGET = 60_000

# The words that name a figure -> the ledger figure it must equal. The phrase nearest before
# the amount on its line names it (else the nearest after it).
PHRASES: tuple[tuple[str, str], ...] = (
    ("platform fee", "fee"),
    ("fee", "fee"),
    ("refunded", "refunded"),
    ("refund", "refunded"),
    ("released", "intern_paid"),
    ("received", "intern_paid"),
    ("on its way", "intern_paid"),
    ("to the intern", "intern_paid"),
    ("to your intern", "intern_paid"),
    ("you earn", "intern_paid"),
    ("payout", "intern_paid"),
    ("paid", "intern_paid"),
    ("in escrow", "funded"),
    ("escrow", "funded"),
    ("funded", "funded"),
    ("amount", "funded"),
)
AMOUNT = re.compile(r"\bUSD (\d{1,3}(?:,\d{3})*\.\d{2})\b")


@dataclass(frozen=True)
class Sent:
    to: tuple[str, ...]
    kind: str
    subject: str
    text: str
    html: str

    def parts(self) -> dict[str, str]:
        return {"subject": self.subject, "text": self.text, "html": readable(self.html)}


def readable(markup: str) -> str:
    """The words of an HTML email, a table row or paragraph per line."""
    markup = re.sub(r"(?is)<(head|style|title)\b.*?</\1>", " ", markup)
    markup = re.sub(r"\s+", " ", markup)
    markup = re.sub(r"(?i)</(tr|p|h1|h2|li|div|blockquote)>|<br\s*/?>", "\n", markup)
    markup = re.sub(r"(?i)</td>", " : ", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def emails_since(start: int) -> list[Sent]:
    out = []
    for raw in sent_emails()[start:]:
        message = email.message_from_string(raw.raw_data, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        markup = message.get_body(preferencelist=("html",))
        out.append(
            Sent(
                to=tuple(a.strip() for a in str(message["To"]).split(",")),
                kind=str(message["X-Microintern-Kind"]),
                subject=str(message["Subject"]),
                text=text.get_content() if text else "",
                html=markup.get_content() if markup else "",
            )
        )
    return out


def figures_named(text: str) -> list[tuple[str | None, int, str]]:
    """(ledger figure named, cents, the line) for every amount in `text`: the phrase nearest
    before it since the previous amount on its line, else the nearest after it up to the next."""
    found: list[tuple[str | None, int, str]] = []
    for line in text.splitlines():
        lowered = line.lower()
        matches = list(AMOUNT.finditer(line))
        for i, match in enumerate(matches):
            since = matches[i - 1].end() if i else 0
            until = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            cents = int(match.group(1).replace(",", "").replace(".", ""))
            before = _nearest(lowered[since : match.start()], last=True)
            after = _nearest(lowered[match.end() : until], last=False)
            found.append((before or after, cents, line.strip()))
    return found


def _nearest(text: str, *, last: bool) -> str | None:
    best: tuple[int, str] | None = None
    for phrase, figure in PHRASES:
        at = text.rfind(phrase) if last else text.find(phrase)
        if at < 0:
            continue
        score = at + len(phrase) if last else -at
        if best is None or score > best[0]:
            best = (score, figure)
    return best[1] if best else None


def ledger_figures(brief_id: str) -> dict[str, int]:
    from chalicelib.adapters.escrow_store import brief_journal
    from chalicelib.domain.ledger import Account, account_totals

    totals = account_totals(brief_journal(brief_id))
    return {
        "funded": -totals[Account.EMPLOYER_FUNDS],
        "intern_paid": totals[Account.INTERN_PAID],
        "fee": totals[Account.PLATFORM_FEE],
        "refunded": totals[Account.REFUNDED],
    }


def wrong_figures(sent: list[Sent], ledger: dict[str, int]) -> list[str]:
    wrong = []
    for mail in sent:
        for part, text in mail.parts().items():
            for figure, cents, line in figures_named(text):
                if figure is None or ledger[figure] != cents:
                    expected = "no ledger figure named" if figure is None else ledger[figure]
                    wrong.append(f"{mail.kind} ({part}): {line!r} — ledger: {expected}")
    return wrong


# -- the journeys -----------------------------------------------------------------------------


@dataclass
class Journey:
    money: Money
    finance: Finance
    brief_id: str = ""
    token: str = ""
    intern_id: str = ""

    def api(self, action: str, body: dict[str, Any] | None = None) -> Any:
        response = self.money.client.http.post(
            f"/api/briefs/{self.brief_id}/{action}",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
            body=json.dumps(body or {}),
        )
        assert response.status_code in (200, 202), response.body
        return response

    def step(self, name: str, **fields: Any) -> Any:
        from chalicelib.services import steps

        return getattr(steps, name)(StepEvent(brief_id=self.brief_id, **fields))

    def funded_and_delivered(self) -> None:
        """Offer accepted (the employer asked to fund), funded, work started and delivered."""
        self.intern_id = ready_intern(self.money)
        self.brief_id, self.token = put_brief(intern_id=self.intern_id, budget_cents=BUDGET)
        wait_opens(self.brief_id, "funding", f"funding-token-{self.brief_id}")
        self.money.pay(self.brief_id, self.token)
        wait_opens(self.brief_id, "work", f"work-token-{self.brief_id}")
        wait_opens(self.brief_id, "review", f"review-token-{self.brief_id}")

    def complete(self) -> None:
        self.funded_and_delivered()
        self.api("review", {"decision": "approve", "comment": ""})
        wait_opens(self.brief_id, "payout", f"payout-token-{self.brief_id}")
        payout_id = str(brief(self.brief_id)["payout"]["payout_id"])
        assert self.finance.approve(payout_id).status_code == 200
        self.step("release")
        self.step("settle", status="COMPLETED")

    def dispute(self, resolution: str, share: int | None = None) -> None:
        self.funded_and_delivered()
        self.api("review", {"decision": "dispute", "comment": "The spreadsheet is empty."})
        wait_opens(self.brief_id, "dispute", f"dispute-token-{self.brief_id}")
        answer = self.finance.resolve(self.brief_id, resolution, share)
        assert answer.status_code == 200, answer.body
        if resolution == "refund":
            self.step("refund")
            self.step("settle", status="REFUNDED")
        else:
            self.step("release")
            self.step("settle", status="COMPLETED")

    def cancel_after_funding(self) -> None:
        self.intern_id = ready_intern(self.money)
        self.brief_id, self.token = put_brief(intern_id=self.intern_id, budget_cents=BUDGET)
        wait_opens(self.brief_id, "funding", f"funding-token-{self.brief_id}")
        self.money.pay(self.brief_id, self.token)
        wait_opens(self.brief_id, "work", f"work-token-{self.brief_id}")
        wait_opens(self.brief_id, "deadline", f"deadline-token-{self.brief_id}")
        self.api("cancel")
        self.step("refund")
        self.step("settle", status="CANCELLED")


ENDINGS: dict[str, Callable[[Journey], None]] = {
    "completed": Journey.complete,
    "dispute-release": lambda j: j.dispute("release"),
    "dispute-refund": lambda j: j.dispute("refund"),
    "dispute-split": lambda j: j.dispute("split", 33_333),
    "cancelled-after-funding": Journey.cancel_after_funding,
}
EXPECTED = {  # the ledger each ending must reach (so the check below compares real figures)
    "completed": {"funded": 60_000, "intern_paid": 54_000, "fee": 6_000, "refunded": 0},
    "dispute-release": {"funded": 60_000, "intern_paid": 54_000, "fee": 6_000, "refunded": 0},
    "dispute-refund": {"funded": 60_000, "intern_paid": 0, "fee": 0, "refunded": 60_000},
    "dispute-split": {"funded": 60_000, "intern_paid": 30_000, "fee": 3_333, "refunded": 26_667},
    "cancelled-after-funding": {"funded": 60_000, "intern_paid": 0, "fee": 0, "refunded": 60_000},
}


@pytest.fixture(name="desk")
def desk_fixture(finance: Finance) -> Finance:  # noqa: F811 - the imported fixture
    """The app, the Stripe sandbox and a finance desk that signs its webhooks."""
    return finance


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_money_figure_in_every_email_equals_the_ledgers(ending: str, desk: Finance) -> None:
    journey = Journey(money=desk.money, finance=desk)
    start = len(sent_emails())

    ENDINGS[ending](journey)

    ledger = ledger_figures(journey.brief_id)
    assert ledger == EXPECTED[ending]
    sent = emails_since(start)
    stated = [f for m in sent for t in m.parts().values() for f in figures_named(t)]
    assert len(stated) >= 4, "the journey's emails state money"
    wrong = wrong_figures(sent, ledger)
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_email_about_a_brief_greets_by_name_and_links_to_its_page(
    ending: str, desk: Finance
) -> None:
    journey = Journey(money=desk.money, finance=desk)
    start = len(sent_emails())

    ENDINGS[ending](journey)

    sent = emails_since(start)
    assert {"released", "cancelled"} & {m.kind for m in sent}
    for mail in sent:
        first_line = mail.text.splitlines()[0]
        if mail.to == (EMPLOYER,):
            assert first_line == "Hi Dana,", mail.kind
        elif mail.kind in ("payout_approval_requested", "dispute_opened", "money_delayed") and (
            "finance" in mail.to[0]
        ):
            assert first_line == "Hello finance team,", mail.kind
        else:
            assert first_line == "Hi Sam,", mail.kind
        assert re.search(r'href="https?://', mail.html), f"{mail.kind} has no link"


# -- the check itself -------------------------------------------------------------------------


def test_the_check_reads_each_figure_by_the_words_that_name_it() -> None:
    ledger = {"funded": 50_000, "intern_paid": 45_000, "fee": 5_000, "refunded": 0}
    wrong = Sent((EMPLOYER,), "released", "x", "We released USD 500.00 to your intern.\n", "")
    right = Sent(
        (EMPLOYER,),
        "released",
        "USD 450.00 released for “x”",
        "Released to your intern: USD 450.00\nPlatform fee: USD 50.00\n",
        "<table><tr><td>In escrow</td><td>USD 500.00</td></tr></table>",
    )
    finance_before = Sent(
        ("f@x",), "payout_approval_requested", "x", "Escrow released: USD 500.00\n", ""
    )
    unnamed = Sent(("f@x",), "x", "x", "Total USD 500.00\n", "")

    assert wrong_figures([right], ledger) == []
    assert len(wrong_figures([wrong], ledger)) == 1
    assert len(wrong_figures([finance_before], ledger)) == 1
    assert wrong_figures([unnamed], ledger) == [
        "x (text): 'Total USD 500.00' — ledger: no ledger figure named"
    ]

"""Every email kind renders a subject, a text part and an HTML part that readers can trust."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.emails import KINDS, SUBJECTS, Email, render_email

TEMPLATES = Path(__file__).parents[2] / "chalicelib" / "adapters" / "templates" / "emails"
HOSTILE = '<script>alert("x")</script> & <b>Co</b>'
URL = "https://app.microintern.example/tasks/tok_123?step=accept&from=mail"
WINDOW_END = datetime(2025, 3, 3, 17, 0, tzinfo=UTC)
DEADLINE = date(2025, 3, 14)

# The smallest context each kind needs, with hostile text wherever people type it.
CONTEXTS: dict[str, dict[str, Any]] = {
    "brief_received": {"title": HOSTILE, "action_url": URL},
    "unmatched": {
        "title": HOSTILE,
        "reason": "Nobody available lists <Rust>",
        "advice": ["Add <Python> as a nice-to-have skill", "Move the deadline out"],
        "action_url": URL,
    },
    "offer": {
        "title": HOSTILE,
        "company": "Acme <Labs>",
        "hours": 12,
        "pay_cents": 21_600,
        "currency": "usd",
        "deadline": DEADLINE,
        "window_end": WINDOW_END,
        "action_url": URL,
    },
    "offer_accepted": {
        "title": HOSTILE,
        "amount_cents": 24_000,
        "currency": "usd",
        "window_end": WINDOW_END,
        "nda_signed": True,
        "action_url": URL,
    },
    "funding_request": {
        "title": HOSTILE,
        "amount_cents": 24_000,
        "currency": "usd",
        "window_end": WINDOW_END,
        "action_url": URL,
    },
    "work_started": {"title": HOSTILE, "deadline": DEADLINE, "action_url": URL},
    "delivery_received": {
        "title": HOSTILE,
        "window_end": WINDOW_END,
        "summary": "Done, see <a href=x>here</a>",
        "action_url": URL,
    },
    "changes_requested": {
        "title": HOSTILE,
        "comment": "Please fix the <img src=x onerror=alert(1)> chart",
        "action_url": URL,
    },
    "approved": {"title": HOSTILE, "pay_cents": 21_600, "currency": "usd"},
    "payout_pending": {"title": HOSTILE, "pay_cents": 21_600, "currency": "usd"},
    "payout_approval_requested": {
        "title": HOSTILE,
        "payout_id": "po_42",
        "brief_id": "br_7",
        "intern_id": "in_9",
        "amount_cents": 24_000,
        "fee_cents": 2_400,
        "pay_cents": 21_600,
        "currency": "usd",
    },
    "released": {"title": HOSTILE, "role": "intern", "amount_cents": 21_600, "currency": "usd"},
    "cancelled": {"title": HOSTILE, "role": "employer", "refunded": True, "refund_cents": 24_000},
    "dispute_opened": {"title": HOSTILE, "role": "finance", "brief_id": "br_7"},
    "money_delayed": {
        "title": HOSTILE,
        "role": "intern",
        "movement": "payout",
        "amount_cents": 21_600,
        "currency": "usd",
        "reason": "Stripe refused it: No such destination <acct_x>",
        "brief_id": "br_7",
        "window_end": WINDOW_END,
    },
    "reminder": {
        "title": HOSTILE,
        "waiting_for": "fund escrow",
        "window_end": WINDOW_END,
        "action_url": URL,
        "action_label": "Fund escrow",
    },
    "connect_onboarding": {"action_url": URL},
    "intern_welcome": {"action_url": URL, "skills": ["python", "sql"]},
    "offer_withdrawn": {"title": HOSTILE},
    "offer_expired": {"title": HOSTILE, "stage": "offer"},
    "confirm_address": {"purpose": "brief", "window_end": WINDOW_END, "action_url": URL},
    "new_messages": {"title": HOSTILE, "role": "intern", "count": 3, "action_url": URL},
    "hiring_interest": {"title": HOSTILE, "company": HOSTILE, "action_url": URL},
    "contact_shared": {
        "title": HOSTILE,
        "intern_name": HOSTILE,
        "intern_email": "ada@uni.example",
    },
    "sign_in": {"window_end": WINDOW_END, "action_url": URL},
    "finance_invite": {"invited_by": "ana@finance.example", "action_url": URL},
    "organisation_invite": {
        "organisation": HOSTILE,
        "invited_by": "dana@freshbox.example",
        "role": "member",
        "window_end": WINDOW_END,
        "action_url": URL,
    },
}
INFORMATIVE = {
    "contact_shared",
    "approved",
    "payout_pending",
    "payout_approval_requested",
    "released",
    "cancelled",
    "dispute_opened",
    "money_delayed",
    "offer_withdrawn",
    "offer_expired",
}
# What each subject must say so the reader knows what the email is about before opening it.
SUBJECT_WORDS = {
    "brief_received": "received your brief",
    "unmatched": "No intern matched",
    "offer": "USD 216.00",
    "offer_accepted": "fund escrow",
    "funding_request": "Mon 3 Mar 2025",
    "work_started": "start work",
    "delivery_received": "review",
    "changes_requested": "Changes requested",
    "approved": "approved",
    "payout_pending": "awaiting finance",
    "payout_approval_requested": "po_42",
    "released": "on its way",
    "cancelled": "cancelled and refunded",
    "dispute_opened": "Dispute",
    "money_delayed": "payout is delayed",
    "reminder": "Reminder: fund escrow",
    "connect_onboarding": "Stripe",
    "intern_welcome": "Welcome",
    "offer_withdrawn": "offer is withdrawn",
    "offer_expired": "has lapsed",
    "confirm_address": "Confirm your email address",
    "new_messages": "3 new messages",
    "hiring_interest": "interested in hiring you",
    "contact_shared": "shared their contact details",
    "sign_in": "sign-in link",
    "organisation_invite": "invited you to",
    "finance_invite": "finance team",
}


class _Buttons(HTMLParser):
    """Collects the hrefs of the email's action buttons (<a class="button">)."""

    def __init__(self) -> None:
        super().__init__()
        self.buttons: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and "button" in (attributes.get("class") or "").split():
            self.buttons.append(attributes.get("href") or "")
        if tag in {"script", "img", "b"}:
            self.scripts += 1


def _buttons(html: str) -> _Buttons:
    parser = _Buttons()
    parser.feed(html)
    return parser


def _render(kind: str, **extra: Any) -> Email:
    return render_email(kind, "ada@example.com", **{**CONTEXTS[kind], **extra})


def test_every_kind_has_templates_a_subject_and_a_test_context() -> None:
    assert set(CONTEXTS) == set(KINDS) == set(SUBJECTS) == set(SUBJECT_WORDS)
    for kind in KINDS:
        assert (TEMPLATES / f"{kind}.html").is_file()
        assert (TEMPLATES / f"{kind}.txt").is_file()


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_renders_both_parts_for_the_recipients(kind: str) -> None:
    email = render_email(kind, ["ada@example.com", "ops@example.org"], **CONTEXTS[kind])

    assert email.kind == kind
    assert email.to == ("ada@example.com", "ops@example.org")
    assert email.text.strip() and email.html.strip()
    assert email.html.lstrip().startswith("<!doctype html>")
    assert "microintern" in email.text  # the footer
    assert "{{" not in email.text + email.html and "{%" not in email.text + email.html


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_subject_is_specific_and_one_line(kind: str) -> None:
    email = _render(kind)

    assert SUBJECT_WORDS[kind] in email.subject
    assert "\n" not in email.subject and email.subject == email.subject.strip()
    if "title" in CONTEXTS[kind]:
        assert HOSTILE in email.subject  # a header is plain text: never HTML-escaped


def test_subjects_differ_between_kinds() -> None:
    subjects = [_render(kind).subject for kind in CONTEXTS]
    assert len(set(subjects)) == len(subjects)


@pytest.mark.parametrize("kind", sorted(CONTEXTS))
def test_html_escapes_what_people_typed(kind: str) -> None:
    email = _render(kind)

    assert _buttons(email.html).scripts == 0
    assert "<script>" not in email.html
    if "title" in CONTEXTS[kind]:
        assert "&lt;script&gt;" in email.html
        assert HOSTILE in email.text  # the text part shows it as typed, not as entities
        assert "&lt;" not in email.text


@pytest.mark.parametrize("kind", sorted(k for k, c in CONTEXTS.items() if "action_url" in c))
def test_one_action_button_and_the_url_in_the_text(kind: str) -> None:
    email = _render(kind)

    assert _buttons(email.html).buttons == [URL]  # exactly one, unescaped by the parser
    assert URL in email.text


def test_reminder_button_says_what_to_do() -> None:
    email = _render("reminder", action_label="Answer the offer")
    assert "Answer the offer</a>" in email.html
    assert f"Answer the offer:\n{URL}" in email.text


@pytest.mark.parametrize("kind", sorted(INFORMATIVE))
def test_informative_emails_have_no_button_unless_given_one(kind: str) -> None:
    assert _buttons(_render(kind).html).buttons == []
    assert _buttons(_render(kind, action_url=URL).html).buttons == [URL]


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        (kind, name)
        for kind, context in sorted(CONTEXTS.items())
        for name in context
        if name not in {"advice", "nda_signed", "summary", "skills", "refund_cents"}
        and (name != "action_url" or kind not in INFORMATIVE)
    ],
)
def test_missing_required_context_is_named(kind: str, missing: str) -> None:
    context = {k: v for k, v in CONTEXTS[kind].items() if k != missing}
    with pytest.raises(ValueError, match=missing):
        render_email(kind, "ada@example.com", **context)


def test_offer_shows_pay_after_fee_dates_and_company() -> None:
    email = _render("offer")

    for part in (email.text, email.html):
        assert "USD 216.00" in part
        assert "12 hours" in part
        assert "Fri 14 Mar 2025" in part  # the deadline
        assert "Mon 3 Mar 2025, 17:00 UTC" in part  # answer by
    assert "Acme <Labs>" in email.text and "Acme &lt;Labs&gt;" in email.html


def test_times_are_shown_in_the_readers_timezone() -> None:
    email = _render("offer", timezone="Europe/Paris")
    assert "Mon 3 Mar 2025, 18:00 CET" in email.text


def test_greeting_uses_the_first_name_escaped() -> None:
    email = _render("brief_received", name="<Ada> Lovelace")
    assert "Hi <Ada>," in email.text
    assert "Hi &lt;Ada&gt;," in email.html
    assert _render("payout_approval_requested").text.startswith("Hello finance team,")


def test_role_decides_the_wording() -> None:
    intern = _render("released", role="intern")
    employer = _render("released", role="employer")
    assert "on its way to your Stripe account" in intern.text
    assert "Your intern was paid USD 216.00" in employer.text
    refunded = _render("cancelled")
    unfunded = _render("cancelled", refunded=False, refund_cents=None)
    assert "We refunded USD 240.00" in refunded.text
    assert "nothing was charged" in unfunded.text and "refunded" not in unfunded.subject
    with pytest.raises(ValueError, match="role"):
        _render("released", role="admin")


def test_finance_sees_amount_fee_and_the_intern_share() -> None:
    email = _render("payout_approval_requested")
    for part in (email.text, email.html):
        assert "USD 240.00" in part and "USD 24.00" in part and "USD 216.00" in part
        assert "payout.approved" in part and "po_42" in part
        assert "escrow released" not in part.lower()  # nothing has moved when finance is asked
        assert "Nothing has moved yet" in part
    assert "USD 216.00 to the intern" in email.subject  # what will move to the intern


def test_finance_figures_are_the_ones_given_not_recomputed() -> None:
    """The intern's share is the payout record's, passed in: never amount − fee here."""
    email = _render("payout_approval_requested", pay_cents=21_599)
    assert "USD 215.99" in email.text and "USD 216.00" not in email.text


def test_the_employers_completion_email_states_each_ledger_figure() -> None:
    email = _render(
        "released",
        role="employer",
        amount_cents=30_000,
        fee_cents=3_333,
        refund_cents=26_667,
        funded_cents=60_000,
    )
    for part in (email.text, email.html):
        assert "You funded USD 600.00" in part
        assert "Your intern was paid USD 300.00" in part
        assert "the platform fee was USD 33.33" in part
        assert "USD 266.67 was refunded to you" in part
    assert "USD 300.00 released to your intern" in email.subject
    intern = _render("released", role="intern", amount_cents=30_000, refund_cents=26_667)
    assert "USD 266.67" not in intern.text  # the employer's refund is not the intern's business


@pytest.mark.parametrize(
    ("stage", "words"), [("offer", "not answered in time"), ("nda", "NDA for")]
)
def test_a_lapsed_offer_says_which_window_ran_out(stage: str, words: str) -> None:
    email = _render("offer_expired", stage=stage, name="Sam Lee")
    assert email.text.startswith("Hi Sam,")
    assert words in email.text and "gone to another intern" in email.text


def test_a_withdrawn_offer_names_who_cancelled() -> None:
    email = _render("offer_withdrawn", name="Sam Lee", company="Acme <Labs>")
    assert email.text.startswith("Hi Sam,")
    assert "Acme <Labs> cancelled" in email.text and "Acme &lt;Labs&gt; cancelled" in email.html
    assert "withdrawn" in email.subject


def test_multiline_comment_is_quoted_in_text_and_kept_in_html() -> None:
    email = _render("changes_requested", comment="Line one\nLine <two>")
    assert "> Line one\n> Line <two>" in email.text
    assert "Line one\nLine &lt;two&gt;" in email.html


def test_a_title_with_a_line_break_cannot_inject_headers() -> None:
    email = _render("brief_received", title="Hello\r\nBcc: victim@example.com")
    assert email.subject == "We received your brief: Hello Bcc: victim@example.com"


@pytest.mark.parametrize(
    "bad",
    [
        {"action_url": "javascript:alert(1)"},
        {"action_url": "/relative/only"},
    ],
)
def test_action_url_must_be_absolute_http(bad: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="action_url"):
        _render("brief_received", **bad)


@pytest.mark.parametrize("to", [[], ["not-an-address"], ["a@example.com\nBcc: b@example.com"]])
def test_recipients_are_checked(to: list[str]) -> None:
    with pytest.raises(ValueError):
        render_email("brief_received", to, **CONTEXTS["brief_received"])


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown email kind"):
        render_email("../base", "ada@example.com", title="x", action_url=URL)


def test_finance_hears_why_a_payout_failed_and_how_to_retry_it() -> None:
    email = _render("money_delayed", role="finance", payout_id="po_42")
    assert email.subject.startswith("Payout failed: USD 216.00")
    assert "No such destination" in email.text and "payout.retry" in email.text
    assert '{"payout_id": "po_42"}' in email.text
    refund = _render("money_delayed", role="employer", movement="refund")
    assert refund.subject.startswith("Your refund is delayed")
    assert "payout.retry" not in refund.text


@pytest.mark.parametrize("purpose", ["brief", "intern"])
def test_a_confirmation_carries_no_text_the_sender_typed(purpose: str) -> None:
    """The first email to a typed address: what the platform says, the link, "ignore this" —
    not even the name the sender typed, when a caller passes one."""
    email = _render("confirm_address", purpose=purpose, name="Mallory Spam", title=HOSTILE)

    for part in (email.subject, email.text, email.html):
        assert "Mallory" not in part
        assert "script" not in part and "Co</b>" not in part
    assert email.text.startswith("Hi,\n")
    assert "If this wasn't you, ignore this email. Nothing happens" in email.text
    assert URL in email.text
    assert ("intern" if purpose == "intern" else "project brief") in email.text

"""Every email the platform sends, rendered in one place.

``render_email(kind, to, **context)`` returns an :class:`Email` with a subject, a plain-text
part and an HTML part. Each kind is a pair of templates under ``templates/emails/``:
``{kind}.html`` extends ``emails/base.html`` (table layout and inline CSS for mail clients,
one button, a plain footer) and ``{kind}.txt`` extends ``emails/base.txt``. Subjects live in
:data:`SUBJECTS`. HTML is rendered with autoescape on; only the text part and the subject
(a header, not markup) are rendered without it. Hand the result to
``chalicelib.adapters.mailer.send``.

Every actionable email has exactly one action: ``action_url`` (http or https) under a
button labelled by the kind's default label (or ``action_label`` when given). Purely
informative kinds take ``action_url`` optionally.

Context every kind accepts:

- ``name``: the recipient's first name, for the greeting ("Hi Ada,"); default "Hi,".
- ``timezone``: IANA zone the recipient's times are shown in (default ``UTC``).
- ``action_label``: overrides the button's default label.

Amounts are integer minor units (``*_cents``) with a ``currency`` code; times
(``deadline``, ``window_end``) are ``datetime`` / ``date`` objects or ISO-8601 strings.
``role`` is one of ``employer``, ``intern``, ``finance``. ``*`` marks a required variable.

=========================== ========= ===================================================
kind                        to        context
=========================== ========= ===================================================
brief_received              employer  title*, action_url* (manage link), company
unmatched                   employer  title*, reason* (why nobody matched), action_url*
                                      (brief page), advice (list of what to change)
offer                       intern    title*, company*, hours*, pay_cents* (budget minus
                                      the platform fee), currency*, deadline*,
                                      window_end* (answer by), action_url* (task link)
offer_accepted              employer  title*, amount_cents* (to fund), currency*,
                                      window_end* (fund by), action_url* (funding link),
                                      nda_signed (bool), intern_name
funding_request             employer  title*, amount_cents*, currency*, window_end*,
                                      action_url* (funding link)
work_started                intern    title*, deadline*, action_url* (task link), company
delivery_received           employer  title*, window_end* (review window end; then
                                      auto-approve), action_url* (review link), summary,
                                      intern_name
changes_requested           intern    title*, comment*, action_url* (task link), deadline,
                                      round, max_rounds
approved                    intern    title*, pay_cents*, currency*, company; action_url
                                      optional
payout_pending              intern    title*, pay_cents*, currency*; action_url optional
payout_approval_requested   finance   title*, payout_id*, brief_id*, intern_id*,
                                      amount_cents* (held in escrow), fee_cents*,
                                      pay_cents* (to the intern), currency* — all from
                                      the payout record finance approves; action_url
                                      optional (the finance page; else the email
                                      explains the finance webhook)
released                    role      title*, role*, amount_cents* (what the intern was
                                      paid), currency*, fee_cents, refund_cents,
                                      funded_cents — the ledger's figures, never the
                                      budget; action_url optional (rate the other party)
cancelled                   role      title*, role*, refunded* (bool), refund_cents,
                                      currency, reason; action_url optional
dispute_opened              role      title*, role*, brief_id*, comment, amount_cents,
                                      currency; action_url optional
money_delayed               role      title*, role*, movement* ("payout" or "refund"),
                                      amount_cents*, currency*, reason* (why it failed),
                                      brief_id*, window_end* (next automatic retry),
                                      payout_id; action_url optional
reminder                    anyone    title*, waiting_for* (what is waiting, e.g. "answer
                                      the offer"), window_end*, action_url*,
                                      action_label* (the step's button)
connect_onboarding          intern    action_url* (Stripe onboarding link), title,
                                      pay_cents, currency (a payout that waits for it)
intern_welcome              intern    action_url* (Stripe onboarding link), skills (list),
                                      hours_per_week
offer_withdrawn             intern    title*, company, reason: the project was cancelled
                                      while the intern held its offer; action_url optional
offer_expired               intern    title*, stage* ("offer": not answered in time, "nda":
                                      the NDA not signed in time), company; action_url
                                      optional
confirm_address             address   purpose* ("brief" or "intern"), window_end* (the
                                      link's expiry), action_url* (confirmation link);
                                      never any text the sender typed (no name, no title)
new_messages                role      title*, role*, count* (messages not read yet),
                                      action_url* (the thread); never the messages' text;
                                      at most one per recipient per 10 minutes
sign_in                     address   window_end* (the link's expiry), action_url*
                                      (the one-time sign-in link)
organisation_invite         address   organisation*, invited_by* (the inviter's address),
                                      role*, window_end*, action_url* (the invitation link)
finance_invite              address   invited_by* (the finance owner's address),
                                      action_url* (the sign-in page)
=========================== ========= ===================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from chalicelib.domain.money import format_money

TEMPLATES = Path(__file__).parent / "templates"

Audience = Literal["employer", "intern", "finance", "role", "anyone", "address"]
ROLES = frozenset({"employer", "intern", "finance"})


@dataclass(frozen=True)
class Email:
    """A rendered email, ready for the mailer."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    kind: str


# Subject templates (rendered without autoescape: a subject is a header, not HTML).
SUBJECTS: Mapping[str, str] = MappingProxyType(
    {
        "brief_received": "We received your brief: {{ title }}",
        "unmatched": "No intern matched “{{ title }}” yet — here is what to change",
        "offer": "Paid project for you: {{ title }} ({{ pay_cents|money(currency) }})",
        "offer_accepted": "{{ intern_name or 'An intern' }} accepted “{{ title }}”"
        " — fund escrow to start",
        "funding_request": "Fund escrow for “{{ title }}” by {{ window_end|when }}",
        "work_started": "You're on: start work on “{{ title }}”",
        "delivery_received": "Delivery ready for review: “{{ title }}”",
        "changes_requested": "Changes requested on “{{ title }}”",
        "approved": "Your work on “{{ title }}” was approved",
        "payout_pending": "Payout of {{ pay_cents|money(currency) }} for “{{ title }}”"
        " is awaiting finance approval",
        "payout_approval_requested": "Approve payout {{ payout_id }}:"
        " {{ pay_cents|money(currency) }} to the intern for “{{ title }}”",
        "released": "{% if role == 'intern' %}{{ amount_cents|money(currency) }} is on its way"
        " to you for “{{ title }}”{% else %}“{{ title }}” is complete:"
        " {{ amount_cents|money(currency) }} released to your intern{% endif %}",
        "cancelled": "“{{ title }}” was cancelled{{ ' and refunded' if refunded else '' }}",
        "dispute_opened": "Dispute opened on “{{ title }}”",
        "money_delayed": "{% if role == 'finance' %}{{ movement|capitalize }} failed{% else %}"
        "Your {{ movement }} is delayed{% endif %}: {{ amount_cents|money(currency) }}"
        " for “{{ title }}”",
        "reminder": "Reminder: {{ waiting_for }} by {{ window_end|when }} — {{ title }}",
        "connect_onboarding": "{{ 'Connect Stripe to receive your ' ~ pay_cents|money(currency)"
        " if pay_cents else 'Connect your Stripe account to get paid' }}",
        "intern_welcome": "Welcome to microintern — one step left to get paid",
        "offer_withdrawn": "“{{ title }}” was cancelled: the offer is withdrawn",
        "offer_expired": "Your offer for “{{ title }}” has lapsed",
        "confirm_address": "Confirm your email address for microintern",
        "new_messages": "{{ count }} new message{{ 's' if count != 1 else '' }}"
        " about “{{ title }}”",
        "hiring_interest": "{{ company }} is interested in hiring you",
        "contact_shared": "{{ intern_name }} shared their contact details with you",
        "sign_in": "Your sign-in link for microintern",
        "organisation_invite": "{{ invited_by }} invited you to {{ organisation }} on microintern",
        "finance_invite": "{{ invited_by }} added you to microintern's finance team",
    }
)


@dataclass(frozen=True, slots=True)
class _Kind:
    audience: Audience
    required: tuple[str, ...]
    optional: Mapping[str, Any] = field(default_factory=dict)
    action_label: str = ""
    action_required: bool = True


_KINDS: Mapping[str, _Kind] = MappingProxyType(
    {
        "brief_received": _Kind("employer", ("title",), {"company": ""}, "Open your brief page"),
        "unmatched": _Kind("employer", ("title", "reason"), {"advice": ()}, "Review your brief"),
        "offer": _Kind(
            "intern",
            ("title", "company", "hours", "pay_cents", "currency", "deadline", "window_end"),
            {},
            "View the offer",
        ),
        "offer_accepted": _Kind(
            "employer",
            ("title", "amount_cents", "currency", "window_end"),
            {"nda_signed": False, "intern_name": ""},
            "Fund escrow",
        ),
        "funding_request": _Kind(
            "employer", ("title", "amount_cents", "currency", "window_end"), {}, "Fund escrow"
        ),
        "work_started": _Kind("intern", ("title", "deadline"), {"company": ""}, "Open your task"),
        "delivery_received": _Kind(
            "employer",
            ("title", "window_end"),
            {"summary": "", "intern_name": ""},
            "Review the delivery",
        ),
        "changes_requested": _Kind(
            "intern",
            ("title", "comment"),
            {"deadline": None, "round": None, "max_rounds": None},
            "See what to change",
        ),
        "hiring_interest": _Kind("intern", ("title", "company"), {}, "Open your task page"),
        "contact_shared": _Kind(
            "employer",
            ("title", "intern_name", "intern_email"),
            {},
            "Open your brief",
            action_required=False,
        ),
        "approved": _Kind(
            "intern",
            ("title", "pay_cents", "currency"),
            {"company": ""},
            "Open your task",
            action_required=False,
        ),
        "payout_pending": _Kind(
            "intern",
            ("title", "pay_cents", "currency"),
            {},
            "Open your task",
            action_required=False,
        ),
        "payout_approval_requested": _Kind(
            "finance",
            (
                "title",
                "payout_id",
                "brief_id",
                "intern_id",
                "amount_cents",
                "fee_cents",
                "pay_cents",
                "currency",
            ),
            {},
            "Review the payout",
            action_required=False,
        ),
        "released": _Kind(
            "role",
            ("title", "role", "amount_cents", "currency"),
            {"fee_cents": None, "refund_cents": None, "funded_cents": None},
            "Rate your experience",
            action_required=False,
        ),
        "cancelled": _Kind(
            "role",
            ("title", "role", "refunded"),
            {"refund_cents": None, "currency": "usd", "reason": ""},
            "Open the project",
            action_required=False,
        ),
        "dispute_opened": _Kind(
            "role",
            ("title", "role", "brief_id"),
            {"comment": "", "amount_cents": None, "currency": "usd"},
            "Open the project",
            action_required=False,
        ),
        "money_delayed": _Kind(
            "role",
            (
                "title",
                "role",
                "movement",
                "amount_cents",
                "currency",
                "reason",
                "brief_id",
                "window_end",
            ),
            {"payout_id": ""},
            "Open the project",
            action_required=False,
        ),
        "reminder": _Kind("anyone", ("title", "waiting_for", "window_end", "action_label"), {}, ""),
        "connect_onboarding": _Kind(
            "intern",
            (),
            {"title": "", "pay_cents": None, "currency": "usd"},
            "Finish Stripe setup",
        ),
        "intern_welcome": _Kind(
            "intern", (), {"skills": (), "hours_per_week": None}, "Set up payouts"
        ),
        "offer_withdrawn": _Kind(
            "intern",
            ("title",),
            {"company": "", "reason": ""},
            "Open the project page",
            action_required=False,
        ),
        "offer_expired": _Kind(
            "intern",
            ("title", "stage"),
            {"company": ""},
            "Open the project page",
            action_required=False,
        ),
        "confirm_address": _Kind(
            "address", ("purpose", "window_end"), {}, "Confirm my email address"
        ),
        "new_messages": _Kind("role", ("title", "role", "count"), {}, "Read the messages"),
        "sign_in": _Kind("address", ("window_end",), {}, "Sign in"),
        "organisation_invite": _Kind(
            "address",
            ("organisation", "invited_by", "role", "window_end"),
            {},
            "Join the organisation",
        ),
        "finance_invite": _Kind("address", ("invited_by",), {}, "Sign in"),
    }
)

KINDS: frozenset[str] = frozenset(_KINDS)

_FOOTERS: Mapping[str, str] = MappingProxyType(
    {
        "employer": "You are receiving this because you posted a project on microintern.",
        "intern": "You are receiving this because you registered as an intern on microintern.",
        "finance": "Sent to microintern's finance approvers.",
        "anyone": "You are receiving this because you take part in a project on microintern.",
        "address": "Someone entered this address on microintern. If it wasn't you, ignore this"
        " email: nothing happens.",
    }
)


def render_email(kind: str, to: str | Sequence[str], **context: Any) -> Email:
    """Render ``kind`` for ``to`` (see the module docstring for each kind's context).

    Raises ``ValueError`` for an unknown kind, a missing required variable, a bad recipient,
    a non-http(s) ``action_url`` or an unknown ``role``.
    """
    spec = _KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown email kind {kind!r}; known: {', '.join(sorted(_KINDS))}")
    recipients = _recipients(to)

    required = spec.required + (("action_url",) if spec.action_required else ())
    missing = [name for name in required if context.get(name) in (None, "")]
    if missing:
        raise ValueError(f"email {kind!r} needs {', '.join(missing)}")

    values: dict[str, Any] = {
        "name": "",
        "timezone": "UTC",
        "action_url": "",
        "action_label": spec.action_label,
        **spec.optional,
        **{k: v for k, v in context.items() if v is not None or k not in spec.optional},
    }
    if values["action_url"]:
        _check_url(str(values["action_url"]))
    audience = spec.audience
    if audience == "role":
        if values["role"] not in ROLES:
            raise ValueError(f"role must be one of {sorted(ROLES)}, got {values['role']!r}")
        audience = values["role"]

    values["kind"] = kind
    # An unconfirmed address is greeted by no name: the name is text the sender typed.
    name = "" if audience == "address" else str(values["name"] or "")
    values["greeting"] = _greeting(name, audience)
    values["footer_note"] = _FOOTERS[audience]
    subject = " ".join(_text_env().from_string(SUBJECTS[kind]).render(**values).split())
    values["subject"] = subject
    text = _text_env().get_template(f"emails/{kind}.txt").render(**values)
    html = _html_env().get_template(f"emails/{kind}.html").render(**values)
    return Email(to=recipients, subject=subject, text=_tidy(text), html=str(html), kind=kind)


# -- helpers --------------------------------------------------------------------------------


def _recipients(to: str | Sequence[str]) -> tuple[str, ...]:
    recipients = (to,) if isinstance(to, str) else tuple(to)
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    for address in recipients:
        if not isinstance(address, str) or "@" not in address or any(c in address for c in "\r\n"):
            raise ValueError(f"not an email address: {address!r}")
    return recipients


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"action_url must be an absolute http(s) URL, got {url!r}")


def _greeting(name: str, audience: str) -> str:
    first = name.split()[0] if name.strip() else ""
    if first:
        return f"Hi {first},"
    return "Hello finance team," if audience == "finance" else "Hi,"


def _tidy(text: str) -> str:
    """Collapse runs of blank lines a template's optional sections leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"


def _money(cents: int, currency: str = "usd") -> str:
    return format_money(cents, currency)


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _when(context: Any, value: datetime | date | str) -> str:
    """'Fri 14 Mar 2025, 17:00 UTC' (a date alone: 'Fri 14 Mar 2025'), in the reader's zone."""
    if isinstance(value, str):
        text = value.strip()
        value = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = moment.astimezone(_zone(str(context.get("timezone") or "UTC")))
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or 'UTC'}"
    return f"{value:%a} {value.day} {value:%b %Y}"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in str(text).splitlines())


def _environment(autoescape: bool) -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=autoescape,  # noqa: S701 (False only for text/plain parts and subjects)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["money"] = _money
    environment.filters["when"] = jinja2.pass_context(_when)
    environment.filters["quote"] = _quote
    return environment


@cache
def _html_env() -> Any:
    return _environment(autoescape=True)


@cache
def _text_env() -> Any:
    """For ``.txt`` parts and subjects only: never render HTML with it."""
    return _environment(autoescape=False)

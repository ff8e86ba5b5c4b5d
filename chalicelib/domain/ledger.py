"""Double-entry journal of one engagement's money movements.

Sign convention: a line's ``amount_cents`` is positive for a debit and negative for a credit;
every entry's lines sum to zero, hence so does the whole journal.

Accounts:

- ``employer_funds`` – where the employer's money comes from (Stripe charge). A contra
  account: it is only ever credited, so its balance is ``−funded``;
- ``escrow`` – money held for the engagement (debited on funding, credited on release,
  refund or split);
- ``intern_paid`` – money transferred to the intern's connected account (the intern
  payable is settled by the same Stripe Transfer that the entry references, so the journal
  has no separate "payable" stage);
- ``platform_fee`` – the platform's revenue;
- ``refunded`` – money returned to the employer.

Entry kinds and their shape (``+`` debited, ``−`` credited):

===========  =====================  ==========================================
kind         credited               debited
===========  =====================  ==========================================
``fund``     employer_funds         escrow
``release``  escrow                 intern_paid, platform_fee
``refund``   escrow                 refunded
``split``    escrow                 intern_paid, platform_fee, refunded
===========  =====================  ==========================================

``Balances`` are derived from the entries: ``funded = released + fee + refunded + held``,
none negative. ``apply`` refuses an entry that would move more out of escrow than is held,
or a second ``fund`` (a brief is funded once, even after a refund).

Entry ids default to ``"<kind>:<reference>"`` (the Stripe object id), so a retried step
produces the same id and a conditional write stores it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Literal, get_args

from chalicelib.domain.money import check_cents, release, split


class LedgerError(ValueError):
    """An entry is malformed or would break the ledger's invariants."""


class Account(StrEnum):
    EMPLOYER_FUNDS = "employer_funds"
    ESCROW = "escrow"
    INTERN_PAID = "intern_paid"
    PLATFORM_FEE = "platform_fee"
    REFUNDED = "refunded"


EntryKind = Literal["fund", "release", "refund", "split"]
ENTRY_KINDS: Final[frozenset[str]] = frozenset(get_args(EntryKind))

# kind -> (accounts that must be credited, accounts that may be debited)
_SHAPES: Final[Mapping[str, tuple[frozenset[Account], frozenset[Account]]]] = {
    "fund": (frozenset({Account.EMPLOYER_FUNDS}), frozenset({Account.ESCROW})),
    "release": (
        frozenset({Account.ESCROW}),
        frozenset({Account.INTERN_PAID, Account.PLATFORM_FEE}),
    ),
    "refund": (frozenset({Account.ESCROW}), frozenset({Account.REFUNDED})),
    "split": (
        frozenset({Account.ESCROW}),
        frozenset({Account.INTERN_PAID, Account.PLATFORM_FEE, Account.REFUNDED}),
    ),
}


@dataclass(frozen=True, slots=True)
class Line:
    """One side of an entry: positive = debit, negative = credit, never zero."""

    account: Account
    amount_cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.account, Account):
            raise LedgerError(f"unknown account {self.account!r}")
        amount = self.amount_cents
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError(f"line amount must be an integer number of cents, got {amount!r}")
        if amount == 0:
            raise LedgerError("line amount must not be zero")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced set of lines recording one money movement, tied to a Stripe object."""

    entry_id: str
    kind: EntryKind
    lines: tuple[Line, ...]
    reference: str
    at: datetime

    def __post_init__(self) -> None:
        _validate_entry(self)

    def amount(self, account: Account) -> int:
        """Net signed amount of this entry on ``account`` (0 when untouched)."""
        return sum(line.amount_cents for line in self.lines if line.account == account)


def _validate_entry(entry: JournalEntry) -> None:
    if not isinstance(entry.entry_id, str) or not entry.entry_id:
        raise LedgerError("entry_id must be a non-empty string")
    if entry.kind not in ENTRY_KINDS:
        raise LedgerError(f"unknown entry kind {entry.kind!r}")
    if not isinstance(entry.reference, str) or not entry.reference:
        raise LedgerError("reference (the Stripe object id) must be a non-empty string")
    if not isinstance(entry.at, datetime) or entry.at.utcoffset() is None:
        raise LedgerError("at must be a timezone-aware datetime")
    if not isinstance(entry.lines, tuple) or len(entry.lines) < 2:
        raise LedgerError("an entry needs at least two lines")
    if any(not isinstance(line, Line) for line in entry.lines):
        raise LedgerError("lines must be Line objects")
    accounts = [line.account for line in entry.lines]
    if len(set(accounts)) != len(accounts):
        raise LedgerError("an account appears twice in one entry")
    total = sum(line.amount_cents for line in entry.lines)
    if total != 0:
        raise LedgerError(f"entry {entry.entry_id} does not balance (sum {total})")
    credited, debited = _SHAPES[entry.kind]
    for line in entry.lines:
        if line.account in credited:
            if line.amount_cents > 0:
                raise LedgerError(f"a {entry.kind} entry must credit {line.account}")
        elif line.account in debited:
            if line.amount_cents < 0:
                raise LedgerError(f"a {entry.kind} entry must debit {line.account}")
        else:
            raise LedgerError(f"a {entry.kind} entry may not touch {line.account}")
    if not credited <= set(accounts):
        raise LedgerError(f"a {entry.kind} entry must credit {', '.join(sorted(credited))}")


def _positive(value: int, name: str) -> int:
    amount = check_cents(value, name)
    if amount == 0:
        raise LedgerError(f"{name} must be positive")
    return amount


def _entry(
    kind: EntryKind,
    movements: Iterable[tuple[Account, int]],
    reference: str,
    at: datetime,
    entry_id: str | None,
) -> JournalEntry:
    lines = tuple(Line(account, cents) for account, cents in movements if cents != 0)
    return JournalEntry(
        entry_id=entry_id if entry_id is not None else f"{kind}:{reference}",
        kind=kind,
        lines=lines,
        reference=reference,
        at=at,
    )


def fund_entry(
    amount_cents: int, *, reference: str, at: datetime, entry_id: str | None = None
) -> JournalEntry:
    """The employer's payment (``reference`` = PaymentIntent/Charge id) moves into escrow."""
    amount = _positive(amount_cents, "amount_cents")
    movements = [(Account.ESCROW, amount), (Account.EMPLOYER_FUNDS, -amount)]
    return _entry("fund", movements, reference, at, entry_id)


def release_entry(
    held_cents: int, fee_bps: int, *, reference: str, at: datetime, entry_id: str | None = None
) -> JournalEntry:
    """Release everything held: ``held − fee`` to the intern (``reference`` = Transfer id)."""
    figures = release(_positive(held_cents, "held_cents"), fee_bps)
    movements = [
        (Account.ESCROW, -figures.held_cents),
        (Account.INTERN_PAID, figures.payout_cents),
        (Account.PLATFORM_FEE, figures.fee_cents),
    ]
    return _entry("release", movements, reference, at, entry_id)


def refund_entry(
    amount_cents: int, *, reference: str, at: datetime, entry_id: str | None = None
) -> JournalEntry:
    """Return ``amount_cents`` from escrow to the employer (``reference`` = Refund id)."""
    amount = _positive(amount_cents, "amount_cents")
    movements = [(Account.ESCROW, -amount), (Account.REFUNDED, amount)]
    return _entry("refund", movements, reference, at, entry_id)


def split_entry(
    held_cents: int,
    intern_share_cents: int,
    fee_bps: int,
    *,
    reference: str,
    at: datetime,
    entry_id: str | None = None,
) -> JournalEntry:
    """Dispute resolved as a split: the intern's share (less the fee on it) is transferred,
    the rest of what is held is refunded. ``reference`` names the resolution (e.g. the
    finance webhook id, or ``"tr_...+re_..."``)."""
    held = _positive(held_cents, "held_cents")
    parts = split(held, intern_share_cents, fee_bps)
    movements = [
        (Account.ESCROW, -held),
        (Account.INTERN_PAID, parts.transfer_cents),
        (Account.PLATFORM_FEE, parts.fee_cents),
        (Account.REFUNDED, parts.refund_cents),
    ]
    return _entry("split", movements, reference, at, entry_id)


@dataclass(frozen=True, slots=True)
class Balances:
    """Per-engagement totals: ``funded = released + fee + refunded + held``, none negative."""

    funded_cents: int = 0
    released_cents: int = 0
    fee_cents: int = 0
    refunded_cents: int = 0
    held_cents: int = 0

    def __post_init__(self) -> None:
        for name in ("funded_cents", "released_cents", "fee_cents", "refunded_cents", "held_cents"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise LedgerError(f"{name} must be a non-negative integer, got {value!r}")
        out = self.released_cents + self.fee_cents + self.refunded_cents + self.held_cents
        if self.funded_cents != out:
            raise LedgerError(
                f"funded ({self.funded_cents}) != released + fee + refunded + held ({out})"
            )

    def as_dict(self) -> dict[str, int]:
        return {
            "funded_cents": self.funded_cents,
            "released_cents": self.released_cents,
            "fee_cents": self.fee_cents,
            "refunded_cents": self.refunded_cents,
            "held_cents": self.held_cents,
        }


EMPTY: Final = Balances()


def apply(current: Balances, entry: JournalEntry) -> Balances:
    """The balances after ``entry``; ``LedgerError`` if it funds twice or overdraws escrow."""
    _validate_entry(entry)
    if entry.kind == "fund" and current.funded_cents > 0:
        raise LedgerError("the engagement is already funded")
    escrow = entry.amount(Account.ESCROW)
    if escrow < 0 and -escrow > current.held_cents:
        raise LedgerError(
            f"{entry.kind} of {-escrow} cents exceeds the {current.held_cents} cents held"
        )
    return Balances(
        funded_cents=current.funded_cents - entry.amount(Account.EMPLOYER_FUNDS),
        released_cents=current.released_cents + entry.amount(Account.INTERN_PAID),
        fee_cents=current.fee_cents + entry.amount(Account.PLATFORM_FEE),
        refunded_cents=current.refunded_cents + entry.amount(Account.REFUNDED),
        held_cents=current.held_cents + escrow,
    )


def _in_order(entries: Iterable[JournalEntry]) -> list[JournalEntry]:
    """Entries by ``at`` (ties keep their given order), refusing duplicate ids."""
    ordered = sorted(entries, key=lambda e: e.at)
    ids = [e.entry_id for e in ordered]
    if len(set(ids)) != len(ids):
        raise LedgerError("duplicate entry id in the journal")
    return ordered


def balances(entries: Iterable[JournalEntry]) -> Balances:
    """Fold the journal (in time order) into balances; raises ``LedgerError`` if invalid."""
    result = EMPTY
    for entry in _in_order(entries):
        result = apply(result, entry)
    return result


def account_totals(entries: Iterable[JournalEntry]) -> dict[Account, int]:
    """Signed total per account across the journal (debit positive)."""
    totals = dict.fromkeys(Account, 0)
    for entry in entries:
        for line in entry.lines:
            totals[line.account] += line.amount_cents
    return totals


def check_invariants(entries: Iterable[JournalEntry]) -> Balances:
    """Verify the whole journal and return its balances.

    Checks: every entry well formed and balanced, ids unique, the journal sums to zero,
    each entry allowed at its point in time (no double funding, no overdraft), and the
    folded balances agree with the raw account totals.
    """
    journal = list(entries)
    for entry in journal:
        _validate_entry(entry)
    result = balances(journal)
    totals = account_totals(journal)
    if sum(totals.values()) != 0:
        raise LedgerError("the journal does not sum to zero")
    direct = Balances(
        funded_cents=-totals[Account.EMPLOYER_FUNDS],
        released_cents=totals[Account.INTERN_PAID],
        fee_cents=totals[Account.PLATFORM_FEE],
        refunded_cents=totals[Account.REFUNDED],
        held_cents=totals[Account.ESCROW],
    )
    if direct != result:
        raise LedgerError(f"balances {result} disagree with account totals {direct}")
    return result


def entry_to_dict(entry: JournalEntry) -> dict[str, Any]:
    """A JSON/DynamoDB-friendly form of an entry (``at`` as ISO 8601)."""
    return {
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "lines": [
            {"account": line.account.value, "amount_cents": line.amount_cents}
            for line in entry.lines
        ],
        "reference": entry.reference,
        "at": entry.at.isoformat(),
    }


def entry_from_dict(data: Mapping[str, Any]) -> JournalEntry:
    """Inverse of ``entry_to_dict``; amounts may come back as ``Decimal`` from DynamoDB."""
    try:
        lines = tuple(
            Line(Account(str(item["account"])), _as_int(item["amount_cents"]))
            for item in data["lines"]
        )
        kind = str(data["kind"])
        if kind not in ENTRY_KINDS:
            raise LedgerError(f"unknown entry kind {kind!r}")
        return JournalEntry(
            entry_id=str(data["entry_id"]),
            kind=kind,  # type: ignore[arg-type]  # checked against ENTRY_KINDS above
            lines=lines,
            reference=str(data["reference"]),
            at=datetime.fromisoformat(str(data["at"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, LedgerError):
            raise
        raise LedgerError(f"malformed journal entry: {exc}") from exc


def _as_int(value: object) -> int:
    if isinstance(value, bool):
        raise LedgerError("amount must not be a boolean")
    if isinstance(value, int):
        return value
    # DynamoDB returns numbers as decimal.Decimal; accept integral Decimals (and floats).
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise LedgerError(f"amount {value!r} is not a whole number of cents")

"""The finance books: for a signed-in finance person (issue 14: web/finance_users.py, their
decisions named), or behind the finance API key (stored as its SHA-256) for API clients.

    authorize        401 without a key, 403 with a wrong one
    authorize_request  the finance API: `Authorization: Bearer <key>` or the finance session
                     cookie; a `?key=` in the URL is refused (401), whatever else comes with it
    payouts_view     GET /api/finance/payouts: pending payouts, recent decisions, failures
    ledger_response  GET /api/finance/ledger.csv?from=&to=: every journal line (ledger_csv)
    finance_page     GET /finance[?status=]: the same view as a page for a signed-in session
                     (arranged by web/finance_board.py: waiting first, flags, held escrow,
                     the status filter), else the sign-in form (GET changes nothing)
    sign_in / sign_out  POST /finance/signin (the key in a CSRF-protected form body) and
                     POST /finance/signout: the session of web/finance_session.py

The finance key never travels in a URL: addresses end up in logs, browser history and
Referer headers.

Read-only: payouts come from their gsi1 index (adapters/payout_store.py), journal lines from the
monthly ledger books (adapters/escrow_store.py), failures waiting for finance from
services/payout_failures.open_episodes.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from chalice.app import Response

from chalicelib.adapters import clock, payout_store
from chalicelib.adapters.payout_store import DECIDED, PENDING
from chalicelib.adapters.store import get_store
from chalicelib.domain import ledger
from chalicelib.domain.money import format_money
from chalicelib.observability import logger
from chalicelib.services.errors import Forbidden, Invalid, Unauthorized
from chalicelib.settings import get_settings

RECENT: Final = timedelta(days=30)
RECENT_LIMIT: Final = 100
MAX_LEDGER_RANGE: Final = timedelta(days=731)  # 24 months per request
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS: Final = (
    "at",
    "brief_id",
    "entry_id",
    "kind",
    "reference",
    "account",
    "amount_cents",
    "debit_cents",
    "credit_cents",
    "currency",
)


KEY_IN_URL: Final = (
    "The finance key is not accepted in the address (it would end up in logs and browser "
    "history): send it as Authorization: Bearer <key>, or sign in on the finance page."
)


def authorize_request(headers: Mapping[str, str], query: Mapping[str, str]) -> None:
    """401 for a key in the query string or no credentials; 403 for a wrong Bearer key."""
    from chalicelib.web import finance_session
    from chalicelib.web.http import bearer

    if "key" in query:
        raise Unauthorized(KEY_IN_URL, "key")
    key = bearer(headers)
    if key is None and finance_session.active(headers):
        return
    if key is None:
        from chalicelib.web.finance_users import finance_person

        if finance_person(headers) is not None:  # 403 for a person without the finance role
            return
    authorize(key)


def authorize(key: str | None) -> None:
    """401 without a finance key, 403 with a wrong one (compared as SHA-256, constant time)."""
    expected = get_settings().finance_api_key_sha256.strip().lower()
    if not key:
        raise Unauthorized("A finance API key is required (Authorization: Bearer <key>).")
    given = hashlib.sha256(key.encode()).hexdigest()
    if not expected or not hmac.compare_digest(given, expected):
        raise Forbidden("This key does not open the finance books.")


def payouts_view() -> dict[str, Any]:
    """Pending payouts (oldest first) and the last 30 days' decided ones (newest first)."""
    from chalicelib.services import payout_failures

    pending = payout_store.index(f"{PENDING}#", newest_first=False, limit=RECENT_LIMIT)
    since = clock.iso(clock.now() - RECENT)
    recent: list[dict[str, Any]] = []
    for status in DECIDED:
        recent += payout_store.index(
            f"{status}#", newest_first=True, limit=RECENT_LIMIT, since=f"{status}#{since}"
        )
    recent.sort(key=lambda p: str(p.get("decided_at") or p["created_at"]), reverse=True)
    return {
        "pending": [payout_store.public(p) for p in pending],
        "recent": [payout_store.public(p) for p in recent[:RECENT_LIMIT]],
        "attention": payout_failures.open_episodes(),
    }


def journal_lines(start: datetime | None, end: datetime | None) -> list[dict[str, Any]]:
    """Every journal line of the entries made in [start, end), oldest first.

    Ledger entries are filed in monthly books on gsi1 (`LEDGER#<yyyy-mm>`, sorted by time):
    one Query per month of the range, never a Scan, however old the engagement. Without
    `from`, the range starts a year before `to`.
    """
    from chalicelib.adapters.escrow_store import LEDGER_BOOK_PREFIX

    store = get_store()
    high = end or clock.now()
    low = start or high - timedelta(days=366)
    rows: list[dict[str, Any]] = []
    for month in _months(low, high):
        for item in store.query_range(
            f"{LEDGER_BOOK_PREFIX}{month}", clock.iso(low), clock.iso(high), index="gsi1"
        ):
            entry = ledger.entry_from_dict(item)
            if not low <= entry.at < high:
                continue
            for line in entry.lines:
                rows.append(
                    {
                        "at": clock.iso(entry.at),
                        "brief_id": str(item["brief_id"]),
                        "entry_id": entry.entry_id,
                        "kind": entry.kind,
                        "reference": entry.reference,
                        "account": line.account.value,
                        "amount_cents": line.amount_cents,
                        "debit_cents": max(line.amount_cents, 0),
                        "credit_cents": max(-line.amount_cents, 0),
                        "currency": str(item.get("currency", "usd")),
                    }
                )
    rows.sort(key=lambda r: (r["at"], r["brief_id"], r["entry_id"]))
    return rows


def _months(low: datetime, high: datetime) -> list[str]:
    """The `yyyy-mm` of every month from `low` to `high`, inclusive."""
    months, year, month = [], low.year, low.month
    while (year, month) <= (high.year, high.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's
    CSV injection advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def ledger_csv(start: str | None, end: str | None) -> str:
    """GET /api/finance/ledger.csv?from=&to=: every journal line; the amounts sum to zero.

    `from` and `to` are ISO dates or date-times (UTC when no offset); a date `to` includes
    that whole day, a date-time `to` is exclusive.
    """
    low, high = _moment(start, "from", end_of_day=False), _moment(end, "to", end_of_day=True)
    if low is not None and high is not None and low > high:
        raise Invalid([{"field": "from", "message": "from must not be after to."}])
    if low is not None and (high or clock.now()) - low > MAX_LEDGER_RANGE:
        raise Invalid(
            [
                {
                    "field": "from",
                    "message": "Export at most 24 months per request: page through longer "
                    "periods with consecutive from/to ranges.",
                }
            ]
        )
    rows = journal_lines(low, high)
    totals = ledger.account_totals([])  # every account, zero
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: csv_cell(value) for name, value in row.items()})
        totals[ledger.Account(row["account"])] += int(row["amount_cents"])
    if sum(totals.values()) != 0:  # every entry balances, so the export must
        logger.error("ledger export does not balance", extra={"totals": str(totals)})
    return out.getvalue()


def ledger_response(start: str | None, end: str | None) -> Response:
    body = ledger_csv(start, end)
    name = f"ledger-{(start or 'start')[:10]}-{(end or 'now')[:10]}.csv"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def _moment(value: str | None, field: str, *, end_of_day: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            [{"field": field, "message": f"{field} must be an ISO date (YYYY-MM-DD) or time."}]
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def finance_page(headers: Mapping[str, str], query: Mapping[str, str]) -> Response:
    """GET /finance: pending payouts and recent decisions for a signed-in session; otherwise
    the sign-in form (401). GET changes nothing."""
    from chalicelib.web import finance_session
    from chalicelib.web.pages import form_page, page

    if "key" in query:
        return page(
            "error.html",
            status=401,
            tokened=True,
            heading="Sign in on the finance page",
            message=KEY_IN_URL,
            hint="",
        )
    from chalicelib.services.errors import AppError
    from chalicelib.web import finance_users

    try:
        person = finance_users.finance_person(headers)  # a finance user's own session
    except AppError as exc:
        from chalicelib.adapters import links
        from chalicelib.web.pages import error_page

        return error_page(exc, back=(links.href("/dashboard"), "Your dashboard"))
    if person is None and not finance_session.active(headers):
        return signin_form(headers)
    from chalicelib.web import finance_board

    board = finance_board.board(payouts_view(), str(query.get("status", "")))

    def money(cents: int, currency: str) -> str:
        return format_money(cents, currency)

    return form_page(
        "finance.html",
        headers,
        tokened=True,
        money=money,
        today=clock.today().isoformat(),
        month_ago=(clock.today() - timedelta(days=30)).isoformat(),
        **board,
        **finance_users.page_context(person, query),
    )


def signin_form(headers: Mapping[str, str], *, error: str = "", status: int = 401) -> Response:
    from chalicelib.web.pages import form_page

    return form_page("finance_signin.html", headers, status=status, tokened=True, error=error)


def sign_in(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    """POST /finance/signin: the key from the form body (CSRF-checked); a good one opens a
    session (web/finance_session.py) and goes back to the page, a wrong one gets the form."""
    from chalicelib.adapters import links
    from chalicelib.web import csrf, finance_session, forms
    from chalicelib.web.pages import page

    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get("csrf_token"))
    except csrf.CsrfError as exc:
        return page("error.html", status=403, heading="Please try again", message=str(exc), hint="")
    try:
        authorize(form.get("key"))
    except (Unauthorized, Forbidden) as exc:
        return signin_form(headers, error=str(exc), status=exc.status)
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": links.href("/finance"),
            "Cache-Control": "no-store",
            "Set-Cookie": finance_session.start(),
        },
    )


def sign_out(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    """POST /finance/signout: the session ends (deleted, the cookie cleared)."""
    from chalicelib.adapters import links
    from chalicelib.web import csrf, finance_session, forms
    from chalicelib.web.pages import page

    try:
        csrf.verify(headers, forms.parse_form(body).get("csrf_token"))
    except csrf.CsrfError as exc:
        return page("error.html", status=403, heading="Please try again", message=str(exc), hint="")
    return Response(
        body="",
        status_code=303,
        headers={
            "Location": links.href("/finance"),
            "Cache-Control": "no-store",
            "Set-Cookie": finance_session.end(headers),
        },
    )

"""The employer's HTML pages: the brief form and the brief page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.domain import money
from chalicelib.domain.engagement import LABELS, Status
from chalicelib.domain.money import format_money
from chalicelib.domain.wording import DONE
from chalicelib.services import access, briefs
from chalicelib.services.errors import AppError, Invalid
from chalicelib.settings import get_settings
from chalicelib.web import brief_access, csrf, forms
from chalicelib.web.pages import csrf_refused, error_page, form_page, page

# The happy path, as the brief page draws it.
FLOW = [
    Status.SUBMITTED,
    Status.MATCHING,
    Status.OFFERED,
    Status.NDA,
    Status.AWAITING_FUNDING,
    Status.IN_PROGRESS,
    Status.IN_REVIEW,
    Status.PAYOUT_APPROVAL,
    Status.RELEASING,
    Status.COMPLETED,
]
OFF_PATH = {
    Status.UNMATCHED: "No intern could take this project.",
    Status.CANCELLED: "This project was cancelled.",
    Status.REFUNDED: "This project ended with a refund.",
    Status.DISPUTED: "This project is in dispute; finance is reviewing it.",
    Status.DEADLINE_MISSED: "The deadline passed without a delivery.",
}


# Actions after which the flow goes to its next step (the picture shows it there at once).
FORWARD = frozenset({"accepted", "nda_signed", "delivered", "approved"})


def flow_context(
    state: Status,
    *,
    nda_required: bool = True,
    labels: Mapping[Status, str] = LABELS,
    pending: str | None = None,
) -> dict[str, Any]:
    """What flow.html needs to draw the engagement with its current step highlighted (the NDA
    step only on a brief that requires one; after a forward action just taken, the next)."""
    steps = [s for s in FLOW if nda_required or s != Status.NDA]
    position = steps.index(state) if state in steps else -1
    if position >= 0 and pending in FORWARD:
        position = min(position + 1, len(steps) - 1)
    return {
        "flow_steps": [(s.value, labels[s]) for s in steps],
        "flow_position": position,
        "flow_off_path": OFF_PATH.get(state, ""),
    }


def brief_form(
    headers: Mapping[str, str],
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    nonce: str | None = None,
    status: int = 200,
) -> Response:
    import secrets

    low, high = briefs.deadline_bounds()
    return form_page(
        "brief_form.html",
        headers,
        status=status,
        values={**forms.BRIEF_FORM_DEFAULTS, **(values or {})},
        errors=dict(errors or {}),
        nonce=nonce or secrets.token_urlsafe(16),
        deadline_min=low,
        deadline_max=high,
        fee_percent=f"{get_settings().platform_fee_bps / 100:g}%",
    )


def submit_brief_form(headers: Mapping[str, str], body: bytes | str | None) -> Response:
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get("csrf_token"))
    except csrf.CsrfError as exc:
        return page(
            "error.html",
            status=403,
            heading="Please submit the form again",
            message=str(exc),
            hint="",
        )
    data, conversion_errors = forms.brief_from_form(form)
    try:
        errors: list[Any] = list(conversion_errors)
        try:
            briefs.validate(data)
        except Invalid as exc:
            errors += [e for e in exc.errors if e["field"] not in {c["field"] for c in errors}]
        if errors:
            raise Invalid(errors)
        nonce = form.get("nonce")
        result = (
            briefs.submit_brief_once(data, nonce) if nonce else briefs.submit_brief(data).as_dict()
        )
    except Invalid as exc:
        by_field = {str(e["field"]): str(e["message"]) for e in exc.errors}
        return brief_form(
            headers,
            values=forms.brief_form_values(form),
            errors=by_field,
            nonce=form.get("nonce"),
            status=422,
        )
    return Response(
        body="",
        status_code=303,
        headers={"Location": result["manage_url"], "Referrer-Policy": "no-referrer"},
    )


def form_post(
    headers: Mapping[str, str],
    body: bytes | str | None,
    *,
    act: Callable[[dict[str, str]], object],
    show_errors: Callable[[dict[str, str], dict[str, str]], Response],
    location: str,
    back_label: str = "Back to the page",
    confirm: Callable[[dict[str, str]], Confirmation | None] | None = None,
) -> Response:
    """Every action form: CSRF, the action, then Post/Redirect/Get back to `location`;
    field errors re-render the page with the input kept; refusals get the error page, which
    says in words where things stand and links back to `location`."""
    form = forms.parse_form(body)
    try:
        csrf.verify(headers, form.get("csrf_token"))
        asked = confirm(form) if confirm and form.get(CONFIRMED) != "yes" else None
        if asked:
            return confirmation_page(asked, form, back=location)
        act(form)
    except csrf.CsrfError as exc:
        return csrf_refused(exc, back=(location, back_label))
    except Invalid as exc:
        return show_errors(form, {str(e["field"]): str(e["message"]) for e in exc.errors})
    except AppError as exc:
        return error_page(exc, back=(location, back_label))
    return Response(
        body="", status_code=303, headers={"Location": location, "Referrer-Policy": "no-referrer"}
    )


class Confirmation(NamedTuple):
    """An action that moves money or ends something is confirmed first, on a page of its own
    (no JavaScript needed): what it does, in words, and the button that does it."""

    heading: str
    message: str
    button: str
    action_url: str


CONFIRMED = "confirmed"


def confirmation_page(asked: Confirmation, form: Mapping[str, str], *, back: str) -> Response:
    """ "Are you sure?": the same form again, with every field kept and `confirmed=yes`."""
    kept = {k: v for k, v in form.items() if k != CONFIRMED}
    return page(
        "confirm.html",
        tokened=True,
        asked=asked,
        fields=kept,
        confirmed=CONFIRMED,
        back_url=back,
    )


REVOKE_LINKS = "revoke-links"
RESEND_CONFIRMATION = "resend-confirmation"


def resend_confirmation(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The waiting brief's "send the confirmation again" (the address's hourly limit applies)."""
    from chalicelib.adapters.rate_limits import RateLimited
    from chalicelib.services.errors import TooManyRequests

    try:
        return briefs.resend_confirmation(brief)
    except RateLimited as exc:
        minutes = max(1, round(exc.retry_after / 60))
        raise TooManyRequests(
            f"We sent this address several emails in the last hour: try again in about "
            f"{minutes} minute{'s' if minutes != 1 else ''}."
        ) from None


# The brief page's actions that are confirmed first (approve moves the money).
EMPLOYER_CONFIRMS = {
    "approve": (
        "Approve the delivery?",
        "Approving releases the escrowed budget: once finance approves the payout, the intern "
        "is paid {payout} and the project is completed. This cannot be undone.",
        "Yes, approve and pay",
    ),
    "cancel": (
        "Cancel the project?",
        "The project stops and the intern is told. Any payment you made into escrow is "
        "refunded in full. This cannot be undone.",
        "Yes, cancel the project",
    ),
}


def employer_action(
    brief_id: str, action: str, headers: Mapping[str, str], body: bytes | str | None
) -> Response:
    """The brief page's forms: review, cancel, extend, rate, revoke-links (then back to the
    page, with the link in hand: after revoke-links the only old link that still works)."""
    key = forms.parse_form(body).get("key") or None  # none: a signed-in member's session

    def act(form: dict[str, str]) -> object:
        if action == REVOKE_LINKS:
            return access.revoke_other_manage_links(brief_id, key)
        return run_employer_action(brief_access.open_brief(brief_id, headers, key), action, form)

    def confirm(form: dict[str, str]) -> Confirmation | None:
        which = "cancel" if action == "cancel" else form.get("decision", "")
        if action not in ("cancel", "review") or which not in EMPLOYER_CONFIRMS:
            return None
        brief = brief_access.open_brief(brief_id, headers, key)
        heading, message, button = EMPLOYER_CONFIRMS[which]
        payout = money.release(int(brief["budget_cents"]), money.fee_bps_of(brief)).payout_cents
        return Confirmation(
            heading,
            message.format(payout=format_money(payout, str(brief["currency"]))),
            button,
            links.href(f"/briefs/{brief_id}/{action}"),
        )

    return form_post(
        headers,
        body,
        act=act,
        show_errors=lambda form, errors: brief_page(
            brief_id, key, headers, errors=errors, status=422
        ),
        location=links.href(f"/briefs/{brief_id}", key=key),
        back_label="Back to your brief page",
        confirm=confirm,
    )


def run_employer_action(
    brief: Mapping[str, Any], action: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """One code path for the brief page's forms and the JSON API."""
    from chalicelib.services import engagement, ratings

    if action == "review":
        return engagement.review(
            brief, decision=str(data.get("decision") or ""), comment=str(data.get("comment") or "")
        )
    if action == "cancel":
        return engagement.cancel(brief)
    if action == "rate":
        from chalicelib.services import certificates

        rated = ratings.rate(
            brief, party="employer", score=data.get("score"), text=str(data.get("text") or "")
        )
        certificates.refresh_rating(str(brief["brief_id"]))  # shown if the intern agreed
        return rated
    if action == "extend":
        return engagement.extend(brief, deadline=str(data.get("deadline") or ""))
    if action == RESEND_CONFIRMATION:
        return resend_confirmation(brief)
    raise Invalid([{"field": "action", "message": f"Unknown action {action!r}."}])


def delivery_file(
    brief_id: str, number: str, key: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    """Redirect to a short-lived download link of a delivery's file."""
    from chalicelib.services import queries

    try:
        brief = brief_access.open_brief(brief_id, headers or {}, key)
        url = queries.delivery_file_url(brief, int(number) if number.isdigit() else 0)
    except AppError as exc:
        return error_page(exc)
    return Response(
        body="",
        status_code=302,
        headers={"Location": url, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


def employer_view(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The employer's view of a brief (GET /api/briefs/{id} and the brief page): the read
    side's view with the payout/refund failure waiting for attention, if any."""
    from chalicelib.services import certificates, payout_failures, queries

    view = queries.brief_view(brief, attention=payout_failures.view(brief))
    view["certificate_url"] = certificates.url_for_brief(brief)  # issue 15: on COMPLETED
    return view


def employer_page_view(brief: Mapping[str, Any]) -> dict[str, Any]:
    """`employer_view` and what only the page adds (queries.brief_page_view)."""
    from chalicelib.services import payout_failures, queries

    return queries.brief_page_view(brief, attention=payout_failures.view(brief))


def after_project_panel(brief: Mapping[str, Any]) -> dict[str, Any] | None:
    """The brief page's "After the project" panel (issue 15): the certificate, the re-invite
    link, hiring interest and the intern's contact once they shared it (None before)."""
    from chalicelib.services import certificates, talent

    view = talent.employer_view(brief)
    if view is None:
        return None
    return {**view, "certificate_url": certificates.url_for_brief(brief)}


def brief_page(
    brief_id: str,
    key: str | None,
    headers: Mapping[str, str] | None = None,
    *,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
    payment_intent: str | None = None,
) -> Response:
    from chalicelib.web import funding, message_parts

    try:
        brief = brief_access.open_brief(brief_id, headers or {}, key)
    except AppError as exc:
        return error_page(exc)
    if (
        key
        and status == 200
        and not payment_intent
        and brief_access.signed_in_member(brief, headers or {})
    ):  # an emailed manage link opened where its organisation is signed in: the signed-in page
        return Response(
            body="",
            status_code=303,
            headers={"Location": links.href(f"/briefs/{brief_id}"), "Cache-Control": "no-store"},
        )
    view = employer_page_view(brief)
    done = DONE.get(str(view.get("pending") or ""))
    if done:  # just done: the flow's next step writes the new status a moment later
        view["status_label"], view["status_explained"] = done.employer_label, done.employer_says
    currency = str(view["currency"])
    expiry = access.manage_token_expiry(brief, key) if key else None
    return form_page(
        "brief_page.html",
        headers or {},
        status=status,
        tokened=True,
        brief=view,
        key=key,
        link_expires=(
            datetime.fromtimestamp(expiry, UTC).strftime("%d %B %Y, %H:%M UTC") if expiry else ""
        ),
        errors=dict(errors or {}),
        labels=LABELS,
        **flow_context(
            Status(view["status"]),
            nda_required=bool(view["nda_required"]),
            pending=view.get("pending"),
        ),
        budget=format_money(int(view["budget_cents"]), currency),
        payout=format_money(
            money.release(int(view["budget_cents"]), money.fee_bps_of(brief)).payout_cents,
            currency,
        ),
        money=lambda cents: format_money(int(cents or 0), currency),
        payment=funding.payment_notice(brief, payment_intent, key),
        **message_parts.brief_page_extras(brief, key),  # messages and sealed details
        after_project=after_project_panel(brief),
    )

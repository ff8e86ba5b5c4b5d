"""microintern: HTTP routes and workflow steps. Handlers parse, call a service, map errors."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, ConvertToMiddleware, Request, Response

from chalicelib.observability import flush_metrics, logger, step_handler, tracer
from chalicelib.web.http import (
    bearer,
    check_json_limits,
    header,
    json_errors,
    json_object,
    json_response,
)

app = Chalice(app_name="microintern")
app.log = logger  # type: ignore[assignment]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# Routes and schedules get the Lambda context in their logs, flush their metrics and are
# traced (when tracing is on); the workflow steps get the same from `step_handler`.
for _event_type in ("http", "scheduled", "sns"):
    app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context), _event_type)
    app.register_middleware(flush_metrics, _event_type)
    app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler), _event_type)


def _settings_first(event: Any, get_response: Any) -> Any:
    """Every invocation loads the settings first (once per container, cached): a stage missing a
    secret or setting refuses to serve, /health included, and the error in the log names every
    missing one. At import it cannot: `chalice package` imports this module with no stage."""
    from chalicelib.settings import get_settings

    get_settings()
    return get_response(event)


app.register_middleware(_settings_first, "all")


def _abuse_limits(event: Any, get_response: Any) -> Any:
    """429 past the hourly limits of a route that creates records and sends mail."""
    from chalicelib.web.limits import middleware

    return middleware(event, get_response)


app.register_middleware(_abuse_limits, "http")


def _request() -> Request:
    request = app.current_request
    assert request is not None  # always set while a route runs
    return request


@app.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """The site icon (an SVG, cacheable for a week): browsers ask for it on every page."""
    from chalicelib.web import pages

    return pages.favicon()


@app.route("/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    from chalicelib.adapters import links
    from chalicelib.web import openapi

    return json_response(openapi.document(links.url("/")))


@app.route("/", methods=["GET"])
def home() -> Response:
    from chalicelib.web import pages

    return pages.home()


# --- employer: briefs -------------------------------------------------------------------------


@app.route("/briefs/new", methods=["GET"])
def new_brief_form() -> Response:
    from chalicelib.web import views

    invite = dict(_request().query_params or {}).get("invite", "")  # "Invite <intern> again"
    return views.brief_form(_request().headers, values={"invite_intern_id": invite[:64]})


@app.route("/briefs", methods=["POST"], content_types=[FORM])
def post_brief_form() -> Response:
    from chalicelib.web import views

    request = _request()
    return views.submit_brief_form(request.headers, request.raw_body)


@app.route("/briefs/{brief_id}", methods=["GET"])
def brief_page(brief_id: str) -> Response:
    from chalicelib.web import views

    params: dict[str, str] = dict(_request().query_params or {})
    return views.brief_page(
        brief_id,
        params.get("key"),
        _request().headers,
        payment_intent=params.get("payment_intent"),  # back from paying (web/funding.py)
    )


@app.route("/api/briefs", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def create_brief() -> Response:
    from chalicelib.services import briefs

    request = _request()
    data = json_object(request.raw_body)
    key = header(request.headers, "Idempotency-Key")
    result = briefs.submit_brief_once(data, key) if key else briefs.submit_brief(data).as_dict()
    return json_response(result, 201)


@app.route("/api/briefs/{brief_id}", methods=["GET"])
@json_errors
def get_brief(brief_id: str) -> Response:
    from chalicelib.web import brief_access, views

    brief = brief_access.open_brief(brief_id, _request().headers)
    return json_response(views.employer_view(brief))


# --- interns: registration and profiles (issue 4) --------------------------------------------


@app.route("/interns/new", methods=["GET"])
def new_intern_form() -> Response:
    from chalicelib.web import intern_views

    return intern_views.new_intern(_request().headers, dict(_request().query_params or {}))


@app.route("/interns", methods=["POST"], content_types=[FORM])
def post_intern_form() -> Response:
    from chalicelib.web import intern_views

    return intern_views.submit_intern_form(_request().headers, _request().raw_body)


@app.route("/api/interns", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def create_intern() -> Response:
    from chalicelib.services import intern_signup

    return json_response(intern_signup.sign_up(json_object(_request().raw_body)), 201)


# --- email address confirmation (issue 12): the first email to a typed address ---------------


@app.route("/confirm/{token}", methods=["GET"])
def confirm_address_page(token: str) -> Response:
    from chalicelib.web import confirm_views

    return confirm_views.confirm_page(token, _request().headers)


@app.route("/confirm/{token}", methods=["POST"], content_types=[FORM])
def confirm_address(token: str) -> Response:
    from chalicelib.web import confirm_views

    return confirm_views.confirm(token, _request().headers, _request().raw_body)


# --- escrow: funding, Stripe webhooks, Connect onboarding (issue 6) ---------------------------


@app.route("/api/briefs/{brief_id}/fund", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def fund_brief(brief_id: str) -> Response:
    from chalicelib.services import escrow
    from chalicelib.web import brief_access
    from chalicelib.web.funding import intent_json

    brief = brief_access.open_brief(brief_id, _request().headers, writes=True)
    return json_response(intent_json(escrow.fund_escrow(brief)))


@app.route("/briefs/{brief_id}/fund", methods=["GET"])
def fund_page(brief_id: str) -> Response:
    from chalicelib.web import funding

    key = dict(_request().query_params or {}).get("key")
    return funding.funding_page(brief_id, key, _request().headers)


@app.route("/webhooks/stripe", methods=["POST"], content_types=[JSON])
@json_errors
def stripe_webhook() -> Response:
    from chalicelib.services import stripe_webhooks

    request = _request()
    signature = header(request.headers, "Stripe-Signature")
    check_json_limits(request.raw_body or b"")
    return json_response(stripe_webhooks.handle(request.raw_body, signature))


@app.schedule("rate(5 minutes)", name="reconcile")
def reconcile_escrow(event: Any) -> dict[str, Any]:
    """An hourly pass over Stripe's payments and the open engagements, worked in batches within
    each invocation's time, repairing what Stripe's objects prove."""
    from chalicelib.services import reconcile_repairs

    return reconcile_repairs.run(event.context.get_remaining_time_in_millis).as_dict()


# --- email deliverability: SES bounce and complaint notifications (issue 10) -----------------


@app.on_sns_message(topic="microintern-ses-feedback", name="ses_feedback")
def ses_feedback(event: Any) -> dict[str, int]:
    from chalicelib.services import deliverability

    return deliverability.handle_ses_notification(event.message)


# --- engagement: the intern's task page and the employer's actions (issue 5) -----------------


@app.route("/tasks/{token}", methods=["GET"])
def task_page(token: str) -> Response:
    from chalicelib.web import task_views

    return task_views.task_page(token, _request().headers)


@app.route("/tasks/{token}/nda.txt", methods=["GET"])
def task_signed_nda(token: str) -> Response:
    from chalicelib.web import task_views

    return task_views.signed_nda(token)


@app.route("/tasks/{token}/{action}", methods=["POST"], content_types=[FORM])
def task_form(token: str, action: str) -> Response:
    from chalicelib.web import task_views

    request = _request()
    return task_views.task_action(token, action, request.headers, request.raw_body)


@app.route("/api/tasks/{token}/{action}", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def task_api(token: str, action: str) -> Response:
    from chalicelib.web import task_views

    request = _request()
    data = json_object(request.raw_body or b"{}")
    return json_response(task_views.run_action(token, action, data, request.headers))


@app.route("/briefs/{brief_id}/deliveries/{number}/file", methods=["GET"])
def delivery_file(brief_id: str, number: str) -> Response:
    from chalicelib.web import views

    params: dict[str, str] = dict(_request().query_params or {})
    return views.delivery_file(brief_id, number, params.get("key"), _request().headers)


@app.route("/briefs/{brief_id}/{action}", methods=["POST"], content_types=[FORM])
def brief_form_action(brief_id: str, action: str) -> Response:
    from chalicelib.web import views

    request = _request()
    return views.employer_action(brief_id, action, request.headers, request.raw_body)


def _employer_api(brief_id: str, action: str) -> Response:
    from chalicelib.web import brief_access, views

    request = _request()
    brief = brief_access.open_brief(brief_id, request.headers, writes=True)
    data = json_object(request.raw_body or b"{}")
    return json_response(views.run_employer_action(brief, action, data))


@app.route("/api/briefs/{brief_id}/review", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def review_brief(brief_id: str) -> Response:
    return _employer_api(brief_id, "review")


@app.route("/api/briefs/{brief_id}/cancel", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def cancel_brief(brief_id: str) -> Response:
    return _employer_api(brief_id, "cancel")


@app.route("/api/briefs/{brief_id}/extend", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def extend_brief(brief_id: str) -> Response:
    return _employer_api(brief_id, "extend")


@app.route("/api/briefs/{brief_id}/rate", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def rate_intern(brief_id: str) -> Response:
    return _employer_api(brief_id, "rate")


@app.route(
    "/api/briefs/{brief_id}/resend-confirmation",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def resend_confirmation(brief_id: str) -> Response:
    """A brief waiting for its address's confirmation: email the link again."""
    return _employer_api(brief_id, "resend-confirmation")


@app.route(
    "/api/briefs/{brief_id}/revoke-links", methods=["POST"], content_types=[JSON, "text/plain"]
)
@json_errors
def revoke_manage_links(brief_id: str) -> Response:
    """Every manage link of the brief stops working but the one this request carries."""
    from chalicelib.services import access
    from chalicelib.web import brief_access

    request = _request()
    token = bearer(request.headers)
    brief = brief_access.open_brief(brief_id, request.headers, writes=True)
    json_object(request.raw_body or b"{}")  # no fields; a body, if any, is a JSON object
    if token and brief_access.is_manage_token(brief, token):
        return json_response(access.revoke_other_manage_links(brief_id, token))
    return json_response(access.revoke_all_manage_links(brief))  # a key's or a member's


@app.schedule("rate(10 minutes)", name="send_reminders")
def send_reminders(event: Any) -> dict[str, int]:
    from chalicelib.services import messages, reminders

    # Batched message emails whose quiet period ended ride on this schedule (issue 15a).
    return {"sent": reminders.send_due(), "message_emails": messages.send_due_notifications()}


# --- finance: payout approval webhooks and the books (issue 7) ---------------------------------


@app.route("/webhooks/finance", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def finance_webhook() -> Response:
    from chalicelib.services import finance_webhooks

    request = _request()
    check_json_limits(request.raw_body or b"")
    return json_response(
        finance_webhooks.handle_finance_webhook(dict(request.headers), request.raw_body)
    )


def _authorize_finance() -> None:
    """`Authorization: Bearer <finance key>` or finance's session cookie; never `?key=`."""
    from chalicelib.web import finance_views

    request = _request()
    finance_views.authorize_request(request.headers, dict(request.query_params or {}))


@app.route("/api/finance/payouts", methods=["GET"])
@json_errors
def finance_payouts() -> Response:
    from chalicelib.web import finance_views

    _authorize_finance()
    return json_response(finance_views.payouts_view())


@app.route("/api/finance/ledger.csv", methods=["GET"])
@json_errors
def finance_ledger() -> Response:
    from chalicelib.web import finance_views

    _authorize_finance()
    params: dict[str, str] = dict(_request().query_params or {})
    return finance_views.ledger_response(params.get("from"), params.get("to"))


@app.route("/finance", methods=["GET"])
def finance_page() -> Response:
    from chalicelib.web import finance_views

    request = _request()
    return finance_views.finance_page(request.headers, dict(request.query_params or {}))


@app.route("/finance/signin", methods=["POST"], content_types=[FORM])
def finance_sign_in() -> Response:
    from chalicelib.web import finance_views

    return finance_views.sign_in(_request().headers, _request().raw_body)


@app.route("/finance/signout", methods=["POST"], content_types=[FORM])
def finance_sign_out() -> Response:
    from chalicelib.web import finance_views

    return finance_views.sign_out(_request().headers, _request().raw_body)


# --- messages and sealed details (issue 15a) ----------------------------------------------
# Literal paths ("messages", "confidential...") take precedence over the `{action}` routes
# (API Gateway and Chalice's local matcher both prefer a literal segment to a variable).


@app.route("/api/briefs/{brief_id}/messages", methods=["GET"])
@json_errors
def employer_messages(brief_id: str) -> Response:
    from chalicelib.web import message_views

    return json_response(message_views.employer_messages_json(brief_id, _request().headers))


@app.route("/api/briefs/{brief_id}/messages", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def employer_post_message(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    data = json_object(request.raw_body)
    return json_response(message_views.employer_post_json(brief_id, request.headers, data), 201)


@app.route(
    "/api/briefs/{brief_id}/messages/upload", methods=["POST"], content_types=[JSON, "text/plain"]
)
@json_errors
def employer_message_upload(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    data = json_object(request.raw_body)
    return json_response(message_views.employer_upload_json(brief_id, request.headers, data))


@app.route(
    "/api/briefs/{brief_id}/confidential-files",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def confidential_upload(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    data = json_object(request.raw_body)
    return json_response(message_views.sealed_upload_json(brief_id, request.headers, data))


@app.route(
    "/api/briefs/{brief_id}/confidential-files/attach",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def confidential_attach(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    data = json_object(request.raw_body)
    return json_response(message_views.sealed_attach_json(brief_id, request.headers, data), 201)


@app.route("/api/tasks/{token}", methods=["GET"])
@json_errors
def task_summary(token: str) -> Response:
    from chalicelib.services import sealed

    return json_response(sealed.task_summary(token))


@app.route("/api/tasks/{token}/messages", methods=["GET"])
@json_errors
def intern_messages(token: str) -> Response:
    from chalicelib.web import message_views

    return json_response(message_views.intern_messages_json(token))


@app.route("/api/tasks/{token}/messages", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def intern_post_message(token: str) -> Response:
    from chalicelib.web import message_views

    data = json_object(_request().raw_body)
    return json_response(message_views.intern_post_json(token, data), 201)


@app.route(
    "/api/tasks/{token}/messages/upload", methods=["POST"], content_types=[JSON, "text/plain"]
)
@json_errors
def intern_message_upload(token: str) -> Response:
    from chalicelib.web import message_views

    data = json_object(_request().raw_body)
    return json_response(message_views.intern_upload_json(token, data))


# Reading a thread (its GET) marks nothing: the caller's POST does, up to `until` (or the newest).
@app.route(
    "/api/briefs/{brief_id}/messages/read", methods=["POST"], content_types=[JSON, "text/plain"]
)
@json_errors
def employer_read_messages(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    data = json_object(request.raw_body or b"{}")
    return json_response(message_views.employer_read_json(brief_id, request.headers, data))


@app.route("/api/tasks/{token}/messages/read", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def intern_read_messages(token: str) -> Response:
    from chalicelib.web import message_views

    data = json_object(_request().raw_body or b"{}")
    return json_response(message_views.intern_read_json(token, data))


@app.route("/briefs/{brief_id}/messages", methods=["POST"], content_types=[FORM])
def employer_message_form(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.employer_post_form(brief_id, request.headers, request.raw_body)


@app.route("/briefs/{brief_id}/confidential-files", methods=["POST"], content_types=[FORM])
def confidential_attach_form(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.employer_attach_form(brief_id, request.headers, request.raw_body)


@app.route("/briefs/{brief_id}/messages/{message_id}/file", methods=["GET"])
def employer_message_file(brief_id: str, message_id: str) -> Response:
    from chalicelib.web import message_views

    key = dict(_request().query_params or {}).get("key")
    return message_views.employer_file(brief_id, message_id, key, _request().headers)


@app.route("/briefs/{brief_id}/confidential/{number}", methods=["GET"])
def employer_confidential_file(brief_id: str, number: str) -> Response:
    from chalicelib.web import message_views

    key = dict(_request().query_params or {}).get("key")
    return message_views.employer_confidential_file(brief_id, number, key, _request().headers)


@app.route("/tasks/{token}/messages", methods=["POST"], content_types=[FORM])
def intern_message_form(token: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.intern_post_form(token, request.headers, request.raw_body)


@app.route("/tasks/{token}/messages/{message_id}/file", methods=["GET"])
def intern_message_file(token: str, message_id: str) -> Response:
    from chalicelib.web import message_views

    return message_views.intern_file(token, message_id)


@app.route("/tasks/{token}/confidential", methods=["GET"])
def confidential_page(token: str) -> Response:
    from chalicelib.web import message_views

    return message_views.confidential_page(token, _request().headers)


@app.route("/tasks/{token}/confidential/{number}", methods=["GET"])
def confidential_file(token: str, number: str) -> Response:
    from chalicelib.web import message_views

    return message_views.confidential_file(token, number, _request().headers)


@app.route("/finance/disputes/{brief_id}/messages", methods=["GET"])
def finance_dispute_messages(brief_id: str) -> Response:
    from chalicelib.web import message_views

    return message_views.finance_thread_page(brief_id, _request().headers)


# --- open briefs: interns browse and apply (issue 17) ----------------------------------------


@app.route("/api/open-briefs", methods=["GET"])
@json_errors
def open_briefs_list() -> Response:
    from chalicelib.web import open_brief_views

    return open_brief_views.list_json(_request().headers)


@app.route(
    "/api/open-briefs/{brief_id}/interest",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def open_brief_interest(brief_id: str) -> Response:
    from chalicelib.web import open_brief_views

    request = _request()
    return open_brief_views.interest_json(request.headers, brief_id, request.raw_body)


@app.route("/api/open-briefs/{brief_id}/interest", methods=["DELETE"])
@json_errors
def open_brief_interest_delete(brief_id: str) -> Response:
    from chalicelib.web import open_brief_views

    return open_brief_views.withdraw_json(_request().headers, brief_id)


@app.route(
    "/api/open-briefs/{brief_id}/withdraw",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def open_brief_withdraw(brief_id: str) -> Response:
    from chalicelib.web import open_brief_views

    return open_brief_views.withdraw_json(_request().headers, brief_id)


@app.route("/tasks/{token}/open-briefs", methods=["GET"])
def open_briefs_page(token: str) -> Response:
    from chalicelib.web import open_brief_views

    return open_brief_views.open_briefs_page(token, _request().headers)


@app.route("/tasks/{token}/open-briefs/{brief_id}/{action}", methods=["POST"], content_types=[FORM])
def open_brief_form(token: str, brief_id: str, action: str) -> Response:
    from chalicelib.web import open_brief_views

    request = _request()
    if action not in ("interest", "withdraw"):
        from chalicelib.services.errors import NotFound
        from chalicelib.web.pages import error_page

        return error_page(NotFound("No such action."))
    return open_brief_views.open_brief_action(
        token, brief_id, action, request.headers, request.raw_body
    )


# --- certificates and the talent pool (issue 15) ---------------------------------------------


@app.route("/api/certificates/{certificate_id}", methods=["GET"])
@json_errors
def certificate_json(certificate_id: str) -> Response:
    from chalicelib.web import certificate_views

    return certificate_views.certificate_json(certificate_id)


@app.route("/certificates/{certificate_id}", methods=["GET"])
def certificate_page(certificate_id: str) -> Response:
    from chalicelib.web import certificate_views

    return certificate_views.certificate_page(certificate_id)


@app.route("/.well-known/microintern-keys.json", methods=["GET"])
@json_errors
def certificate_keys() -> Response:
    from chalicelib.web import certificate_views

    return certificate_views.keys_json()


@app.route("/portfolio/{slug}", methods=["GET"])
def portfolio_page(slug: str) -> Response:
    from chalicelib.web import certificate_views

    return certificate_views.portfolio_page(slug)


@app.route("/tasks/{token}/certificate/{choice}", methods=["POST"], content_types=[FORM])
def task_certificate_form(token: str, choice: str) -> Response:
    from chalicelib.web import certificate_views

    request = _request()
    return certificate_views.intern_choice(token, choice, request.headers, request.raw_body)


@app.route(
    "/api/tasks/{token}/certificate/{choice}",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def task_certificate_api(token: str, choice: str) -> Response:
    from chalicelib.web import certificate_views

    json_object(_request().raw_body or b"{}")  # no fields; a body, if any, is a JSON object
    return json_response(certificate_views.run_intern_choice(token, choice))


@app.route("/briefs/{brief_id}/talent/{action}", methods=["POST"], content_types=[FORM])
def brief_talent_form(brief_id: str, action: str) -> Response:
    from chalicelib.web import certificate_views

    request = _request()
    return certificate_views.employer_talent(brief_id, action, request.headers, request.raw_body)


@app.route(
    "/api/briefs/{brief_id}/hiring-interest",
    methods=["POST"],
    content_types=[JSON, "text/plain"],
)
@json_errors
def brief_hiring_interest(brief_id: str) -> Response:
    from chalicelib.web import brief_access, certificate_views

    request = _request()
    brief = brief_access.open_brief(brief_id, request.headers, writes=True)
    json_object(request.raw_body or b"{}")
    return json_response(certificate_views.run_employer_talent(brief, "interested"))


# --- accounts (issue 14): sign-in by emailed link, sessions, dashboards ----------------------


@app.route("/signin", methods=["GET"])
def signin_page() -> Response:
    from chalicelib.web import account_views

    return account_views.signin_page(_request().headers)


@app.route("/signin", methods=["POST"], content_types=[FORM])
def signin_form() -> Response:
    from chalicelib.web import account_views

    return account_views.signin_form_post(_request().headers, _request().raw_body)


@app.route("/api/signin", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def signin_api() -> Response:
    from chalicelib.web import account_views

    return account_views.signin_api(_request().raw_body)


@app.route("/signin/{token}", methods=["GET"])
def signin_link_page(token: str) -> Response:
    from chalicelib.web import account_views

    return account_views.signin_link_page(token, _request().headers)


@app.route("/signin/{token}", methods=["POST"], content_types=[FORM])
def signin_link(token: str) -> Response:
    from chalicelib.web import account_views

    return account_views.signin_link_post(token, _request().headers, _request().raw_body)


@app.route("/signout", methods=["POST"], content_types=[FORM])
def signout() -> Response:
    from chalicelib.web import account_views

    return account_views.signout(_request().headers, _request().raw_body)


@app.route("/dashboard", methods=["GET"])
def dashboard() -> Response:
    from chalicelib.web import dashboards

    notice = dict(_request().query_params or {}).get("notice", "")
    return dashboards.dashboard(_request().headers, notice)


@app.route("/dashboard/new-brief", methods=["GET"])
def dashboard_new_brief() -> Response:
    from chalicelib.web import org_views

    return org_views.new_brief(_request().headers)


@app.route("/dashboard/invite", methods=["POST"], content_types=[FORM])
def dashboard_invite() -> Response:
    from chalicelib.web import org_views

    return org_views.invite_form_post(_request().headers, _request().raw_body)


@app.route("/dashboard/briefs/{brief_id}/receipts", methods=["GET"])
def dashboard_receipts(brief_id: str) -> Response:
    from chalicelib.web import org_views

    return org_views.receipts_page(brief_id, _request().headers)


@app.route("/invites/{token}", methods=["GET"])
def invite_page(token: str) -> Response:
    from chalicelib.web import org_views

    return org_views.invite_page(token, _request().headers)


@app.route("/invites/{token}", methods=["POST"], content_types=[FORM])
def invite_accept(token: str) -> Response:
    from chalicelib.web import org_views

    return org_views.invite_post(token, _request().headers, _request().raw_body)


@app.route("/api/me", methods=["GET"])
@json_errors
def me() -> Response:
    from chalicelib.web import account_views

    return account_views.me_json(_request().headers)


@app.route("/api/me/briefs", methods=["GET"])
@json_errors
def my_briefs() -> Response:
    from chalicelib.web import org_views

    return org_views.my_briefs_json(_request().headers)


@app.route("/api/keys", methods=["POST"], content_types=[JSON, "text/plain"])
@json_errors
def create_api_key() -> Response:
    from chalicelib.web import key_views

    return key_views.create(_request().headers, _request().raw_body)


@app.route("/api/keys", methods=["GET"])
@json_errors
def list_api_keys() -> Response:
    from chalicelib.web import key_views

    return key_views.listed(_request().headers)


@app.route("/api/keys/{key_id}", methods=["DELETE"])
@json_errors
def revoke_api_key(key_id: str) -> Response:
    from chalicelib.web import key_views

    return key_views.revoke(key_id, _request().headers)


@app.route("/dashboard/keys", methods=["POST"], content_types=[FORM])
def dashboard_new_key() -> Response:
    from chalicelib.web import key_views

    return key_views.create_form(_request().headers, _request().raw_body)


@app.route("/dashboard/keys/{key_id}/revoke", methods=["POST"], content_types=[FORM])
def dashboard_revoke_key(key_id: str) -> Response:
    from chalicelib.web import key_views

    return key_views.revoke_form(key_id, _request().headers, _request().raw_body)


# --- intern and finance accounts (issue 14): intern dashboard, finance people ---------------


@app.route("/api/me/engagements", methods=["GET"])
@json_errors
def my_engagements() -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.engagements_json(_request().headers)


@app.route("/dashboard/profile", methods=["POST"], content_types=[FORM])
def dashboard_profile() -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.profile_post(_request().headers, _request().raw_body)


@app.route("/dashboard/pause", methods=["POST"], content_types=[FORM])
def dashboard_pause() -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.pause_post(_request().headers, _request().raw_body)


@app.route("/dashboard/email-preferences", methods=["POST"], content_types=[FORM])
def dashboard_email_preferences() -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.prefs_post(_request().headers, _request().raw_body)


@app.route("/dashboard/stripe", methods=["POST"], content_types=[FORM])
def dashboard_stripe() -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.stripe_post(_request().headers, _request().raw_body)


@app.route("/dashboard/engagements/{brief_id}/open", methods=["POST"], content_types=[FORM])
def dashboard_open_engagement(brief_id: str) -> Response:
    from chalicelib.web import intern_dashboard

    return intern_dashboard.open_post(brief_id, _request().headers, _request().raw_body)


@app.route("/finance/payouts/{payout_id}/approve", methods=["POST"], content_types=[FORM])
def finance_page_approve(payout_id: str) -> Response:
    from chalicelib.web import finance_users

    return finance_users.decide_post("approve", payout_id, _request().headers, _request().raw_body)


@app.route("/finance/payouts/{payout_id}/reject", methods=["POST"], content_types=[FORM])
def finance_page_reject(payout_id: str) -> Response:
    from chalicelib.web import finance_users

    return finance_users.decide_post("reject", payout_id, _request().headers, _request().raw_body)


@app.route("/finance/disputes/{brief_id}/resolve", methods=["POST"], content_types=[FORM])
def finance_page_resolve(brief_id: str) -> Response:
    from chalicelib.web import finance_users

    return finance_users.decide_post("resolve", brief_id, _request().headers, _request().raw_body)


@app.route("/finance/attention/{brief_id}/retry", methods=["POST"], content_types=[FORM])
def finance_page_retry(brief_id: str) -> Response:
    from chalicelib.web import finance_users

    return finance_users.decide_post("retry", brief_id, _request().headers, _request().raw_body)


@app.route("/finance/team", methods=["POST"], content_types=[FORM])
def finance_team() -> Response:
    from chalicelib.web import finance_users

    return finance_users.team_post(_request().headers, _request().raw_body)


# --- open briefs from the intern dashboard: a signed-in intern, no task link (issue 17) -------


@app.route("/dashboard/open-briefs", methods=["GET"])
def dashboard_open_briefs() -> Response:
    from chalicelib.web import open_brief_views

    return open_brief_views.dashboard_page(_request().headers)


@app.route("/dashboard/open-briefs/{brief_id}/{action}", methods=["POST"], content_types=[FORM])
def dashboard_open_brief_form(brief_id: str, action: str) -> Response:
    from chalicelib.web import open_brief_views

    request = _request()
    if action not in ("interest", "withdraw"):
        from chalicelib.services.errors import NotFound
        from chalicelib.web.pages import error_page

        return error_page(NotFound("No such action."))
    return open_brief_views.dashboard_action(brief_id, action, request.headers, request.raw_body)


# --- reads are POSTs: marking a thread read, the sealed details, finance's evidence read -----


@app.route("/briefs/{brief_id}/messages/read", methods=["POST"], content_types=[FORM])
def employer_messages_read(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.employer_read_form(brief_id, request.headers, request.raw_body)


@app.route("/tasks/{token}/messages/read", methods=["POST"], content_types=[FORM])
def intern_messages_read(token: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.intern_read_form(token, request.headers, request.raw_body)


@app.route("/tasks/{token}/confidential", methods=["POST"], content_types=[FORM])
def confidential_show(token: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.confidential_show(token, request.headers, request.raw_body)


@app.route("/tasks/{token}/confidential/{number}", methods=["POST"], content_types=[FORM])
def confidential_file_post(token: str, number: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.confidential_file_post(token, number, request.headers, request.raw_body)


@app.route("/finance/disputes/{brief_id}/messages", methods=["POST"], content_types=[FORM])
def finance_dispute_messages_show(brief_id: str) -> Response:
    from chalicelib.web import message_views

    request = _request()
    return message_views.finance_thread_show(brief_id, request.headers, request.raw_body)


# --- reopened runs: a brief reopened for a late applicant whose run never started ----------


@app.schedule("rate(5 minutes)", name="start_reopened_runs")
def start_reopened_runs(event: Any) -> dict[str, int]:
    """Start the run of a brief an applicant reopened when its own start failed (its own
    function: the reconciler's role may not start executions)."""
    from chalicelib.services import late_applicants

    return late_applicants.start_stalled_runs()


# --- workflow steps (statemachines/engagement.asl.json) -------------------------------------


def _step(name: str, event: dict[str, Any]) -> dict[str, Any]:
    """Validate the state machine's payload and hand it to the step's service function."""
    from chalicelib.services import steps
    from chalicelib.settings import get_settings

    get_settings()  # a stage missing a setting refuses here, naming it (as routes do)
    result: dict[str, Any] = getattr(steps, name)(steps.StepEvent.model_validate(event))
    return result


@app.lambda_function(name="match")
@step_handler
def match(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("match", event)


@app.lambda_function(name="next_candidate")
@step_handler
def next_candidate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("next_candidate", event)


@app.lambda_function(name="await_party")
@step_handler
def await_party(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("await_party", event)


@app.lambda_function(name="window_closed")
@step_handler
def window_closed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("window_closed", event)


@app.lambda_function(name="release")
@step_handler
def release(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("release", event)


@app.lambda_function(name="refund")
@step_handler
def refund(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("refund", event)


@app.lambda_function(name="settle")
@step_handler
def settle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _step("settle", event)

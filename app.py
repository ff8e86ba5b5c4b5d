"""microintern: HTTP routes and workflow steps. Handlers parse, call a service, map errors."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.observability import logger, step_handler
from chalicelib.services import steps
from chalicelib.services.steps import StepEvent
from chalicelib.web.http import bearer, header, json_errors, json_object, json_response

app = Chalice(app_name="microintern")
JSON = "application/json"


def _request() -> Request:
    request = app.current_request
    assert request is not None  # always set while a route runs
    return request


FORM = "application/x-www-form-urlencoded"
app.log = logger  # type: ignore[assignment]


@app.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/", methods=["GET"])
def home() -> Response:
    from chalicelib.web import pages

    return pages.home()


# --- employer: briefs -------------------------------------------------------------------------


@app.route("/briefs/new", methods=["GET"])
def new_brief_form() -> Response:
    from chalicelib.web import views

    return views.brief_form(_request().headers)


@app.route("/briefs", methods=["POST"], content_types=[FORM])
def post_brief_form() -> Response:
    from chalicelib.web import views

    request = _request()
    return views.submit_brief_form(request.headers, request.raw_body)


@app.route("/briefs/{brief_id}", methods=["GET"])
def brief_page(brief_id: str) -> Response:
    from chalicelib.web import views

    params: dict[str, str] = dict(_request().query_params or {})
    return views.brief_page(brief_id, params.get("key"))


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
    from chalicelib.services import briefs

    brief = briefs.open_brief(brief_id, bearer(_request().headers))
    return json_response(briefs.brief_view(brief))


# --- interns: registration and profiles (issue 4) --------------------------------------------
# (routes for this section go above this line)


# --- escrow: funding, Stripe webhooks, Connect onboarding (issue 6) ---------------------------
# (routes for this section go above this line)


# --- engagement: the intern's task page and the employer's actions (issue 5) -----------------
# (routes for this section go above this line)


# --- workflow steps (statemachines/engagement.asl.json) -------------------------------------


@app.lambda_function(name="match")
@step_handler
def match(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.match(StepEvent.model_validate(event))


@app.lambda_function(name="next_candidate")
@step_handler
def next_candidate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.next_candidate(StepEvent.model_validate(event))


@app.lambda_function(name="await_party")
@step_handler
def await_party(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.await_party(StepEvent.model_validate(event))


@app.lambda_function(name="window_closed")
@step_handler
def window_closed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.window_closed(StepEvent.model_validate(event))


@app.lambda_function(name="release")
@step_handler
def release(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.release(StepEvent.model_validate(event))


@app.lambda_function(name="refund")
@step_handler
def refund(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.refund(StepEvent.model_validate(event))


@app.lambda_function(name="settle")
@step_handler
def settle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return steps.settle(StepEvent.model_validate(event))

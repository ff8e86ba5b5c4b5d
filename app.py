"""microintern: HTTP routes and workflow steps. Handlers parse, call a service, map errors."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, Response

from chalicelib.observability import logger, step_handler
from chalicelib.services import steps
from chalicelib.services.steps import StepEvent

app = Chalice(app_name="microintern")
app.log = logger  # type: ignore[assignment]


@app.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/", methods=["GET"])
def home() -> Response:
    from chalicelib.web import pages

    return pages.home()


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

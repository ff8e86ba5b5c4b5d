"""Step Functions: start one execution per brief (and tell whether one started), resume or fail
its waits by task token."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import aws


class WaitClosed(Exception):
    """The wait this token belonged to is over (timed out, resumed, or the run ended)."""


_CLOSED = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"}


def start_engagement(state_machine_arn: str, brief_id: str, execution_input: dict[str, Any]) -> str:
    """Start the brief's execution, named by the brief id: a retried start starts nothing twice."""
    sfn = aws.client("stepfunctions")
    try:
        resp = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=brief_id, input=json.dumps(execution_input)
        )
        return str(resp["executionArn"])
    except sfn.exceptions.ExecutionAlreadyExists:
        return execution_arn(state_machine_arn, brief_id)


def execution_arn(state_machine_arn: str, name: str) -> str:
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"


def execution_exists(state_machine_arn: str, name: str) -> bool:
    """Did an execution of this name start (whatever its state)? DescribeExecution."""
    sfn = aws.client("stepfunctions")
    try:
        sfn.describe_execution(executionArn=execution_arn(state_machine_arn, name))
        return True
    except sfn.exceptions.ExecutionDoesNotExist:
        return False


def resume(task_token: str, output: dict[str, Any]) -> None:
    _call("send_task_success", taskToken=task_token, output=json.dumps(output))


def fail(task_token: str, error: str, cause: str = "") -> None:
    _call("send_task_failure", taskToken=task_token, error=error, cause=cause or error)


def _call(operation: str, **kwargs: Any) -> None:
    sfn = aws.client("stepfunctions")
    try:
        getattr(sfn, operation)(**kwargs)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in _CLOSED:
            raise WaitClosed(code) from exc
        raise

"""Step Functions: start one execution per brief, resume waits by task token."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters import aws


def start_engagement(state_machine_arn: str, brief_id: str, execution_input: dict[str, Any]) -> str:
    """Start the brief's execution, named by the brief id: a retried start starts nothing twice."""
    sfn = aws.client("stepfunctions")
    try:
        resp = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=brief_id, input=json.dumps(execution_input)
        )
        return str(resp["executionArn"])
    except sfn.exceptions.ExecutionAlreadyExists:
        arn = state_machine_arn.replace(":stateMachine:", ":execution:")
        return f"{arn}:{brief_id}"


def resume(task_token: str, output: dict[str, Any]) -> None:
    aws.client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))

"""The twin's slimming of finished Step Functions executions (local/moto_memory.py): once an
execution has ended, moto keeps only what it reads of it afterwards, and answers as before —
the same status, output and history, and a late task-token call the same error."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_memory

ROLE = "arn:aws:iam::123456789012:role/sfn"
DEFINITION = {
    "StartAt": "Wait for a token",
    "States": {
        "Wait for a token": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
            "ResultPath": "$.answer",
            "Next": "Done",
        },
        "Done": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.done", "End": True},
    },
}


@pytest.fixture
def sfn() -> Iterator[Any]:
    moto_memory.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


def until(probe: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not in time")


def test_a_finished_execution_answers_as_before_from_its_slim_record(sfn: Any) -> None:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="tokens")["QueueUrl"]
    machine = sfn.create_state_machine(
        name="slim", definition=json.dumps(DEFINITION), roleArn=ROLE
    )["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"queue": queue, "n": 1}))[
        "executionArn"
    ]
    message = until(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))
    token = json.loads(message[0]["Body"])["token"]
    sfn.send_task_success(taskToken=token, output=json.dumps({"paid": 100}))

    done = until(
        lambda: (d := sfn.describe_execution(executionArn=arn))["status"] == "SUCCEEDED" and d
    )
    assert json.loads(done["output"]) == {
        "queue": queue,
        "n": 1,
        "answer": {"paid": 100},
        "done": {"ok": True},
    }
    history = sfn.get_execution_history(executionArn=arn)["events"]
    kinds = [e["type"] for e in history]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
    assert "TaskSucceeded" in kinds
    assert sfn.get_execution_history(executionArn=arn)["events"] == history  # read again

    backend = stepfunctions_parser_backends["123456789012"]["us-east-1"]
    (execution,) = backend._get_executions()
    assert isinstance(execution.exec_worker.env, moto_memory.FinishedEnvironment)

    with pytest.raises(ClientError) as late:  # the token was used: the same refusal as before
        sfn.send_task_success(taskToken=token, output="{}")
    assert late.value.response["Error"]["Code"] in {
        "TaskTimedOut",
        "TaskDoesNotExist",
        "InvalidToken",
    }

"""`make package` produces the template CloudFormation deploys: the app, the table, the bucket,
the state machine and its substitutions wired to the step functions' logical ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app import app
from infrastructure.template import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [sys.executable, "-m", "infrastructure.package", "--stage", "prod", "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    assert (out / "deployment.zip").stat().st_size > 0
    return dict(json.loads((out / "sam.json").read_text()))


def test_template_holds_table_bucket_and_state_machine(packaged: dict) -> None:
    resources = packaged["Resources"]
    assert resources["Table"]["Type"] == "AWS::DynamoDB::Table"
    assert resources["DeliverablesBucket"]["Type"] == "AWS::S3::Bucket"
    assert resources["SenderIdentity"]["Type"] == "AWS::SES::EmailIdentity"
    machine = resources["EngagementStateMachine"]
    assert machine["Type"] == "AWS::StepFunctions::StateMachine"
    definition = machine["Properties"]["Definition"]
    assert definition == json.loads((ROOT / "statemachines/engagement.asl.json").read_text())


def test_substitutions_point_at_the_step_functions_logical_ids(packaged: dict) -> None:
    from chalice.utils import to_cfn_resource_name

    resources = packaged["Resources"]
    subs = packaged["Resources"]["EngagementStateMachine"]["Properties"]["DefinitionSubstitutions"]
    steps = {to_cfn_resource_name(f.name) for f in app.pure_lambda_functions}
    referenced = {value["Fn::GetAtt"][0] for value in subs.values()}
    assert referenced == steps
    for logical in referenced:
        assert resources[logical]["Type"] == "AWS::Serverless::Function"
        handler = resources[logical]["Properties"]["Handler"]
        assert handler.startswith("app.")


def test_functions_get_table_and_state_machine_settings(packaged: dict) -> None:
    variables = packaged["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "Table"}
    assert variables["DELIVERABLES_BUCKET"] == {"Ref": "DeliverablesBucket"}
    assert (
        "stateMachine:microintern-${Stage}-engagement" in variables["STATE_MACHINE_ARN"]["Fn::Sub"]
    )


def test_prod_stage_uses_its_own_least_privilege_policy(packaged: dict) -> None:
    role = packaged["Resources"]["ApiHandlerRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    resources = json.dumps(statements)
    assert "microintern-prod" in resources and "microintern-dev" not in resources
    assert not any(
        s["Action"] == "*" or (s.get("Resource") == "*" and s["Action"] == "dynamodb:*")
        for s in statements
    )

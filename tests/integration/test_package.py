"""`make package` produces the template CloudFormation deploys: the app, the table, the bucket,
the state machine and its substitutions wired to the step functions' logical ids; one role per
function with only what it needs; the operations around it (logs, alarms, dead letters); SES
feedback and DKIM. Checked on the prod package as SAM and expanded by the SAM transform (the
form CloudFormation deploys, where IAM policies are finally plain resources)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app import app
from infrastructure.template import ROOT

pytestmark = pytest.mark.slow

STEPS = ["Match", "NextCandidate", "AwaitParty", "WindowClosed", "Release", "Refund", "Settle"]
SECRET_ARN = "arn:aws:secretsmanager:*:*:secret:microintern/prod/app-??????"
SCHEDULED = {
    "Reconcile": "ReconcileEvent",
    "SendReminders": "SendRemindersEvent",
    "StartReopenedRuns": "StartReopenedRunsEvent",
}


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "prod"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [sys.executable, "-m", "infrastructure.package", "--stage", "prod", "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    assert (out / "deployment.zip").stat().st_size > 0
    return out


@pytest.fixture(scope="module")
def packaged(package_dir: Path) -> dict:
    return dict(json.loads((package_dir / "sam.json").read_text()))


@pytest.fixture(scope="module")
def expanded(packaged: dict) -> dict:
    """The SAM transform's output: what CloudFormation deploys (`make validate` lints the
    same expansion, written by `make package` as expanded.json)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam = json.loads(json.dumps(packaged))
    for resource in of_type(sam, "AWS::Serverless::Function").values():
        resource["Properties"]["CodeUri"] = "s3://bucket/deployment.zip"
    session = boto3.session.Session(region_name="us-east-1")
    translator = Translator(None, Parser(), boto_session=session)
    return dict(translator.translate(sam, parameter_values={}, get_managed_policy_map=dict))


def of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r.get("Type") == kind}


def statements(template: dict, role: str) -> list[dict[str, Any]]:
    props = template["Resources"][role]["Properties"]
    return [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def actions(template: dict, role: str) -> set[str]:
    found: set[str] = set()
    for statement in statements(template, role):
        action = statement["Action"]
        found.update([action] if isinstance(action, str) else action)
    return found


def _listed(action: str | list[str]) -> list[str]:
    return [action] if isinstance(action, str) else list(action)


def role_of(template: dict, function: str) -> str:
    return str(template["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0])


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
    assert referenced == steps == set(STEPS)
    for logical in referenced:
        assert resources[logical]["Type"] == "AWS::Serverless::Function"
        handler = resources[logical]["Properties"]["Handler"]
        assert handler.startswith("app.")


def test_functions_get_table_state_machine_mail_and_url_settings(packaged: dict) -> None:
    variables = packaged["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "Table"}
    assert variables["DELIVERABLES_BUCKET"] == {"Ref": "DeliverablesBucket"}
    assert (
        "stateMachine:microintern-${Stage}-engagement" in variables["STATE_MACHINE_ARN"]["Fn::Sub"]
    )
    assert variables["SES_CONFIGURATION_SET"] == {"Ref": "ConfigurationSet"}
    # The public base URL is the deployer's to give: no default that would put a wrong
    # host in every emailed link.
    assert variables["BASE_URL"] == {"Ref": "BaseUrl"}
    assert "Default" not in packaged["Parameters"]["BaseUrl"]


def test_prod_package_is_prod_throughout(packaged: dict, expanded: dict) -> None:
    """The Stage parameter names the resources; the policies name the same stage's."""
    stage = packaged["Parameters"]["Stage"]
    assert stage["Default"] == "prod" and stage["AllowedValues"] == ["prod"]
    roles = of_type(expanded, "AWS::IAM::Role")
    text = json.dumps({k: statements(expanded, k) for k in roles})
    assert "microintern-prod" in text and "microintern-dev" not in text
    for logical in (*STEPS, *SCHEDULED, "APIHandler"):
        name = packaged["Resources"][logical]["Properties"]["FunctionName"]
        assert name["Fn::Sub"].startswith("microintern-${Stage}-")


def test_every_function_has_its_own_least_privilege_role(expanded: dict) -> None:
    functions = of_type(expanded, "AWS::Lambda::Function")
    assert set(functions) >= {*STEPS, *SCHEDULED, "APIHandler"}
    roles = {role_of(expanded, f) for f in functions}
    assert len(roles) == len(functions), "functions share a role"
    for role in roles:
        for statement in statements(expanded, role):
            granted = statement["Action"]
            granted = [granted] if isinstance(granted, str) else granted
            assert not any(a == "*" or a.endswith(":*") for a in granted), (role, statement)
    # Only the API (and the reopened-runs sweep, below) starts executions; only the API signs
    # uploads; the reconciler records only what Stripe's objects prove
    # (services/reconcile_repairs.py) and resumes the funding wait.
    api = actions(expanded, role_of(expanded, "APIHandler"))
    assert {"states:StartExecution", "s3:PutObject", "s3:GetObject", "s3:ListBucket"} <= api
    reconcile = actions(expanded, role_of(expanded, "Reconcile"))
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "states:SendTaskSuccess"} <= reconcile
    cursor = [
        s
        for s in statements(expanded, role_of(expanded, "Reconcile"))
        if s.get("Sid") == "ReconcileCursor"
    ]
    assert [s["Condition"] for s in cursor] == [
        {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["RECONCILE"]}}
    ]  # its own pass cursor only
    assert not reconcile & {"ses:SendEmail", "states:StartExecution", "s3:PutObject"}
    # A reopened brief's run whose own start failed is started by a function of its own: it
    # may start and describe executions, and nothing more of the workflow, mail or files.
    sweep = actions(expanded, role_of(expanded, "StartReopenedRuns"))
    assert {"states:StartExecution", "states:DescribeExecution", "dynamodb:Query"} <= sweep
    assert not sweep & {"ses:SendEmail", "states:SendTaskSuccess", "s3:PutObject"}
    for step in STEPS:
        granted = actions(expanded, role_of(expanded, step))
        assert "states:StartExecution" not in granted and "s3:PutObject" not in granted, step


def test_no_iam_action_that_does_not_exist(expanded: dict) -> None:
    """A transaction is authorised by the writes inside it; TransactWriteItems is no action."""
    for role in of_type(expanded, "AWS::IAM::Role"):
        granted = actions(expanded, role)
        assert "dynamodb:TransactWriteItems" not in granted, role
    api = actions(expanded, role_of(expanded, "APIHandler"))
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"} <= api


def test_head_object_users_may_list_the_bucket_and_every_function_reads_the_secret(
    expanded: dict,
) -> None:
    """Without s3:ListBucket S3 answers 403 for a missing key (the code answers 404 on 404)."""
    api = statements(expanded, role_of(expanded, "APIHandler"))
    listing = [s for s in api if s["Action"] == "s3:ListBucket"]
    assert listing and listing[0]["Resource"] == "arn:aws:s3:::microintern-prod-deliverables-*"
    for function in of_type(expanded, "AWS::Lambda::Function"):
        secret = [
            s
            for s in statements(expanded, role_of(expanded, function))
            if s["Action"] == "secretsmanager:GetSecretValue"
        ]
        assert secret, function
        assert secret[0]["Resource"] == SECRET_ARN


def test_expanded_template_lints_clean(expanded: dict, tmp_path: Path) -> None:
    """cfn-lint on the expanded template: errors and warnings (W3037 among them) fail."""
    path = tmp_path / "expanded.json"
    path.write_text(json.dumps(expanded, indent=1))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_policy_files_are_generated_from_infrastructure_policies() -> None:
    from infrastructure.policies import stale

    assert stale() == []


def test_state_machine_logs_errors_without_execution_data_and_is_traced(expanded: dict) -> None:
    props = expanded["Resources"]["EngagementStateMachine"]["Properties"]
    logging = props["LoggingConfiguration"]
    assert logging["Level"] in {"ERROR", "ALL"} and logging["IncludeExecutionData"] is False
    group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert expanded["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
    assert "RetentionInDays" in expanded["Resources"][group]["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    role = props["RoleArn"]["Fn::GetAtt"][0]
    granted = actions(expanded, role)
    assert {"logs:CreateLogDelivery", "xray:PutTraceSegments"} <= granted


def test_every_log_group_has_retention(expanded: dict) -> None:
    groups = of_type(expanded, "AWS::Logs::LogGroup")
    named = {}
    for logical, group in groups.items():
        assert group["Properties"]["RetentionInDays"], logical
        name = group["Properties"]["LogGroupName"]
        if isinstance(name, dict) and "Fn::Sub" in name:
            named[name["Fn::Sub"]] = logical
    for function in of_type(expanded, "AWS::Lambda::Function"):
        assert f"/aws/lambda/${{{function}}}" in named, function


def _alarms(expanded: dict) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in of_type(expanded, "AWS::CloudWatch::Alarm").items()}


def test_the_api_stage_throttles_every_method(expanded: dict) -> None:
    (stage,) = [r for r in expanded["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    (settings,) = stage["Properties"]["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert 0 < settings["ThrottlingRateLimit"] <= settings["ThrottlingBurstLimit"]


def test_alarms_on_failed_timed_out_and_aborted_executions(expanded: dict) -> None:
    by_metric = {(a.get("Namespace"), a.get("MetricName")): a for a in _alarms(expanded).values()}
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        alarm = by_metric[("AWS/States", metric)]
        assert alarm["Dimensions"] == [
            {"Name": "StateMachineArn", "Value": {"Ref": "EngagementStateMachine"}}
        ]
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert expanded["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    subscription = expanded["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"  # the email is optional


def test_alarm_on_any_step_function_error(expanded: dict) -> None:
    watched = set()
    for alarm in _alarms(expanded).values():
        for query in alarm.get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric", {})
            if (metric.get("Namespace"), metric.get("MetricName")) == ("AWS/Lambda", "Errors"):
                watched.add(metric["Dimensions"][0]["Value"]["Ref"])
    assert watched == set(STEPS)


def test_alarm_on_reconciler_discrepancies(expanded: dict) -> None:
    alarm = next(
        a for a in _alarms(expanded).values() if a.get("MetricName") == "ReconcileDiscrepancies"
    )
    assert alarm["Namespace"] == "microintern"
    # Powertools Metrics(service="microintern") emits the `service` dimension.
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "microintern"}]
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1


def test_alarm_when_the_sweep_cannot_start_a_reopened_run(expanded: dict) -> None:
    """Three 5-minute sweeps in a row with an error (a marker whose start keeps failing)."""
    alarm = next(
        a for a in _alarms(expanded).values() if a.get("MetricName") == "ReopenedRunsErrors"
    )
    assert alarm["Namespace"] == "microintern"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "microintern"}]
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["Threshold"]) == (300, 3, 1)
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_scheduled_functions_have_retries_and_a_dead_letter_queue(expanded: dict) -> None:
    rules = of_type(expanded, "AWS::Events::Rule")
    queue = {"Fn::GetAtt": ["ScheduledDeadLetterQueue", "Arn"]}
    targets = {
        t["Arn"]["Fn::GetAtt"][0]: t for r in rules.values() for t in r["Properties"]["Targets"]
    }
    assert set(targets) == set(SCHEDULED)
    for function, target in targets.items():
        assert target["DeadLetterConfig"] == {"Arn": queue}, function
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
        props = expanded["Resources"][function]["Properties"]
        assert props["DeadLetterConfig"] == {"TargetArn": queue}  # failures after Lambda retries
    assert expanded["Resources"]["ScheduledDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    policy = expanded["Resources"]["ScheduledDeadLetterQueuePolicy"]["Properties"]
    statement = policy["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    names = {r["Properties"]["Name"]["Fn::Sub"] for r in rules.values()}
    arns = json.dumps(statement["Condition"])
    assert all(name.split("}-", 1)[1] in arns for name in names)
    depth = [a for a in _alarms(expanded).values() if a.get("Namespace") == "AWS/SQS"]
    assert depth and depth[0]["MetricName"] == "ApproximateNumberOfMessagesVisible"


def test_ses_configuration_set_sends_bounces_and_complaints_to_the_feedback_topic(
    expanded: dict,
) -> None:
    resources = expanded["Resources"]
    assert resources["ConfigurationSet"]["Type"] == "AWS::SES::ConfigurationSet"
    destination = of_type(expanded, "AWS::SES::ConfigurationSetEventDestination")
    (props,) = [d["Properties"] for d in destination.values()]
    assert props["ConfigurationSetName"] == {"Ref": "ConfigurationSet"}
    event = props["EventDestination"]
    assert sorted(event["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert event["SnsDestination"]["TopicARN"] == {"Ref": "SesFeedbackTopic"}
    assert resources["SesFeedbackTopic"]["Type"] == "AWS::SNS::Topic"
    identity = resources["SenderIdentity"]["Properties"]
    assert identity["ConfigurationSetAttributes"]["ConfigurationSetName"] == {
        "Ref": "ConfigurationSet"
    }


def test_dkim_records_are_stack_outputs(packaged: dict) -> None:
    outputs = packaged["Outputs"]
    for i in (1, 2, 3):
        assert outputs[f"DkimRecord{i}Name"]["Value"] == {
            "Fn::GetAtt": ["SenderIdentity", f"DkimDNSTokenName{i}"]
        }
        assert outputs[f"DkimRecord{i}Value"]["Value"] == {
            "Fn::GetAtt": ["SenderIdentity", f"DkimDNSTokenValue{i}"]
        }


def test_the_package_ships_boto3_and_botocore_of_one_release(package_dir: Path) -> None:
    """Pinned together in requirements.txt: the runtime's own boto3 cannot drift from the
    botocore aws-xray-sdk brings in."""
    with zipfile.ZipFile(package_dir / "deployment.zip") as zf:
        folders = {name.split("/")[0] for name in zf.namelist()}
    dists = dict(
        folder.removesuffix(".dist-info").rsplit("-", 1)
        for folder in folders
        if folder.endswith(".dist-info")
    )
    boto3, botocore = dists.get("boto3"), dists.get("botocore")
    assert boto3 and boto3 == botocore
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["boto3"] == pins["botocore"] == boto3


def test_an_sns_subscription_to_our_topic_is_wired_to_it() -> None:
    """Chalice subscribes `@app.on_sns_message(topic=NAME)` to a topic ARN built from NAME;
    the merge template points it at the template's own topic (SES feedback)."""
    from chalice import Chalice

    from infrastructure.template import merge_template

    demo = Chalice(app_name="microintern")

    @demo.on_sns_message(topic="microintern-ses-feedback", name="ses_feedback")
    def ses_feedback(event: Any) -> None:  # pragma: no cover - never invoked
        return None

    merged = merge_template("prod", demo)["Resources"]["SesFeedback"]["Properties"]
    events = merged["Events"]["SesFeedbackSnsSubscription"]["Properties"]
    assert events["Topic"] == {"Fn::Sub": "${SesFeedbackTopic}"}
    assert merged["FunctionName"] == {"Fn::Sub": "microintern-${Stage}-ses_feedback"}


def test_the_twin_provisions_the_mail_feedback_and_dead_letter_resources(
    aws_env: dict[str, str],
) -> None:
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    name = aws_env["SES_CONFIGURATION_SET"]
    described = session.client("ses").describe_configuration_set(
        ConfigurationSetName=name, ConfigurationSetAttributeNames=["eventDestinations"]
    )
    (destination,) = described["EventDestinations"]
    assert sorted(destination["MatchingEventTypes"]) == ["bounce", "complaint"]
    topics = [t["TopicArn"] for t in session.client("sns").list_topics()["Topics"]]
    assert destination["SNSDestination"]["TopicARN"] in topics
    queues = session.client("sqs").list_queues()["QueueUrls"]
    assert any(q.endswith("-scheduled-dlq") for q in queues)
    assert aws_env["BASE_URL"] == "http://testserver"


def test_the_match_step_runs_on_a_full_vcpu(packaged: dict) -> None:
    """Lambda's CPU share grows with memory (one full vCPU at 1,769 MB): the match step's own
    work (2,000 postings parsed and scored, docs/matching.md) is CPU-bound; the others keep
    the default."""
    resources = packaged["Resources"]
    assert resources["Match"]["Properties"]["MemorySize"] == 1769
    assert resources["NextCandidate"]["Properties"]["MemorySize"] == 512

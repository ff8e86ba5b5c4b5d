"""The local twin: microintern on one laptop, no cloud account, no network.

One process tree, in the foreground:
- moto's server (the AWS twin) with Step Functions execution on; the table, bucket, SES identity
  and state machine are provisioned from `infrastructure/resources.json` and
  `statemachines/*.asl.json` (DefinitionSubstitutions applied here, as CloudFormation would);
- Lambda task states handed in-process to the app's own `@app.lambda_function` steps — moto's
  docker-less Lambda `invoke` is the one seam patched — with Lambda's event and context shape;
- the Chalice app, reaching the twin only through the standard `AWS_ENDPOINT_URL` setting, and
  reading its secrets from the stage's Secrets Manager secret in moto (`AppSecrets`, filled with
  `DEFAULT_SECRETS`), through the same Powertools Parameters call as when deployed;
- `/_local/outbox(.json)` (every email sent) and `/_local/finance-inbox.json`.

With `--base-path /api` (or `BASE_PATH=/api`) everything is served under that prefix, the way
API Gateway's execute-api URL puts the stage in front of every route: the app answers at
`http://127.0.0.1:8000/api/...` (BASE_URL includes the prefix), anything outside it is 404.

    python -m local.twin [--port 8000] [--aws-port 5000] [--seed N] [--base-path /api]
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import hashlib
import io
import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from local import s3_rules
from local.stats import STATS

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "local"

# The twin's secrets: stored in its Secrets Manager secret, each overridable by an environment
# variable of the same name (e.g. your own Stripe test key). The app has no defaults of its own.
DEFAULT_SECRETS = {
    "STRIPE_API_KEY": "sk_test_local_twin",
    "STRIPE_WEBHOOK_SECRET": "whsec_local_twin_stripe",
    "FINANCE_WEBHOOK_SECRET": "whsec_bG9jYWwtdHdpbi1maW5hbmNlLXNlY3JldA==",
    "CSRF_SECRET": "local-twin-csrf-secret",
}
# The finance books' key on the twin (only its SHA-256 is configured, as when deployed).
LOCAL_FINANCE_KEY = "fk_local_twin_finance_key"
# The twin's finance owner (issue 14): signs in by emailed link (the outbox) and adds finance
# users. Deployed stages name theirs in FINANCE_OWNER_EMAILS; their default is nobody.
LOCAL_FINANCE_OWNER = "finance-owner@microintern.test"
DEFAULT_SECRETS["FINANCE_API_KEY_SHA256"] = hashlib.sha256(LOCAL_FINANCE_KEY.encode()).hexdigest()
# Public by design: what the funding page hands the browser (the sandbox accepts any pk_test_).
LOCAL_PUBLISHABLE_KEY = "pk_test_local_twin"


def twin_secrets() -> dict[str, str]:
    """The secrets in use on the twin: DEFAULT_SECRETS, each overridden by the environment."""
    return {name: os.environ.get(name) or value for name, value in DEFAULT_SECRETS.items()}


@dataclass
class Twin:
    port: int = 8000
    aws_port: int = 5000
    stripe_port: int = 12111
    host: str = "127.0.0.1"
    base_path: str = ""  # e.g. "/api": the stage prefix of an execute-api URL
    env: dict[str, str] = field(default_factory=dict)
    finance_inbox: list[dict[str, Any]] = field(default_factory=list)
    # An app worker's (local/app_workers.py): the main process, which answers /_local/.
    local_url: str = ""
    _servers: list[Any] = field(default_factory=list)
    _workers: list[Any] = field(default_factory=list)

    @property
    def aws_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    def __post_init__(self) -> None:
        self.base_path = normalise_base_path(self.base_path)

    @property
    def app_url(self) -> str:
        """The app's public base (BASE_URL): the prefix included, as on API Gateway."""
        return f"http://{self.host}:{self.port}{self.base_path}"

    # -- environment ---------------------------------------------------------------------
    def configure_environment(self) -> None:
        """The settings a deployed stage gets from its template, pointed at the twin.

        The secrets are not set here: `provision` stores them in the stage's secret, and the app
        reads them from there (APP_SECRETS_ID), as deployed.
        """
        os.environ.setdefault("STRIPE_PUBLISHABLE_KEY", LOCAL_PUBLISHABLE_KEY)
        os.environ.setdefault("FINANCE_OWNER_EMAILS", LOCAL_FINANCE_OWNER)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "MOTO_PORT": str(self.aws_port),  # where moto's ASL interpreter calls Lambda
                "STAGE": STAGE,
                "BASE_URL": self.app_url,
                "MICROINTERN_LOCAL": "1",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
                "STRIPE_API_BASE": f"http://{self.host}:{self.stripe_port}",
                "STRIPE_JS_URL": f"http://{self.host}:{self.stripe_port}/v3/",
                "FINANCE_WEBHOOK_URL": os.environ.get(
                    "FINANCE_WEBHOOK_URL", f"{self.app_url}/_local/finance-webhook"
                ),
            }
        )
        os.environ.update(self.env)

    # -- AWS twin ------------------------------------------------------------------------
    def start_moto(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        from local import moto_memory, moto_speed

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_memory.install()  # moto keeps every object it made, and copies tables per transaction
        moto_speed.install()  # moto reads the whole table for every query
        s3_rules.enforce()  # bucket CORS and POST policies as S3 applies them

        server = ThreadedMotoServer(ip_address=self.host, port=self.aws_port, verbose=False)
        server.start()
        self._servers.append(server)
        requests.post(
            f"{self.aws_url}/moto-api/config",
            json={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
            },
            timeout=10,
        ).raise_for_status()
        _patch_lambda_invoke()
        _serialise_dynamodb()
        from local import ses_faults

        ses_faults.install()  # SES's sandbox refusal, for recipients at unverified.example

    def provision(self) -> dict[str, str]:
        """Create every resource of infrastructure/resources.json in the twin."""
        import boto3

        env = provision(boto3.session.Session(region_name=REGION))
        os.environ.update(env)
        return env

    # -- the app -------------------------------------------------------------------------
    def count_aws_calls(self) -> None:
        from chalicelib.adapters import aws

        aws._session().events.register("before-call", STATS.aws_call)

    def start_app(self, port: int | None = None, *, reuse_port: bool = False) -> None:
        """Serve the app on `port` (default: the public one); `reuse_port` for app workers,
        which share the public port."""
        from chalice.config import Config
        from chalice.local import LocalDevServer, ThreadedHTTPServer

        import app as app_module

        _requests_per_thread(app_module.app)
        config = Config.create(chalice_stage="dev", lambda_timeout=30, lambda_memory_size=512)
        handler = _local_handler(self)
        server_cls: Any = ThreadedHTTPServer
        if reuse_port:
            from local.app_workers import reuse_port_server

            server_cls = reuse_port_server()
        server = LocalDevServer(
            app_module.app,
            config,
            self.host,
            self.port if port is None else port,
            handler_cls=handler,
            server_cls=server_cls,
        )
        # Its own serve_forever prints "Serving on http://host:port", without the base path:
        # the banner below prints the addresses.
        thread = threading.Thread(
            target=server.server.serve_forever, daemon=True, name="chalice-local"
        )
        thread.start()
        self._servers.append(server)

    def start_stripe(self) -> None:
        from local.stripe_sandbox import DEFAULT_RETRY_SCALE, StripeSandbox

        sandbox = StripeSandbox(
            host=self.host,
            port=self.stripe_port,
            webhook_url=f"{self.app_url}/webhooks/stripe",
            webhook_secret=twin_secrets()["STRIPE_WEBHOOK_SECRET"],
            # Stripe's 3-day retry schedule, compressed (default: a day passes in a minute).
            webhook_retry_scale=float(
                os.environ.get("STRIPE_WEBHOOK_RETRY_SCALE") or DEFAULT_RETRY_SCALE
            ),
        )
        sandbox.start()
        self._servers.append(sandbox)

    def start_scheduler(self) -> None:
        """Run the app's `@app.schedule` functions like EventBridge would, on a thread.

        Reminders tick every `TWIN_REMINDER_SECONDS` (default 1 s) so shrunk windows get
        theirs; other schedules run at their own rate.
        """
        import re

        from chalice.local import LambdaContext

        import app as app_module

        jobs = []
        for source in app_module.app.event_sources:
            expression = str(getattr(source, "schedule_expression", "") or "")
            if not expression:
                continue
            match = re.match(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
            unit = {"minute": 60, "hour": 3600, "day": 86400}
            every = int(match.group(1)) * unit[match.group(2).rstrip("s")] if match else 3600
            if source.name == "send_reminders":
                every = int(os.environ.get("TWIN_REMINDER_SECONDS", "1"))
            handler = getattr(app_module, source.handler_string.split(".", 1)[1])
            jobs.append([source.name, float(every), handler, time.monotonic() + every])
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(0.25):
                for job in jobs:
                    name, every, handler, due = job
                    if time.monotonic() < due:
                        continue
                    job[3] = time.monotonic() + every
                    event = {
                        "version": "0",
                        "id": str(uuid.uuid4()),
                        "detail-type": "Scheduled Event",
                        "source": "aws.events",
                        "account": ACCOUNT,
                        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "region": REGION,
                        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"],
                        "detail": {},
                    }
                    try:
                        # The deployed functions' timeout (30 s): the reconciler budgets by it.
                        context = LambdaContext(str(name), memory_size=512, max_runtime_ms=30_000)
                        handler(event, context)
                    except Exception:  # keep ticking, like EventBridge retries next time
                        print(f"scheduled {name} failed:", file=sys.stderr)
                        traceback.print_exc()

        threading.Thread(target=loop, daemon=True, name="twin-scheduler").start()
        self._stop_scheduler = stop
        from local import memory

        memory.trim_periodically(stop)  # free pages back to the system (docs/twin.md)

    def seed(self, count: int) -> int:
        if count <= 0:
            return 0
        from local.seed_loader import load_demo_interns

        return load_demo_interns(count)

    def start(self, seed: int = 0, app_workers: int = 0) -> dict[str, str]:
        """Everything, in this process; with `app_workers`, the app's public port is served by
        that many worker processes (local/app_workers.py) and this process serves the app on a
        private port, for them to forward /_local/ to."""
        _connection_pools_for_threads()  # before any client exists
        self.configure_environment()
        self.start_moto()
        env = self.provision()
        self.start_stripe()
        self.count_aws_calls()
        if app_workers > 0:
            from local import app_workers as workers

            private = workers.free_port(self.host)
            self.start_app(private)
            self._workers = workers.spawn(self, app_workers, f"http://{self.host}:{private}")
        else:
            self.start_app()
        self.start_scheduler()
        self.seed(seed)
        return env

    def stop(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.terminate()
        if getattr(self, "_stop_scheduler", None) is not None:
            self._stop_scheduler.set()
        for server in reversed(self._servers):
            try:
                if hasattr(server, "server"):  # chalice LocalDevServer
                    server.shutdown()
                    server.server.server_close()
                else:
                    server.stop()
            except Exception:
                traceback.print_exc()
        self._servers.clear()

    # -- local-only views ----------------------------------------------------------------
    def outbox(self, since: int = 0) -> list[dict[str, Any]]:
        """Every email sent, oldest first; with `since`, only those after the first `since`."""
        from moto.ses.models import ses_backends

        messages = []
        for message in list(ses_backends[ACCOUNT][REGION].sent_messages)[since:]:
            raw = getattr(message, "raw_data", None)
            if raw is None:
                messages.append(
                    {
                        "to": message.destinations.get("ToAddresses", []),
                        "subject": message.subject,
                        "text": message.body,
                        "html": "",
                        "sent_at": "",
                    }
                )
                continue
            parsed = email.message_from_string(raw, policy=email.policy.default)
            text = parsed.get_body(preferencelist=("plain",))
            html = parsed.get_body(preferencelist=("html",))
            messages.append(
                {
                    "to": [a.strip() for a in str(parsed.get("To", "")).split(",") if a.strip()],
                    "subject": str(parsed.get("Subject", "")),
                    "text": text.get_content() if text else "",
                    "html": html.get_content() if html else "",
                    "sent_at": str(parsed.get("Date", "")),
                }
            )
        return messages


def provision(session: Any) -> dict[str, str]:
    """Create the resources of infrastructure/resources.json through `session`'s clients.

    Used by the twin (against moto's server) and by integration tests (moto in-process).
    Returns the environment the template gives every deployed function.
    """
    from infrastructure.template import (
        Resolver,
        definition_of,
        load_template,
        state_machines,
        substitute,
    )

    template = load_template()
    for mapping in template.get("Mappings", {}).values():  # the twin's stage maps like dev
        mapping.setdefault(STAGE, mapping.get("dev"))
    attrs: dict[str, str] = {}
    resolver = Resolver(template, template_parameters(os.environ), attrs)
    resources = template["Resources"]

    # Lambda functions: one per chalice @app.lambda_function, named by its logical id.
    from chalice.utils import to_cfn_resource_name

    import app as app_module

    lam = session.client("lambda")
    role = _ensure_role(session, "microintern-local-steps", "lambda.amazonaws.com")
    sfn_role = _ensure_role(session, "microintern-local-sfn", "states.amazonaws.com")
    for function in app_module.app.pure_lambda_functions:
        logical = to_cfn_resource_name(function.name)
        name = f"microintern-{STAGE}-{function.name}"
        _HANDLERS[name] = getattr(app_module, function.handler_string.split(".", 1)[1])
        try:
            arn = lam.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=role,
                Handler=function.handler_string,
                Code={"ZipFile": _stub_zip()},
                Timeout=30,
                MemorySize=512,
            )["FunctionArn"]
        except lam.exceptions.ResourceConflictException:
            arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        attrs[f"{logical}.Arn"] = arn

    for logical, res in resources.items():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::DynamoDB::Table":
            spec = resolver({k: v for k, v in props.items() if k in _TABLE_API_KEYS})
            ddb = session.client("dynamodb")
            with contextlib.suppress(ddb.exceptions.ResourceInUseException):
                ddb.create_table(**spec)
            if "TimeToLiveSpecification" in props:
                ddb.update_time_to_live(
                    TableName=spec["TableName"],
                    TimeToLiveSpecification=props["TimeToLiveSpecification"],
                )
            attrs[logical] = spec["TableName"]
        elif res.get("Type") == "AWS::S3::Bucket":
            name = resolver(props["BucketName"])
            s3 = session.client("s3")
            s3.create_bucket(Bucket=name)
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )
            if "CorsConfiguration" in props:
                # The site here is BASE_URL (the twin's app, or a test's), as SiteOrigin deployed.
                if os.environ.get("BASE_URL"):
                    resolver.params["SiteOrigin"] = site_origin(os.environ["BASE_URL"])
                s3.put_bucket_cors(
                    Bucket=name,
                    CORSConfiguration=cors_configuration(resolver(props["CorsConfiguration"])),
                )
            attrs[logical] = name
        elif res.get("Type") == "AWS::SES::EmailIdentity":
            identity = resolver(props["EmailIdentity"])
            session.client("ses").verify_domain_identity(Domain=identity)
            attrs[logical] = identity
        elif res.get("Type") in _OPERATIONS:
            _OPERATIONS[res["Type"]](session, logical, resolver(props), attrs)
    # What needs the resources above (moto has no alarms worth creating: nothing fires them).
    for res in resources.values():
        if res.get("Type") == "AWS::SES::ConfigurationSetEventDestination":
            _ses_event_destination(session, resolver(res["Properties"]))

    sfn = session.client("stepfunctions")
    for logical, res in state_machines(template).items():
        props = res["Properties"]
        values = {k: str(resolver(v)) for k, v in props["DefinitionSubstitutions"].items()}
        definition = substitute(json.dumps(definition_of(res)), values)
        name = resolver(props["StateMachineName"])
        arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
            sfn.update_state_machine(stateMachineArn=arn, definition=definition)
        except sfn.exceptions.StateMachineDoesNotExist:
            arn = sfn.create_state_machine(
                name=name,
                definition=definition,
                type=props.get("StateMachineType", "STANDARD"),
                roleArn=sfn_role,
            )["stateMachineArn"]
        attrs[logical] = arn

    attrs.update(create_app_secrets(session, resolver, resources))
    # The same variables the template's Globals give every deployed function.
    env = resolver(template["Globals"]["Function"]["Environment"]["Variables"])
    return {str(k): str(v) for k, v in env.items() if v != ""}


def _sns_topic(session: Any, logical: str, props: dict[str, Any], attrs: dict[str, str]) -> None:
    arn = session.client("sns").create_topic(Name=props["TopicName"])["TopicArn"]
    attrs[logical] = attrs[f"{logical}.TopicArn"] = arn


def _sqs_queue(session: Any, logical: str, props: dict[str, Any], attrs: dict[str, str]) -> None:
    sqs = session.client("sqs")
    retention = str(props.get("MessageRetentionPeriod", 345600))
    url = sqs.create_queue(
        QueueName=props["QueueName"], Attributes={"MessageRetentionPeriod": retention}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    attrs[logical] = url
    attrs[f"{logical}.Arn"] = arn["QueueArn"]
    attrs[f"{logical}.QueueName"] = props["QueueName"]


def _log_group(session: Any, logical: str, props: dict[str, Any], attrs: dict[str, str]) -> None:
    logs = session.client("logs")
    name = props["LogGroupName"]
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    attrs[logical] = name
    attrs[f"{logical}.Arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"


def _ses_configuration_set(
    session: Any, logical: str, props: dict[str, Any], attrs: dict[str, str]
) -> None:
    with _already_exists():
        session.client("sesv2").create_configuration_set(ConfigurationSetName=props["Name"])
    attrs[logical] = props["Name"]


def _ses_event_destination(session: Any, props: dict[str, Any]) -> None:
    """moto keeps event destinations in SES v1's API (its v2 shares v1's backend)."""
    ses = session.client("ses")
    destination = props["EventDestination"]
    with _already_exists():
        ses.create_configuration_set_event_destination(
            ConfigurationSetName=props["ConfigurationSetName"],
            EventDestination={
                "Name": destination["Name"],
                "Enabled": destination.get("Enabled", True),
                "MatchingEventTypes": destination["MatchingEventTypes"],
                "SNSDestination": {"TopicARN": destination["SnsDestination"]["TopicARN"]},
            },
        )


def _kms_key(session: Any, logical: str, props: dict[str, Any], attrs: dict[str, str]) -> None:
    """An asymmetric key, found again by its tag when the twin provisions twice (a new key
    would change the published public key under certificates already issued)."""
    kms = session.client("kms")
    tag = {"TagKey": "microintern:logical-id", "TagValue": logical}
    for key in kms.list_keys()["Keys"]:
        if tag in kms.list_resource_tags(KeyId=key["KeyId"]).get("Tags", []):
            key_id = key["KeyId"]
            break
    else:
        key_id = kms.create_key(
            Description=str(props.get("Description", "")),
            KeySpec=props["KeySpec"],
            KeyUsage=props["KeyUsage"],
            Tags=[tag],
        )["KeyMetadata"]["KeyId"]
    attrs[logical] = key_id
    attrs[f"{logical}.Arn"] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"


def _kms_alias(session: Any, logical: str, props: dict[str, Any], attrs: dict[str, str]) -> None:
    kms = session.client("kms")
    name = props["AliasName"]
    try:
        kms.create_alias(AliasName=name, TargetKeyId=props["TargetKeyId"])
    except kms.exceptions.AlreadyExistsException:
        kms.update_alias(AliasName=name, TargetKeyId=props["TargetKeyId"])
    attrs[logical] = name


@contextlib.contextmanager
def _already_exists() -> Any:
    """Provisioning twice (a restarted twin) finds the resource there: fine."""
    from botocore.exceptions import ClientError

    try:
        yield
    except ClientError as exc:
        if "AlreadyExist" not in exc.response.get("Error", {}).get("Code", ""):
            raise


_OPERATIONS = {
    "AWS::SNS::Topic": _sns_topic,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::SES::ConfigurationSet": _ses_configuration_set,
    "AWS::KMS::Key": _kms_key,
    "AWS::KMS::Alias": _kms_alias,
}


def site_origin(base_url: str) -> str:
    """`scheme://host[:port]` of a base URL (which may carry a path prefix)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def cors_configuration(cfn: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation `CorsConfiguration` in the shape of S3's PutBucketCors."""
    names = {
        "Id": "ID",
        "AllowedOrigins": "AllowedOrigins",
        "AllowedMethods": "AllowedMethods",
        "AllowedHeaders": "AllowedHeaders",
        "ExposedHeaders": "ExposeHeaders",
        "MaxAge": "MaxAgeSeconds",
    }
    return {"CORSRules": [{names[k]: v for k, v in rule.items()} for rule in cfn["CorsRules"]]}


def create_app_secrets(session: Any, resolver: Any, resources: dict[str, Any]) -> dict[str, str]:
    """Create the template's Secrets Manager secrets (the stage's `AppSecrets`) in the twin,
    holding `twin_secrets()` where AWS would hold the operator's values. {logical id: ARN}."""
    client = session.client("secretsmanager")
    arns: dict[str, str] = {}
    for logical, res in resources.items():
        if res.get("Type") != "AWS::SecretsManager::Secret":
            continue
        name = resolver(res["Properties"]["Name"])
        value = json.dumps(twin_secrets())
        try:
            arn = client.create_secret(Name=name, SecretString=value)["ARN"]
        except client.exceptions.ResourceExistsException:
            arn = client.put_secret_value(SecretId=name, SecretString=value)["ARN"]
        arns[logical] = str(arn)
    return arns


# The property that names each resource (what `Ref` gives, or a name that serves as well).
_NAME_PROPERTIES = (
    "TableName",
    "BucketName",
    "Name",
    "EmailIdentity",
    "StateMachineName",
    "AliasName",
)


def template_parameters(environ: Mapping[str, str]) -> dict[str, str]:
    """The stack parameters the twin deploys the template with (`aws cloudformation deploy
    --parameter-overrides` on AWS): the stage, and what the twin's environment says."""
    return {
        "Stage": STAGE,
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        # The public base URL the twin serves (its path prefix included).
        "BaseUrl": environ.get("BASE_URL", ""),
        "StripePublishableKey": environ.get("STRIPE_PUBLISHABLE_KEY", LOCAL_PUBLISHABLE_KEY),
    }


def attach_environment(twin: Twin) -> dict[str, str]:
    """The environment of the running `twin`'s functions, for another process that attaches to
    it (`make reconcile`, tests): the twin's settings and the template's function variables, with
    resources named as `provision` names them. Secrets stay in the twin's secret (APP_SECRETS_ID).
    Leaves `os.environ` as it was."""
    from infrastructure.template import Resolver, load_template

    saved = dict(os.environ)
    try:
        twin.configure_environment()
        env = dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    template = load_template()
    attrs: dict[str, str] = {}
    resolver = Resolver(template, template_parameters(env), attrs)
    for logical, res in template["Resources"].items():
        props = res.get("Properties", {})
        for key in _NAME_PROPERTIES:
            if key in props:
                with contextlib.suppress(KeyError):
                    attrs[logical] = str(resolver(props[key]))
                break
    for name, node in template["Globals"]["Function"]["Environment"]["Variables"].items():
        with contextlib.suppress(KeyError):  # a variable naming what only AWS can tell
            env[str(name)] = str(resolver(node))
    return env


_HANDLERS: dict[str, Any] = {}
_TABLE_API_KEYS = {
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "StreamSpecification",
}


def _ensure_role(session: Any, name: str, service: str) -> str:
    iam = session.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    try:
        return str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
                "Arn"
            ]
        )
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def _stub_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the twin runs the real app in-process\n")
    return buffer.getvalue()


def _requests_per_thread(app_object: Any) -> None:
    """Keep `app.current_request` per thread, as if each request had its own Lambda container.

    Chalice stores the request on the shared app object (fine in Lambda, one request per
    container); the twin serves requests on threads, so without this a Stripe webhook arriving
    during an API call could swap the request under the handler.
    """
    base = type(app_object)
    if getattr(base, "_twin_per_thread", False):
        return
    local = threading.local()

    def slot(name: str) -> property:
        return property(
            lambda self: getattr(local, name, None),
            lambda self, value: setattr(local, name, value),
        )

    app_object.__class__ = type(
        base.__name__,
        (base,),
        {
            "_twin_per_thread": True,
            "current_request": slot("current_request"),
            "lambda_context": slot("lambda_context"),
        },
    )


def _connection_pools_for_threads(size: int = 64) -> None:
    """Give every boto3 client in this process `size` pooled connections (botocore's default is
    10). Deployed, each Lambda container serves one request at a time; the twin serves all of
    them on threads of one process, sharing each client, and with 10 connections the pool
    overflowed under load: connections were opened (and name lookups made) for most calls."""
    from botocore.config import Config

    Config.OPTION_DEFAULTS["max_pool_connections"] = max(
        size, Config.OPTION_DEFAULTS.get("max_pool_connections") or 0
    )


def _serialise_dynamodb() -> None:
    """Make each DynamoDB request atomic, as DynamoDB is: moto checks a condition and then
    writes in separate steps, so two threads could both pass a condition meant for one."""
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action
    if getattr(original, "_twin_serialised", False):
        return

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    call_action._twin_serialised = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _patch_lambda_invoke() -> None:
    """Hand Lambda invocations to the app's own step functions, in this process."""
    from chalice.local import LambdaContext
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(
        self: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        request_headers: Any,
        response_headers: Any,
    ) -> bytes:
        function = self.get_function(function_name, qualifier)
        handler = _HANDLERS[function.function_name]
        event = json.loads(body) if body else {}
        context = LambdaContext(function.function_name, memory_size=512, max_runtime_ms=30_000)
        context.invoked_function_arn = function.function_arn
        context.log_group_name = f"/aws/lambda/{function.function_name}"
        started = time.perf_counter()
        try:
            result = handler(event, context)
            return json.dumps(result).encode()
        except Exception as exc:  # reported to Step Functions the way Lambda reports it
            print(f"step {function.function_name} failed:", file=sys.stderr)
            traceback.print_exc()
            response_headers["x-amz-function-error"] = "Unhandled"
            error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return json.dumps(error).encode()
        finally:
            STATS.lambda_invocation(function.function_name, time.perf_counter() - started)

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign,assignment]


def _local_handler(twin: Twin) -> Any:
    from chalice.local import ChaliceRequestHandler

    from local import pages

    class Handler(ChaliceRequestHandler):
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall on every response
        path: str

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("TWIN_ACCESS_LOG"):
                super().log_message(format, *args)

        def _inside_base_path(self) -> bool:
            """Strip the prefix, as API Gateway strips the stage before routing; outside it,
            answer 404 and return False."""
            prefix = twin.base_path
            if not prefix:
                return True
            route, mark, query = self.path.partition("?")
            if route == prefix or route.startswith(prefix + "/"):
                self.path = (route[len(prefix) :] or "/") + mark + query
                return True
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            message = f"Not found: this twin serves the app under {prefix}/"
            payload = json.dumps({"errors": [{"field": None, "message": message}]}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return False

        def _local(self) -> bool:
            if not self.path.startswith("/_local/"):
                STATS.http_request()
                return False
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            if twin.local_url:  # an app worker: the main process holds the outbox and inbox
                from local.app_workers import forward

                status, content_type, payload, *extra = forward(
                    twin.local_url, self.command, self.path, dict(self.headers), body
                )
            else:
                status, content_type, payload, *extra = pages.handle(
                    twin, self.command, self.path, dict(self.headers), body
                )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra[0] if extra else {}).items():  # e.g. the outbox's CSP
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            return True

        def _handle(self) -> None:
            if self._inside_base_path() and not self._local():
                super()._generic_handle()

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _handle

    return Handler


def normalise_base_path(value: str | None) -> str:
    """The prefix as "/api" (given "api", "/api" or "/api/"); "" for none or "/"."""
    value = (value or "").strip().strip("/")
    if any(c in value for c in "?#") or " " in value:
        raise ValueError(f"a base path is a URL path such as /api, got {value!r}")
    return f"/{value}" if value else ""


def _finance_key() -> str:
    """The finance key to print: the twin's own, unless FINANCE_API_KEY_SHA256 was overridden."""
    if twin_secrets()["FINANCE_API_KEY_SHA256"] == DEFAULT_SECRETS["FINANCE_API_KEY_SHA256"]:
        return LOCAL_FINANCE_KEY
    return "<your key for FINANCE_API_KEY_SHA256>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run microintern locally on its embedded twin.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--aws-port", type=int, default=int(os.environ.get("AWS_TWIN_PORT", "5000"))
    )
    parser.add_argument(
        "--stripe-port", type=int, default=int(os.environ.get("STRIPE_SANDBOX_PORT", "12111"))
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "0") or 0))
    parser.add_argument(
        "--base-path",
        default=os.environ.get("BASE_PATH", ""),
        help="serve everything under this prefix, like API Gateway's stage (e.g. /api)",
    )
    args = parser.parse_args(argv)
    from local import memory

    memory.tame_malloc()  # before any thread: few malloc arenas (docs/twin.md, "Memory")
    twin = Twin(
        port=args.port,
        aws_port=args.aws_port,
        stripe_port=args.stripe_port,
        base_path=args.base_path,
    )
    started = time.perf_counter()
    env = twin.start(seed=args.seed, app_workers=int(os.environ.get("TWIN_APP_WORKERS") or 0))
    memory.freeze_startup_heap()  # full collections follow the run's growth (docs/twin.md)
    memory.start_tracing()  # TWIN_TRACEMALLOC=<frames>: what grows after start (bench/twin_memory)
    from chalicelib.settings import get_settings

    settings = get_settings()  # what the app reads: the stage's secret, env overrides applied
    print(
        f"""
microintern is running on its local twin (ready in {time.perf_counter() - started:.1f} s)

  app               {twin.app_url}/
  post a brief      {twin.app_url}/briefs/new
  outbox            {twin.app_url}/_local/outbox   (JSON: {twin.app_url}/_local/outbox.json)
  finance inbox     {twin.app_url}/_local/finance-inbox.json
  finance page      {twin.app_url}/finance   (sign in with the key {_finance_key()})
  finance owner     {os.environ["FINANCE_OWNER_EMAILS"]}   (sign in at {twin.app_url}/signin)
  AWS twin (moto)   {twin.aws_url}   table {env["TABLE_NAME"]}, bucket {env["DELIVERABLES_BUCKET"]}
  state machine     {env["STATE_MACHINE_ARN"]}
  Stripe sandbox    {os.environ["STRIPE_API_BASE"]}

  secrets in use    {env["APP_SECRETS_ID"]}
                    STRIPE_API_KEY={settings.stripe_api_key.get_secret_value()}
                    STRIPE_WEBHOOK_SECRET={settings.stripe_webhook_secret.get_secret_value()}
                    FINANCE_WEBHOOK_SECRET={settings.finance_webhook_secret.get_secret_value()}
                    CSRF_SECRET={settings.csrf_secret.get_secret_value()}
  demo interns      {args.seed}

Press Ctrl-C to stop (all servers stop and the ports are freed).
""",
        flush=True,
    )
    wait_for_stop()
    print("stopping…", flush=True)
    stop_within(STOP_GRACE_SECONDS, twin)
    return 0


# How long the twin gives its servers to stop before it exits anyway.
STOP_GRACE_SECONDS = 3.0


def wait_for_stop() -> None:
    """Block until Ctrl-C (SIGINT) or a supervisor's SIGTERM. A second signal while stopping
    exits at once."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            os._exit(128 + signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    with contextlib.suppress(KeyboardInterrupt):
        while not stop.wait(0.5):
            pass


def stop_within(seconds: float, twin: Twin) -> None:
    """Stop the twin's servers, then end the process — within `seconds` however busy it is.

    Under load, threads the twin does not own keep running after its servers stop: moto's
    Step Functions executions (waiting on task tokens with windows of days) and request
    threads. An ordinary interpreter exit waits for such threads (and finalises moto's
    state object by object), so the twin leaves with `os._exit` once the servers are down;
    everything it holds is in memory and nothing is left to write.
    """
    watchdog = threading.Timer(seconds, lambda: os._exit(0))
    watchdog.daemon = True
    watchdog.start()
    try:
        twin.stop()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())

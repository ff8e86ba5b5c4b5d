"""Secrets come from AWS Secrets Manager (moto here), through the same code path as deployed.

A stage missing any secret refuses to serve, naming what is missing; a complete secret loads;
the environment may override a secret (the twin and tests), and a rotated secret is read again
once its cache ages out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAMES = (
    "STRIPE_API_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "FINANCE_WEBHOOK_SECRET",
    "CSRF_SECRET",
    "FINANCE_API_KEY_SHA256",
)


def _secrets_client() -> Any:
    import boto3

    return boto3.client("secretsmanager", region_name="us-east-1")


def _without_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_settings_load_from_the_stage_secret(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings
    from local.twin import DEFAULT_SECRETS

    _without_secret_env(monkeypatch)
    get_settings.cache_clear()
    secret = _secrets_client().describe_secret(SecretId=aws_env["APP_SECRETS_ID"])
    assert secret["Name"] == "microintern/local/app"  # Name: microintern/${Stage}/app

    settings = get_settings()

    assert settings.stripe_api_key.get_secret_value() == DEFAULT_SECRETS["STRIPE_API_KEY"]
    assert (
        settings.stripe_webhook_secret.get_secret_value()
        == (DEFAULT_SECRETS["STRIPE_WEBHOOK_SECRET"])
    )
    assert (
        settings.finance_webhook_secret.get_secret_value()
        == (DEFAULT_SECRETS["FINANCE_WEBHOOK_SECRET"])
    )
    assert settings.csrf_secret.get_secret_value() == DEFAULT_SECRETS["CSRF_SECRET"]
    assert settings.finance_api_key_sha256 == DEFAULT_SECRETS["FINANCE_API_KEY_SHA256"]


def test_the_environment_overrides_the_secret(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import get_settings

    _without_secret_env(monkeypatch)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_from_the_environment")
    get_settings.cache_clear()

    assert get_settings().stripe_webhook_secret.get_secret_value() == "whsec_from_the_environment"


def test_a_key_missing_from_the_secret_is_named(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import SettingsError, get_settings
    from local.twin import DEFAULT_SECRETS

    _without_secret_env(monkeypatch)
    partial = {k: v for k, v in DEFAULT_SECRETS.items() if k not in {"CSRF_SECRET"}}
    partial["STRIPE_API_KEY"] = ""  # as the template leaves it until the operator sets it
    _secrets_client().put_secret_value(
        SecretId=aws_env["APP_SECRETS_ID"], SecretString=json.dumps(partial)
    )
    get_settings.cache_clear()

    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert set(caught.value.missing) == {"CSRF_SECRET", "STRIPE_API_KEY"}


def test_an_unreadable_secret_refuses_naming_it(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import SettingsError, get_settings

    _without_secret_env(monkeypatch)
    monkeypatch.setenv("APP_SECRETS_ID", "microintern/nowhere/app")
    get_settings.cache_clear()

    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert "APP_SECRETS_ID" in str(caught.value)
    assert "microintern/nowhere/app" in str(caught.value)


def test_the_secret_is_read_once_per_container_within_its_max_age(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import SettingsLoader
    from local.twin import DEFAULT_SECRETS

    _without_secret_env(monkeypatch)
    loader = SettingsLoader()  # production's max_age
    assert loader().csrf_secret.get_secret_value() == DEFAULT_SECRETS["CSRF_SECRET"]
    _rotate_csrf_secret(aws_env)

    assert loader().csrf_secret.get_secret_value() == DEFAULT_SECRETS["CSRF_SECRET"]  # cached
    loader.cache_clear()  # a new container reads the secret again
    assert loader().csrf_secret.get_secret_value() == ROTATED


def test_a_rotated_secret_is_read_again_once_its_max_age_passes(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.settings import SettingsLoader
    from local.twin import DEFAULT_SECRETS

    _without_secret_env(monkeypatch)
    loader = SettingsLoader(max_age=0)  # a test knob: the duration shortened, the path the same
    assert loader().csrf_secret.get_secret_value() == DEFAULT_SECRETS["CSRF_SECRET"]
    _rotate_csrf_secret(aws_env)

    assert loader().csrf_secret.get_secret_value() == ROTATED


ROTATED = "rotated-csrf-secret-0123456789"


def _rotate_csrf_secret(aws_env: dict[str, str]) -> None:
    from local.twin import DEFAULT_SECRETS

    rotated = {**DEFAULT_SECRETS, "CSRF_SECRET": ROTATED}
    _secrets_client().put_secret_value(
        SecretId=aws_env["APP_SECRETS_ID"], SecretString=json.dumps(rotated)
    )


def test_a_form_post_is_checked_with_the_csrf_secret_from_secrets_manager(
    client: Any, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form's token is signed with the secret's CSRF_SECRET: rotate it, the token dies."""
    from tests.integration.conftest import open_form, post_form, reset_app_caches

    _without_secret_env(monkeypatch)
    cookie, token, nonce = open_form(client, "/briefs/new")
    fields = {"csrf_token": token, "nonce": nonce}
    assert post_form(client, "/briefs", cookie, fields).status_code != 403  # 422: fields missing
    _rotate_csrf_secret(aws_env)
    reset_app_caches()  # a new container

    response = post_form(client, "/briefs", cookie, fields)

    assert response.status_code == 403


# The child: a stage's first invocation, with moto standing in for Secrets Manager.
CHILD = """
import json, os, sys
import boto3
from moto import mock_aws

with mock_aws():
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="microintern/prod/app", SecretString=sys.argv[1]
    )["ARN"]
    os.environ["APP_SECRETS_ID"] = arn
    import app

    class Context:
        function_name = "microintern-prod"
        function_version = "$LATEST"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:microintern-prod"
        memory_limit_in_mb = 512
        aws_request_id = "startup-test"
        log_group_name = "/aws/lambda/microintern-prod"
        log_stream_name = "test"
        def get_remaining_time_in_millis(self):
            return 30000

    event = {
        "resource": "/health", "path": "/health", "httpMethod": "GET",
        "headers": {"Host": "example.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "body": None, "isBase64Encoded": False,
        "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "path": "/api/health",
                           "stage": "api", "requestId": "startup-test",
                           "identity": {"sourceIp": "127.0.0.1"}},
    }
    print("RESPONSE " + json.dumps(app.app(event, Context())), flush=True)
"""

PROD_ENV = {  # what the template and .chalice/config.json give a prod function
    "STAGE": "prod",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "BASE_URL": "https://microintern.test",
    "TABLE_NAME": "microintern-prod",
    "DELIVERABLES_BUCKET": "microintern-prod-deliverables-123456789012",
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:microintern-prod",
    "MAIL_FROM": "microintern <no-reply@microintern.test>",
    "FINANCE_EMAIL": "finance@microintern.test",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_prod_stage",
    "CERTIFICATE_KEY_ID": "alias/microintern-prod-certificates",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def _first_invocation(secret: dict[str, str]) -> tuple[int | None, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "POWERTOOLS_", "MICROINTERN_", "STRIPE_", "FINANCE_"))
        and k not in {*PROD_ENV, "CSRF_SECRET", "APP_SECRETS_ID"}
    }
    env.update(PROD_ENV)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(secret)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESPONSE ")]
    status = json.loads(lines[-1].removeprefix("RESPONSE "))["statusCode"] if lines else None
    return status, output


def test_prod_stage_with_a_secret_missing_refuses_to_start_and_names_it() -> None:
    from local.twin import DEFAULT_SECRETS

    secret = {k: v for k, v in DEFAULT_SECRETS.items() if k != "STRIPE_WEBHOOK_SECRET"}

    status, output = _first_invocation(secret)

    assert status == 500, output  # /health included: nothing is served
    named = re.findall(r"refuses to start: missing ([A-Z0-9_, ]+)\.", output)
    assert named, output
    assert {n.strip() for n in named[0].split(",")} == {"STRIPE_WEBHOOK_SECRET"}
    assert (
        '"statusCode": 500' in output
        and "STRIPE_WEBHOOK_SECRET" not in output.split("RESPONSE ")[-1]
    )  # the names are in the log, not in the answer
    for value in secret.values():  # the secrets it did find never reach the logs
        assert value not in output


def test_prod_stage_with_every_secret_starts() -> None:
    from local.twin import DEFAULT_SECRETS

    status, output = _first_invocation(dict(DEFAULT_SECRETS))

    assert status == 200, output

"""Integration layer: the app against moto in-process (provisioned from the same template)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "BASE_URL": "http://testserver",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_integration",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    # Tests post many briefs from one address and one IP; test_rate_limits.py sets its own.
    "RATE_LIMIT_PER_IP_PER_HOUR": "100000",
    "RATE_LIMIT_PER_ADDRESS_PER_HOUR": "100000",
}


def reset_app_caches() -> None:
    from chalicelib.adapters import aws, idempotency, signer, store, stripe_gateway
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    aws.reset_clients()
    signer.reset()
    idempotency.reset()
    stripe_gateway.reset_client()
    store._store = None
    from chalicelib.web import pages

    pages._site_sources.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def botocore_models_read_once() -> Iterator[None]:
    """botocore's service models (read-only JSON files) are read once per test process.

    Every test provisions a fresh moto with a fresh boto3 session, and the app forgets its
    session between tests (`reset_app_caches`); each new session used to re-read and re-parse
    the models of every service it makes a client for (most of a test's setup time). The
    sessions, clients and moto backends stay per test; only botocore's file loader, a cache of
    data it never changes, is shared, as it is between the clients of one session."""
    import botocore.session

    original = botocore.session.create_loader
    botocore.session.create_loader = functools.cache(original)
    yield
    botocore.session.create_loader = original


@pytest.fixture(scope="session")
def stripe_sandbox() -> Iterator[Any]:
    """The Stripe sandbox over HTTP (the app's stripe SDK talks to it like to Stripe)."""
    from local.stripe_sandbox import StripeSandbox

    with StripeSandbox(port=0) as sandbox:
        yield sandbox


class _ClientsOnce:
    """A boto3 session whose clients are made once per test process and kept: `provision`
    makes the same dozen clients in every test. A client holds no AWS state (moto's does,
    per test, inside `mock_aws`), and every call of a kept client goes through moto as any
    other does."""

    def __init__(self) -> None:
        import boto3

        self._session = boto3.session.Session(region_name="us-east-1")
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]


@functools.cache
def _provisioning_session() -> _ClientsOnce:
    return _ClientsOnce()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, stripe_sandbox: Any) -> Iterator[dict[str, str]]:
    """moto in-process with the table, bucket, SES identity, state machine and secret of the
    template, and the app's Stripe calls going to the sandbox.

    The secrets are not in the environment: the app reads them from the stage's secret in moto
    (the twin's values, `local.twin.DEFAULT_SECRETS`), as deployed. A test may still override
    one with an environment variable of its name."""
    from moto import mock_aws

    from chalicelib.settings import SECRET_NAMES

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", *SECRET_NAMES):
        monkeypatch.delenv(name, raising=False)
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_sandbox.url)
    with mock_aws():
        from local.twin import _serialise_dynamodb, provision

        # Each DynamoDB request atomic, as DynamoDB is and as the twin makes moto: the match
        # step writes beside its reads, and moto's Query lists a table another write changes.
        _serialise_dynamodb()
        env = provision(_provisioning_session())
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reset_app_caches()
        yield env
    reset_app_caches()


RETURNING_EMPLOYER = "dana@freshbox.example"  # tests/events/brief.json's employer_email


@pytest.fixture
def returning_employer(aws_env: dict[str, str]) -> str:
    """The sample brief's employer has confirmed their address before: their briefs start at
    once, as before confirmation existed (tests of the unconfirmed path use other addresses)."""
    from tests.helpers import confirm_addresses

    confirm_addresses(RETURNING_EMPLOYER)
    return RETURNING_EMPLOYER


RETURNING_INTERN = "ada@example.com"  # test_interns_api.intern()'s email


@pytest.fixture
def returning_intern(aws_env: dict[str, str]) -> str:
    """The sample intern's address was confirmed before (say, posting a brief as an employer):
    they are matchable, and welcomed, at once."""
    from tests.helpers import confirm_addresses

    confirm_addresses(RETURNING_INTERN)
    return RETURNING_INTERN


@pytest.fixture
def client(aws_env: dict[str, str]) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


def sent_emails() -> list[Any]:
    from moto.ses.models import ses_backends

    return list(ses_backends["123456789012"]["us-east-1"].sent_messages)


def page_form(client: Any, path: str) -> tuple[str, str, str]:
    """GET a page with forms like a browser: (its CSRF cookie, the forms' CSRF token, the
    page's HTML)."""
    import re

    page = client.http.get(path)
    assert page.status_code == 200, page.body
    cookie = page.headers["Set-Cookie"].split(";")[0]
    html = page.body.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    return cookie, token.group(1), html


def open_form(client: Any, path: str) -> tuple[str, str, str]:
    """GET a form page like a browser: (its CSRF cookie, the form's CSRF token, its nonce)."""
    import re

    cookie, token, html = page_form(client, path)
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)
    assert nonce
    return cookie, token, nonce.group(1)


def post_form(client: Any, path: str, cookie: str, fields: dict[str, str]) -> Any:
    from urllib.parse import urlencode

    return client.http.post(
        path,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        body=urlencode(fields),
    )


def task_in_progress(client: Any) -> dict[str, str]:
    """A brief (through the API) in progress with its intern: the task token, the brief's id
    and the employer's manage token."""
    import json

    from chalicelib.adapters.store import get_store
    from chalicelib.services import access
    from chalicelib.services.intern_signup import register_intern
    from tests.helpers import confirm_addresses, load_event

    confirm_addresses("dana@freshbox.example", "ida@uni.example")  # returning employer, intern
    brief = client.http.post(
        "/api/briefs",
        headers={"Content-Type": "application/json"},
        body=json.dumps(load_event("brief")),
    ).json_body
    intern = register_intern(
        {
            "name": "Ida",
            "email": "ida@uni.example",
            "skills": ["Excel"],
            "bio": "Spreadsheets and market research.",
            "hours_per_week": 10,
            "timezone": "UTC",
        }
    )
    get_store().update_brief(
        brief["brief_id"], {"status": "IN_PROGRESS", "intern_id": intern["intern_id"]}
    )
    link = access.issue_task_link(brief["brief_id"], intern["intern_id"])
    return {
        "token": link.rsplit("/", 1)[-1],
        "brief_id": brief["brief_id"],
        "manage": brief["manage_token"],
    }

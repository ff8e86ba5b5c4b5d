"""schemathesis over every operation of the twin's own /openapi.json: no answer is a 5xx, and
every answer has a documented status, content type and schema.

Generated requests (valid and invalid: schemathesis's positive and negative modes) go to the
twin over HTTP. Random ids and credentials mostly meet 401/404, so a share of the cases is
aimed at a real engagement instead: the brief's id and manage token, the offered intern's task
link, the finance key, and webhook bodies signed with the twin's secrets — chosen from a hash
of the generated case, so a failing example replays and shrinks the same way.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from standardwebhooks import Webhook

from tests.e2e.conftest import PRODUCTION_WINDOWS, RunningTwin, running_twin
from tests.e2e.flow import (
    engaged,
    fund,
    offered_to,
    onboard,
    register,
    submit,
    unique_skill,
    wait_status,
)

pytestmark = pytest.mark.e2e

# Small enough that the whole file takes well under 2 minutes on a loaded 2-core machine
# (FUZZ_EXAMPLES=200 for a deeper run by hand). Under CI the examples are derandomized, so a
# run there is repeatable; locally each run explores new inputs (failures replay from
# hypothesis's example database).
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
DETERMINISTIC = bool(os.environ.get("CI"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
JSON = "application/json"
CALLS: Counter[str] = Counter()  # requests sent per operation
STATUSES: Counter[tuple[str, int]] = Counter()  # (operation, status) answered
SERVER_ERRORS: list[str] = []


def _secret(name: str) -> str:
    from local.twin import DEFAULT_SECRETS

    return os.environ.get(name, DEFAULT_SECRETS[name])


def _finance_key() -> str:
    from local.twin import LOCAL_FINANCE_KEY

    return LOCAL_FINANCE_KEY


@dataclass(frozen=True)
class Engagement:
    brief_id: str
    manage_token: str
    task_token: str = ""


@dataclass
class Targets:
    """Real engagements on the twin for the fuzzer to aim at: one offered to its intern, one
    funded and in progress, and one awaiting funding for `fund` and then `cancel` (which
    ends it)."""

    offered: Engagement
    working: Engagement
    unfunded: Engagement
    finance_key: str = field(default_factory=_finance_key)

    def aim(self, case: Any) -> None:
        """Swap in real ids and credentials for 3 cases in 4 (decided by the case's content):
        1 → the offered engagement, 2 → the one in progress (`fund`, `cancel`: the unfunded
        one), 3 → the same with the generated credentials kept."""
        generated = (case.path_parameters, case.query, case.headers, case.body)
        pick = zlib.crc32(repr(generated).encode()) % 4
        if pick == 0:
            return
        path = case.operation.path
        params = case.path_parameters if case.path_parameters is not None else {}
        headers = case.headers if case.headers is not None else {}
        target = self.offered if pick == 1 else self.working
        if path.endswith(("/accept", "/decline", "/nda")):
            target = self.offered  # a declined engagement in progress would end it early
        if "{brief_id}" in path:
            if path.endswith("/cancel") or (path.endswith("/fund") and pick != 1):
                target = self.unfunded
            params["brief_id"] = target.brief_id
            if pick != 3:
                headers["Authorization"] = f"Bearer {target.manage_token}"
        if "{token}" in path:
            params["token"] = target.task_token
        if path.startswith("/api/finance/") and pick != 3:
            headers["Authorization"] = f"Bearer {self.finance_key}"
        case.path_parameters = params or None
        case.headers = headers or None


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    """A twin of its own on production windows: no offer or work window lapses mid-run."""
    log = tmp_path_factory.mktemp("fuzz") / "twin.log"
    with running_twin(log, PRODUCTION_WINDOWS) as running:
        yield running


@pytest.fixture(scope="module")
def targets(twin: RunningTwin) -> Targets:
    skill = unique_skill()
    intern = register(twin, skill)
    onboard(intern["onboarding_url"])
    title = f"Fuzzed offer {skill}"
    offered_id, offered_token, _ = submit(twin, skill, title=title)
    unfunded_id, unfunded_token, *_ = engaged(twin, f"Fuzzed funding {skill}")
    _, offered_task = offered_to(twin, [intern], title)
    working_id, working_token, _, _, working_task = engaged(twin, f"Fuzzed work {skill}")
    assert fund(twin, working_id, working_token).ok
    wait_status(twin, working_id, working_token, "IN_PROGRESS")
    return Targets(
        offered=Engagement(offered_id, offered_token, offered_task),
        working=Engagement(working_id, working_token, working_task),
        unfunded=Engagement(unfunded_id, unfunded_token),
    )


def _schema() -> Any:
    """The document the twin serves at /openapi.json (the same code builds it; the last test
    checks they are equal), loaded at import so each operation is its own test."""
    from chalicelib.web.openapi import document

    return schemathesis.openapi.from_dict(document("http://twin.invalid"))


schema = _schema()
OPERATIONS = {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


def _strategy(operation: Any) -> Any:
    """Valid and invalid requests (schemathesis's positive and negative modes); an operation
    without any input has nothing to make invalid."""
    definition = operation.definition.raw
    positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if not {"parameters", "requestBody", "security"} & set(definition):
        return positive
    return st.one_of(positive, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))


def _documented_examples(operation: Any) -> list[Any]:
    """A case per request example in the document (a valid brief, a valid registration)."""
    body = operation.definition.raw.get("requestBody", {}).get("content", {}).get(JSON, {})
    if "example" not in body:
        return []
    return [operation.Case(body=body["example"], media_type=JSON)]


def _send(case: Any, twin: RunningTwin) -> Any:
    """The case over HTTP; webhook bodies signed with the twin's secret for 3 cases in 4."""
    path = case.operation.path
    sign = zlib.crc32(repr(case.body).encode()) % 4 != 0
    if not path.startswith("/webhooks/") or not sign or case.body is None:
        return case.call(base_url=twin.url, timeout=30)
    kwargs = case.as_transport_kwargs(base_url=twin.url)
    raw = kwargs.pop("data", None)
    payload = json.dumps(kwargs.pop("json")).encode() if "json" in kwargs else raw
    if isinstance(payload, str):
        payload = payload.encode()
    if not isinstance(payload, bytes) or not _utf8(payload):
        return case.call(base_url=twin.url, timeout=30)
    headers = {k: v for k, v in kwargs.pop("headers", {}).items() if k.lower() != "content-type"}
    headers["Content-Type"] = "application/json"
    now = int(time.time())
    if path == "/webhooks/stripe":
        digest = _stripe_signature(payload, now)
        headers["Stripe-Signature"] = f"t={now},v1={digest}"
    else:
        msg_id = f"msg_fuzz_{zlib.crc32(payload):08x}"
        signature = Webhook(_secret("FINANCE_WEBHOOK_SECRET")).sign(
            msg_id, _utc(now), payload.decode()
        )
        headers |= {
            "webhook-id": msg_id,
            "webhook-timestamp": str(now),
            "webhook-signature": signature,
        }
    kwargs.pop("timeout", None)
    return requests.request(data=payload, headers=headers, timeout=30, **kwargs)


def _utf8(payload: bytes) -> bool:
    try:
        payload.decode()
    except UnicodeDecodeError:
        return False
    return True


def _stripe_signature(payload: bytes, timestamp: int) -> str:
    import hashlib
    import hmac

    secret = _secret("STRIPE_WEBHOOK_SECRET").encode()
    return hmac.new(secret, f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def _utc(seconds: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC)


@pytest.mark.parametrize("label", list(OPERATIONS))
def test_no_server_error_and_answers_as_documented(
    label: str, twin: RunningTwin, targets: Targets
) -> None:
    operation = OPERATIONS[label]

    def check(case: Any) -> None:
        targets.aim(case)
        response = _send(case, twin)
        CALLS[label] += 1
        STATUSES[(label, response.status_code)] += 1
        if response.status_code >= 500:
            SERVER_ERRORS.append(f"{label} -> {response.status_code}")
        case.validate_response(response, checks=CHECKS)

    for example in _documented_examples(operation):
        check(example)

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=DETERMINISTIC,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation))
    def fuzz(case: Any) -> None:
        check(case)

    fuzz()


def test_every_operation_was_fuzzed(twin: RunningTwin) -> None:
    """Runs after the parametrized test above (same file, same worker): the figure."""
    served = requests.get(f"{twin.url}/openapi.json", timeout=10).json()
    assert served["components"] == schema.raw_schema["components"]
    assert list(served["paths"]) == list(schema.raw_schema["paths"])
    assert served["servers"] == [{"url": twin.url}]
    operations = {f"{m.upper()} {p}" for p, ops in served["paths"].items() for m in ops}
    assert set(CALLS) == operations, operations ^ set(CALLS)
    assert SERVER_ERRORS == []
    print(
        f"\nschemathesis: {len(operations)} operations, {sum(CALLS.values())} requests "
        f"(max {MAX_EXAMPLES} examples each, positive + negative), 0 server errors"
    )
    for label in sorted(CALLS):
        answers = sorted((code, n) for (op, code), n in STATUSES.items() if op == label)
        print(f"  {label}: " + ", ".join(f"{code}×{n}" for code, n in answers))

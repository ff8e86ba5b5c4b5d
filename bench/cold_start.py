"""Cold start: what the app adds to a Lambda container's first request, against the floor.

Run from the repository root:  python -m bench.cold_start [--runs 7]

One run starts moto's server (provisioned from infrastructure/ and statemachines/ with
`local.twin.provision`), then launches fresh interpreters, alternating:

- floor: `import boto3, chalice` and create two boto3 clients (dynamodb, stepfunctions) —
  what any Chalice app on boto3 pays before doing anything;
- api:   `import app`, then serve a first `POST /api/briefs` in-process the way Lambda does
  (its settings load first, the secrets read from the stage's secret in moto over HTTP):
  an API Gateway proxy event (a valid brief from tests/events/brief.json, with an
  Idempotency-Key) handed to `app.app(event, context)`, answered 201 against the twin;
- step:  `import app`, then a first invocation of the `match` step Lambda (the state
  machine's first state) the way Lambda calls it, `app.match(event, context)`, on the brief
  the api child just submitted: it moves the brief to MATCHING, emails the employer (SES in
  moto) and ranks the twin's seeded interns (--interns, default 50). Step Functions does not
  run the execution here; the bench plays its first state.

Each child times itself with `time.perf_counter` (interpreter start-up is the same for all
and is left out), and the time its AWS calls spend waiting on the twin (every botocore HTTP
exchange), so the app's own work is told apart from the round trips it makes. Printed:
median and p90 of each, the ratios api/floor (goal, issues 2 and 11: ≤ 1.2) and step/floor,
each one's two halves — `import app` alone and the first request or invocation alone — and
the request's split between waiting on AWS and the app's own work.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOAL = 1.2

# The children: each prints one JSON line of timings (seconds).

AWS_TIMER = """
# Time spent waiting on AWS (each HTTP exchange with the twin), to tell the app's own cost
# from the calls it makes: botocore's Endpoint._send is the one place every call passes.
# Set up inside the timed request (botocore would be imported by the request anyway).
import botocore.endpoint
_aws = {"seconds": 0.0, "calls": 0}
_send = botocore.endpoint.Endpoint._send
def _timed_send(self, request):
    started = time.perf_counter()
    try:
        return _send(self, request)
    finally:
        _aws["seconds"] += time.perf_counter() - started
        _aws["calls"] += 1
botocore.endpoint.Endpoint._send = _timed_send
"""
FLOOR = """
import json, time
t0 = time.perf_counter()
import boto3, chalice
session = boto3.session.Session()
session.client("dynamodb")
session.client("stepfunctions")
print(json.dumps({"total": time.perf_counter() - t0}))
"""

APP = (
    """
import json, sys, time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
"""
    + AWS_TIMER
    + """
class Context:
    function_name = "microintern-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:microintern-dev"
    memory_limit_in_mb = 512
    aws_request_id = "bench-request"
    log_group_name = "/aws/lambda/microintern-dev"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 30000

response = app.app(json.loads(sys.argv[1]), Context())
t2 = time.perf_counter()
if response["statusCode"] != 201:
    raise SystemExit(f"unexpected answer {response['statusCode']}: {response['body']}")
brief_id = json.loads(response["body"])["brief_id"]
timing = {"total": t2 - t0, "import": t1 - t0, "request": t2 - t1}
print(json.dumps({**timing, "aws": _aws["seconds"], "calls": _aws["calls"], "brief_id": brief_id}))
"""
)

STEP = (
    """
import json, sys, time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
"""
    + AWS_TIMER
    + """
class Context:
    function_name = "microintern-dev-match"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:microintern-dev-match"
    memory_limit_in_mb = 512
    aws_request_id = "bench-step"
    log_group_name = "/aws/lambda/microintern-dev-match"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 30000

result = app.match(json.loads(sys.argv[1]), Context())
t2 = time.perf_counter()
if not isinstance(result, dict) or "count" not in result:
    raise SystemExit(f"unexpected result {result!r}")
timing = {"total": t2 - t0, "import": t1 - t0, "request": t2 - t1}
print(json.dumps({**timing, "aws": _aws["seconds"], "calls": _aws["calls"]}))
"""
)


def brief_body(n: int) -> dict[str, Any]:
    from datetime import date, timedelta

    text = (ROOT / "tests" / "events" / "brief.json").read_text()
    text = text.replace("__DEADLINE__", (date.today() + timedelta(days=14)).isoformat())
    body: dict[str, Any] = json.loads(text)
    body["employer_email"] = employer_email()
    return body


def employer_email() -> str:
    """One employer per run of the bench (a returning employer: see `confirm_employer`)."""
    return f"bench-{os.getpid()}@coldstart.example"


def confirm_employer() -> None:
    """The warm-up brief waits for its employer's address: confirm it with the link of the
    confirmation email, as the button on the link's page does (the app's own service, in this
    process, against the same moto), so every measured brief comes from a confirmed address
    and starts its execution at once."""
    import email
    import email.policy
    import re

    from moto.ses.models import ses_backends

    from chalicelib.services import confirmations

    sent = ses_backends["123456789012"]["us-east-1"].sent_messages
    texts = [
        email.message_from_string(m.raw_data, policy=email.policy.default)
        .get_body(preferencelist=("plain",))
        .get_content()
        for m in sent
        if employer_email() in str(m.destinations)
    ]
    tokens = [t for text in texts for t in re.findall(r"/confirm/([A-Za-z0-9_\-]{43,})", text)]
    if not tokens:
        raise SystemExit("no confirmation email reached the bench's employer")
    confirmations.confirm(tokens[-1])


def proxy_event(n: int) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) event, as Lambda hands it to Chalice."""
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"cold-start-{n}-{time.time_ns()}",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "bench/cold_start",
    }
    return {
        "resource": "/api/briefs",
        "path": "/api/briefs",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/api/briefs",
            "httpMethod": "POST",
            "path": "/api/api/briefs",
            "stage": "api",
            "requestId": f"bench-{n}",
            "accountId": "123456789012",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench/cold_start"},
        },
        "body": json.dumps(brief_body(n)),
        "isBase64Encoded": False,
    }


def step_event(brief_id: str) -> dict[str, Any]:
    """What the state machine's Match state passes (statemachines/engagement.asl.json)."""
    return {
        "brief_id": brief_id,
        "execution": f"arn:aws:states:us-east-1:123456789012:execution:microintern:{brief_id}",
        "entered": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    }


def start_twin(interns: int = 0) -> tuple[Any, dict[str, str]]:
    """moto's server on a free port, provisioned; the environment a deployed function gets."""
    import logging
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_PORT": str(port),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "BASE_URL": "http://127.0.0.1:8000",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
        # one returning employer posts every measured brief: above the hourly per-address
        # limit (the limit's check, one conditional write, runs all the same)
        "RATE_LIMIT_PER_ADDRESS_PER_HOUR": "1000",
    }
    os.environ.update(env)
    from local.twin import provision

    env.update(provision(boto3.session.Session(region_name="us-east-1")))
    if interns:
        from local.seed_loader import load_demo_interns

        os.environ.update(env)
        load_demo_interns(interns)
    return server, env


def run_child(code: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def own(timings: dict[str, list[float]]) -> list[float]:
    return [r - a for r, a in zip(timings["request"], timings["aws"], strict=True)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters of each kind")
    parser.add_argument("--interns", type=int, default=50, help="interns the match step ranks")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    server, twin_env = start_twin(args.interns)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POWERTOOLS_", "AWS_", "LAMBDA_", "CHALICE_"))
    }
    env.update(twin_env)
    env["PYTHONPATH"] = str(ROOT)
    floor: list[float] = []
    api: dict[str, list[float]] = {k: [] for k in ("total", "import", "request", "aws", "calls")}
    step: dict[str, list[float]] = {k: [] for k in ("total", "import", "request", "aws", "calls")}
    try:
        # warm the OS file cache and .pyc files once for each kind (not measured)
        run_child(FLOOR, env)
        warm = run_child(APP, env, json.dumps(proxy_event(-1)))
        os.environ.update(twin_env)
        confirm_employer()
        run_child(STEP, env, json.dumps(step_event(str(warm["brief_id"]))))
        for n in range(args.runs):
            floor.append(run_child(FLOOR, env)["total"])
            timing = run_child(APP, env, json.dumps(proxy_event(n)))
            for key, values in api.items():
                values.append(timing[key])
            stepped = run_child(STEP, env, json.dumps(step_event(str(timing["brief_id"]))))
            for key, values in step.items():
                values.append(stepped[key])
    finally:
        server.stop()

    print(f"cold start, {args.runs} fresh interpreters of each kind (alternating)")
    print(f"{'':46}{'median':>10}{'p90':>11}")
    rows = [
        ("floor: import boto3, chalice + 2 clients", floor),
        ("api: import app + first POST /api/briefs", api["total"]),
        ("  import app alone", api["import"]),
        ("  first request alone", api["request"]),
        ("    of which waiting on AWS (the twin)", api["aws"]),
        ("    the app's own work (request − AWS)", own(api)),
        ("step: import app + first match invocation", step["total"]),
        ("  import app alone", step["import"]),
        ("  first invocation alone", step["request"]),
        ("    of which waiting on AWS (the twin)", step["aws"]),
        ("    the app's own work (invocation − AWS)", own(step)),
    ]
    for label, values in rows:
        print(f"{label:46}{ms(statistics.median(values))} {ms(p90(values))}")
    base = statistics.median(floor)
    for name, timings in (("api", api), ("step", step)):
        ratio = statistics.median(timings["total"]) / base
        verdict = "ok" if ratio <= GOAL else "MISSED"
        print(f"ratio {name}/floor (medians): {ratio:.2f}  goal ≤ {GOAL}: {verdict}")
    for name, timings in (("api", api), ("step", step)):
        calls = statistics.median(timings["calls"])
        without = statistics.median(
            [t - a for t, a in zip(timings["total"], timings["aws"], strict=True)]
        )
        print(
            f"{name}: {calls:.0f} AWS calls; ratio without the time waiting on them: "
            f"{without / base:.2f} (not the goal: what the app's code costs by itself)"
        )
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One IAM policy per Lambda function and stage: the source of `.chalice/policies/<stage>/*.json`.

Chalice reads a static policy file per function (`lambda_functions.<name>.iam_policy_file` in
`.chalice/config.json`); this module is the one place those files come from, so each
function's grants read as a short list of capabilities:

    python -m infrastructure.policies          # rewrite the files (and config.json's entries)
    python -m infrastructure.policies --check  # fail when a committed file is out of date

Invariants:
- every statement names a real IAM action (cfn-lint W3037 checks the expanded template);
  a DynamoDB transaction is authorised per write inside it (Put/Update/Delete/ConditionCheck),
  there is no `TransactWriteItems` action;
- resources are the stage's own: `microintern-<stage>` table, bucket, state machine, secret,
  queue and log groups (functions are named `microintern-<stage>-<name>` by the merge
  template); only the actions without resource-level permissions (X-Ray, task-token
  callbacks) use `*`;
- a function not listed here falls back to the stage's `policy-<stage>.json`: logs and
  tracing only, so a new function starts with nothing and fails closed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHALICE = ROOT / ".chalice"
STAGES = ("dev", "prod")
APP = "microintern"


def _statements(stage: str) -> dict[str, dict[str, Any]]:
    """Every capability a function may be granted, for one stage."""
    prefix = f"{APP}-{stage}"
    table = f"arn:aws:dynamodb:*:*:table/{prefix}"
    bucket = f"arn:aws:s3:::{prefix}-deliverables-*"
    return {
        "logs": {
            "Sid": "Logs",
            "Effect": "Allow",
            # The log groups exist (the template creates them with their retention).
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:*:*:log-group:/aws/lambda/{prefix}-*:*",
        },
        "tracing": {
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
        "secrets": {
            "Sid": "AppSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            # Secrets Manager appends six random characters to a secret's ARN.
            "Resource": f"arn:aws:secretsmanager:*:*:secret:{APP}/{stage}/app-??????",
        },
        "table_read": {
            "Sid": "TableRead",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
            "Resource": [table, f"{table}/index/*"],
        },
        "table_write": {
            "Sid": "TableWrite",
            "Effect": "Allow",
            "Action": [
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:ConditionCheckItem",
            ],
            "Resource": table,
        },
        "reconcile_cursor": {
            "Sid": "ReconcileCursor",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": table,
            # Only the reconciler's own item (chalicelib/services/reconcile.STATE_KEY).
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["RECONCILE"]}},
        },
        "mail": {
            "Sid": "Email",
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            # SES v2 authorises the identity and the configuration set: both are this stage's.
            "Resource": [
                "arn:aws:ses:*:*:identity/*",
                f"arn:aws:ses:*:*:configuration-set/{prefix}",
            ],
            "Condition": {"StringLike": {"ses:FromAddress": "no-reply@*"}},
        },
        "workflow_start": {
            "Sid": "WorkflowStart",
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": f"arn:aws:states:*:*:stateMachine:{prefix}-engagement",
        },
        # Whether a reopened brief's run started (services/late_applicants.start_stalled_runs).
        "workflow_describe": {
            "Sid": "WorkflowDescribe",
            "Effect": "Allow",
            "Action": "states:DescribeExecution",
            "Resource": f"arn:aws:states:*:*:execution:{prefix}-engagement:*",
        },
        "workflow_callbacks": {
            "Sid": "WorkflowCallbacks",
            "Effect": "Allow",
            # Task-token calls have no resource-level permissions.
            "Action": ["states:SendTaskSuccess", "states:SendTaskFailure"],
            "Resource": "*",
        },
        # The bucket's private prefixes: deliverables/, messages/ (message files) and sealed/
        # (confidential attachments): each grant below covers all three (`{bucket}/*`).
        "files_upload": {
            "Sid": "DeliverablesUpload",
            "Effect": "Allow",
            # A presigned POST is signed with this role: it needs PutObject itself.
            "Action": "s3:PutObject",
            "Resource": f"{bucket}/*",
        },
        "files_read": {
            "Sid": "DeliverablesRead",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{bucket}/*",
        },
        "files_list": {
            "Sid": "DeliverablesList",
            "Effect": "Allow",
            # Without ListBucket, HeadObject on a missing key is 403, not 404.
            "Action": "s3:ListBucket",
            "Resource": bucket,
        },
        # The certificate key (chalicelib/adapters/signer.py), named by its alias: its key id
        # is only known once the stack has created it.
        "certificate_sign": {
            "Sid": "CertificateSign",
            "Effect": "Allow",
            "Action": "kms:Sign",
            "Resource": "arn:aws:kms:*:*:key/*",
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{prefix}-certificates"}
            },
        },
        "certificate_public_key": {
            "Sid": "CertificatePublicKey",
            "Effect": "Allow",
            "Action": ["kms:GetPublicKey", "kms:Verify"],
            "Resource": "arn:aws:kms:*:*:key/*",
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{prefix}-certificates"}
            },
        },
        "dead_letter": {
            "Sid": "DeadLetter",
            "Effect": "Allow",
            # Lambda's own asynchronous-invocation dead-letter queue (scheduled functions).
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:*:*:{prefix}-scheduled-dlq",
        },
    }


BASE = ("logs", "tracing")
STEP = (*BASE, "secrets", "table_read", "table_write", "mail")

# Chalice function name -> capabilities, checked against the AWS calls each function made
# while the integration and e2e suites ran (a botocore hook attributing calls to app.py's
# handlers). A function that starts sending email or resuming waits needs its line here.
FUNCTIONS: dict[str, tuple[str, ...]] = {
    # Pages, JSON API, Stripe and finance webhooks: starts executions, resumes waits,
    # signs upload forms and download links, checks uploaded objects.
    "api_handler": (
        *STEP,
        "workflow_start",
        "workflow_callbacks",
        "files_upload",
        "files_read",
        "files_list",
        "certificate_public_key",
        # Re-signs a certificate when the intern chooses to show the employer's rating on it.
        "certificate_sign",
    ),
    # Reads the books and Stripe's objects, reports, and records what Stripe's objects prove
    # (a lost funding webhook, a stray payment refunded, an applied but unrecorded transfer or
    # refund: services/reconcile_repairs.py), resuming the funding wait; its pass cursor.
    "reconcile": (
        *BASE,
        "secrets",
        "table_read",
        "table_write",
        "reconcile_cursor",
        "workflow_callbacks",
        "dead_letter",
    ),
    # Starts the run of a brief reopened for a late applicant whose own start failed
    # (services/late_applicants.start_stalled_runs): reads the brief, asks whether the run
    # exists, starts it, deletes its marker. No mail, no callbacks.
    "start_reopened_runs": (
        *BASE,
        "secrets",
        "table_read",
        "table_write",
        "workflow_describe",
        "workflow_start",
        "dead_letter",
    ),
    # Also sends the batched new-messages emails (services/messages.send_due_notifications).
    "send_reminders": (*STEP, "dead_letter"),
    "match": STEP,
    # Picks the next shortlisted intern; the offer email goes out when its wait registers.
    "next_candidate": (*BASE, "secrets", "table_read", "table_write"),
    # Registering a wait may resume it at once (funding already paid, auto-approved payout).
    "await_party": (*STEP, "workflow_callbacks"),
    "window_closed": STEP,
    "release": STEP,
    # Stripe refund and the ledger; the emails about it go from the steps after it.
    "refund": (*BASE, "secrets", "table_read", "table_write"),
    # Issues (signs) the completion certificate, or revokes it after a reversing dispute.
    "settle": (*STEP, "certificate_sign", "certificate_public_key"),
    # SES bounce/complaint notifications (SNS): marks the address.
    "ses_feedback": (*BASE, "secrets", "table_read", "table_write"),
}


def document(stage: str, capabilities: tuple[str, ...]) -> dict[str, Any]:
    statements = _statements(stage)
    return {"Version": "2012-10-17", "Statement": [statements[c] for c in capabilities]}


def policy_file(stage: str, function: str) -> str:
    """The file name config.json gives Chalice (relative to .chalice/)."""
    return f"policies/{stage}/{function}.json"


def rendered() -> dict[Path, str]:
    """Every generated file and its text."""
    files: dict[Path, str] = {}
    for stage in STAGES:
        files[CHALICE / f"policy-{stage}.json"] = _dump(document(stage, BASE))
        for function, capabilities in FUNCTIONS.items():
            files[CHALICE / policy_file(stage, function)] = _dump(document(stage, capabilities))
    config_path = CHALICE / "config.json"
    config = json.loads(config_path.read_text())
    for stage in STAGES:
        settings = config["stages"][stage]
        settings["iam_policy_file"] = f"policy-{stage}.json"
        settings["lambda_functions"] = {
            **settings.get("lambda_functions", {}),
            **{
                function: {
                    **settings.get("lambda_functions", {}).get(function, {}),
                    "iam_policy_file": policy_file(stage, function),
                }
                for function in FUNCTIONS
            },
        }
    files[config_path] = _dump(config)
    return files


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def stale() -> list[Path]:
    return [
        path for path, text in rendered().items() if not path.exists() or path.read_text() != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report out-of-date files")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale()
        for path in out_of_date:
            print(f"out of date: {path.relative_to(ROOT)} (run python -m infrastructure.policies)")
        return 1 if out_of_date else 0
    for path, text in rendered().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

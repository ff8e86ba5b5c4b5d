"""What the chaos run (bench/chaos.py) holds the platform to, checked from the outside: the
employer's view (`GET /api/briefs/{id}`: status, escrow figures from the ledger, `attention`),
Stripe's record (the sandbox's `GET /_sandbox/state`), Step Functions' executions (moto, through
boto3 at the twin's AWS URL) and the reconciler, run against the twin as `make reconcile` runs it.

Per engagement:
- funded = released + fee + refunded + held, and held > 0 only while visibly waiting (the
  brief's `attention`); a terminal brief holds nothing;
- at most one transfer per PaymentIntent; Stripe's transfers (less reversals) for the brief =
  the ledger's released; Stripe's refunds of the brief's PaymentIntent = the ledger's refunded;
- every payment Stripe captured for the brief is either the ledger's funding or refunded in
  full (a stray second payment, a payment after a cancel);
- a brief never funded moved nothing at Stripe;
- its execution is not FAILED (SUCCEEDED once terminal); the brief is terminal or visibly
  waiting — `attention` (a failed payout/refund), or a payout waiting for the intern's Stripe
  onboarding, which its timeline says — else it is *stuck*.
Globally: no execution FAILED, and the reconciler reports 0 discrepancies and 0 errors.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.chaos_drive import TERMINAL, Engagement
from tests.e2e.conftest import ROOT, RunningTwin
from tests.e2e.flow import view

EXECUTIONS = "arn:aws:states:us-east-1:123456789012:execution:microintern-local-engagement"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:microintern-local-engagement"


@dataclass
class Verdict:
    violations: Counter[str] = field(default_factory=Counter)
    details: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    finals: Counter[str] = field(default_factory=Counter)
    reconciler: str = ""

    def violation(self, kind: str, e: Engagement | None, detail: str) -> None:
        self.violations[kind] += 1
        who = f"engagement {e.index} ({e.ending}) brief {e.brief_id}: " if e else ""
        self.details.append(f"{kind}: {who}{detail}")


def stripe_books(twin: RunningTwin) -> dict[str, Any]:
    """Stripe's money objects (not its events: at 1,000 engagements a copy of every event was
    the largest allocation of the whole run, in the twin)."""
    only = "payment_intents,charges,transfers,refunds"
    url = f"{twin.stripe_url}/_sandbox/state"
    return dict(requests.get(url, params={"only": only}, timeout=120).json())


def check(twin: RunningTwin, engagements: list[Engagement]) -> Verdict:
    verdict = Verdict()
    state = stripe_books(twin)
    intents_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pi in state["payment_intents"]:
        brief_id = (pi.get("metadata") or {}).get("brief_id")
        if brief_id:
            intents_of[brief_id].append(pi)
    charge_pi = {c["id"]: c.get("payment_intent") for c in state["charges"]}
    transfers_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    transfers_per_pi: Counter[str] = Counter()
    for t in state["transfers"]:
        transfers_of[str(t.get("transfer_group") or "")].append(t)
        source = t.get("source_transaction")
        transfers_per_pi[str(charge_pi.get(source, source))] += 1
    refunds_of_pi: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in state["refunds"]:
        refunds_of_pi[str(r.get("payment_intent"))].append(r)

    for pi_id, count in transfers_per_pi.items():
        if count > 1:
            verdict.violation("more than one transfer per PaymentIntent", None, f"{pi_id}: {count}")

    sfn = twin.client("stepfunctions")
    for e in engagements:
        if e.skipped:
            verdict.finals["not started (time budget)"] += 1
            continue
        if not e.brief_id:
            verdict.finals["never submitted"] += 1
            verdict.violation("engagement never started", e, e.error or e.deviation)
            continue
        brief = view(twin, e.brief_id, e.token)
        status, escrow, attention = brief["status"], brief["escrow"], brief.get("attention")
        verdict.finals[status] += 1
        funded, released = escrow["funded_cents"], escrow["released_cents"]
        fee, refunded, held = escrow["fee_cents"], escrow["refunded_cents"], escrow["held_cents"]
        if funded != released + fee + refunded + held or min(funded, released, held) < 0:
            verdict.violation("escrow does not add up", e, f"{escrow}")
        if held and status in TERMINAL:
            verdict.violation("money held after the end", e, f"{status} holds {held}")
        terminal = status in TERMINAL
        if not terminal:
            waits_for = (attention or {}).get("kind") or _waits_for_the_intern(brief)
            (verdict.waiting if waits_for else verdict.stuck).append(
                f"engagement {e.index} ({e.ending}) brief {e.brief_id}: {status}"
                + (f", waiting: {waits_for}" if waits_for else "")
            )

        transfers = transfers_of.get(e.brief_id, [])
        transferred = sum(t["amount"] - t.get("amount_reversed", 0) for t in transfers)
        if transferred != released:
            verdict.violation(
                "transfers differ from the ledger", e, f"Stripe {transferred}, ledger {released}"
            )
        main_pi = escrow.get("payment_intent_id")
        intents = intents_of.get(e.brief_id, [])
        captured = {pi["id"]: pi.get("amount_received", 0) for pi in intents}
        refunds = {
            pi: sum(r["amount"] for r in refunds_of_pi.get(pi, []) if r["status"] == "succeeded")
            for pi in captured
        }
        if main_pi and refunds.get(str(main_pi), 0) != refunded:
            verdict.violation(
                "refunds differ from the ledger",
                e,
                f"Stripe refunded {refunds.get(str(main_pi), 0)} of {main_pi}, ledger {refunded}",
            )
        kept = sum(captured.values()) - sum(refunds.values())
        if kept != released + fee + held:
            verdict.violation(
                "captured less refunded differs from released + fee + held",
                e,
                f"captured {captured}, refunded {refunds}, escrow {escrow}",
            )
        if not any(captured.values()):
            moved = transferred or sum(refunds.values())
            if moved or funded:
                verdict.violation("money moved for a brief never funded", e, f"{escrow}")

        try:
            desc = sfn.describe_execution(executionArn=f"{EXECUTIONS}:{e.brief_id}")
            execution = str(desc["status"])
        except Exception as exc:  # no execution at all is a violation too
            execution = f"missing ({type(exc).__name__})"
        if execution != "RUNNING" and execution != "SUCCEEDED":
            verdict.violation(f"execution {execution}", e, f"status {status}")
        elif terminal and execution == "RUNNING":
            verdict.stuck.append(
                f"engagement {e.index} brief {e.brief_id}: {status}, still RUNNING"
            )
        elif not terminal and execution == "SUCCEEDED":
            verdict.violation("execution ended, brief open", e, status)

    failed = _failed_executions(sfn)
    if failed:
        verdict.violation("FAILED executions (all of the twin's)", None, ", ".join(failed[:20]))
    with_intent = sum(1 for b in intents_of if any(e.brief_id == b for e in engagements))
    verdict.reconciler = reconcile(twin, verdict, with_intent)
    return verdict


ONBOARDING_WAIT = "Waiting for the intern to finish Stripe onboarding"


def _waits_for_the_intern(brief: dict[str, Any]) -> str:
    """A payout waiting for the intern's Stripe account (the AwaitPayoutAccount wait: the
    intern reminded, the brief's timeline saying so) waits visibly, on a person, not on us."""
    recent = " ".join(str(t.get("detail", "")) for t in brief.get("timeline", [])[-3:])
    return "the intern's Stripe onboarding" if ONBOARDING_WAIT in recent else ""


def _failed_executions(sfn: Any) -> list[str]:
    names: list[str] = []
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=MACHINE, statusFilter="FAILED"
    ):
        names.extend(str(x["name"]) for x in page["executions"])
    return names


RECONCILED = re.compile(r"reconciled (\d+) engagements: (\d+) discrepancies, (\d+) errors")


def reconcile(twin: RunningTwin, verdict: Verdict, expected: int) -> str:
    """One whole pass of the reconciler, attached to the twin as `make reconcile` runs it."""
    aws_port = twin.aws_url.rsplit(":", 1)[1]
    stripe_port = twin.stripe_url.rsplit(":", 1)[1]
    app_port = twin.origin.rsplit(":", 1)[1]
    env = {
        **os.environ,
        "PORT": app_port,
        "AWS_TWIN_PORT": aws_port,
        "STRIPE_SANDBOX_PORT": stripe_port,
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-m", "local.attach", "chalicelib.services.reconcile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = done.stdout.strip().splitlines()
    match = RECONCILED.search(done.stdout)
    if not match:
        verdict.violation("reconciler did not report", None, (done.stdout + done.stderr)[-2000:])
        return "no report"
    checked, discrepancies, errors = (int(g) for g in match.groups())
    if checked < expected:  # a scheduled run held the cursor: this pass checked nothing
        verdict.violation("reconciler checked too few", None, f"{checked} of {expected}")
    for line in lines[1:]:
        kind = "reconciler error" if line.startswith("error:") else "reconciler discrepancy"
        verdict.violation(kind, None, line)
    return f"{checked} checked, {discrepancies} discrepancies, {errors} errors"

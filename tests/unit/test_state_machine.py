"""statemachines/engagement.asl.json keeps the promises ENGINEERING.md makes for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Windows
from infrastructure.template import load_template, state_machines, substitute

ROOT = Path(__file__).resolve().parents[2]
ASL = json.loads((ROOT / "statemachines" / "engagement.asl.json").read_text())
STATES: dict[str, dict[str, Any]] = ASL["States"]
LAMBDA_TASKS = {n: s for n, s in STATES.items() if s["Type"] == "Task"}
WAITS = {n: s for n, s in LAMBDA_TASKS.items() if s["Resource"].endswith(".waitForTaskToken")}
TRANSIENT = {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "TransientError"}


@pytest.mark.parametrize("name", sorted(LAMBDA_TASKS))
def test_every_lambda_task_retries_transient_errors(name: str) -> None:
    retried = {e for r in LAMBDA_TASKS[name]["Retry"] for e in r["ErrorEquals"]}
    assert retried >= TRANSIENT


@pytest.mark.parametrize("name", sorted(WAITS))
def test_every_wait_has_a_window_from_the_input_and_catches_its_timeout(name: str) -> None:
    state = WAITS[name]
    assert state["TimeoutSecondsPath"].startswith("$.windows.")
    field = state["TimeoutSecondsPath"].removeprefix("$.windows.")
    assert field in Windows.model_fields, f"{name} waits on a window the settings do not define"
    caught = [c["ErrorEquals"] for c in state["Catch"]]
    assert ["States.Timeout"] in caught
    assert state["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"


def test_every_state_is_reachable_and_every_target_exists() -> None:
    targets: dict[str, set[str]] = {}
    for name, state in STATES.items():
        nxt = {state["Next"]} if "Next" in state else set()
        nxt |= {c["Next"] for c in state.get("Choices", [])}
        nxt |= {c["Next"] for c in state.get("Catch", [])}
        if "Default" in state:
            nxt.add(state["Default"])
        targets[name] = nxt
    assert all(t in STATES for ts in targets.values() for t in ts)
    seen, todo = set(), [ASL["StartAt"]]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(targets[name])
    assert seen == set(STATES)


def test_terminal_states_are_the_products_endings() -> None:
    ends = {n for n, s in STATES.items() if s["Type"] == "Succeed"}
    assert ends == {"Completed", "Unmatched", "Cancelled", "Refunded"}


def test_substitutions_cover_every_placeholder_and_name_the_step_functions() -> None:
    template = load_template()
    (machine,) = state_machines(template).values()
    subs = machine["Properties"]["DefinitionSubstitutions"]
    text = json.dumps(ASL)
    filled = substitute(text, {k: f"arn:{k}" for k in subs})
    assert "${" not in filled
    for key, value in subs.items():
        assert value == {"Fn::GetAtt": [key.removesuffix("FunctionArn"), "Arn"]}


def test_a_missing_substitution_is_an_error() -> None:
    with pytest.raises(KeyError):
        substitute('{"FunctionName": "${NopeFunctionArn}"}', {})


# -- money never ends an execution (issue 12: 4, issue 16: 1) ----------------------------------

MONEY_STEPS = {"Release": "payout_failed", "Refund": "refund_failed"}


def _reachable(start: str, *, stop: str) -> set[str]:
    """States reachable from `start` without passing through `stop` again."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = STATES[name]
        nxt = {state["Next"]} if "Next" in state else set()
        nxt |= {c["Next"] for c in state.get("Catch", [])}
        nxt |= {c["Next"] for c in state.get("Choices", [])}
        if "Default" in state:
            nxt.add(state["Default"])
        todo.extend(n for n in nxt if n != stop)
    return seen


@pytest.mark.parametrize("step", sorted(MONEY_STEPS))
def test_a_money_step_that_fails_waits_visibly_and_comes_back(step: str) -> None:
    state = STATES[step]
    caught = {tuple(c["ErrorEquals"]): c["Next"] for c in state["Catch"]}
    assert "StepFailed" not in caught.values()
    wait_name = caught[("States.ALL",)]
    wait = STATES[wait_name]
    assert wait["Resource"].endswith(".waitForTaskToken")
    assert wait["Parameters"]["Payload"]["kind"] == MONEY_STEPS[step]
    assert wait["Parameters"]["Payload"]["failure.$"] == "$.failure"
    assert wait["TimeoutSecondsPath"] == "$.windows.payout_retry_seconds"
    assert wait["Next"] == step  # finance's payout.retry
    timeout = next(c for c in wait["Catch"] if c["ErrorEquals"] == ["States.Timeout"])
    assert timeout["Next"] == step  # the periodic automatic retry
    # Whatever fails on the way, the loop leads back to the step, never to StepFailed.
    assert "StepFailed" not in _reachable(wait_name, stop=step)


@pytest.mark.parametrize("step", sorted(MONEY_STEPS))
def test_a_money_step_retries_stripe_blips_in_place_with_a_bounded_delay(step: str) -> None:
    (transient,) = [r for r in STATES[step]["Retry"] if "TransientError" in r["ErrorEquals"]]
    assert transient["BackoffRate"] >= 1.5 and transient["MaxDelaySeconds"] <= 60
    assert "StripeRejected" not in transient["ErrorEquals"]  # a refusal waits at once


def test_the_automatic_payout_retry_is_hourly_by_default() -> None:
    assert Windows().payout_retry_seconds == 3600

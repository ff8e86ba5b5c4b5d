"""The state machine and the code cannot drift (issue 11).

Three checks read statemachines/*.asl.json next to the code, each a function that returns the
problems it finds (empty when the two agree), so each is also run on a deliberately broken copy
of the machine to show that it fails:

1. every wait `kind` the machine passes to a step is one the code knows
   (``domain.engagement.WAIT_KINDS``), and the code knows no kind the machine never uses;
2. every error name in a ``Catch`` or ``Retry`` (other than ``States.*`` and ``Lambda.*``) is
   the class name of an exception defined in ``chalicelib`` and raised there (a Python Lambda
   reports ``type(exc).__name__``), or an error the code sends with a task token
   (``adapters.workflow.fail``, e.g. the intern's "Declined");
3. every edge of the machine that changes the engagement's status is a transition
   ``domain.engagement.TRANSITIONS`` allows, and every ``Succeed`` ends in a terminal status.

How a state changes the status (read from the code, not restated here): a wait moves to
``WAIT_STATUS[kind]``; ``settle`` to the status in its payload; another step to the
``Status.X`` it passes as ``to=`` in ``services/steps.py``; Choice, Pass, Wait and Fail states
change nothing. The walk is path-sensitive where the machine is: an ``IsPresent`` test in a
Choice (``AfterRefund`` asks whether a dispute happened) is decided by the results written on
the way, other conditions may go either way. A wait's own outcomes (its answer, its timeout, a
failure sent with its token) leave the status the wait set; any other error may leave the
status the state was entered with.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, get_args

import pytest

import chalicelib
from chalicelib.domain.engagement import (
    TERMINAL,
    TRANSITIONS,
    WAIT_KINDS,
    WAIT_STATUS,
    Status,
)

ROOT = Path(__file__).resolve().parents[2]
MACHINES: dict[str, dict[str, Any]] = {
    path.name: json.loads(path.read_text())
    for path in sorted((ROOT / "statemachines").glob("*.asl.json"))
}
STEPS_MODULE = "chalicelib.services.steps"  # app.py hands every step event to this module
TASK_FAILURE = "chalicelib.adapters.workflow.fail"  # SendTaskFailure(task_token, error)
WAIT_OUTCOMES = frozenset({"States.Timeout", "States.HeartbeatTimeout"})

ASL = dict[str, Any]
Problems = list[str]


# -- reading the machine -----------------------------------------------------------------------


def tasks(asl: ASL) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in asl["States"].items() if s["Type"] == "Task"}


def payload(state: Mapping[str, Any]) -> dict[str, Any]:
    parameters = state.get("Parameters", {})
    return dict(parameters.get("Payload", parameters))


def is_wait(state: Mapping[str, Any]) -> bool:
    return str(state.get("Resource", "")).endswith(".waitForTaskToken")


def step_function(state: Mapping[str, Any]) -> str:
    """`${AwaitPartyFunctionArn}` -> `await_party`: the app's Lambda and the steps function."""
    placeholder = str(state["Parameters"]["FunctionName"])
    found = re.fullmatch(r"\$\{(\w+)FunctionArn\}", placeholder)
    assert found, f"FunctionName {placeholder!r} is not a ${{<Name>FunctionArn}} placeholder"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", found.group(1)).lower()


def error_names(asl: ASL) -> dict[str, set[str]]:
    """Each error name in a Catch or Retry -> the states that name it."""
    named: dict[str, set[str]] = {}
    for name, state in asl["States"].items():
        for rule in [*state.get("Catch", []), *state.get("Retry", [])]:
            for error in rule["ErrorEquals"]:
                named.setdefault(error, set()).add(name)
    return named


# -- reading the code --------------------------------------------------------------------------


@cache
def sources() -> dict[str, ast.Module]:
    """Every module of chalicelib, parsed."""
    trees = {}
    for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None
        trees[info.name] = ast.parse(Path(spec.origin).read_text(), filename=spec.origin)
    return trees


def _aliases(module: str, tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted name, for every import in the module (inside functions too)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                base = ".".join([*module.split(".")[: -node.level], node.module])
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
    return names


def _resolve(module: str, aliases: Mapping[str, str], func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return aliases.get(func.id, f"{module}.{func.id}")
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{aliases.get(func.value.id, func.value.id)}.{func.attr}"
    return None


@cache
def exception_classes() -> dict[str, set[str]]:
    """Class name -> the chalicelib modules that define an exception of that name."""
    found: dict[str, set[str]] = {}
    for module in sources():
        for name, cls in inspect.getmembers(importlib.import_module(module), inspect.isclass):
            if cls.__module__ == module and issubclass(cls, BaseException):
                found.setdefault(name, set()).add(module)
    return found


@cache
def raised_names() -> frozenset[str]:
    """The class names in every `raise X` / `raise X(...)` / `raise mod.X(...)` of chalicelib."""
    names = set()
    for tree in sources().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(exc, ast.Name):
                    names.add(exc.id)
                elif isinstance(exc, ast.Attribute):
                    names.add(exc.attr)
    return frozenset(names)


def _parameter(fn: ast.FunctionDef, name: str) -> tuple[int | None, str]:
    positional = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    return (positional.index(name) if name in positional else None), name


@cache
def task_failure_names() -> frozenset[str]:
    """Error names the code sends with a task token: string literals reaching the `error`
    argument of `workflow.fail`, directly or through functions that pass it on."""
    targets: dict[str, tuple[int | None, str]] = {TASK_FAILURE: (1, "error")}
    names: set[str] = set()
    for _ in range(5):  # forwarders of forwarders
        before = dict(targets)
        for module, tree in sources().items():
            aliases = _aliases(module, tree)
            for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
                for call in [n for n in ast.walk(fn) if isinstance(n, ast.Call)]:
                    target = _resolve(module, aliases, call.func)
                    if target not in targets:
                        continue
                    position, keyword = targets[target]
                    args = [k.value for k in call.keywords if k.arg == keyword]
                    if position is not None and len(call.args) > position:
                        args.append(call.args[position])
                    for arg in args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            names.add(arg.value)
                        elif isinstance(arg, ast.Name) and arg.id in {
                            a.arg
                            for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
                        }:
                            targets[f"{module}.{fn.name}"] = _parameter(fn, arg.id)
        if targets == before:
            break
    return frozenset(names)


@cache
def step_moves() -> dict[str, set[Status]]:
    """Each function of the steps module -> the `Status.X` it passes as `to=` (a fixed move)."""
    moves: dict[str, set[Status]] = {}
    for fn in sources()[STEPS_MODULE].body:
        if isinstance(fn, ast.FunctionDef):
            moves[fn.name] = {
                Status[kw.value.attr]
                for call in ast.walk(fn)
                if isinstance(call, ast.Call)
                for kw in call.keywords
                if kw.arg == "to"
                and isinstance(kw.value, ast.Attribute)
                and isinstance(kw.value.value, ast.Name)
                and kw.value.value.id == "Status"
            }
    return moves


def execution_input() -> dict[str, Any]:
    """What `POST /briefs` starts an execution with (a sample brief)."""
    from chalicelib.domain.brief import parse_brief
    from chalicelib.services.briefs import execution_input
    from tests.helpers import load_event

    return execution_input("b_contract", parse_brief(load_event("brief"), today=date.today()))


# -- check 1: wait kinds -----------------------------------------------------------------------


def wait_kind_problems(asl: ASL, known: Iterable[str]) -> Problems:
    known = set(known)
    used = {name: payload(s).get("kind") for name, s in tasks(asl).items()}
    problems = [
        f"{name} passes kind {kind!r}, which the code does not know"
        for name, kind in sorted(used.items())
        if kind is not None and kind not in known
    ]
    problems += [
        f"{name} waits on a task token without a kind"
        for name, state in sorted(tasks(asl).items())
        if is_wait(state) and used[name] is None
    ]
    waited = {used[n] for n, s in tasks(asl).items() if is_wait(s)}
    problems += [f"the code knows kind {k!r}, which no wait uses" for k in sorted(known - waited)]
    # A step told that a window closed names the wait whose timeout led to it.
    for name, state in sorted(tasks(asl).items()):
        if not is_wait(state):
            continue
        for catcher in state.get("Catch", []):
            closed = asl["States"].get(catcher["Next"], {})
            closing = closed.get("Type") == "Task" and not is_wait(closed)
            kind = payload(closed).get("kind") if closing else None
            if "States.Timeout" in catcher["ErrorEquals"] and kind not in (None, used[name]):
                problems.append(
                    f"{name} (kind {used[name]!r}) times out into {catcher['Next']}, "
                    f"which closes kind {kind!r}"
                )
    return problems


# -- check 2: error names ----------------------------------------------------------------------


def error_problems(
    asl: ASL,
    *,
    exceptions: Mapping[str, set[str]],
    raised: Iterable[str],
    sent: Iterable[str],
) -> Problems:
    raised, sent = set(raised), set(sent)
    problems = []
    for error, states in sorted(error_names(asl).items()):
        if error.startswith(("States.", "Lambda.")) or error in sent:
            continue
        where = ", ".join(sorted(states))
        if error not in exceptions:
            problems.append(f"{where} name {error!r}: no exception class of chalicelib has it")
        elif error not in raised:
            problems.append(f"{where} name {error!r}: chalicelib defines it but never raises it")
    return problems


# -- check 3: status transitions ---------------------------------------------------------------


def status_moves(
    asl: ASL, *, wait_status: Mapping[str, Status | None], moves: Mapping[str, set[Status]]
) -> dict[str, Status | None]:
    """Each Task state -> the status it moves the engagement to (None: unchanged)."""
    result: dict[str, Status | None] = {}
    for name, state in tasks(asl).items():
        body = payload(state)
        if is_wait(state):
            result[name] = wait_status.get(body.get("kind", ""))
        elif "status" in body:
            result[name] = Status(body["status"])
        else:
            fixed = moves.get(step_function(state))
            assert fixed is not None, f"{name} calls {step_function(state)}, not in {STEPS_MODULE}"
            assert len(fixed) <= 1, f"{step_function(state)} moves to several statuses: {fixed}"
            result[name] = next(iter(fixed), None)
    return result


Present = frozenset[str] | None  # the IsPresent-tested paths written so far (None: unknown)


def _rules(rule: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield rule
    for sub in [
        *rule.get("And", []),
        *rule.get("Or", []),
        *([rule["Not"]] if "Not" in rule else []),
    ]:
        yield from _rules(sub)


def _truth(rule: Mapping[str, Any], present: Present, tracked: set[str]) -> bool | None:
    if "And" in rule:
        values = [_truth(r, present, tracked) for r in rule["And"]]
        return False if False in values else (True if all(values) else None)
    if "Or" in rule:
        values = [_truth(r, present, tracked) for r in rule["Or"]]
        return True if True in values else (False if all(v is False for v in values) else None)
    if "Not" in rule:
        value = _truth(rule["Not"], present, tracked)
        return None if value is None else not value
    if "IsPresent" in rule and present is not None and rule["Variable"] in tracked:
        return (rule["Variable"] in present) == rule["IsPresent"]
    return None  # a condition on data the walk does not follow: either way


def _written(present: Present, path: str | None, tracked: set[str]) -> Present:
    if path is None:  # "ResultPath": null keeps the input as it was
        return present
    if path == "$" or present is None or any(q.startswith(path + ".") for q in tracked):
        return None
    return present | {q for q in tracked if path == q or path.startswith((q + ".", q + "["))}


def _has(document: Any, path: str) -> bool:
    for key in path.removeprefix("$.").split("."):
        if not isinstance(document, dict) or key not in document:
            return False
        document = document[key]
    return True


def transition_problems(
    asl: ASL,
    *,
    moves: Mapping[str, Status | None],
    transitions: Mapping[Status, frozenset[Status]],
    start_input: Mapping[str, Any],
    wait_outcomes: Iterable[str],
) -> Problems:
    """Walk every path of the machine with the engagement's status; report each edge whose
    status change the domain forbids, and each ending in a status that is not terminal."""
    states = asl["States"]
    outcomes = set(wait_outcomes)
    tracked = {
        r["Variable"]
        for s in states.values()
        for choice in s.get("Choices", [])
        for r in _rules(choice)
        if "IsPresent" in r
    }
    entered = {t for targets in transitions.values() for t in targets}
    (start,) = [s for s in transitions if s not in entered]  # what a brief is submitted as
    problems: list[str] = []
    seen: set[tuple[str, Status, Present]] = set()
    todo: list[tuple[str, Status, Present]] = []

    def follow(source: str, target: str, status: Status, present: Present) -> None:
        if target not in states:
            problems.append(f"{source} -> {target}: no such state")
            return
        to = moves.get(target)
        if to is not None and to != status and to not in transitions.get(status, frozenset()):
            problems.append(f"{source} -> {target} moves {status.value} -> {to.value}")
        todo.append((target, status, present))

    follow(
        "(start)", str(asl["StartAt"]), start, frozenset(q for q in tracked if _has(start_input, q))
    )
    while todo:
        name, entry, present = todo.pop()
        if (name, entry, present) in seen:
            continue
        seen.add((name, entry, present))
        state = states[name]
        kind = state["Type"]
        if kind == "Succeed":
            if entry not in TERMINAL:
                problems.append(f"the execution ends in {name} with the brief {entry.value}")
            continue
        if kind == "Fail":
            continue
        if kind not in ("Task", "Pass", "Wait", "Choice"):
            problems.append(f"{name}: state type {kind} is not followed by this check")
            continue
        status = moves.get(name) or entry
        if "OutputPath" in state:
            present = None
        if kind == "Choice":
            for rule in state["Choices"]:
                truth = _truth(rule, present, tracked)
                if truth is not False:
                    follow(name, rule["Next"], status, present)
                if truth is True:
                    break
            else:
                follow(name, state["Default"], status, present)
            continue
        written = (
            present if kind == "Wait" else _written(present, state.get("ResultPath", "$"), tracked)
        )
        follow(name, state["Next"], status, written)
        for catcher in state.get("Catch", []):
            after = _written(present, catcher.get("ResultPath", "$"), tracked)
            exits = {status}
            if not (is_wait(state) and set(catcher["ErrorEquals"]) <= outcomes):
                exits.add(entry)  # the step itself failed, maybe before it moved the status
            for leaving in sorted(exits):
                follow(name, catcher["Next"], leaving, after)
    return sorted(set(problems))


# -- the checks on the real machines -----------------------------------------------------------


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_wait_kind_in_the_machine_is_one_the_code_knows(machine: str) -> None:
    assert wait_kind_problems(MACHINES[machine], WAIT_KINDS) == []


def test_the_steps_accept_exactly_the_domains_wait_kinds() -> None:
    from chalicelib.services import steps

    accepted = set(get_args(steps.StepEvent.model_fields["kind"].annotation)) - {type(None)}
    assert {a for arg in accepted for a in get_args(arg)} == WAIT_KINDS
    assert {k: WAIT_STATUS[k] for k in steps.WAITS} == steps.WAITS
    assert set(steps.WAITS) | steps.FAILURE_WAITS == WAIT_KINDS
    assert {k for k, s in WAIT_STATUS.items() if s is None} == steps.FAILURE_WAITS


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_error_the_machine_catches_or_retries_is_one_the_code_raises(machine: str) -> None:
    problems = error_problems(
        MACHINES[machine],
        exceptions=exception_classes(),
        raised=raised_names(),
        sent=task_failure_names(),
    )
    assert problems == []


def test_the_errors_sent_with_a_task_token_are_the_parties_answers() -> None:
    # Read from the code (engagement.decline / engagement.cancel -> workflow.fail).
    assert task_failure_names() == {"Declined", "Cancelled"}


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_status_change_in_the_machine_is_a_transition_the_domain_allows(
    machine: str,
) -> None:
    asl = MACHINES[machine]
    problems = transition_problems(
        asl,
        moves=status_moves(asl, wait_status=WAIT_STATUS, moves=step_moves()),
        transitions=TRANSITIONS,
        start_input=execution_input(),
        wait_outcomes=WAIT_OUTCOMES | task_failure_names(),
    )
    assert problems == []


def test_the_status_each_state_moves_to_is_read_from_the_code() -> None:
    moves = status_moves(
        MACHINES["engagement.asl.json"], wait_status=WAIT_STATUS, moves=step_moves()
    )
    changing = {name: status.value for name, status in moves.items() if status is not None}
    assert changing == {
        "Match": "MATCHING",
        "Offer": "OFFERED",
        "Nda": "NDA",
        "Funding": "AWAITING_FUNDING",
        "Work": "IN_PROGRESS",
        "DeadlineMissed": "DEADLINE_MISSED",
        "Review": "IN_REVIEW",
        "PayoutApproval": "PAYOUT_APPROVAL",
        "Dispute": "DISPUTED",
        "Release": "RELEASING",
        "AwaitPayoutAccount": "RELEASING",
        "SettleCompleted": "COMPLETED",
        "SettleUnmatched": "UNMATCHED",
        "SettleCancelled": "CANCELLED",
        "SettleRefunded": "REFUNDED",
    }


# -- each check fails on a machine that drifted ------------------------------------------------


def drifted(change: Any) -> ASL:
    asl = copy.deepcopy(MACHINES["engagement.asl.json"])
    change(asl["States"])
    return asl


def _check_transitions(asl: ASL) -> Problems:
    return transition_problems(
        asl,
        moves=status_moves(asl, wait_status=WAIT_STATUS, moves=step_moves()),
        transitions=TRANSITIONS,
        start_input=execution_input(),
        wait_outcomes=WAIT_OUTCOMES | task_failure_names(),
    )


def _check_errors(asl: ASL, *, raised: Iterable[str] | None = None) -> Problems:
    return error_problems(
        asl,
        exceptions=exception_classes(),
        raised=raised_names() if raised is None else raised,
        sent=task_failure_names(),
    )


def test_a_wait_kind_the_code_does_not_know_is_reported() -> None:
    def typo(states: dict[str, Any]) -> None:
        states["Offer"]["Parameters"]["Payload"]["kind"] = "ofer"

    assert wait_kind_problems(drifted(typo), WAIT_KINDS) == [
        "Offer passes kind 'ofer', which the code does not know",
        "the code knows kind 'offer', which no wait uses",
        "Offer (kind 'ofer') times out into OfferExpired, which closes kind 'offer'",
    ]


def test_a_window_closed_for_another_wait_is_reported() -> None:
    def crossed(states: dict[str, Any]) -> None:
        states["AutoApprove"]["Parameters"]["Payload"]["kind"] = "payout"

    assert wait_kind_problems(drifted(crossed), WAIT_KINDS) == [
        "Review (kind 'review') times out into AutoApprove, which closes kind 'payout'"
    ]


def test_an_error_no_code_raises_is_reported() -> None:
    def misspelt(states: dict[str, Any]) -> None:
        states["Nda"]["Catch"][2]["ErrorEquals"] = ["Canceled"]

    assert _check_errors(drifted(misspelt)) == [
        "Nda name 'Canceled': no exception class of chalicelib has it"
    ]


def test_an_exception_defined_but_never_raised_is_reported() -> None:
    never = raised_names() - {"PayoutAccountNotReady"}
    assert _check_errors(MACHINES["engagement.asl.json"], raised=never) == [
        "Release name 'PayoutAccountNotReady': chalicelib defines it but never raises it"
    ]


def test_an_edge_the_domain_forbids_is_reported() -> None:
    def skip_the_work(states: dict[str, Any]) -> None:
        states["Funding"]["Next"] = "Review"

    assert _check_transitions(drifted(skip_the_work)) == [
        "Funding -> Review moves AWAITING_FUNDING -> IN_REVIEW"
    ]
    offer_first = copy.deepcopy(MACHINES["engagement.asl.json"])
    offer_first["StartAt"] = "Offer"
    assert "(start) -> Offer moves SUBMITTED -> OFFERED" in _check_transitions(offer_first)


def test_the_dispute_test_before_settling_is_what_keeps_a_refund_legal() -> None:
    def always_cancelled(states: dict[str, Any]) -> None:
        states["AfterRefund"]["Choices"] = [
            {"Variable": "$.brief_id", "IsPresent": True, "Next": "SettleCancelled"}
        ]

    assert _check_transitions(drifted(always_cancelled)) == [
        "AfterRefund -> SettleCancelled moves DISPUTED -> CANCELLED"
    ]


def test_an_execution_ending_before_a_terminal_status_is_reported() -> None:
    def give_up(states: dict[str, Any]) -> None:
        states["HasCandidate"]["Default"] = "Unmatched"

    assert _check_transitions(drifted(give_up)) == [
        f"the execution ends in Unmatched with the brief {status}"
        for status in ("MATCHING", "NDA", "OFFERED")  # no candidate at first, or none left
    ]

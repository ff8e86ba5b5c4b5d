"""Engagement states, transitions and the actions each party may take."""

from __future__ import annotations

from collections import deque

import pytest

from chalicelib.domain.engagement import (
    EMPLOYER_CANCELLABLE,
    EXPLAIN,
    LABELS,
    TERMINAL,
    TRANSITIONS,
    Action,
    Status,
    allowed_actions,
    can_transition,
    is_terminal,
)

FLOW_STEPS = [
    "SUBMITTED",
    "MATCHING",
    "OFFERED",
    "NDA",
    "AWAITING_FUNDING",
    "IN_PROGRESS",
    "DEADLINE_MISSED",
    "IN_REVIEW",
    "PAYOUT_APPROVAL",
    "RELEASING",
    "COMPLETED",
    "UNMATCHED",
    "CANCELLED",
    "REFUNDED",
    "DISPUTED",
]


def test_status_names_are_exactly_the_product_steps() -> None:
    assert [s.value for s in Status] == FLOW_STEPS
    assert all(s.name == s.value for s in Status)
    assert Status("IN_REVIEW") is Status.IN_REVIEW
    assert f"{Status.IN_REVIEW}" == "IN_REVIEW"


def test_terminal_states() -> None:
    assert {
        Status.COMPLETED,
        Status.UNMATCHED,
        Status.CANCELLED,
        Status.REFUNDED,
    } == TERMINAL
    assert is_terminal("COMPLETED")
    assert not is_terminal(Status.DISPUTED)


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_terminal_states_have_no_outgoing_transitions(status: Status) -> None:
    assert TRANSITIONS[status] == frozenset()
    assert not any(can_transition(status, target) for target in Status)


def test_every_status_has_a_transition_row_and_only_known_targets() -> None:
    assert set(TRANSITIONS) == set(Status)
    for targets in TRANSITIONS.values():
        assert targets <= set(Status)


@pytest.mark.parametrize("status", sorted(set(Status) - TERMINAL))
def test_non_terminal_states_have_a_way_out(status: Status) -> None:
    assert TRANSITIONS[status]


def test_every_state_is_reachable_and_every_path_can_end() -> None:
    seen = {Status.SUBMITTED}
    queue = deque([Status.SUBMITTED])
    while queue:
        for target in TRANSITIONS[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(Status)
    # From every state some terminal state is reachable.
    can_end = set(TERMINAL)
    changed = True
    while changed:
        changed = False
        for source, targets in TRANSITIONS.items():
            if source not in can_end and targets & can_end:
                can_end.add(source)
                changed = True
    assert can_end == set(Status)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("SUBMITTED", "MATCHING"),
        ("MATCHING", "OFFERED"),
        ("MATCHING", "UNMATCHED"),
        ("OFFERED", "OFFERED"),
        ("OFFERED", "NDA"),
        ("OFFERED", "AWAITING_FUNDING"),
        ("OFFERED", "UNMATCHED"),
        ("OFFERED", "CANCELLED"),
        ("NDA", "OFFERED"),
        ("NDA", "AWAITING_FUNDING"),
        ("AWAITING_FUNDING", "IN_PROGRESS"),
        ("AWAITING_FUNDING", "CANCELLED"),
        ("IN_PROGRESS", "IN_REVIEW"),
        ("IN_PROGRESS", "DEADLINE_MISSED"),
        ("DEADLINE_MISSED", "IN_PROGRESS"),
        ("DEADLINE_MISSED", "CANCELLED"),
        ("IN_REVIEW", "IN_PROGRESS"),
        ("IN_REVIEW", "PAYOUT_APPROVAL"),
        ("IN_REVIEW", "DISPUTED"),
        ("PAYOUT_APPROVAL", "RELEASING"),
        ("RELEASING", "COMPLETED"),
        ("DISPUTED", "RELEASING"),
        ("DISPUTED", "REFUNDED"),
        ("DISPUTED", "COMPLETED"),
    ],
)
def test_flow_transitions_allowed(source: str, target: str) -> None:
    assert can_transition(source, target)
    assert can_transition(Status(source), Status(target))


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("SUBMITTED", "IN_PROGRESS"),
        ("MATCHING", "MATCHING"),
        ("OFFERED", "IN_PROGRESS"),  # work never starts before funding
        ("AWAITING_FUNDING", "IN_REVIEW"),
        ("IN_PROGRESS", "CANCELLED"),  # no unilateral cancel once work started
        ("IN_PROGRESS", "COMPLETED"),
        ("IN_REVIEW", "CANCELLED"),
        ("IN_REVIEW", "COMPLETED"),  # never paid without the payout steps
        ("PAYOUT_APPROVAL", "COMPLETED"),
        ("RELEASING", "REFUNDED"),
        ("CANCELLED", "REFUNDED"),
        ("COMPLETED", "DISPUTED"),
        ("DISPUTED", "CANCELLED"),
        ("SUBMITTED", "NOPE"),
        ("NOPE", "SUBMITTED"),
    ],
)
def test_transitions_not_in_the_flow_refused(source: str, target: str) -> None:
    assert not can_transition(source, target)


def test_cancel_matches_the_transition_table() -> None:
    for status in Status:
        may_cancel = Action.CANCEL in allowed_actions(status, party="employer")
        assert may_cancel == (status in EMPLOYER_CANCELLABLE)
        if may_cancel:
            assert can_transition(status, Status.CANCELLED)


EMPLOYER_EXPECTED = {
    Status.SUBMITTED: {Action.CANCEL},
    Status.MATCHING: {Action.CANCEL},
    Status.OFFERED: {Action.CANCEL},
    Status.NDA: {Action.CANCEL},
    Status.AWAITING_FUNDING: {Action.FUND, Action.CANCEL},
    Status.IN_PROGRESS: set(),
    Status.DEADLINE_MISSED: {Action.EXTEND, Action.CANCEL},
    Status.IN_REVIEW: {Action.APPROVE, Action.REQUEST_CHANGES, Action.DISPUTE},
    Status.PAYOUT_APPROVAL: set(),
    Status.RELEASING: set(),
    Status.COMPLETED: set(),
    Status.UNMATCHED: set(),
    Status.CANCELLED: set(),
    Status.REFUNDED: set(),
    Status.DISPUTED: set(),
}
INTERN_EXPECTED = {
    Status.OFFERED: {Action.ACCEPT, Action.DECLINE},
    Status.NDA: {Action.SIGN_NDA, Action.DECLINE},
    Status.IN_PROGRESS: {Action.DELIVER},
}


@pytest.mark.parametrize("status", list(Status))
def test_allowed_actions_per_state(status: Status) -> None:
    assert allowed_actions(status, party="employer") == EMPLOYER_EXPECTED[status]
    assert allowed_actions(status, party="intern") == INTERN_EXPECTED.get(status, set())
    assert allowed_actions(status.value, party="intern") == INTERN_EXPECTED.get(status, set())


@pytest.mark.parametrize("status", sorted(TERMINAL))
def test_no_actions_in_terminal_states(status: Status) -> None:
    assert not allowed_actions(status, party="employer")
    assert not allowed_actions(status, party="intern")


def test_actions_never_overlap_between_parties() -> None:
    for status in Status:
        both = allowed_actions(status, party="employer") & allowed_actions(status, party="intern")
        assert not both


def test_request_changes_disappears_when_no_revision_rounds_left() -> None:
    review = Status.IN_REVIEW
    assert Action.REQUEST_CHANGES in allowed_actions(review, party="employer", revisions_left=1)
    assert allowed_actions(review, party="employer", revisions_left=0) == {
        Action.APPROVE,
        Action.DISPUTE,
    }


def test_unknown_party_or_status_is_an_error() -> None:
    with pytest.raises(ValueError):
        allowed_actions(Status.OFFERED, party="finance")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        allowed_actions("NOPE", party="intern")


def test_action_values() -> None:
    assert {a.value for a in Action} == {
        "accept",
        "decline",
        "sign_nda",
        "fund",
        "deliver",
        "approve",
        "request_changes",
        "dispute",
        "cancel",
        "extend",
    }


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_label_and_an_explanation(status: Status) -> None:
    label = LABELS[status]
    explanation = EXPLAIN[status]
    assert label and label[0].isupper() and len(label) <= 40
    assert explanation and explanation[0].isupper() and not explanation.endswith(".")
    assert len(explanation) <= 100


def test_labels_are_distinct_and_offered_explains_waiting_for_the_intern() -> None:
    assert len(set(LABELS.values())) == len(Status)
    assert len(set(EXPLAIN.values())) == len(Status)
    assert EXPLAIN[Status.OFFERED] == "Waiting for the intern to accept the offer"

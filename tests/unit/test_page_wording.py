"""States and actions in words (domain/wording.py), the one-way NDA, the signature rule, and
the pages' reading of the timeline (what was just done; each line labelled by what happened)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain import nda, wording
from chalicelib.domain.engagement import Status


def test_every_state_has_words_for_people() -> None:
    for status in Status:
        words = wording.in_words(status.value)
        assert words and (status == Status.NDA or status.value not in words)
        assert wording.INTERN_LABELS[status] and wording.INTERN_EXPLAIN[status]
    assert wording.in_words("SOMETHING_NEW") == "the project has moved on"


def test_the_intern_reads_about_you_not_the_intern() -> None:
    for text in [*wording.INTERN_EXPLAIN.values(), *(d.intern_says for d in wording.DONE.values())]:
        assert "the intern" not in text.lower()


def test_the_nda_binds_the_intern_only_and_wraps_on_any_screen() -> None:
    document = nda.text(company="Acme", intern="Ada Quill", title="Market study")

    assert "MUTUAL" not in document
    assert "binds the Intern only" in document
    paragraphs = [line for line in document.splitlines() if line]
    assert all(not line.startswith(" ") for line in paragraphs)  # no hard-wrapped clause
    assert any(len(line) > 100 for line in paragraphs)
    # A copy signed under the old version is still that text (its hash was kept).
    old = nda.text(company="Acme", intern="Ada Quill", title="Market study", version="2026-11")
    assert old.startswith("MUTUAL NON-DISCLOSURE AGREEMENT") and nda.digest(old) != nda.digest(
        document
    )


@pytest.mark.parametrize(
    ("typed", "ok"),
    [("Ada Quill", True), ("  ada   QUILL ", True), ("A. Q.", False), ("Ada", False), ("", False)],
)
def test_a_signature_is_the_registered_full_name(typed: str, ok: bool) -> None:
    from chalicelib.services.engagement import same_name

    assert same_name(typed, "Ada Quill") is ok


def event(status: str, detail: str, *, actor: str = "workflow", moved: bool = False, **more: Any):
    return {
        "at": "2026-11-20T10:00:00.000Z",
        "from": "X" if moved else status,
        "status": status,
        "actor": actor,
        "detail": detail,
        **more,
    }


def test_an_action_is_done_until_the_flow_moves_on() -> None:
    from chalicelib.services.queries import pending_action

    moved = event("NDA", "Waiting for the NDA", moved=True)
    signed = event("NDA", "NDA signed by Ada", actor="intern", action="nda_signed")
    chat = event("NDA", "A message", actor="employer")

    assert pending_action("NDA", [moved]) is None
    assert pending_action("NDA", [moved, signed, chat]) == "nda_signed"
    after = event("AWAITING_FUNDING", "Waiting for funding", moved=True)
    assert pending_action("AWAITING_FUNDING", [moved, signed, after]) is None


def test_timeline_lines_say_what_happened_not_the_state_it_happened_in() -> None:
    from chalicelib.services.queries import story

    events = [
        event("NDA", "Offer accepted; waiting for the NDA", moved=True),
        event("NDA", "NDA signed by Ada Quill", actor="intern", action="nda_signed"),
        event("OFFERED", "The intern accepted the offer", actor="intern"),
    ]

    intern = story(events, viewer="intern")
    employer = story(events, viewer="employer")

    assert [line["label"] for line in intern] == ["NDA to sign", "NDA signed", "You"]
    assert intern[2]["detail"] == "You accepted the offer"
    assert [line["label"] for line in employer] == ["NDA to sign", "NDA signed", "Intern"]

"""Text that would break where it goes is refused with a clear message (issue 12, finding 8):
control characters (they reached email subjects), lone surrogates (DynamoDB cannot store
them: the brief answered 404) and text-direction overrides."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.store import Busy, Rejected, _is_condition_failure
from chalicelib.domain.brief import BriefInvalid, parse_brief, unprintable
from chalicelib.domain.intern import InternInvalid, parse_intern
from tests.helpers import load_event


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Market study \ud800 of apps"),
        ("title", "Market study\x00 of meal kits"),
        ("company", "Fresh\u202eBox"),
        ("employer_name", "Dana\r\nBcc: everyone@example.com"),
        ("deliverables", ["Deck\x07"]),
    ],
)
def test_briefs_refuse_characters_that_break_headers_or_storage(field: str, value: Any) -> None:
    with pytest.raises(BriefInvalid) as refused:
        parse_brief(load_event("brief", **{field: value}), date.today())
    (error,) = refused.value.errors
    assert error["field"] == field
    assert "must not contain" in error["message"]


def test_line_breaks_stay_allowed_in_multi_line_text() -> None:
    description = "First paragraph of the brief.\n\n\tSecond: compare pricing and onboarding."
    assert (
        parse_brief(load_event("brief", description=description), date.today()).description
        == description
    )
    assert unprintable("Zoë 👩‍💻 naïve café") is None  # letters, emoji with ZWJ


def test_interns_refuse_them_too() -> None:
    body = {
        "name": "Sam\u202eLee",
        "email": "sam@uni.example",
        "skills": ["Excel"],
        "bio": "I love spreadsheets and research, and I write clearly.",
        "hours_per_week": 10,
        "timezone": "Europe/Berlin",
    }
    with pytest.raises(InternInvalid):
        parse_intern(body)


def _cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": c} for c in codes],
        },
        "TransactWriteItems",
    )


def test_transaction_cancellations_are_read_by_their_reasons() -> None:
    assert _is_condition_failure(_cancelled("None", "ConditionalCheckFailed")) is True
    assert _is_condition_failure(_cancelled("TransactionConflict", "None")) is True
    with pytest.raises(Busy):
        _is_condition_failure(_cancelled("None", "ThrottlingError"))
    with pytest.raises(Rejected):
        _is_condition_failure(_cancelled("ValidationError", "None"))

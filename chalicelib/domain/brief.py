"""The employer's project brief: validation with messages a person can act on.

``parse_brief(data, today)`` is the one entry point for the JSON API and the HTML form. It
returns a ``BriefInput`` or raises ``BriefInvalid`` whose ``errors`` list has one
``{"field", "message"}`` per bad field (the first problem found in that field), using the
field names of the public HTTP contract; problems inside a list are reported on the list
field (``deliverables``, ``skills``...).

Rules (PRODUCT.md, "Rules users rely on"), all counted after stripping surrounding spaces:

- ``title`` 5–120 characters; ``description`` 50–5,000 characters;
- ``deliverables``: a list of 1–10 non-empty texts of at most 300 characters each;
- ``skills``: 1–10 required skills, each 1–60 characters; duplicates are dropped
  case-insensitively (the first spelling is kept) before counting. A comma- or
  newline-separated string is accepted too (form input); blank pieces of such a string are
  ignored, blank items of a list are errors;
- ``nice_to_have_skills``: optional, 0–10 skills, same item rules; skills already listed as
  required are dropped from it;
- ``estimated_hours``: a whole number 5–40. Accepts ints, integral floats (``12.0``) and
  numeric strings from a form (``"12"``); rejects booleans and fractions (``7.5``);
- ``budget_cents``: a whole number of cents (same parsing) of at least 2,000 cents (USD 20)
  per estimated hour, reported on ``budget_cents``; at most 99,999,999 (Stripe's limit);
- ``currency``: ``usd`` in any case, stored lowercase;
- ``deadline``: an ISO date ``YYYY-MM-DD`` 7–30 days (inclusive) after the submission
  date, which comes from the validation context ``{"today": date}`` (``date.today()`` when
  absent);
- ``nda_required``: optional boolean, default true (form values "on"/"true"/"1" accepted);
- ``employer_name`` and ``company`` 1–120 characters; ``employer_email`` a plausible
  address (checked with a small regex), stored lowercase;
- ``confidential_details``: optional text of at most 20,000 characters (line breaks
  allowed), shown only to the engaged intern after the NDA (``domain/collaboration.py``);
  never stored on the brief item itself, so matching and the offer never see it;
- unknown fields are rejected.

``field_errors(exc)`` turns any ``pydantic.ValidationError`` into that list of field
errors, so other inputs (intern registration, review decisions...) can reuse it: raise
``invalid("message")`` from a validator for a custom message, and pydantic's own error types
are translated into plain sentences otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal, TypedDict

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from chalicelib.domain.money import format_money

TITLE_MIN: Final = 5
TITLE_MAX: Final = 120
DESCRIPTION_MIN: Final = 50
DESCRIPTION_MAX: Final = 5_000
DELIVERABLES_MIN: Final = 1
DELIVERABLES_MAX: Final = 10
DELIVERABLE_MAX_CHARS: Final = 300
SKILLS_MIN: Final = 1
SKILLS_MAX: Final = 10
NICE_TO_HAVE_MAX: Final = 10
SKILL_MAX_CHARS: Final = 60
HOURS_MIN: Final = 5
HOURS_MAX: Final = 40
DEADLINE_MIN_DAYS: Final = 7
DEADLINE_MAX_DAYS: Final = 30
MIN_CENTS_PER_HOUR: Final = 2_000
MAX_BUDGET_CENTS: Final = 99_999_999
CURRENCY: Final = "usd"
NAME_MAX: Final = 120
EMAIL_MAX: Final = 254
CONFIDENTIAL_MAX: Final = 20_000

# Error type used for every message written here; field_errors() passes its text through.
CUSTOM_ERROR_TYPE: Final = "microintern"
NON_FIELD: Final = "__all__"


class FieldError(TypedDict):
    """One problem, as sent to clients: ``{"field": "title", "message": "..."}``."""

    field: str
    message: str


class BriefInvalid(Exception):
    """The brief was rejected; ``errors`` holds one ``FieldError`` per bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors


def invalid(message: str) -> PydanticCustomError:
    """An error to raise from a validator; ``field_errors`` shows ``message`` verbatim."""
    # The message goes through the context so that braces in user input are never formatted.
    return PydanticCustomError(CUSTOM_ERROR_TYPE, "{message}", {"message": message})


# --------------------------------------------------------------------------- helpers

_EMAIL_RE: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_INT_STRING_RE: Final = re.compile(r"[+-]?\d+(?:\.0*)?")
_ISO_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(value: object) -> str:
    """A short rendering of the user's input for "(you wrote ...)"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _whole_number(value: object) -> int | None:
    """Parse an integer from JSON or form input; ``None`` when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if _INT_STRING_RE.fullmatch(text):
            return int(text.split(".", 1)[0])
    return None


# Characters nobody types on purpose that change how text is shown or break where it goes:
# control characters (line breaks allowed in multi-line text), lone surrogates (not storable
# as UTF-8) and bidirectional overrides (U+202E turns "exe.pdf" into "fdp.exe").
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS: Final = frozenset("\n\r\t")


def unprintable(text: str, *, multiline: bool = False) -> str | None:
    """A description of the first character `text` must not hold, or None when it is clean."""
    for char in text:
        code = ord(char)
        if multiline and char in _LINE_BREAKS:
            continue
        if code < 0x20 or 0x7F <= code < 0xA0:
            return "control characters"
        if 0xD800 <= code <= 0xDFFF:
            return "an invalid character (a lone surrogate)"
        if char in _BIDI_CONTROLS:
            return "text-direction control characters"
    return None


def clean_text(text: str, label: str, *, multiline: bool = False) -> str:
    """`text` unchanged, or a readable error naming what it must not contain."""
    problem = unprintable(text, multiline=multiline)
    if problem:
        raise invalid(f"{label} must not contain {problem}")
    return text


def _text(value: object, label: str, lo: int, hi: int, *, multiline: bool = False) -> str:
    """Stripped text whose length is within lo..hi, else a readable error."""
    if not isinstance(value, str):
        raise invalid(f"{label} must be text")
    text = clean_text(value.strip(), label, multiline=multiline)
    n = len(text)
    if n == 0 and lo == 1:
        raise invalid(f"{label} is required")
    if not lo <= n <= hi:
        if lo == 1:
            raise invalid(f"{label} must be at most {hi:,} characters (you wrote {n:,})")
        raise invalid(f"{label} must be {lo:,}–{hi:,} characters (you wrote {n:,})")
    return text


def _text_list(
    value: object,
    *,
    label: str,
    item_label: str,
    lo: int,
    hi: int,
    item_max: int,
    allow_string: bool,
    dedupe: bool,
    exclude: frozenset[str] = frozenset(),
) -> list[str]:
    """A list of stripped, non-empty texts (optionally deduplicated case-insensitively)."""
    if isinstance(value, str) and allow_string:
        raw: list[object] = [p for p in re.split(r"[,\n]", value) if p.strip()]
    elif isinstance(value, list | tuple):
        raw = list(value)
    else:
        raise invalid(f"{label} must be a list of text items")
    items: list[str] = []
    seen: set[str] = set(exclude)
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, str):
            raise invalid(f"{item_label} {position} must be text")
        text = clean_text(item.strip(), f"{item_label} {position}")
        if not text:
            raise invalid(f"{item_label} {position} is empty")
        if len(text) > item_max:
            raise invalid(
                f"{item_label} {position} must be at most {item_max} characters "
                f"(it has {len(text)})"
            )
        key = text.casefold()
        if dedupe and key in seen:
            continue
        seen.add(key)
        items.append(text)
    n = len(items)
    if not lo <= n <= hi:
        what = label[0].lower() + label[1:]
        if lo == 0:
            raise invalid(f"List at most {hi} {what} (you listed {n})")
        raise invalid(f"List {lo}–{hi} {what} (you listed {n})")
    return items


def _context_today(info: ValidationInfo) -> date:
    context = info.context
    today = context.get("today") if isinstance(context, Mapping) else None
    if today is None:
        return date.today()
    if isinstance(today, datetime):
        return today.date()
    if isinstance(today, date):
        return today
    raise TypeError(f"validation context 'today' must be a date, got {today!r}")


# --------------------------------------------------------------------------- model


class BriefInput(BaseModel):
    """A validated brief. Build it with ``parse_brief`` (or ``model_validate`` + context)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    description: str
    deliverables: list[str]
    skills: list[str]
    nice_to_have_skills: list[str] = []
    estimated_hours: int
    budget_cents: int
    currency: Literal["usd"]
    deadline: date
    nda_required: bool = True
    employer_name: str
    employer_email: str
    company: str
    confidential_details: str = ""
    # Certificates and the talent pool (issue 15): the company's name on the intern's
    # completion certificate only when the employer allows it; an intern invited back first.
    show_employer_on_certificate: bool = False
    invite_intern_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: object) -> str:
        return _text(value, "Title", TITLE_MIN, TITLE_MAX)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: object) -> str:
        return _text(value, "Description", DESCRIPTION_MIN, DESCRIPTION_MAX, multiline=True)

    @field_validator("deliverables", mode="before")
    @classmethod
    def _deliverables(cls, value: object) -> list[str]:
        return _text_list(
            value,
            label="Deliverables",
            item_label="Deliverable",
            lo=DELIVERABLES_MIN,
            hi=DELIVERABLES_MAX,
            item_max=DELIVERABLE_MAX_CHARS,
            allow_string=False,
            dedupe=False,
        )

    @field_validator("skills", mode="before")
    @classmethod
    def _skills(cls, value: object) -> list[str]:
        return _text_list(
            value,
            label="Required skills",
            item_label="Skill",
            lo=SKILLS_MIN,
            hi=SKILLS_MAX,
            item_max=SKILL_MAX_CHARS,
            allow_string=True,
            dedupe=True,
        )

    @field_validator("nice_to_have_skills", mode="before")
    @classmethod
    def _nice_to_have(cls, value: object, info: ValidationInfo) -> list[str]:
        if value is None:
            return []
        required = info.data.get("skills") or []
        return _text_list(
            value,
            label="Nice-to-have skills",
            item_label="Nice-to-have skill",
            lo=0,
            hi=NICE_TO_HAVE_MAX,
            item_max=SKILL_MAX_CHARS,
            allow_string=True,
            dedupe=True,
            exclude=frozenset(s.casefold() for s in required),
        )

    @field_validator("estimated_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> int:
        hours = _whole_number(value)
        if hours is None:
            raise invalid(
                f"Estimated hours must be a whole number between {HOURS_MIN} and {HOURS_MAX} "
                f"(you wrote {_shown(value)})"
            )
        if not HOURS_MIN <= hours <= HOURS_MAX:
            raise invalid(
                f"Estimated hours must be between {HOURS_MIN} and {HOURS_MAX} (you wrote {hours})"
            )
        return hours

    @field_validator("budget_cents", mode="before")
    @classmethod
    def _budget(cls, value: object, info: ValidationInfo) -> int:
        cents = _whole_number(value)
        per_hour = format_money(MIN_CENTS_PER_HOUR, CURRENCY, drop_zero_cents=True)
        if cents is None:
            raise invalid(
                f"Budget must be a whole number of cents, e.g. 20000 for "
                f"{format_money(20_000, CURRENCY)} (you wrote {_shown(value)})"
            )
        if cents > MAX_BUDGET_CENTS:
            raise invalid(f"Budget must be at most {format_money(MAX_BUDGET_CENTS, CURRENCY)}")
        hours = info.data.get("estimated_hours")
        if isinstance(hours, int):
            minimum = MIN_CENTS_PER_HOUR * hours
            if cents < minimum:
                raise invalid(
                    f"At least {format_money(minimum, CURRENCY)} for {hours} estimated hours "
                    f"({per_hour} per hour)"
                )
        else:
            # Hours are invalid (reported there); still apply the smallest possible minimum.
            minimum = MIN_CENTS_PER_HOUR * HOURS_MIN
            if cents < minimum:
                raise invalid(
                    f"At least {format_money(minimum, CURRENCY)} ({per_hour} per estimated "
                    f"hour, {HOURS_MIN} hours at least)"
                )
        return cents

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: object) -> str:
        if isinstance(value, str) and value.strip().lower() == CURRENCY:
            return CURRENCY
        shown = f" (you wrote {_shown(value)})" if isinstance(value, str) and value else ""
        raise invalid(f"Currency must be {CURRENCY}{shown}")

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: object, info: ValidationInfo) -> date:
        today = _context_today(info)
        earliest = today + timedelta(days=DEADLINE_MIN_DAYS)
        latest = today + timedelta(days=DEADLINE_MAX_DAYS)
        if isinstance(value, datetime):
            value = value.date() if value.time() == datetime.min.time() else value
        if isinstance(value, date) and not isinstance(value, datetime):
            deadline = value
        elif isinstance(value, str) and _ISO_DATE_RE.fullmatch(value.strip()):
            try:
                deadline = date.fromisoformat(value.strip())
            except ValueError:
                raise invalid(f"Deadline {value.strip()} is not a real date") from None
        else:
            raise invalid(f"Deadline must be a date in the form YYYY-MM-DD, e.g. {earliest}")
        if not earliest <= deadline <= latest:
            raise invalid(
                f"Deadline must be between {earliest} and {latest} "
                f"({DEADLINE_MIN_DAYS}–{DEADLINE_MAX_DAYS} days after submission)"
            )
        return deadline

    @field_validator("nda_required", mode="before")
    @classmethod
    def _nda(cls, value: object) -> object:
        return True if value is None else value

    @field_validator("show_employer_on_certificate", mode="before")
    @classmethod
    def _show_employer(cls, value: object) -> object:
        return False if value is None else value

    @field_validator("invite_intern_id", mode="before")
    @classmethod
    def _invite(cls, value: object) -> object:
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("employer_name", mode="before")
    @classmethod
    def _employer_name(cls, value: object) -> str:
        return _text(value, "Your name", 1, NAME_MAX)

    @field_validator("company", mode="before")
    @classmethod
    def _company(cls, value: object) -> str:
        return _text(value, "Company", 1, NAME_MAX)

    @field_validator("employer_email", mode="before")
    @classmethod
    def _employer_email(cls, value: object) -> str:
        return normalize_email(value)

    @field_validator("confidential_details", mode="before")
    @classmethod
    def _confidential(cls, value: object) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise invalid("Confidential details must be text")
        text = clean_text(value.strip(), "Confidential details", multiline=True)
        if len(text) > CONFIDENTIAL_MAX:
            raise invalid(
                f"Confidential details must be at most {CONFIDENTIAL_MAX:,} characters "
                f"(you wrote {len(text):,})"
            )
        return text


def normalize_email(value: object, label: str = "Email") -> str:
    """Strip and lowercase a plausible email address, else raise a readable error."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{label} is required")
    email = value.strip().lower()
    local = email.rpartition("@")[0]
    if len(email) > EMAIL_MAX or len(local) > 64 or not _EMAIL_RE.fullmatch(email):
        raise invalid(f"Enter an email address like name@example.com (you wrote {_shown(value)})")
    return email


BRIEF_LABELS: Final[Mapping[str, str]] = {
    "title": "Title",
    "description": "Description",
    "deliverables": "Deliverables",
    "skills": "Required skills",
    "nice_to_have_skills": "Nice-to-have skills",
    "estimated_hours": "Estimated hours",
    "budget_cents": "Budget",
    "currency": "Currency",
    "deadline": "Deadline",
    "nda_required": "NDA required",
    "employer_name": "Your name",
    "employer_email": "Your email",
    "company": "Company",
    "confidential_details": "Confidential details",
    "show_employer_on_certificate": "Show the organisation on the certificate",
    "invite_intern_id": "Invited intern",
}


def parse_brief(data: Mapping[str, Any], today: date) -> BriefInput:
    """Validate a brief submitted on ``today``; raise ``BriefInvalid`` with field errors."""
    if not isinstance(data, Mapping):
        raise BriefInvalid([{"field": NON_FIELD, "message": "Send the brief as a JSON object"}])
    try:
        return BriefInput.model_validate(dict(data), context={"today": today})
    except ValidationError as exc:
        raise BriefInvalid(field_errors(exc, BRIEF_LABELS)) from None


# --------------------------------------------------------------------------- generic errors


def _generic_message(err: ErrorDetails, label: str) -> str:
    """A plain sentence for one of pydantic's built-in error types."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    msg = err["msg"]
    if kind == "missing":
        return f"{label} is required"
    if kind == "extra_forbidden":
        return f"Unknown field {str(err['loc'][0])!r}: remove it"
    if kind == "string_type":
        return f"{label} must be text"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return f"{label} is required"
        return f"{label} must be at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"{label} must be at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"{label} is not in the expected format"
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return f"{label} must be a whole number"
    if kind in {"float_type", "float_parsing", "decimal_type", "decimal_parsing", "finite_number"}:
        return f"{label} must be a number"
    if kind in {"bool_type", "bool_parsing"}:
        return f"{label} must be true or false"
    if kind == "greater_than_equal":
        return f"{label} must be at least {ctx.get('ge')}"
    if kind == "greater_than":
        return f"{label} must be more than {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"{label} must be at most {ctx.get('le')}"
    if kind == "less_than":
        return f"{label} must be less than {ctx.get('lt')}"
    if kind == "too_short":
        return f"{label} needs at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"{label} can have at most {ctx.get('max_length')} item(s)"
    if kind in {"list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"}:
        return f"{label} must be a list"
    if kind.startswith("date_") and not kind.startswith("datetime"):
        return f"{label} must be a date in the form YYYY-MM-DD"
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return f"{label} must be a date and time in ISO 8601 form"
    if kind in {"literal_error", "enum"}:
        return f"{label} must be one of: {ctx.get('expected')}"
    if kind.startswith("url_"):
        return f"{label} must be a web address like https://example.com"
    if kind in {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}:
        return f"{label} must be an object"
    if kind == "json_invalid":
        return "The request body is not valid JSON"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "assertion_error":
        return msg.removeprefix("Assertion failed, ")
    return f"{label}: {msg}"


def field_errors(exc: ValidationError, labels: Mapping[str, str] | None = None) -> list[FieldError]:
    """One readable ``FieldError`` per top-level field (its first problem), in input order.

    The field is the first element of the error location (list items and nested values are
    reported on their top-level field); errors without a location use ``"__all__"``. Messages
    raised with ``invalid()`` are kept verbatim; pydantic's types get a sentence built from
    the field's label (``labels[field]``, else the field name in words).
    """
    out: list[FieldError] = []
    seen: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = err["loc"]
        field = str(loc[0]) if loc else NON_FIELD
        if field in seen:
            continue
        seen.add(field)
        if err["type"] == CUSTOM_ERROR_TYPE:
            message = err["msg"]
        else:
            label = (labels or {}).get(field) or field.replace("_", " ").capitalize()
            if field == NON_FIELD:
                label = "The request"
            elif len(loc) > 1 and isinstance(loc[1], int):
                label = f"{label} item {loc[1] + 1}"
            message = _generic_message(err, label)
        out.append({"field": field, "message": message})
    return out

"""HTML form bodies → the plain data the services validate."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from chalicelib.domain.brief import FieldError


def parse_form(body: bytes | str | None) -> dict[str, str]:
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else (body or "")
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _items(text: str, separators: str) -> list[str]:
    return [part.strip() for part in re.split(separators, text) if part.strip()]


def dollars_to_cents(text: str) -> int | None:
    cleaned = text.strip().replace(",", "").removeprefix("$").removeprefix("USD").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    cents = amount * 100
    if not amount.is_finite() or cents != cents.to_integral_value():
        return None
    return int(cents)


def brief_from_form(form: dict[str, str]) -> tuple[dict[str, Any], list[FieldError]]:
    """The brief API's fields from the form's, and errors the conversion itself finds."""
    errors: list[FieldError] = []
    data: dict[str, Any] = {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "deliverables": _items(form.get("deliverables", ""), r"[\r\n]+"),
        "skills": _items(form.get("skills", ""), r"[,\r\n]+"),
        "nice_to_have_skills": _items(form.get("nice_to_have_skills", ""), r"[,\r\n]+"),
        "estimated_hours": form.get("estimated_hours", ""),
        "deadline": form.get("deadline", ""),
        "currency": form.get("currency", "usd") or "usd",
        "nda_required": form.get("nda_required") == "yes",
        "employer_name": form.get("employer_name", ""),
        "employer_email": form.get("employer_email", ""),
        "company": form.get("company", ""),
        "confidential_details": form.get("confidential_details", ""),
        "show_employer_on_certificate": form.get("show_employer_on_certificate") == "yes",
    }
    if form.get("invite_intern_id", "").strip():
        data["invite_intern_id"] = form["invite_intern_id"].strip()
    budget = form.get("budget", "").strip()
    cents = dollars_to_cents(budget) if budget else None
    if cents is None:
        data["budget_cents"] = 0
        errors.append(
            {
                "field": "budget_cents",
                "message": "Enter the budget in US dollars, like 450 or 450.00.",
            }
        )
    else:
        data["budget_cents"] = cents
    return data, errors


BRIEF_FORM_DEFAULTS = {
    "title": "",
    "description": "",
    "deliverables": "",
    "skills": "",
    "nice_to_have_skills": "",
    "estimated_hours": "",
    "budget": "",
    "deadline": "",
    "nda_required": True,
    "employer_name": "",
    "employer_email": "",
    "company": "",
    "confidential_details": "",
    "show_employer_on_certificate": False,
    "invite_intern_id": "",
}


def brief_form_values(form: dict[str, str]) -> dict[str, Any]:
    """What to put back in the form after a rejected post (the person's own input)."""
    values: dict[str, Any] = {**BRIEF_FORM_DEFAULTS, **form}
    values["nda_required"] = form.get("nda_required") == "yes"
    values["show_employer_on_certificate"] = form.get("show_employer_on_certificate") == "yes"
    return values

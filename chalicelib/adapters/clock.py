"""The clock: one place that knows what time it is (tests replace it)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()


def iso(moment: datetime | None = None) -> str:
    """UTC timestamp with milliseconds, sortable as text."""
    return (
        (moment or now()).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def parse(text: str) -> datetime:
    """A stored timestamp (as `iso` writes it) back to an aware datetime (UTC if naive)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

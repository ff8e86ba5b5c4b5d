"""Errors the services raise; app.py maps each to its HTTP status and the contract's JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # the brief model costs ~90 ms to import; only its error type is named here
    from chalicelib.domain.brief import FieldError


class AppError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.errors: list[FieldError | dict[str, str | None]] = [
            {"field": field, "message": message}
        ]


class Invalid(AppError):
    status = 422

    def __init__(self, errors: list[FieldError]) -> None:
        Exception.__init__(self, "; ".join(e["message"] for e in errors))
        self.errors = list(errors)


class BadRequest(AppError):
    status = 400


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Gone(AppError):
    """A link that was valid once and has expired."""

    status = 410


class TooManyRequests(AppError):
    """Past an abuse limit (web/limits.py's, counted where the request names no address)."""

    status = 429


class NotAllowed(AppError):
    """The engagement's current state does not allow this action; nothing changed."""

    status = 409


class PaymentProviderUnavailable(AppError):
    """Stripe did not answer (a blip or an outage): try again in a moment."""

    status = 503


class PaymentProviderRefused(AppError):
    status = 502


class PayoutAccountNotReady(Exception):
    """The intern has no payout-ready Stripe account yet (the Release step's Catch waits in
    AwaitPayoutAccount). Raised by services/escrow.py; the step orchestrator sends the intern
    an onboarding link (services/payout_accounts.py) when `remind` is set, i.e. when the
    intern's profile says the account is missing or not ready (Stripe refusing a transfer for
    missing capabilities does not remind: the account.updated webhook follows)."""

    def __init__(self, message: str, *, intern_id: str | None = None, remind: bool = False):
        super().__init__(message)
        self.intern_id = intern_id
        self.remind = remind


class _Link(Protocol):
    @property
    def used(self) -> bool: ...

    @property
    def expired(self) -> bool: ...


LinkT = TypeVar("LinkT", bound=_Link)


def usable_link(found: LinkT | None, *, unknown: str, used: str, expired: str) -> LinkT:
    """A one-time link (adapters/one_time_links.py) still usable, else the answer that says
    why not: 404 unknown, 409 used, 410 expired."""
    if found is None:
        raise NotFound(unknown)
    if found.used:
        raise NotAllowed(used)
    if found.expired:
        raise Gone(expired)
    return found

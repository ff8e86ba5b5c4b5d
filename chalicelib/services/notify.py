"""Send one of the platform's emails, exactly once per key; a refusal never stops the caller.

    notify.send("offer", to=intern_email, key=f"{brief_id}:offer:...", brief_id=brief_id, ...)

``brief_id`` names the engagement the email is about (``None`` when it is about none): when SES
refuses the email for good, or the address is suppressed, the refusal goes on that brief's
timeline and into the `EmailsRefused` metric, and ``send`` returns ``None`` — the flow goes on.
Transient failures (:class:`~chalicelib.adapters.mailer.TransientError`) still raise: the
step's Retry, or the next sweep, sends the email later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def send(
    kind: str, *, to: str | Sequence[str], key: str, brief_id: str | None, **context: Any
) -> str | None:
    """Render `kind` for `to` and send it once for `key` (a repeat returns the first message id).

    ``None`` when SES refused it for good (recorded on the brief's timeline).
    """
    from chalicelib.adapters import mailer
    from chalicelib.adapters.emails import render_email

    if brief_id is not None:
        context.setdefault("brief_id", brief_id)  # some emails show it, too
    try:
        return mailer.send(render_email(kind, to, **context), idempotency_key=key)
    except mailer.MailError as exc:
        from chalicelib.services import deliverability

        deliverability.record_refusal(brief_id, kind, to, exc)
        return None


def to_employer(brief: Mapping[str, Any], kind: str, *, key: str, **context: Any) -> str | None:
    """An email to the employer about their brief, greeting them by name."""
    return send(
        kind,
        to=str(brief["employer_email"]),
        key=key,
        brief_id=str(brief["brief_id"]),
        name=str(brief["employer_name"]),
        title=str(brief["title"]),
        **context,
    )


def to_intern(intern_id: str, kind: str, *, key: str, brief_id: str, **context: Any) -> str | None:
    """An email to the intern about `brief_id`, greeting them by name in their own time zone."""
    from chalicelib.services.access import intern_profile

    intern = intern_profile(intern_id)
    return send(
        kind,
        to=str(intern["email"]),
        key=key,
        brief_id=brief_id,
        name=str(intern.get("name", "")),
        timezone=str(intern.get("timezone") or "UTC"),
        **context,
    )

"""Send one of the platform's emails, exactly once per key; a refusal never stops the caller.

    notify.send("offer", to=intern_email, key=f"{brief_id}:offer:...", brief_id=brief_id, ...)

``brief_id`` names the engagement the email is about (``None`` when it is about none): when SES
refuses the email for good, or the address is suppressed, the refusal goes on that brief's
timeline and into the `EmailsRefused` metric, and ``send`` returns ``None`` — the flow goes on.
Transient failures (:class:`~chalicelib.adapters.mailer.TransientError`) still raise: the
step's Retry, or the next sweep, sends the email later.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import clock
from chalicelib.adapters.store import Conflict, get_store
from chalicelib.observability import logger, metrics

if TYPE_CHECKING:
    from chalicelib.adapters.mailer import MailError

REFUSAL_PREFIX = "MAILREFUSED#"


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
        record_refusal(brief_id, kind, to, exc)
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


def to_party(
    brief: Mapping[str, Any],
    role: str,
    kind: str,
    *,
    key: str,
    candidate: str = "",
    intern: Mapping[str, Any] | None = None,
    **context: Any,
) -> str | None:
    """An email about `brief` to one of its parties — "employer", "intern" or "finance" —
    greeted by name, with the one link their next step needs (:func:`party_link`) unless the
    caller gives its own `action_url`.

    The intern is the brief's engaged intern unless `candidate` names another (one whose
    offer lapsed or was withdrawn); `intern` is their profile when the caller has it.
    No profile: nobody to tell (``None``)."""
    from chalicelib.settings import get_settings

    brief_id = str(brief["brief_id"])
    values: dict[str, Any] = {"title": str(brief["title"]), "role": role, **context}
    intern_id = candidate or str(brief.get("intern_id") or "")
    if role == "intern":
        profile = intern if intern is not None else _profile(intern_id)
        if not profile:
            logger.warning("email not sent: no intern profile", extra={"brief_id": brief_id})
            return None
        to, name = str(profile["email"]), str(profile.get("name", ""))
        values.setdefault("timezone", str(profile.get("timezone") or "UTC"))
    elif role == "employer":
        to, name = str(brief["employer_email"]), str(brief.get("employer_name", ""))
    elif role == "finance":
        to, name = get_settings().finance_email, ""
    else:
        raise ValueError(f"no party {role!r}")
    if "action_url" not in values:
        values["action_url"] = party_link(brief, role, intern_id)
    return send(kind, to=to, key=key, brief_id=brief_id, name=name, **values)


def party_link(brief: Mapping[str, Any], role: str, intern_id: str = "") -> str:
    """The page a party acts on: the employer's manage page (a fresh manage link), the
    intern's task page (a fresh task link), the finance page."""
    from chalicelib.adapters import links
    from chalicelib.services.access import issue_manage_link, issue_task_link

    brief_id = str(brief["brief_id"])
    if role == "employer":
        return issue_manage_link(brief_id)
    if role == "intern":
        return issue_task_link(brief_id, intern_id or str(brief["intern_id"]))
    return links.url("/finance")


def _profile(intern_id: str) -> Mapping[str, Any] | None:
    from chalicelib.services.access import intern_profile
    from chalicelib.services.errors import NotFound

    if not intern_id:
        return None
    try:
        return intern_profile(intern_id)
    except NotFound:  # left, or never registered
        return None


# -- refusals: recorded once on the brief's timeline, never naming the address ------------


def record_refusal(
    brief_id: str | None, kind: str, to: str | Sequence[str], error: MailError
) -> None:
    """Log, count and (for an email about a brief) put the refusal on the brief's timeline."""
    logger.warning(
        "email refused", extra={"brief_id": brief_id, "kind": kind, "error_code": error.code}
    )
    metrics.add_metric(name="EmailsRefused", unit="Count", value=1)
    if not brief_id:
        return
    store = get_store()
    brief = store.get_brief(brief_id)
    if brief is None:
        return
    addresses = [to] if isinstance(to, str) else list(to)
    detail = (
        f"Email to {_recipient(brief, addresses)} could not be delivered "
        f"({kind.replace('_', ' ')}): {error.reason}"
    )
    status = str(brief["status"])
    event = store.event_item(
        brief_id, status_from=status, status_to=status, actor="mailer", detail=detail
    )
    marker = {
        "pk": f"BRIEF#{brief_id}",
        "sk": f"{REFUSAL_PREFIX}{_digest(kind, addresses)}",
        "type": "mail_refusal",
        "kind": kind,
        "code": error.code,
        "at": clock.iso(),
    }
    # Once per email: a retried step finds the marker and records nothing new.
    with contextlib.suppress(Conflict):
        store.transact([store.put_op(marker), store.put_op(event)])


def _recipient(brief: Mapping[str, Any], addresses: list[str]) -> str:
    from chalicelib.settings import get_settings

    lowered = {a.lower() for a in addresses}
    if str(brief.get("employer_email", "")).lower() in lowered:
        return "the employer"
    if get_settings().finance_email.lower() in lowered:
        return "finance"
    return "the intern"


def _digest(kind: str, addresses: list[str]) -> str:
    text = "|".join([kind, *sorted(a.lower() for a in addresses)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]

"""Send a rendered :class:`~chalicelib.adapters.emails.Email` through Amazon SES (v2), once per key.

    send(render_email("offer", intern_email, ...), idempotency_key=f"{engagement_id}#offer")

The message is a MIME ``multipart/alternative`` (text, then HTML) sent as raw content, so
what a reader gets is exactly what was rendered. ``idempotency_key`` names the side effect
(derive it from the engagement and the step): Step Functions retries and repeated webhooks
send one email, and the repeat returns the first SES message id.

Errors: :class:`MailError` when SES refuses the message for good (do not retry; its
``reason`` says why in words fit for the brief's timeline, never naming the address);
:class:`AddressSuppressed` (a ``MailError``) when every recipient is suppressed after a
permanent bounce or a complaint — then SES is not called at all; :class:`TransientError`
when a retry later may succeed (throttling, SES or the idempotency table unavailable, the
same key in flight). The class name matches the ``TransientError`` that the state machine's
``Retry`` blocks retry; botocore's own retries (standard mode) come first.

With ``SES_CONFIGURATION_SET`` set, every send names that configuration set: its event
destination publishes bounces and complaints, which suppress the address
(:mod:`chalicelib.services.deliverability`).
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import aws, clock
from chalicelib.adapters.idempotency import CallInProgress, IdempotencyStoreError, idempotent
from chalicelib.observability import logger
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.adapters.emails import Email

# SES v2 error codes that no retry will fix.
PERMANENT_ERRORS = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "SendingPausedException",
        "BadRequestException",
        "NotFoundException",
        "InvalidParameterValue",
        "ValidationException",
    }
)


# LF line ends, as boto3's SES examples send: SES accepts them, and a parsed copy (moto, the
# local outbox) gets back exactly the text that was rendered.
_WIRE = default_policy.clone(max_line_length=998)


# Why an address is suppressed -> how a timeline says it.
SUPPRESSION_REASONS = {
    "bounce": "the address bounced permanently earlier, so it is no longer emailed",
    "complaint": "the recipient marked an earlier email as spam, so it is no longer emailed",
}


class MailError(Exception):
    """SES refused the message permanently (bad address, unverified sender, paused account)."""

    def __init__(self, message: str, *, reason: str, code: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # for people: says why, never names the address
        self.code = code


class AddressSuppressed(MailError):
    """Every recipient is suppressed (an earlier permanent bounce or complaint): not sent."""


class TransientError(Exception):
    """The email may go through on a later attempt (named for the state machine's Retry)."""


def send(email: Email, *, idempotency_key: str) -> str:
    """Send ``email`` unless an email with ``idempotency_key`` was sent; the SES message id."""
    try:
        return _send_once(email, idempotency_key=idempotency_key)
    except (CallInProgress, IdempotencyStoreError) as exc:
        raise TransientError(str(exc)) from exc


def build_message(email: Email, *, idempotency_key: str) -> EmailMessage:
    """The MIME message: From/To/Subject/Date/Message-ID, a text part and an HTML part.

    Parts are quoted-printable (7-bit safe, 76-column lines). Serialise with
    :func:`to_bytes`, which keeps headers unfolded up to RFC 5322's 998 characters: Python's
    folding otherwise can push a subject onto a continuation line of its own.
    """
    sender = get_settings().mail_from
    message = EmailMessage(policy=default_policy)
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Date"] = format_datetime(clock.now())
    # Stable per key: if a duplicate ever slipped through, mail clients would fold it.
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@{_domain(sender)}>"
    message["X-Microintern-Kind"] = email.kind
    message.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def to_bytes(message: EmailMessage) -> bytes:
    """The wire form of ``message`` (headers folded only beyond 998 characters)."""
    return message.as_bytes(policy=_WIRE)


def suppression_key(address: str) -> dict[str, str]:
    """Where the suppression of ``address`` is kept (one item per address, any case)."""
    _, bare = parseaddr(address)
    return {"pk": f"EMAIL#{(bare or address).strip().lower()}", "sk": "SUPPRESSED"}


def suppressions(addresses: list[str]) -> dict[str, str]:
    """The suppressed ones among ``addresses``: address -> why ("bounce" or "complaint")."""
    from chalicelib.adapters.store import get_store

    store = get_store()
    found: dict[str, str] = {}
    for address in addresses:
        key = suppression_key(address)
        item = store.get(key["pk"], key["sk"])
        if item is not None:
            found[address] = str(item.get("reason", "bounce"))
    return found


@idempotent("mail")
def _send_once(email: Email, *, idempotency_key: str) -> str:
    settings = get_settings()
    domains = sorted({_domain(address) for address in email.to})
    suppressed = suppressions(list(email.to))
    recipients = [address for address in email.to if address not in suppressed]
    if not recipients:
        why = next(iter(suppressed.values()))
        logger.warning("email not sent: suppressed", kind=email.kind, to_domains=domains)
        raise AddressSuppressed(
            f"{email.kind} email not sent: the address is suppressed ({why})",
            reason=SUPPRESSION_REASONS.get(why, SUPPRESSION_REASONS["bounce"]),
            code="Suppressed",
        )
    raw = to_bytes(build_message(email, idempotency_key=idempotency_key))
    request: dict[str, Any] = {
        "FromEmailAddress": settings.mail_from,
        "Destination": {"ToAddresses": recipients},
        "Content": {"Raw": {"Data": raw}},
    }
    if settings.ses_configuration_set:
        request["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        response = aws.client("sesv2").send_email(**request)
    except Exception as exc:
        code = _error_code(exc)
        if code is None:  # not an AWS answer (connection, timeout after botocore's retries)
            logger.warning("email not sent", kind=email.kind, to_domains=domains, error=repr(exc))
            raise TransientError(f"SES unreachable sending {email.kind}") from exc
        if code in PERMANENT_ERRORS:
            logger.error("email rejected", kind=email.kind, to_domains=domains, error_code=code)
            raise MailError(
                f"SES rejected {email.kind} email: {code}",
                reason=f"SES rejected the message ({code})",
                code=code,
            ) from exc
        logger.warning("email not sent", kind=email.kind, to_domains=domains, error_code=code)
        raise TransientError(f"SES failed sending {email.kind}: {code}") from exc
    message_id = str(response["MessageId"])
    logger.info("email sent", kind=email.kind, to_domains=domains, ses_message_id=message_id)
    return message_id


def _domain(address: str) -> str:
    """The domain of ``address`` (display names allowed): the only part of it we log."""
    _, bare = parseaddr(address)
    return (bare or address).rpartition("@")[2].lower() or "unknown"


def _error_code(exc: Exception) -> str | None:
    response: Any = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code else None

"""What happens when email does not get through: nothing stops, people are told.

- A refusal (SES rejected the message, or the address is suppressed) is recorded once on the
  brief's timeline by `notify.send` (services/notify.py); the caller goes on.
- SES bounce and complaint notifications (the configuration set's event destination, or an
  identity's notification topic, through SNS) suppress the address: a conditional write,
  so a repeated notification changes nothing. The mailer then refuses that address without
  calling SES (and the refusal is recorded like any other).

Invariants: one timeline line per refused email key (a retried step records nothing new);
suppressions are only ever added here (lifting one is an operator's decision).
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.adapters import clock
from chalicelib.adapters.mailer import suppression_key
from chalicelib.adapters.store import get_store
from chalicelib.observability import logger, metrics

# -- SES bounce and complaint notifications --------------------------------------------------


class _Recipient(BaseModel):
    model_config = ConfigDict(extra="ignore")

    emailAddress: str
    action: str | None = None


class _Bounce(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bounceType: str
    bouncedRecipients: list[_Recipient] = Field(default_factory=list)
    feedbackId: str = ""


class _Complaint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    complainedRecipients: list[_Recipient] = Field(default_factory=list)
    feedbackId: str = ""


class SesNotification(BaseModel):
    """An SES notification: event publishing (`eventType`) or identity feedback
    (`notificationType`) — the two formats SES publishes to SNS."""

    model_config = ConfigDict(extra="ignore")

    eventType: str | None = None
    notificationType: str | None = None
    bounce: _Bounce | None = None
    complaint: _Complaint | None = None

    @property
    def type(self) -> str:
        return self.eventType or self.notificationType or ""


# Recipients a permanent bounce lists without failing them (a DSN's other actions).
_NOT_FAILED = {"delayed", "delivered", "relayed", "expanded"}


def handle_ses_notification(message: str) -> dict[str, int]:
    """Suppress the addresses an SES bounce (permanent) or complaint names; how many were new.

    Anything else (deliveries, transient bounces, messages that are not SES's) is ignored.
    """
    try:
        notification = SesNotification.model_validate(json.loads(message))
    except (ValueError, ValidationError):
        logger.warning("ignored SNS message: not an SES notification")
        return {"suppressed": 0}
    reason: Literal["bounce", "complaint"]
    if notification.type == "Bounce" and notification.bounce is not None:
        if notification.bounce.bounceType != "Permanent":
            return {"suppressed": 0}
        reason, feedback_id = "bounce", notification.bounce.feedbackId
        addresses = [
            r.emailAddress
            for r in notification.bounce.bouncedRecipients
            if (r.action or "failed").lower() not in _NOT_FAILED
        ]
    elif notification.type == "Complaint" and notification.complaint is not None:
        reason, feedback_id = "complaint", notification.complaint.feedbackId
        addresses = [r.emailAddress for r in notification.complaint.complainedRecipients]
    else:
        return {"suppressed": 0}
    added = sum(suppress(address, reason, feedback_id) for address in addresses)
    if added:
        metrics.add_metric(name="EmailAddressesSuppressed", unit="Count", value=added)
    return {"suppressed": added}


def suppress(address: str, reason: Literal["bounce", "complaint"], feedback_id: str = "") -> bool:
    """Suppress ``address`` unless it already is (conditional write); True when new."""
    added = get_store().put_if_absent(
        {
            **suppression_key(address),
            "type": "suppressed_address",
            "reason": reason,
            "feedback_id": feedback_id,
            "at": clock.iso(),
        }
    )
    if added:
        domain = address.rpartition("@")[2].lower()
        logger.info("email address suppressed", extra={"reason": reason, "to_domain": domain})
    return added

"""The twin's SES refuses what SES's sandbox refuses: a recipient it has not verified.

While an AWS account's SES is in the sandbox, SES answers ``MessageRejected`` ("Email address
is not verified. The following identities failed the check in region US-EAST-1: …") for any
recipient that is not a verified identity; moto accepts every recipient. The twin reproduces
that refusal for one reserved domain, :data:`UNVERIFIED_DOMAIN`: mail to anyone there is
refused exactly as SES refuses it, mail to anyone else is accepted. Tests (and anyone trying
the twin) use it to watch what the platform does when SES refuses an email: no code of the
app knows about it.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

UNVERIFIED_DOMAIN = "unverified.example"


def install() -> None:
    """Make moto's SES (in this process) refuse recipients at :data:`UNVERIFIED_DOMAIN`."""
    from moto.ses.exceptions import MessageRejectedError
    from moto.ses.models import SESBackend

    original = SESBackend.send_raw_email
    if getattr(original, "_twin_sandbox", False):
        return

    def send_raw_email(self: Any, source: str, destinations: list[str], raw_data: str) -> Any:
        refused = [d for d in destinations if _domain(d) == UNVERIFIED_DOMAIN]
        if refused:
            raise MessageRejectedError(
                "Email address is not verified. The following identities failed the check "
                f"in region {self.region_name.upper()}: {', '.join(refused)}"
            )
        return original(self, source, destinations, raw_data)

    send_raw_email._twin_sandbox = True  # type: ignore[attr-defined]
    SESBackend.send_raw_email = send_raw_email  # type: ignore[method-assign]


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2].lower()

"""Send one of the platform's emails, exactly once per key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def send(kind: str, *, to: str | Sequence[str], key: str, **context: Any) -> str:
    """Render `kind` for `to` and send it once for `key` (a repeat returns the first message id)."""
    from chalicelib.adapters import mailer
    from chalicelib.web.emails import render_email

    return mailer.send(render_email(kind, to, **context), idempotency_key=key)

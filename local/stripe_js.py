"""What the Stripe sandbox serves to browsers: its Stripe.js stand-in and the 3-D Secure
challenge page (the way its onboarding link stands in for Connect onboarding).

``GET <sandbox>/v3/`` answers ``stripe_js.js`` (``Stripe(pk)``, ``elements({clientSecret})``,
the Payment Element, ``confirmPayment``) with the sandbox's own API address filled in; the app
loads it from the ``STRIPE_JS_URL`` setting exactly as it loads ``https://js.stripe.com/v3/``.
``GET <sandbox>/_sandbox/3ds/<token>`` is the issuer's challenge: Complete or Fail (POST).
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

SCRIPT = Path(__file__).with_name("stripe_js.js")


@cache
def _source() -> str:
    return SCRIPT.read_text(encoding="utf-8")


def script(api_base: str) -> bytes:
    """The Stripe.js stand-in, talking to the sandbox at ``api_base``."""
    return _source().replace("__SANDBOX_API__", json.dumps(api_base.rstrip("/"))).encode()


def _money(amount: int, currency: str) -> str:
    return f"{currency.upper()} {amount / 100:,.2f}"


_STYLE = (
    "body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
    "button{font:inherit;padding:.5rem 1.25rem;margin-right:.75rem}"
)


def challenge_page(token: str, payment_intent: dict[str, object]) -> str:
    """The issuer's 3-D Secure challenge: two buttons, as on Stripe's test authentication page."""
    amount = _money(int(str(payment_intent["amount"])), str(payment_intent["currency"]))
    action = f"/_sandbox/3ds/{html.escape(token)}"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>3D Secure test authentication</title><style>{_STYLE}</style>"
        "<h1>3D Secure test authentication</h1>"
        f"<p>Your bank asks you to confirm a payment of <b>{html.escape(amount)}</b> "
        f"(PaymentIntent <code>{html.escape(str(payment_intent['id']))}</code>).</p>"
        "<p>This is the Stripe sandbox's stand-in for the card issuer's challenge.</p>"
        f'<form method="post" action="{action}">'
        '<button type="submit" name="outcome" value="complete">Complete</button>'
        '<button type="submit" name="outcome" value="fail">Fail</button>'
        "</form></html>"
    )


def finished_page(succeeded: bool) -> str:
    """After a challenge whose confirmation named no return_url."""
    outcome = "completed" if succeeded else "failed"
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>Authentication {outcome}</title>"
        f"<style>{_STYLE}</style><h1>Authentication {outcome}</h1>"
        "<p>You can close this window.</p></html>"
    )


def unknown_challenge_page(token: str) -> str:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Unknown challenge</title>"
        f"<style>{_STYLE}</style><h1>Unknown challenge</h1>"
        f"<p>No 3-D Secure challenge is waiting under <code>{html.escape(token)}</code> "
        "(it was answered already, or the payment was confirmed again).</p></html>"
    )

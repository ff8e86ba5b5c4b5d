"""The funding page (GET /briefs/{id}/fund?key=…) with Stripe's Payment Element.

The page loads Stripe.js from `settings.stripe_js_url` (Stripe's `https://js.stripe.com/v3/`;
on the twin the sandbox's stand-in), asks `POST /api/briefs/{id}/fund` for the PaymentIntent's
client secret, mounts the Payment Element and confirms with `stripe.confirmPayment`, whose
`return_url` is the brief page: card details go to Stripe only. A payment that needs nothing
more goes to the brief page itself; 3-D Secure and bank redirects come back there with Stripe's
`payment_intent` / `redirect_status` parameters, and the brief page says what became of it
(`payment_outcome`). Escrow is funded only by Stripe's `payment_intent.succeeded`
webhook. GET changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.adapters import stripe_gateway as gateway
from chalicelib.adapters.escrow_store import FUNDED
from chalicelib.domain import money
from chalicelib.domain.engagement import Status
from chalicelib.domain.wording import in_words
from chalicelib.services.errors import AppError
from chalicelib.settings import get_settings
from chalicelib.web.pages import page

STRIPE_JS = "https://js.stripe.com"
# Stripe.js's own scripts and frames, and where its 3-D Secure challenges are framed from.
STRIPE_JS_SCRIPTS = {STRIPE_JS: ("https://*.js.stripe.com",)}
STRIPE_JS_FRAMES = {STRIPE_JS: ("https://*.js.stripe.com", "https://hooks.stripe.com")}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def funding_sources() -> dict[str, list[str]]:
    """What the funding page adds to the site's policy: Stripe.js (scripts, frames, its API
    calls), from the settings."""
    settings = get_settings()
    js = _origin(settings.stripe_js_url)
    api = _origin(settings.stripe_api_base or "https://api.stripe.com")
    return {
        "script-src": [js, *STRIPE_JS_SCRIPTS.get(js, ())],
        "frame-src": ["'self'", js, *STRIPE_JS_FRAMES.get(js, ())],
        "connect-src": [js, api],
    }


def brief_url(brief_id: str, key: str | None) -> str:
    return links.url(f"/briefs/{brief_id}", key=key)


def funding_page(
    brief_id: str, key: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    from chalicelib.web import brief_access
    from chalicelib.web.pages import error_page

    try:
        brief = brief_access.open_brief(brief_id, headers or {}, key)
    except AppError as exc:
        return error_page(exc)
    settings = get_settings()
    config: dict[str, Any] = {
        "key": key,
        "fund_url": links.href(f"/api/briefs/{brief_id}/fund"),
        "publishable_key": settings.stripe_publishable_key,
        "return_url": brief_url(brief_id, key),
    }
    return page(
        "fund.html",
        tokened=True,
        csp_extra=funding_sources(),
        title=str(brief["title"]),
        project_status=in_words(str(brief["status"])),
        manage_url=brief_url(brief_id, key),
        stripe_js_url=settings.stripe_js_url,
        config=config,
        **funding_figures(brief),
    )


def payment_notice(
    brief: Mapping[str, Any], payment_intent_id: str | None, key: str | None
) -> dict[str, str]:
    """What the brief page says about the payment just made (see `payment_outcome`)."""
    outcome = payment_outcome(brief, payment_intent_id)
    if outcome["state"] in ("failed", "requires_action"):
        outcome["retry_url"] = links.href(f"/briefs/{brief['brief_id']}/fund", key=key)
    return outcome


def intent_json(pi: gateway.PaymentIntent) -> dict[str, Any]:
    """The answer of `POST /api/briefs/{id}/fund`: what the browser confirms with Stripe."""
    return {
        "payment_intent_id": pi.id,
        "client_secret": pi.client_secret,
        "status": pi.status,
        "amount_cents": pi.amount,
        "currency": pi.currency,
    }


def _money(brief: Mapping[str, Any], cents: int) -> str:
    return money.format_money(cents, str(brief.get("currency", "usd")))


def funding_figures(brief: Mapping[str, Any]) -> dict[str, Any]:
    """The funding page's figures: what the employer pays, the intern gets, the platform keeps
    (domain/money.py's one division of a release, on the budget)."""
    figures = money.release(int(brief["budget_cents"]), money.fee_bps_of(brief))
    return {
        "amount": _money(brief, figures.held_cents),
        "payout": _money(brief, figures.payout_cents),
        "fee": _money(brief, figures.fee_cents),
        "funded": brief.get(FUNDED) is not None,
        "awaiting": brief["status"] == Status.AWAITING_FUNDING,
    }


def payment_outcome(brief: Mapping[str, Any], payment_intent_id: str | None) -> dict[str, str]:
    """What became of the payment the browser just made on the funding page.

    Stripe.js (and every 3-D Secure or bank redirect) comes back to the brief page with
    `?payment_intent=…&redirect_status=…`; the query string is never trusted: the answer is the
    ledger (funded) or Stripe's own record of the brief's PaymentIntent. `state` is one of
    funded, processing (paid; Stripe's webhook has not landed yet), failed (with Stripe's
    `message`), requires_action, unknown (Stripe did not answer), or "" (nothing to say).
    """
    if not payment_intent_id or payment_intent_id != brief.get("payment_intent_id"):
        return {"state": ""}
    if brief.get(FUNDED) is not None:
        return {"state": "funded", "amount": _money(brief, int(brief[FUNDED]))}
    try:
        pi = gateway.retrieve_payment_intent(payment_intent_id)
    except (gateway.TransientError, gateway.StripeRejected):
        return {"state": "unknown"}
    if pi.status in ("succeeded", "processing"):
        return {"state": "processing", "amount": _money(brief, pi.amount)}
    if pi.status == "requires_action":
        return {"state": "requires_action"}
    if pi.status == "requires_payment_method" and pi.last_payment_error:
        return {"state": "failed", "message": pi.last_payment_error}
    return {"state": ""}

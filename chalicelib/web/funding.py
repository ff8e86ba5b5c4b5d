"""The funding page (GET /briefs/{id}/fund?key=…) with Stripe's Payment Element.

The page loads Stripe.js from `settings.stripe_js_url` (Stripe's `https://js.stripe.com/v3/`;
on the twin the sandbox's stand-in), asks `POST /api/briefs/{id}/fund` for the PaymentIntent's
client secret, mounts the Payment Element and confirms with `stripe.confirmPayment`, whose
`return_url` is the brief page: card details go to Stripe only. A payment that needs nothing
more goes to the brief page itself; 3-D Secure and bank redirects come back there with Stripe's
`payment_intent` / `redirect_status` parameters, and the brief page says what became of it
(`escrow.payment_outcome`). Escrow is funded only by Stripe's `payment_intent.succeeded`
webhook. GET changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from chalice.app import Response

from chalicelib.adapters import links
from chalicelib.services import briefs, escrow
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


def brief_url(brief_id: str, key: str) -> str:
    return links.url(f"/briefs/{brief_id}", key=key)


def funding_page(brief_id: str, key: str | None) -> Response:
    from chalicelib.web.views import error_page

    try:
        brief = briefs.open_brief(brief_id, key)
    except AppError as exc:
        return error_page(exc)
    settings = get_settings()
    config: dict[str, Any] = {
        "key": key,
        "fund_url": links.href(f"/api/briefs/{brief_id}/fund"),
        "publishable_key": settings.stripe_publishable_key,
        "return_url": brief_url(brief_id, str(key)),
    }
    return page(
        "fund.html",
        tokened=True,
        csp_extra=funding_sources(),
        title=str(brief["title"]),
        project_status=str(brief["status"]),
        manage_url=briefs.manage_url(brief_id, str(key)),
        stripe_js_url=settings.stripe_js_url,
        config=config,
        **escrow.funding_figures(brief),
    )


def payment_notice(
    brief: Mapping[str, Any], payment_intent_id: str | None, key: str
) -> dict[str, str]:
    """What the brief page says about the payment just made (see escrow.payment_outcome)."""
    outcome = escrow.payment_outcome(brief, payment_intent_id)
    if outcome["state"] in ("failed", "requires_action"):
        outcome["retry_url"] = links.href(f"/briefs/{brief['brief_id']}/fund", key=key)
    return outcome

"""Abuse limits on the endpoints that create records and send mail (issue 12, finding 6).

Each request to a limited route counts once against its sender's IP address (API Gateway's
``sourceIp``, not a header a client can write) and once against the email address it would
write to; past either hourly limit (``RATE_LIMIT_PER_IP_PER_HOUR``,
``RATE_LIMIT_PER_ADDRESS_PER_HOUR``) it is answered 429 with ``Retry-After`` before the handler
runs, so nothing is created and nothing is sent. Counters: adapters/rate_limits.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Request, Response

from chalicelib.adapters.rate_limits import RateLimited, hit
from chalicelib.settings import get_settings
from chalicelib.web.http import check_json_limits, json_response

HOUR = 3600

# (method, route) -> (scope, the body field naming the address mail goes to)
LIMITED: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/briefs"): ("briefs", "employer_email"),
    ("POST", "/briefs"): ("briefs", "employer_email"),
    ("POST", "/api/interns"): ("interns", "email"),
    ("POST", "/interns"): ("interns", "email"),
    # The address is the brief's: counted by services/briefs.resend_confirmation itself.
    ("POST", "/api/briefs/{brief_id}/resend-confirmation"): ("briefs", "employer_email"),
    # Applications to open briefs: per IP here, per intern in services/open_briefs.py.
    ("POST", "/api/open-briefs/{brief_id}/interest"): ("interest", ""),
    ("POST", "/tasks/{token}/open-briefs/{brief_id}/{action}"): ("interest", ""),
    ("POST", "/dashboard/open-briefs/{brief_id}/{action}"): ("interest", ""),
    # Sign-in links (issue 14): a burst for one address sends at most its hourly limit.
    ("POST", "/api/signin"): ("signin", "email"),
    ("POST", "/signin"): ("signin", "email"),
}


def middleware(event: Any, get_response: Any) -> Any:
    """Chalice HTTP middleware: 429 for a limited route past its limits, else the handler."""
    rule = LIMITED.get((str(event.method), str(event.context.get("resourcePath", ""))))
    if rule is not None:
        try:
            admit(event, *rule)
        except RateLimited as exc:
            return refusal(event, exc)
    return get_response(event)


def admit(request: Request, scope: str, field: str) -> None:
    """Count the request against its IP and its address; :class:`RateLimited` past a limit."""
    settings = get_settings()
    source_ip = str((request.context.get("identity") or {}).get("sourceIp") or "unknown")
    hit(f"{scope}:ip", source_ip, limit=settings.rate_limit_per_ip, window_seconds=HOUR)
    address = address_in(request, field)
    if address:
        hit(
            f"{scope}:address",
            address,
            limit=settings.rate_limit_per_address,
            window_seconds=HOUR,
        )


def address_in(request: Request, field: str) -> str | None:
    """The address the request names in ``field`` (JSON or form body), if it names one; a body
    that cannot be read is left to the handler to refuse."""
    body = request.raw_body or b""
    raw = body.encode() if isinstance(body, str) else body
    try:
        if "json" in str(request.headers.get("content-type", "")) or raw.lstrip()[:1] == b"{":
            check_json_limits(raw)
            value = json.loads(raw).get(field)
        else:
            value = next(iter(parse_qs(raw.decode(), max_num_fields=100).get(field, [])), None)
    except Exception:  # malformed: the handler answers 400/422 (counted against the IP)
        return None
    return value.strip().lower() if isinstance(value, str) and "@" in value else None


def refusal(request: Request, exc: RateLimited) -> Response:
    minutes = max(1, round(exc.retry_after / 60))
    message = (
        f"Too many requests from here or for this address: try again in about {minutes} "
        f"minute{'s' if minutes != 1 else ''}."
    )
    if str(request.context.get("resourcePath", "")).startswith("/api/"):
        response = json_response({"errors": [{"field": None, "message": message}]}, 429)
    else:
        from chalicelib.web.pages import page

        response = page(
            "error.html",
            status=429,
            heading="Please slow down",
            message=message,
            hint="Nothing was submitted or sent. Your entries were not kept.",
        )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response

"""Request/response glue shared by the JSON API and the HTML pages."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec

from chalice.app import Response

from chalicelib.services.errors import AppError, BadRequest

P = ParamSpec("P")
JSON_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


def json_response(body: Any, status: int = 200) -> Response:
    return Response(body=json.dumps(body), status_code=status, headers=dict(JSON_HEADERS))


def json_errors(fn: Callable[P, Response]) -> Callable[P, Response]:
    """Map service errors to the contract's `{"errors": [{"field", "message"}]}` bodies."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        from chalicelib.adapters.store import THROTTLED, Busy, Rejected

        try:
            return fn(*args, **kwargs)
        except AppError as exc:
            return json_response({"errors": exc.errors}, exc.status)
        except Rejected:
            message = "The request holds something that cannot be stored."
            return json_response({"errors": [{"field": None, "message": message}]}, 422)
        except Exception as exc:
            code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
            if not isinstance(exc, Busy) and code not in THROTTLED:
                raise
            busy = json_response(
                {"errors": [{"field": None, "message": "Busy right now: try again shortly."}]},
                503,
            )
            busy.headers["Retry-After"] = "2"
            return busy

    return wrapper


MAX_JSON_BYTES = 256 * 1024  # the largest form (a brief) is far below this
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def check_json_limits(raw: bytes | str) -> None:
    """400 before parsing when a body is too large or nested too deep (json.loads would
    otherwise recurse until Python gives up)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_JSON_BYTES:
        raise BadRequest(f"The request body is larger than {MAX_JSON_BYTES // 1024} KiB.")
    depth = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub(b"", data)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.")


def json_object(raw: bytes | str | None) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says what is wrong with it."""
    if not raw:
        raise BadRequest("The request body must be a JSON object.")
    check_json_limits(raw)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


def bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name.lower()) or headers.get(name)

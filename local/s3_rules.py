"""The twin's S3, as strict as S3 where a browser or an uploader would notice.

moto's server answers CORS for every origin (a global flask-cors wrapper), adds no CORS
headers to browser-form POST uploads, and ignores presigned-POST policies. S3 does none of
that, so a page that works on the twin could fail in every real browser. `enforce()` makes
the twin's S3 follow S3's rules instead:

- CORS comes only from the bucket's CORS configuration (none: no CORS). A preflight is
  answered by the first rule that matches the origin, the requested method and every
  requested header, else 403 `AccessForbidden`; an actual request gets CORS headers only
  from a rule matching its origin and method — without them the browser refuses the answer.
- A POST upload with a `policy` field is checked against the policy's conditions: expiry,
  `content-length-range` (400 `EntityTooSmall` / `EntityTooLarge`), exact and `starts-with`
  matches (403 `AccessDenied`, "Policy Condition failed"), and no form field the policy does
  not name. Signatures are still not checked (moto does not check them either).

Call it before the moto server handles its first request. Idempotent.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
    "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
    "are not whitelisted by the resource's CORS spec."
)
# Form fields a POST policy need not name (S3's documented exceptions).
_UNNAMED_OK = {"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"}

Response = tuple[int, dict[str, str], str | bytes]


def enforce() -> None:
    from moto.moto_server import werkzeug_app
    from moto.s3.responses import S3Response

    if getattr(S3Response, "_twin_s3_rules", False):
        return
    # Read when each service's app is created, i.e. on its first request.
    setattr(werkzeug_app, "DISABLE_GLOBAL_CORS", True)  # noqa: B010 (not exported)
    original_post = S3Response._bucket_response_post

    def response_options(self: Any, headers: Any, bucket_name: str) -> Response:
        from moto.s3.exceptions import MissingBucket

        self._authenticate_and_authorize_s3_action(bucket_name=bucket_name)
        try:
            bucket = self.backend.head_bucket(bucket_name)
        except MissingBucket:
            return 403, {}, ""
        return preflight(bucket.cors, headers)

    def cors_headers_other(self: Any) -> dict[str, str]:
        from moto.s3.exceptions import S3ClientError

        origin = self.headers.get("Origin")
        if not origin:
            return {}
        try:
            rules = self.backend.get_bucket(self.bucket_name).cors
        except S3ClientError:
            return {}
        return actual_request_headers(rules, origin, self.method)

    def bucket_response_post(self: Any, request: Any, bucket_name: str) -> Response:
        fields = {str(k): str(v) for k, v in (self.form_data or {}).items()}
        failed: Response | None = None
        if any(name.lower() == "policy" for name in fields):
            failed = policy_failure(fields, bucket_name, _length(self.body))
        if failed is not None:
            return failed[0], {**failed[1], **self._get_cors_headers_other()}, failed[2]
        status, headers, body = original_post(self, request, bucket_name)
        return status, {**headers, **self._get_cors_headers_other()}, body

    S3Response._response_options = response_options  # type: ignore[method-assign]
    S3Response._get_cors_headers_other = cors_headers_other  # type: ignore[method-assign]
    S3Response._bucket_response_post = bucket_response_post  # type: ignore[method-assign]
    S3Response._twin_s3_rules = True  # type: ignore[attr-defined]


# -- CORS ---------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _wildcard(pattern: str, value: str, *, case: bool = True) -> bool:
    """S3's matching: one `*` in a rule's origin or header stands for any characters."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def matching_rule(
    rules: Iterable[Any], origin: str, method: str, headers: Iterable[str] = ()
) -> Any | None:
    """The first rule allowing `origin`, `method` and every one of `headers`."""
    for rule in rules:
        if not any(_wildcard(o, origin) for o in _as_list(rule.allowed_origins)):
            continue
        if method not in _as_list(rule.allowed_methods):
            continue
        allowed = _as_list(rule.allowed_headers)
        if all(any(_wildcard(a, h, case=False) for a in allowed) for h in headers):
            return rule
    return None


def _rule_headers(rule: Any, origin: str) -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ", ".join(_as_list(rule.allowed_methods)),
        "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }
    if _as_list(rule.exposed_headers):
        headers["Access-Control-Expose-Headers"] = ", ".join(_as_list(rule.exposed_headers))
    if rule.max_age_seconds is not None:
        headers["Access-Control-Max-Age"] = str(rule.max_age_seconds)
    return headers


def preflight(rules: list[Any], headers: Any) -> Response:
    origin = headers.get("Origin")
    method = headers.get("Access-Control-Request-Method")
    if not origin or not method:
        return _error(400, "BadRequest", "Insufficient information. Origin request header needed.")
    if not rules:
        return _error(403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    requested = [
        h.strip() for h in str(headers.get("Access-Control-Request-Headers", "")).split(",")
    ]
    requested = [h for h in requested if h]
    rule = matching_rule(rules, origin, method, requested)
    if rule is None:
        return _error(403, "AccessForbidden", _NOT_ALLOWED)
    answer = _rule_headers(rule, origin)
    if requested:
        answer["Access-Control-Allow-Headers"] = ", ".join(requested)
    return 200, answer, ""


def actual_request_headers(rules: list[Any], origin: str, method: str) -> dict[str, str]:
    rule = matching_rule(rules, origin, method)
    return {} if rule is None else _rule_headers(rule, origin)


# -- POST policy ----------------------------------------------------------------------------


def _length(body: Any) -> int:
    if body is None:
        return 0
    if isinstance(body, str):
        return len(body.encode())
    return len(body)


def _expired(expiration: str) -> bool:
    stamp = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    return stamp <= datetime.now(UTC)


def policy_failure(fields: dict[str, str], bucket: str, size: int) -> Response | None:
    """S3's answer to a POST upload its policy does not allow, or None when it does."""
    values = {k.lower(): v for k, v in fields.items()}
    values["bucket"] = bucket
    try:
        name = next(k for k in fields if k.lower() == "policy")
        policy = json.loads(base64.b64decode(fields[name]))
        conditions = list(policy["conditions"])
        expiration = str(policy["expiration"])
    except (ValueError, KeyError, TypeError, StopIteration):
        return _error(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if _expired(expiration):
        return _denied("Invalid according to Policy: Policy expired.")
    named: set[str] = set()
    for condition in conditions:
        if isinstance(condition, dict):
            ((field, expected),) = condition.items()
            named.add(field.lower())
            if values.get(field.lower()) != expected:
                return _condition_failed(["eq", f"${field}", expected])
            continue
        op, *args = condition
        if op == "content-length-range":
            low, high = int(args[0]), int(args[1])
            if size > high:
                return _error(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    ProposedSize=str(size),
                    MaxSizeAllowed=str(high),
                )
            if size < low:
                return _error(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    ProposedSize=str(size),
                    MinSizeAllowed=str(low),
                )
            continue
        field, expected = str(args[0]).lstrip("$").lower(), str(args[1])
        named.add(field)
        actual = values.get(field)
        ok = actual == expected if op == "eq" else (actual or "").startswith(expected)
        if op not in ("eq", "starts-with") or actual is None or not ok:
            return _condition_failed(condition)
    extra = [
        k
        for k in fields
        if k.lower() not in named | _UNNAMED_OK and not k.lower().startswith("x-ignore-")
    ]
    if extra:
        return _denied(f"Invalid according to Policy: Extra input fields: {extra[0]}")
    return None


def _condition_failed(condition: Any) -> Response:
    return _denied(f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}")


def _denied(message: str) -> Response:
    return _error(403, "AccessDenied", message)


def _error(status: int, code: str, message: str, **extra: str) -> Response:
    parts = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{parts}"
        "<RequestId>TWIN</RequestId></Error>"
    )
    return status, {"Content-Type": "application/xml"}, body

"""Stripe sandbox: a local HTTP stand-in for the slice of the Stripe API microintern uses.

Standard library only. The official ``stripe`` Python SDK talks to it over real HTTP::

    with StripeSandbox(port=0, webhook_url=..., webhook_secret=...) as sandbox:
        client = stripe.StripeClient(
            "sk_test_x", base_addresses={"api": sandbox.url}, max_network_retries=0
        )
        pi = client.v1.payment_intents.create(
            params={"amount": 5000, "currency": "usd"},
            options={"idempotency_key": "fund-brief-1"},
        )

What it models (faithfully enough for the app, a browser and the SDK):

* form-encoded requests with nested keys, Bearer (or Basic) auth with ``sk_test_`` keys,
  publishable ``pk_test_`` keys for the browser-side PaymentIntent retrieve/confirm;
* Accounts, Account Links (whose URL completes onboarding when opened), PaymentMethods made
  from test card numbers, PaymentIntents (test payment methods ``pm_card_visa``,
  ``pm_card_chargeDeclined`` …; ``4000 0027 6000 3184`` needs a 3-D Secure challenge, answered
  on ``/_sandbox/3ds/<token>``), Charges,
  Transfers (+ reversals), Refunds, Events and the platform Balance;
* Stripe's error shapes and statuses, list objects with pagination, ``expand[]``;
* idempotency keys (replay / ``idempotency_error``), scoped per API key;
* signed webhook delivery on a background thread, retried on Stripe's schedule (exponential
  backoff for up to 3 days), compressed by a scale;
* fault injection (500, 429, timeouts) and state inspection under ``/_sandbox/``;
* a stand-in for Stripe.js at ``/v3/`` (``local/stripe_js.py``): the Payment Element and
  ``confirmPayment`` the funding page uses.

Run standalone: ``python -m local.stripe_sandbox --port 12111 --webhook-url URL
--webhook-secret whsec_...``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import hashlib
import heapq
import hmac
import html
import itertools
import json
import os
import re
import secrets
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from local import stripe_js

JSON = dict[str, Any]

API_VERSION = "2026-10-28.endive"
DEFAULT_PORT = 12111
# Stripe retries a failed webhook delivery "for up to three days with an exponential back off"
# (live mode; the intervals themselves are not published). The sandbox keeps that shape: the first
# retry a minute after the failure, each wait twice the last, at most 12 hours apart, while the
# retry still falls within 3 days of the first attempt (14 retries, the last ~65 h in), every
# wait multiplied by a scale. By default a day of Stripe's schedule passes in a minute.
STRIPE_RETRY_HORIZON_SECONDS = 3 * 86_400.0
STRIPE_FIRST_RETRY_SECONDS = 60.0
STRIPE_MAX_RETRY_INTERVAL_SECONDS = 12 * 3_600.0
DEFAULT_RETRY_SCALE = 1 / 1_440


def stripe_retry_schedule(scale: float = 1.0) -> tuple[float, ...]:
    """The waits before each retry of a failed delivery, in seconds, on Stripe's schedule
    (see above) multiplied by ``scale`` (1.0: real time; 1/1440: 3 days in 3 minutes)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    delays: list[float] = []
    elapsed, wait = 0.0, STRIPE_FIRST_RETRY_SECONDS
    while elapsed + wait <= STRIPE_RETRY_HORIZON_SECONDS:
        delays.append(wait)
        elapsed += wait
        wait = min(wait * 2, STRIPE_MAX_RETRY_INTERVAL_SECONDS)
    return tuple(delay * scale for delay in delays)


DEFAULT_RETRY_DELAYS: tuple[float, ...] = stripe_retry_schedule(DEFAULT_RETRY_SCALE)
MAX_AMOUNT = 99_999_999
MIN_CHARGE_AMOUNT = 50

_ALPHABET = string.ascii_letters + string.digits


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------------------
# Errors


class StripeError(Exception):
    """An API error rendered as Stripe renders it: ``{"error": {...}}`` with a status.

    ``persist`` marks errors produced while executing (card declines): Stripe saves those
    under the idempotency key and replays them; validation errors are not saved.
    """

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: JSON | None = None,
        persist: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.persist = persist
        self.headers = headers or {}

    def body(self) -> JSON:
        err: JSON = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            err["param"] = self.param
        if self.decline_code:
            err["decline_code"] = self.decline_code
        err.update(self.extra)
        return {"error": err}


def _invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, "invalid_request_error", message, param=param, code=code)


def _missing_param(param: str) -> StripeError:
    return _invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def _no_such(kind: str, obj_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    return StripeError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{obj_id}'",
        code="resource_missing",
        param=param,
    )


# --------------------------------------------------------------------------------------
# Form decoding (Stripe's nested keys: a[b][c]=v, a[0]=x, a[]=x)

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _split_key(raw: str) -> list[str]:
    match = _KEY_RE.match(raw)
    if not match:
        return [raw]
    return [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


def parse_params(pairs: Iterable[tuple[str, str]]) -> JSON:
    """Decode form pairs with Stripe's bracket syntax into nested dicts and lists."""
    root: JSON = {}
    for raw_key, value in pairs:
        parts = _split_key(raw_key)
        node: JSON = root
        for index, part in enumerate(parts):
            key = part
            if key == "":
                key = str(sum(1 for k in node if k.isdigit()))
            if index == len(parts) - 1:
                if isinstance(node.get(key), dict):
                    raise _invalid(f"Invalid hash: {raw_key}", param=parts[0])
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise _invalid(f"Invalid hash: {raw_key}", param=parts[0])
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def _int_param(params: JSON, name: str, *, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _missing_param(name)
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw.strip()):
        raise _invalid(f"Invalid integer: {raw}", param=name)
    return int(raw.strip())


def _bool_param(params: JSON, name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise _invalid(f"Invalid boolean: {raw}", param=name)


def _str_param(params: JSON, name: str, *, required: bool = False) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _missing_param(name)
        return None
    if not isinstance(raw, str):
        raise _invalid(f"Invalid string: {raw!r}", param=name)
    return raw


def _currency_param(params: JSON, *, required: bool = True) -> str | None:
    raw = _str_param(params, "currency", required=required)
    if raw is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{3}", raw):
        raise _invalid(f"Invalid currency: {raw.lower()}", param="currency")
    return raw.lower()


def _amount_param(params: JSON, *, required: bool, minimum: int = 1) -> int | None:
    amount = _int_param(params, "amount", required=required)
    if amount is None:
        return None
    if amount < minimum:
        if minimum > 1:
            raise _invalid(
                f"Amount must be at least {minimum} cents",
                param="amount",
                code="amount_too_small",
            )
        raise _invalid(
            "This value must be greater than or equal to 1.",
            param="amount",
            code="amount_too_small",
        )
    if amount > MAX_AMOUNT:
        raise _invalid(
            f"Amount must be no more than {MAX_AMOUNT}", param="amount", code="amount_too_large"
        )
    return amount


_RANGE = {
    "gt": lambda value, bound: value > bound,
    "gte": lambda value, bound: value >= bound,
    "lt": lambda value, bound: value < bound,
    "lte": lambda value, bound: value <= bound,
}


def _created_filter(params: JSON) -> Callable[[int], bool]:
    """A list's `created` parameter as Stripe reads it: an exact timestamp, or a range of
    `gt` / `gte` / `lt` / `lte` bounds (each an integer of seconds)."""
    raw = params.get("created")
    if raw is None or raw == "":
        return lambda _: True
    if not isinstance(raw, dict):
        exact = _int_param({"created": raw}, "created")
        return lambda value: value == exact
    bounds: list[tuple[Callable[[int, int], bool], int]] = []
    for name, bound in raw.items():
        if name not in _RANGE:
            raise _invalid(
                f"Received unknown parameter: created[{name}]",
                param=f"created[{name}]",
                code="parameter_unknown",
            )
        number = _int_param({name: bound}, name)
        if number is not None:
            bounds.append((_RANGE[name], number))
    return lambda value: all(test(value, bound) for test, bound in bounds)


def _apply_metadata(current: dict[str, str], raw: Any) -> dict[str, str]:
    """Stripe metadata semantics: merge; an empty value unsets a key; "" clears all."""
    if raw is None:
        return current
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise _invalid("Invalid hash", param="metadata")
    merged = dict(current)
    for key, value in raw.items():
        if not isinstance(value, str):
            raise _invalid(f"Invalid value for metadata[{key}]", param=f"metadata[{key}]")
        if len(key) > 40:
            raise _invalid("Metadata keys can have up to 40 characters.", param=f"metadata[{key}]")
        if len(value) > 500:
            raise _invalid(
                "Metadata values can have up to 500 characters.", param=f"metadata[{key}]"
            )
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise _invalid("Metadata can have up to 50 keys.", param="metadata")
    return merged


def _expand_list(params: JSON) -> list[str]:
    raw = params.get("expand")
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return list(raw)
    raise _invalid("Invalid array", param="expand")


# --------------------------------------------------------------------------------------
# Test payment methods


@dataclass(frozen=True)
class _TestCard:
    brand: str
    last4: str
    decline_code: str | None = None
    error_code: str = "card_declined"
    message: str = "Your card was declined."
    error_param: str | None = None
    three_d_secure: bool = False  # every payment needs the cardholder's 3-D Secure challenge


TEST_CARDS: dict[str, _TestCard] = {
    "pm_card_visa": _TestCard("visa", "4242"),
    "pm_card_mastercard": _TestCard("mastercard", "4444"),
    "pm_card_amex": _TestCard("amex", "8431"),
    "pm_card_authenticationRequired": _TestCard("visa", "3184", three_d_secure=True),
    "pm_card_chargeDeclined": _TestCard("visa", "0002", decline_code="generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": _TestCard(
        "visa",
        "9995",
        decline_code="insufficient_funds",
        message="Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedFraudulent": _TestCard("visa", "0019", decline_code="fraudulent"),
    "pm_card_chargeDeclinedExpiredCard": _TestCard(
        "visa",
        "0069",
        decline_code="expired_card",
        error_code="expired_card",
        message="Your card has expired.",
        error_param="exp_month",
    ),
    "pm_card_chargeDeclinedIncorrectCvc": _TestCard(
        "visa",
        "0127",
        decline_code="incorrect_cvc",
        error_code="incorrect_cvc",
        message="Your card's security code is incorrect.",
        error_param="cvc",
    ),
}

_CARD_NUMBERS: dict[str, str] = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "378282246310005": "pm_card_amex",
    "4000002760003184": "pm_card_authenticationRequired",
    "4000000000000002": "pm_card_chargeDeclined",
    "4000000000009995": "pm_card_chargeDeclinedInsufficientFunds",
    "4100000000000019": "pm_card_chargeDeclinedFraudulent",
    "4000000000000069": "pm_card_chargeDeclinedExpiredCard",
    "4000000000000127": "pm_card_chargeDeclinedIncorrectCvc",
}

_TOKENS: dict[str, str] = {
    "tok_visa": "pm_card_visa",
    "tok_mastercard": "pm_card_mastercard",
    "tok_amex": "pm_card_amex",
    "tok_threeDSecureRequired": "pm_card_authenticationRequired",
    "tok_chargeDeclined": "pm_card_chargeDeclined",
    "tok_chargeDeclinedInsufficientFunds": "pm_card_chargeDeclinedInsufficientFunds",
    "tok_chargeDeclinedFraudulent": "pm_card_chargeDeclinedFraudulent",
    "tok_chargeDeclinedExpiredCard": "pm_card_chargeDeclinedExpiredCard",
    "tok_chargeDeclinedIncorrectCvc": "pm_card_chargeDeclinedIncorrectCvc",
}


def _payment_method_from_data(data: Any) -> str:
    if not isinstance(data, dict):
        raise _invalid("Invalid hash", param="payment_method_data")
    card = data.get("card")
    if isinstance(card, dict):
        token = card.get("token")
        if isinstance(token, str) and token in _TOKENS:
            return _TOKENS[token]
        number = re.sub(r"\D", "", str(card.get("number", "")))
        if number in _CARD_NUMBERS:
            return _CARD_NUMBERS[number]
        if number:
            raise StripeError(
                402,
                "card_error",
                "Your card number is incorrect.",
                code="incorrect_number",
                param="number",
            )
    raise _invalid(
        "payment_method_data[card] must carry a test card number or token",
        param="payment_method_data[card]",
    )


CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def _with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` added to its query string (its fragment kept)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _card_error(code: str, message: str, param: str) -> StripeError:
    return StripeError(402, "card_error", message, code=code, param=param)


def _card_details(raw: Any) -> tuple[str, int, int]:
    """(test card name, exp_month, exp_year) of ``card[...]`` params, checked like Stripe."""
    if not isinstance(raw, dict):
        raise _missing_param("card")
    number = re.sub(r"\D", "", str(raw.get("number", "")))
    if not number:
        raise _missing_param("card[number]")
    if number not in _CARD_NUMBERS:
        raise _card_error("incorrect_number", "Your card number is incorrect.", "number")
    month = str(raw.get("exp_month", "")).strip()
    if not month.isdigit() or not 1 <= int(month) <= 12:
        raise _card_error(
            "invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month"
        )
    year = str(raw.get("exp_year", "")).strip()
    full_year = int(year) + 2000 if year.isdigit() and len(year) == 2 else int(year or 0)
    today = time.gmtime()
    if (full_year, int(month)) < (today.tm_year, today.tm_mon) or full_year > today.tm_year + 50:
        raise _card_error(
            "invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year"
        )
    cvc = str(raw.get("cvc", "")).strip()
    if cvc and not re.fullmatch(r"\d{3,4}", cvc):
        raise _card_error("invalid_cvc", "Your card's security code is invalid.", "cvc")
    return _CARD_NUMBERS[number], int(month), full_year


# --------------------------------------------------------------------------------------
# Fault injection and webhook deliveries


@dataclass
class Fault:
    """The next ``count`` API calls matching ``path_prefix`` (and ``method``) fail as ``kind``.

    ``process=True`` lets the request take effect before failing (the response is lost),
    which is how a real network timeout after a successful charge looks to a client.
    """

    count: int
    kind: str
    path_prefix: str | None = None
    method: str | None = None
    seconds: float | None = None
    process: bool = False


FAULT_KINDS = ("500", "timeout", "rate_limit")


@dataclass
class _DeliveryTask:
    event_id: str
    payload: str
    attempt: int = 1
    url: str | None = None
    secret: str | None = None
    redelivery: bool = False


@dataclass
class Delivery:
    """One webhook delivery attempt, as recorded by the sandbox."""

    event_id: str
    event_type: str
    attempt: int
    url: str
    at: float
    status: int | None = None
    ok: bool = False
    error: str | None = None
    duration_ms: int = 0
    response_body: str = ""
    signature: str = ""
    redelivery: bool = False
    final: bool = False


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """Build a ``Stripe-Signature`` header value exactly as Stripe does."""
    ts = _now() if timestamp is None else timestamp
    mac = hmac.new(secret.encode("utf-8"), f"{ts}.{payload}".encode(), hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


class _WebhookDispatcher:
    """Delivers events sequentially on one background thread; retries are scheduled."""

    def __init__(self, sandbox: StripeSandbox) -> None:
        self._sandbox = sandbox
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _DeliveryTask]] = []
        self._seq = itertools.count()
        self._busy = False
        self._stopped = False
        self._generation = 0
        self._thread: threading.Thread | None = None
        self.deliveries: list[Delivery] = []

    def start(self) -> None:
        self._stopped = False
        self._thread = threading.Thread(
            target=self._run, name="stripe-sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _now(self) -> float:
        return self._sandbox.clock()

    def enqueue(self, task: _DeliveryTask, delay: float = 0.0) -> None:
        with self._cond:
            heapq.heappush(self._heap, (self._now() + delay, next(self._seq), task))
            self._cond.notify_all()

    def next_due(self) -> float | None:
        """When the next queued attempt is due, by the sandbox's clock (None: nothing queued)."""
        with self._cond:
            return self._heap[0][0] if self._heap else None

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self.deliveries.clear()
            self._generation += 1
            self._cond.notify_all()

    def snapshot(self, event_id: str | None = None) -> list[JSON]:
        with self._cond:
            return [
                asdict(d) for d in self.deliveries if event_id is None or d.event_id == event_id
            ]

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.monotonic()  # real time: a caller's patience
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._heap and self._heap[0][0] <= self._now():
                        break
                    wait = self._heap[0][0] - self._now() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, task = heapq.heappop(self._heap)
                self._busy = True
                generation = self._generation
            self._deliver(task, generation)

    def deliver_due(self) -> int:
        """Attempt, on the calling thread, every delivery due by the sandbox's clock; how many
        were attempted. (What the worker does; for a sandbox driven by an injected clock.)"""
        attempted = 0
        while True:
            with self._cond:
                if not self._heap or self._heap[0][0] > self._now():
                    return attempted
                _, _, task = heapq.heappop(self._heap)
                self._busy = True
                generation = self._generation
            self._deliver(task, generation)
            attempted += 1

    def _deliver(self, task: _DeliveryTask, generation: int) -> None:
        """One attempt; on failure, the next one scheduled on the retry schedule."""
        try:
            record = self._attempt(task)
        except Exception as exc:  # never let the worker die
            record = None
            sys.stderr.write(f"stripe sandbox: webhook worker error: {exc!r}\n")
        with self._cond:
            self._busy = False
            if record is not None and generation == self._generation:
                self.deliveries.append(record)
                delays = self._sandbox.webhook_retry_delays
                if not record.ok and task.attempt <= len(delays) and not self._stopped:
                    retry = _DeliveryTask(
                        event_id=task.event_id,
                        payload=task.payload,
                        attempt=task.attempt + 1,
                        url=task.url,
                        secret=task.secret,
                        redelivery=task.redelivery,
                    )
                    due = self._now() + delays[task.attempt - 1]
                    heapq.heappush(self._heap, (due, next(self._seq), retry))
                else:
                    record.final = True
            self._cond.notify_all()
        if record is not None and record.ok:
            self._sandbox._webhook_delivered(task.event_id)

    def _attempt(self, task: _DeliveryTask) -> Delivery | None:
        url = task.url or self._sandbox.webhook_url
        secret = task.secret or self._sandbox.webhook_secret
        if not url or not secret:
            return None
        event_type = str(json.loads(task.payload).get("type", ""))
        signature = sign_payload(task.payload, secret)
        record = Delivery(
            event_id=task.event_id,
            event_type=event_type,
            attempt=task.attempt,
            url=url,
            at=time.time(),
            signature=signature,
            redelivery=task.redelivery,
        )
        request = urllib.request.Request(
            url,
            data=task.payload.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Cache-Control": "no-cache",
                "Accept": "*/*; q=0.5, application/xml",
            },
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self._sandbox.webhook_timeout) as response:
                record.status = response.status
                record.response_body = response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            record.status = exc.code
            with contextlib.suppress(Exception):
                record.response_body = exc.read(2000).decode("utf-8", "replace")
            record.error = f"HTTP {exc.code}"
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"
        record.duration_ms = int((time.monotonic() - started) * 1000)
        record.ok = record.status is not None and 200 <= record.status < 300
        return record


# --------------------------------------------------------------------------------------
# Routing


@dataclass
class _Request:
    method: str
    path: str
    params: JSON
    api_key: str
    publishable: bool
    request_id: str
    idempotency_key: str | None
    groups: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


_Handler = Callable[["StripeSandbox", _Request], JSON]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: _Handler
    allowed: frozenset[str] | None
    publishable_ok: bool = False


# --------------------------------------------------------------------------------------
# The sandbox


class StripeSandbox:
    """A local Stripe API stand-in. Thread-safe: one lock guards all state."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        *,
        timeout_seconds: float = 2.0,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        webhook_retry_scale: float | None = None,
        webhook_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        public_url: str | None = None,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout_seconds = timeout_seconds
        # The waits before each retry of a failed webhook; `webhook_retry_scale` picks Stripe's
        # schedule scaled (see stripe_retry_schedule) instead of explicit delays.
        self.webhook_retry_delays: tuple[float, ...] = (
            tuple(webhook_retry_delays)
            if webhook_retry_scale is None
            else stripe_retry_schedule(webhook_retry_scale)
        )
        self.webhook_timeout = webhook_timeout
        self.clock = clock  # when deliveries are due (monotonic seconds); tests inject one
        self.verbose = verbose
        self._public_url = public_url
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.set_webhook(webhook_url, webhook_secret)
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._dispatcher = _WebhookDispatcher(self)
        self._seq = itertools.count()
        self._reset_state()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL of the sandbox, e.g. ``http://127.0.0.1:12111``."""
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    @property
    def public_url(self) -> str:
        """Base URL used in links handed to browsers (account links)."""
        return self._public_url or self.url

    def start(self) -> StripeSandbox:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_SandboxHandler,), {"sandbox": self})
        server = ThreadingHTTPServer((self.host, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self.port = int(server.server_address[1])
        self._stopping.clear()
        self._dispatcher.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="stripe-sandbox-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        server = self._server
        if server is not None:
            server.shutdown()
            server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._dispatcher.stop()

    def __enter__(self) -> StripeSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Start and block until interrupted (standalone mode)."""
        self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- configuration and inspection (Python API) -------------------------------------

    def set_webhook(
        self,
        url: str | None,
        secret: str | None = None,
        *,
        retry_delays: Sequence[float] | None = None,
    ) -> None:
        """Point event delivery at ``url``, signed with ``secret`` (generated when absent)."""
        self.webhook_url = url or None
        if secret:
            self.webhook_secret = secret
        elif url and not self.webhook_secret:
            self.webhook_secret = "whsec_" + secrets.token_hex(16)
        if retry_delays is not None:
            self.webhook_retry_delays = tuple(retry_delays)

    def reset(self) -> None:
        """Forget every object, event, idempotency key, fault and delivery."""
        with self._lock:
            self._reset_state()
        self._dispatcher.clear()

    def fail(
        self,
        count: int = 1,
        kind: str = "500",
        path_prefix: str | None = None,
        *,
        method: str | None = None,
        seconds: float | None = None,
        process: bool = False,
    ) -> Fault:
        """Make the next ``count`` matching API calls fail (see :class:`Fault`)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        fault = Fault(
            count=int(count),
            kind=kind,
            path_prefix=path_prefix,
            method=method.upper() if method else None,
            seconds=seconds,
            process=process,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def state(self, only: Iterable[str] | None = None) -> JSON:
        """Everything the sandbox holds, as JSON-ready data; `only`: just those sections
        (`GET /_sandbox/state?only=transfers,refunds`). A chaos check of 1,000 engagements reads
        the money objects this way: the whole state copies every event too (tens of MiB)."""
        wanted = set(only) if only is not None else None
        with self._lock:
            sections = self._sections()
            if wanted is not None:
                sections = {k: v for k, v in sections.items() if k in wanted}
            return copy.deepcopy({k: v() for k, v in sections.items()})

    def _sections(self) -> dict[str, Callable[[], Any]]:
        return {
            "accounts": lambda: list(self._accounts.values()),
            "payment_intents": lambda: list(self._payment_intents.values()),
            "payment_methods": lambda: list(self._payment_methods.values()),
            "charges": lambda: list(self._charges.values()),
            "transfers": lambda: list(self._transfers.values()),
            "refunds": lambda: list(self._refunds.values()),
            "events": lambda: list(self._events.values()),
            "balance": self._balance,
            "faults": lambda: [asdict(f) for f in self._faults if f.count > 0],
            "idempotency_keys": lambda: [
                {"idempotency_key": key, "method": e["method"], "path": e["path"]}
                for (_api_key, key), e in self._idempotency.items()
            ],
            "webhook": lambda: {"url": self.webhook_url, "secret_set": bool(self.webhook_secret)},
            "deliveries": self._dispatcher.snapshot,
        }

    def events(self, type: str | None = None) -> list[JSON]:
        """Emitted events, oldest first, optionally filtered by type."""
        with self._lock:
            return [
                copy.deepcopy(e) for e in self._events.values() if type is None or e["type"] == type
            ]

    def deliveries(self, event_id: str | None = None) -> list[JSON]:
        """Every webhook delivery attempt so far (oldest first)."""
        return self._dispatcher.snapshot(event_id)

    def deliver_due(self) -> int:
        """Attempt every webhook delivery due by the sandbox's clock, on this thread (for a
        sandbox driven by an injected clock; the worker does this when started)."""
        return self._dispatcher.deliver_due()

    def next_delivery_due(self) -> float | None:
        """When the next queued webhook attempt is due, by the sandbox's clock."""
        return self._dispatcher.next_due()

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        """Block until no delivery is queued, scheduled for retry, or in flight."""
        return self._dispatcher.wait_idle(timeout)

    def resend(self, event_id: str) -> None:
        """Deliver an existing event again (as Stripe does on redelivery)."""
        with self._lock:
            event = self._events.get(event_id)
            if event is None:
                raise KeyError(event_id)
            payload = json.dumps(event, indent=2)
        self._dispatcher.enqueue(_DeliveryTask(event_id, payload, redelivery=True))

    def complete_onboarding(self, account_id: str) -> JSON:
        """Mark a connected account as fully onboarded (what the onboarding URL does)."""
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                raise KeyError(account_id)
            self._onboard(account)
            return copy.deepcopy(account)

    # -- state ---------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self._accounts: dict[str, JSON] = {}
        self._payment_intents: dict[str, JSON] = {}
        self._payment_methods: dict[str, JSON] = {}
        self._pm_cards: dict[str, str] = {}  # PaymentMethod id -> its test card's name
        self._challenges: dict[str, JSON] = {}  # 3-D Secure challenge token -> what it confirms
        self._charges: dict[str, JSON] = {}
        self._transfers: dict[str, JSON] = {}
        self._reversals: dict[str, JSON] = {}
        self._refunds: dict[str, JSON] = {}
        self._events: dict[str, JSON] = {}
        self._order: dict[str, int] = {}
        self._idempotency: dict[tuple[str, str], JSON] = {}
        self._faults: list[Fault] = []

    def _store(self, table: dict[str, JSON], obj: JSON) -> JSON:
        table[obj["id"]] = obj
        self._order[obj["id"]] = next(self._seq)
        return obj

    def _lookup(self, obj_id: str) -> JSON | None:
        tables: dict[str, dict[str, JSON]] = {
            "acct": self._accounts,
            "pi": self._payment_intents,
            "pm": self._payment_methods,
            "ch": self._charges,
            "tr": self._transfers,
            "trr": self._reversals,
            "re": self._refunds,
            "evt": self._events,
        }
        prefix = obj_id.split("_", 1)[0]
        table = tables.get(prefix)
        return None if table is None else table.get(obj_id)

    def _emit(
        self,
        type_: str,
        obj: JSON,
        request: _Request | None = None,
        previous_attributes: JSON | None = None,
    ) -> JSON:
        data: JSON = {"object": copy.deepcopy(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event: JSON = {
            "id": _new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": _now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.webhook_url else 0,
            "request": {
                "id": request.request_id if request else None,
                "idempotency_key": request.idempotency_key if request else None,
            },
            "type": type_,
        }
        self._store(self._events, event)
        if self.webhook_url:
            self._dispatcher.enqueue(_DeliveryTask(event["id"], json.dumps(event, indent=2)))
        return event

    def _webhook_delivered(self, event_id: str) -> None:
        with self._lock:
            event = self._events.get(event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    def _balance(self) -> JSON:
        available: dict[str, int] = {}
        for charge in self._charges.values():
            if charge["status"] == "succeeded":
                cur = charge["currency"]
                available[cur] = (
                    available.get(cur, 0) + charge["amount_captured"] - charge["amount_refunded"]
                )
        for transfer in self._transfers.values():
            cur = transfer["currency"]
            available[cur] = (
                available.get(cur, 0) - transfer["amount"] + transfer["amount_reversed"]
            )
        return {
            "object": "balance",
            "livemode": False,
            "available": [
                {"amount": amount, "currency": cur, "source_types": {"card": amount}}
                for cur, amount in sorted(available.items())
            ]
            or [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
            "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
        }

    # -- output helpers ------------------------------------------------------------------

    def _render(self, obj: JSON, params: JSON) -> JSON:
        out = copy.deepcopy(obj)
        for path in _expand_list(params):
            self._expand_path(out, path.split("."), path)
        return out

    def _expand_path(self, node: Any, parts: list[str], full: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and node.get("object") == "list":
            for item in node.get("data", []):
                self._expand_path(item, rest, full)
            return
        if head not in node:
            raise _invalid(f"This property cannot be expanded ({full}).", param="expand")
        value = node[head]
        if isinstance(value, str):
            target = self._lookup(value)
            if target is None:
                raise _invalid(f"This property cannot be expanded ({full}).", param="expand")
            node[head] = copy.deepcopy(target)
        self._expand_path(node[head], rest, full)

    def _list(
        self,
        items: Iterable[JSON],
        params: JSON,
        url: str,
    ) -> JSON:
        created = _created_filter(params)
        ordered = sorted(
            (o for o in items if created(int(o.get("created") or 0))),
            key=lambda o: self._order.get(o["id"], 0),
            reverse=True,
        )
        limit = _int_param(params, "limit")
        if limit is None:
            limit = 10
        if not 1 <= limit <= 100:
            raise _invalid(
                "This value must be greater than or equal to 1 and less than or equal to 100.",
                param="limit",
            )
        ids = [o["id"] for o in ordered]
        starting_after = _str_param(params, "starting_after")
        ending_before = _str_param(params, "ending_before")
        if starting_after:
            if starting_after not in ids:
                raise _no_such("object", starting_after, param="starting_after", status=400)
            window = ordered[ids.index(starting_after) + 1 :]
            page, has_more = window[:limit], len(window) > limit
        elif ending_before:
            if ending_before not in ids:
                raise _no_such("object", ending_before, param="ending_before", status=400)
            window = ordered[: ids.index(ending_before)]
            page, has_more = window[-limit:], len(window) > limit
        else:
            page, has_more = ordered[:limit], len(ordered) > limit
        listing: JSON = {
            "object": "list",
            "data": [copy.deepcopy(o) for o in page],
            "has_more": has_more,
            "url": url,
        }
        return self._render(listing, params)

    @staticmethod
    def _check_params(route: _Route, request: _Request) -> None:
        if route.allowed is None or request.publishable:
            return
        for name in request.params:
            if name not in route.allowed:
                raise _invalid(
                    f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
                )

    # -- accounts ------------------------------------------------------------------------

    def _get_account(self, account_id: str, param: str = "id") -> JSON:
        account = self._accounts.get(account_id)
        if account is None:
            raise _no_such("account", account_id, param=param, status=404 if param == "id" else 400)
        return account

    def h_account_create(self, req: _Request) -> JSON:
        params = req.params
        controller = params.get("controller")
        account_type = _str_param(params, "type", required=controller is None)
        if account_type is not None and account_type not in ("express", "standard", "custom"):
            raise _invalid(
                f"Invalid type: must be one of custom, express, or standard (got {account_type})",
                param="type",
            )
        requested = params.get("capabilities") or {}
        if not isinstance(requested, dict):
            raise _invalid("Invalid hash", param="capabilities")
        capabilities = {
            name: "inactive"
            for name, spec in requested.items()
            if isinstance(spec, dict) and str(spec.get("requested", "")).lower() == "true"
        } or {"card_payments": "inactive", "transfers": "inactive"}
        account: JSON = {
            "id": _new_id("acct", 16),
            "object": "account",
            "type": account_type or "express",
            "business_type": _str_param(params, "business_type"),
            "capabilities": capabilities,
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "country": (_str_param(params, "country") or "US").upper(),
            "default_currency": (_str_param(params, "default_currency") or "usd").lower(),
            "email": _str_param(params, "email"),
            "metadata": _apply_metadata({}, params.get("metadata")),
            "requirements": {
                "currently_due": ["business_type", "external_account", "tos_acceptance.date"],
                "eventually_due": ["business_type", "external_account", "tos_acceptance.date"],
                "past_due": [],
                "disabled_reason": "requirements.past_due",
            },
            "created": _now(),
            "livemode": False,
        }
        self._store(self._accounts, account)
        return self._render(account, params)

    def h_account_get(self, req: _Request) -> JSON:
        return self._render(self._get_account(req.groups[0]), req.params)

    def h_account_update(self, req: _Request) -> JSON:
        account = self._get_account(req.groups[0])
        previous: JSON = {}
        if "metadata" in req.params:
            previous["metadata"] = dict(account["metadata"])
            account["metadata"] = _apply_metadata(account["metadata"], req.params["metadata"])
        email = _str_param(req.params, "email")
        if email is not None:
            previous["email"] = account["email"]
            account["email"] = email
        if previous:
            self._emit("account.updated", account, req, previous)
        return self._render(account, req.params)

    def h_account_list(self, req: _Request) -> JSON:
        return self._list(self._accounts.values(), req.params, "/v1/accounts")

    def _onboard(self, account: JSON) -> bool:
        if account["details_submitted"] and account["charges_enabled"]:
            return False
        previous = {
            "details_submitted": account["details_submitted"],
            "charges_enabled": account["charges_enabled"],
            "payouts_enabled": account["payouts_enabled"],
            "capabilities": dict(account["capabilities"]),
            "requirements": copy.deepcopy(account["requirements"]),
        }
        account["details_submitted"] = True
        account["charges_enabled"] = True
        account["payouts_enabled"] = True
        account["capabilities"] = dict.fromkeys(account["capabilities"], "active")
        account["requirements"] = {
            "currently_due": [],
            "eventually_due": [],
            "past_due": [],
            "disabled_reason": None,
        }
        self._emit("account.updated", account, None, previous)
        return True

    def h_account_link_create(self, req: _Request) -> JSON:
        params = req.params
        account_id = _str_param(params, "account", required=True)
        assert account_id is not None
        self._get_account(account_id, param="account")
        link_type = _str_param(params, "type", required=True)
        if link_type not in ("account_onboarding", "account_update"):
            raise _invalid(f"Invalid type: {link_type}", param="type")
        query: dict[str, str] = {}
        for name in ("return_url", "refresh_url"):
            value = _str_param(params, name)
            if value is not None:
                query[name] = value
        url = f"{self.public_url}/_sandbox/onboard/{account_id}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        created = _now()
        return {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": url,
        }

    def h_login_link_create(self, req: _Request) -> JSON:
        """Express dashboard login link: only for an express account that finished onboarding
        (Stripe answers 400 otherwise)."""
        account = self._get_account(req.groups[0], param="account")
        if account["type"] != "express":
            raise _invalid("Login links are only for Express accounts.", param="account")
        if not account["details_submitted"]:
            raise _invalid(
                "Cannot create a login link for an account that has not completed onboarding.",
                param="account",
            )
        return {
            "object": "login_link",
            "created": _now(),
            "url": f"{self.public_url}/_sandbox/express/{account['id']}",
        }

    # -- payment methods (what Stripe.js makes of the card details a customer types) -------

    def h_pm_create(self, req: _Request) -> JSON:
        params = req.params
        if (_str_param(params, "type") or "card") != "card":
            raise _invalid("The sandbox only makes card PaymentMethods", param="type")
        name, exp_month, exp_year = _card_details(params.get("card"))
        card = TEST_CARDS[name]
        billing = params.get("billing_details")
        billing = billing if isinstance(billing, dict) else {}
        address = billing.get("address")
        address = address if isinstance(address, dict) else {}
        pm: JSON = {
            "id": _new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": {
                    k: address.get(k)
                    for k in ("city", "country", "line1", "line2", "postal_code", "state")
                },
                "email": billing.get("email"),
                "name": billing.get("name"),
                "phone": billing.get("phone"),
            },
            "card": {
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "unchecked" if params["card"].get("cvc") else None,
                },
                "country": "US",
                "display_brand": card.brand,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": hashlib.sha256(name.encode()).hexdigest()[:16],
                "funding": "credit",
                "generated_from": None,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "created": _now(),
            "customer": None,
            "livemode": False,
            "metadata": _apply_metadata({}, params.get("metadata")),
            "type": "card",
        }
        self._store(self._payment_methods, pm)
        self._pm_cards[pm["id"]] = name
        return self._render(pm, params)

    def h_pm_get(self, req: _Request) -> JSON:
        pm = self._payment_methods.get(req.groups[0])
        if pm is None:
            raise _no_such("PaymentMethod", req.groups[0], param="payment_method")
        return self._render(pm, req.params)

    def _card_for(self, payment_method: str) -> _TestCard:
        card = TEST_CARDS.get(self._pm_cards.get(payment_method, payment_method))
        if card is None:
            raise _no_such("PaymentMethod", payment_method, param="payment_method", status=400)
        return card

    # -- payment intents -----------------------------------------------------------------

    def _get_pi(self, pi_id: str, param: str = "intent") -> JSON:
        pi = self._payment_intents.get(pi_id)
        if pi is None:
            raise _no_such("payment_intent", pi_id, param=param, status=404)
        return pi

    def _check_client_secret(self, pi: JSON, req: _Request) -> None:
        secret = _str_param(req.params, "client_secret")
        if req.publishable and secret is None:
            raise _missing_param("client_secret")
        if secret is not None and not hmac.compare_digest(secret, pi["client_secret"]):
            raise _invalid(
                "The client_secret provided does not match the client_secret associated with "
                "the PaymentIntent.",
                param="client_secret",
                code="payment_intent_invalid_parameter",
            )

    def h_pi_create(self, req: _Request) -> JSON:
        params = req.params
        amount = _amount_param(params, required=True, minimum=MIN_CHARGE_AMOUNT)
        currency = _currency_param(params)
        pm_types = params.get("payment_method_types")
        if pm_types is None:  # the name newer API versions (and SDK v16's types) use
            pm_types = params.get("allowed_payment_method_types")
        automatic = params.get("automatic_payment_methods")
        if pm_types is not None and automatic is not None:
            raise _invalid(
                "You may only specify one of these parameters: automatic_payment_methods, "
                "payment_method_types.",
                param="payment_method_types",
            )
        if pm_types is not None:
            if isinstance(pm_types, str):
                pm_types = [pm_types]
            if not isinstance(pm_types, list) or not all(isinstance(t, str) for t in pm_types):
                raise _invalid("Invalid array", param="payment_method_types")
            automatic_out: JSON | None = None
        else:
            enabled = True
            allow_redirects = "always"
            if isinstance(automatic, dict):
                enabled = _bool_param(automatic, "enabled", True)
                allow_redirects = str(automatic.get("allow_redirects") or "always")
            automatic_out = {"enabled": enabled, "allow_redirects": allow_redirects}
            pm_types = ["card"]
        capture_method = _str_param(params, "capture_method") or "automatic"
        if capture_method not in ("automatic", "automatic_async"):
            raise _invalid(
                "The sandbox only supports capture_method=automatic", param="capture_method"
            )
        pi_id = _new_id("pi")
        payment_method = _str_param(params, "payment_method")
        pi: JSON = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": _int_param(params, "application_fee_amount"),
            "automatic_payment_methods": automatic_out,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{pi_id}_secret_{secrets.token_urlsafe(18).replace('-', 'x')}",
            "confirmation_method": _str_param(params, "confirmation_method") or "automatic",
            "created": _now(),
            "currency": currency,
            "customer": _str_param(params, "customer"),
            "description": _str_param(params, "description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": _apply_metadata({}, params.get("metadata")),
            "next_action": None,
            "on_behalf_of": _str_param(params, "on_behalf_of"),
            "payment_method": payment_method,
            "payment_method_types": pm_types,
            "receipt_email": _str_param(params, "receipt_email"),
            "statement_descriptor": _str_param(params, "statement_descriptor"),
            "status": "requires_confirmation" if payment_method else "requires_payment_method",
            "transfer_data": params.get("transfer_data"),
            "transfer_group": _str_param(params, "transfer_group"),
        }
        confirm = _bool_param(params, "confirm")
        if payment_method:
            self._card_for(payment_method)
        self._store(self._payment_intents, pi)
        self._emit("payment_intent.created", pi, req)
        if confirm:
            self._confirm(pi, req)
        return self._render(pi, params)

    def h_pi_get(self, req: _Request) -> JSON:
        pi = self._get_pi(req.groups[0])
        self._check_client_secret(pi, req)
        return self._render(pi, req.params)

    def h_pi_update(self, req: _Request) -> JSON:
        pi = self._get_pi(req.groups[0])
        if pi["status"] in ("succeeded", "canceled"):
            raise _invalid(
                f"This PaymentIntent's status is {pi['status']}; it cannot be updated.",
                code="payment_intent_unexpected_state",
            )
        params = req.params
        if "metadata" in params:
            pi["metadata"] = _apply_metadata(pi["metadata"], params["metadata"])
        amount = _amount_param(params, required=False, minimum=MIN_CHARGE_AMOUNT)
        if amount is not None:
            pi["amount"] = amount
        for name in ("description", "transfer_group", "receipt_email"):
            value = _str_param(params, name)
            if value is not None:
                pi[name] = value
        return self._render(pi, params)

    def h_pi_list(self, req: _Request) -> JSON:
        return self._list(self._payment_intents.values(), req.params, "/v1/payment_intents")

    def h_pi_confirm(self, req: _Request) -> JSON:
        pi = self._get_pi(req.groups[0])
        self._check_client_secret(pi, req)
        self._confirm(pi, req)
        return self._render(pi, req.params)

    def h_pi_cancel(self, req: _Request) -> JSON:
        pi = self._get_pi(req.groups[0])
        if pi["status"] in ("succeeded", "canceled", "processing"):
            raise _invalid(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be canceled: requires_payment_method, requires_capture, requires_confirmation, "
                "requires_action, processing.",
                code="payment_intent_unexpected_state",
            )
        reason = _str_param(req.params, "cancellation_reason") or "requested_by_customer"
        pi["status"] = "canceled"
        pi["canceled_at"] = _now()
        pi["cancellation_reason"] = reason
        self._emit("payment_intent.canceled", pi, req)
        return self._render(pi, req.params)

    def _confirm(self, pi: JSON, req: _Request) -> None:
        params = req.params
        if pi["status"] not in CONFIRMABLE:
            if pi["status"] == "succeeded":
                detail = "it has already succeeded after being previously confirmed"
            else:
                detail = f"it has a status of {pi['status']}"
            raise _invalid(
                f"You cannot confirm this PaymentIntent because {detail}.",
                code="payment_intent_unexpected_state",
            )
        payment_method = _str_param(params, "payment_method")
        if payment_method is None and params.get("payment_method_data") is not None:
            payment_method = _payment_method_from_data(params["payment_method_data"])
        if payment_method is None:
            payment_method = pi["payment_method"]
        if payment_method is None:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent, pass a payment_method.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        card = self._card_for(payment_method)
        self._challenges = {
            t: c for t, c in self._challenges.items() if c["payment_intent"] != pi["id"]
        }
        if card.three_d_secure:
            self._require_action(pi, payment_method, _str_param(params, "return_url"), req)
            return
        self._charge(pi, payment_method, card, req)

    def _charge(self, pi: JSON, payment_method: str, card: _TestCard, req: _Request | None) -> None:
        """Charge the card: the PaymentIntent succeeds, or a decline raises its card_error."""
        pm = self._payment_methods.get(payment_method)
        pi["next_action"] = None
        declined = card.decline_code is not None
        charge: JSON = {
            "id": _new_id("ch"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": 0 if declined else pi["amount"],
            "amount_refunded": 0,
            "balance_transaction": None if declined else _new_id("txn"),
            "captured": not declined,
            "created": _now(),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "failure_code": card.error_code if declined else None,
            "failure_message": card.message if declined else None,
            "livemode": False,
            "metadata": dict(pi["metadata"]),
            "outcome": {
                "network_status": "declined_by_network" if declined else "approved_by_network",
                "reason": card.decline_code,
                "risk_level": "normal",
                "seller_message": (
                    "The bank did not return any further details with this decline."
                    if declined
                    else "Payment complete."
                ),
                "type": "issuer_declined" if declined else "authorized",
            },
            "paid": not declined,
            "payment_intent": pi["id"],
            "payment_method": payment_method,
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": card.brand,
                    "last4": card.last4,
                    "exp_month": pm["card"]["exp_month"] if pm else 12,
                    "exp_year": pm["card"]["exp_year"] if pm else time.gmtime().tm_year + 3,
                    "funding": "credit",
                    "country": "US",
                },
            },
            "receipt_email": pi["receipt_email"],
            "receipt_number": None,
            "refunded": False,
            "status": "failed" if declined else "succeeded",
            "transfer_group": pi["transfer_group"],
        }
        # Like Stripe's pay.stripe.com/receipts/…: a page for people, on the public URL.
        charge["receipt_url"] = (
            None if declined else f"{self.public_url}/_sandbox/receipts/{charge['id']}"
        )
        self._store(self._charges, charge)
        pi["latest_charge"] = charge["id"]
        if declined:
            error = StripeError(
                402,
                "card_error",
                card.message,
                code=card.error_code,
                param=card.error_param,
                decline_code=card.decline_code,
                persist=True,
            )
            last_error = error.body()["error"]
            last_error["charge"] = charge["id"]
            last_error["payment_method"] = {"id": payment_method, "object": "payment_method"}
            pi["status"] = "requires_payment_method"
            pi["payment_method"] = None
            pi["last_payment_error"] = last_error
            self._emit("charge.failed", charge, req)
            self._emit("payment_intent.payment_failed", pi, req)
            error.extra = {
                "charge": charge["id"],
                "payment_intent": copy.deepcopy(pi),
                "payment_method": {"id": payment_method, "object": "payment_method"},
                "request_log_url": f"{self.url}/_sandbox/state",
            }
            raise error
        pi["status"] = "succeeded"
        pi["payment_method"] = payment_method
        pi["amount_received"] = pi["amount"]
        pi["last_payment_error"] = None
        self._emit("charge.succeeded", charge, req)
        self._emit("payment_intent.succeeded", pi, req)

    # -- 3-D Secure ------------------------------------------------------------------------

    def _require_action(
        self, pi: JSON, payment_method: str, return_url: str | None, req: _Request
    ) -> None:
        """The issuer wants a challenge: ``requires_action`` with the challenge page's URL
        (``redirect_to_url`` when the confirmation named a ``return_url``, as Stripe does)."""
        token = secrets.token_urlsafe(18)
        url = f"{self.public_url}/_sandbox/3ds/{token}"
        self._challenges[token] = {
            "payment_intent": pi["id"],
            "payment_method": payment_method,
            "return_url": return_url,
        }
        pi["status"] = "requires_action"
        pi["payment_method"] = payment_method
        pi["last_payment_error"] = None
        if return_url:
            pi["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {"url": url, "return_url": return_url},
            }
        else:
            pi["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": url,
                    "source": _new_id("src"),
                },
            }
        self._emit("payment_intent.requires_action", pi, req)

    def challenge(self, token: str) -> JSON:
        """The PaymentIntent a pending 3-D Secure challenge is for (KeyError when none)."""
        with self._lock:
            found = self._challenges.get(token)
            if found is None:
                raise KeyError(token)
            return copy.deepcopy(self._payment_intents[found["payment_intent"]])

    def authenticate(self, token: str, *, succeed: bool) -> str | None:
        """The cardholder completes (or fails) a challenge: the payment goes through, or the
        PaymentIntent wants another payment method. Returns where Stripe sends the browser:
        the ``return_url`` with ``payment_intent``, ``payment_intent_client_secret`` and
        ``redirect_status`` added (None when the confirmation named no return_url)."""
        with self._lock:
            found = self._challenges.pop(token, None)
            if found is None:
                raise KeyError(token)
            pi = self._payment_intents[found["payment_intent"]]
            payment_method = str(found["payment_method"])
            if succeed:
                self._charge(pi, payment_method, self._card_for(payment_method), None)
            else:
                pi["status"] = "requires_payment_method"
                pi["payment_method"] = None
                pi["next_action"] = None
                pi["last_payment_error"] = {
                    "code": "payment_intent_authentication_failure",
                    "doc_url": "https://stripe.com/docs/error-codes/"
                    "payment-intent-authentication-failure",
                    "message": "The provided PaymentMethod has failed authentication. You can "
                    "provide payment_method_data or a new PaymentMethod to attempt to fulfill "
                    "this PaymentIntent again.",
                    "payment_method": {"id": payment_method, "object": "payment_method"},
                    "type": "invalid_request_error",
                }
                self._emit("payment_intent.payment_failed", pi)
            return_url = found["return_url"]
            if not return_url:
                return None
            return _with_query(
                str(return_url),
                {
                    "payment_intent": pi["id"],
                    "payment_intent_client_secret": pi["client_secret"],
                    "redirect_status": "succeeded" if succeed else "failed",
                },
            )

    # -- charges -------------------------------------------------------------------------

    def h_charge_get(self, req: _Request) -> JSON:
        charge = self._charges.get(req.groups[0])
        if charge is None:
            raise _no_such("charge", req.groups[0], param="charge")
        return self._render(charge, req.params)

    def h_charge_list(self, req: _Request) -> JSON:
        pi_id = _str_param(req.params, "payment_intent")
        group = _str_param(req.params, "transfer_group")
        items = [
            c
            for c in self._charges.values()
            if (pi_id is None or c["payment_intent"] == pi_id)
            and (group is None or c["transfer_group"] == group)
        ]
        return self._list(items, req.params, "/v1/charges")

    def _transferable(self, charge: JSON) -> int:
        moved = sum(
            t["amount"] - t["amount_reversed"]
            for t in self._transfers.values()
            if t["source_transaction"] == charge["id"]
        )
        return int(charge["amount_captured"] - charge["amount_refunded"] - moved)

    # -- transfers -----------------------------------------------------------------------

    def _get_transfer(self, transfer_id: str) -> JSON:
        transfer = self._transfers.get(transfer_id)
        if transfer is None:
            raise _no_such("transfer", transfer_id, param="transfer")
        return transfer

    def h_transfer_create(self, req: _Request) -> JSON:
        params = req.params
        amount = _amount_param(params, required=True)
        assert amount is not None
        currency = _currency_param(params)
        destination = _str_param(params, "destination", required=True)
        assert destination is not None
        account = self._accounts.get(destination)
        if account is None:
            raise _invalid(
                f"No such destination: '{destination}'",
                param="destination",
                code="resource_missing",
            )
        if account["capabilities"].get("transfers") != "active":
            raise _invalid(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                param="destination",
                code="insufficient_capabilities_for_transfer",
            )
        source = _str_param(params, "source_transaction")
        if source is not None:
            charge = self._charges.get(source)
            if charge is None:
                raise _no_such("charge", source, param="source_transaction", status=400)
            if charge["status"] != "succeeded":
                raise _invalid(
                    f"The source_transaction {source} has not succeeded; transfers can only "
                    "be funded by a succeeded charge.",
                    param="source_transaction",
                )
            if charge["currency"] != currency:
                raise _invalid(
                    f"The currency of source_transaction ({charge['currency']}) must match "
                    f"the transfer currency ({currency}).",
                    param="currency",
                )
            remaining = self._transferable(charge)
            if amount > remaining:
                raise _invalid(
                    f"The transfer amount ({amount}) exceeds the amount still available to "
                    f"transfer from source_transaction {source} ({remaining}).",
                    param="amount",
                    code="amount_too_large",
                )
        else:
            available = next(
                (b["amount"] for b in self._balance()["available"] if b["currency"] == currency),
                0,
            )
            if amount > available:
                raise _invalid(
                    "You have insufficient available funds in your Stripe account. Try adding "
                    "funds directly to your available balance by creating Charges using the "
                    "4000000000000077 test card.",
                    code="balance_insufficient",
                )
        transfer_id = _new_id("tr")
        transfer: JSON = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": _new_id("txn"),
            "created": _now(),
            "currency": currency,
            "description": _str_param(params, "description"),
            "destination": destination,
            "destination_payment": _new_id("py"),
            "livemode": False,
            "metadata": _apply_metadata({}, params.get("metadata")),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source,
            "source_type": _str_param(params, "source_type") or "card",
            "transfer_group": _str_param(params, "transfer_group"),
        }
        self._store(self._transfers, transfer)
        self._emit("transfer.created", transfer, req)
        return self._render(transfer, params)

    def h_transfer_get(self, req: _Request) -> JSON:
        return self._render(self._get_transfer(req.groups[0]), req.params)

    def h_transfer_list(self, req: _Request) -> JSON:
        group = _str_param(req.params, "transfer_group")
        destination = _str_param(req.params, "destination")
        items = [
            t
            for t in self._transfers.values()
            if (group is None or t["transfer_group"] == group)
            and (destination is None or t["destination"] == destination)
        ]
        return self._list(items, req.params, "/v1/transfers")

    def h_reversal_create(self, req: _Request) -> JSON:
        transfer = self._get_transfer(req.groups[0])
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining <= 0:
            raise _invalid(
                f"Transfer {transfer['id']} has already been fully reversed.",
                code="transfer_already_reversed",
            )
        amount = _amount_param(req.params, required=False)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise _invalid(
                f"Amount ({amount}) is greater than the amount remaining on the transfer "
                f"({remaining}).",
                param="amount",
                code="amount_too_large",
            )
        reversal: JSON = {
            "id": _new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": _new_id("txn"),
            "created": _now(),
            "currency": transfer["currency"],
            "destination_payment_refund": _new_id("pyr"),
            "metadata": _apply_metadata({}, req.params.get("metadata")),
            "source_refund": None,
            "transfer": transfer["id"],
        }
        self._store(self._reversals, reversal)
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].insert(0, copy.deepcopy(reversal))
        transfer["reversals"]["total_count"] += 1
        self._emit("transfer.reversed", transfer, req)
        return self._render(reversal, req.params)

    def h_reversal_list(self, req: _Request) -> JSON:
        transfer = self._get_transfer(req.groups[0])
        items = [r for r in self._reversals.values() if r["transfer"] == transfer["id"]]
        return self._list(items, req.params, f"/v1/transfers/{transfer['id']}/reversals")

    # -- refunds -------------------------------------------------------------------------

    def h_refund_create(self, req: _Request) -> JSON:
        params = req.params
        pi_id = _str_param(params, "payment_intent")
        charge_id = _str_param(params, "charge")
        if pi_id is None and charge_id is None:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                param="payment_intent",
            )
        if charge_id is not None:
            found = self._charges.get(charge_id)
            if found is None:
                raise _no_such("charge", charge_id, param="charge", status=400)
            charge = found
            if pi_id is not None and charge["payment_intent"] != pi_id:
                raise _invalid(
                    f"Charge {charge_id} does not belong to PaymentIntent {pi_id}.",
                    param="charge",
                )
        else:
            assert pi_id is not None
            pi = self._payment_intents.get(pi_id)
            if pi is None:
                raise _no_such("payment_intent", pi_id, param="payment_intent", status=400)
            latest = self._charges.get(pi["latest_charge"] or "")
            if pi["status"] != "succeeded" or latest is None:
                raise _invalid(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                    param="payment_intent",
                    code="charge_not_refundable",
                )
            charge = latest
        if charge["status"] != "succeeded":
            raise _invalid(
                f"Charge {charge['id']} has not succeeded and cannot be refunded.",
                code="charge_not_refundable",
            )
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        if remaining <= 0:
            raise _invalid(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _amount_param(params, required=False)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                param="amount",
                code="amount_too_large",
            )
        reason = _str_param(params, "reason")
        if reason is not None and reason not in (
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ):
            raise _invalid(f"Invalid reason: {reason}", param="reason")
        refund: JSON = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": _new_id("txn"),
            "charge": charge["id"],
            "created": _now(),
            "currency": charge["currency"],
            "metadata": _apply_metadata({}, params.get("metadata")),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "status": "succeeded",
        }
        self._store(self._refunds, refund)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        self._emit("refund.created", refund, req)
        self._emit("charge.refunded", charge, req, previous)
        return self._render(refund, params)

    def h_refund_get(self, req: _Request) -> JSON:
        refund = self._refunds.get(req.groups[0])
        if refund is None:
            raise _no_such("refund", req.groups[0], param="refund")
        return self._render(refund, req.params)

    def h_refund_list(self, req: _Request) -> JSON:
        pi_id = _str_param(req.params, "payment_intent")
        charge_id = _str_param(req.params, "charge")
        items = [
            r
            for r in self._refunds.values()
            if (pi_id is None or r["payment_intent"] == pi_id)
            and (charge_id is None or r["charge"] == charge_id)
        ]
        return self._list(items, req.params, "/v1/refunds")

    # -- events, balance -----------------------------------------------------------------

    def h_event_get(self, req: _Request) -> JSON:
        event = self._events.get(req.groups[0])
        if event is None:
            raise _no_such("event", req.groups[0])
        return self._render(event, req.params)

    def h_event_list(self, req: _Request) -> JSON:
        single = _str_param(req.params, "type")
        many = req.params.get("types")
        patterns = [single] if single else []
        if isinstance(many, list):
            patterns.extend(str(t) for t in many)

        def matches(event_type: str) -> bool:
            if not patterns:
                return True
            return any(
                event_type.startswith(p[:-1]) if p.endswith("*") else event_type == p
                for p in patterns
            )

        items = [e for e in self._events.values() if matches(e["type"])]
        return self._list(items, req.params, "/v1/events")

    def h_balance_get(self, req: _Request) -> JSON:
        return self._balance()


_ID = r"([A-Za-z0-9_]+)"


def _r(
    method: str, pattern: str, handler: _Handler, params: str | None, *, pk: bool = False
) -> _Route:
    """A route; ``params`` lists the accepted top-level parameters (``expand`` always)."""
    allowed = None if params is None else frozenset({"expand", *params.split()})
    return _Route(method, re.compile(f"^{pattern}$"), handler, allowed, pk)


_LIST = "limit starting_after ending_before created"
_PI_CONFIRM = (
    "allowed_payment_method_types excluded_payment_method_types capture_method "
    "confirmation_token error_on_requires_action mandate mandate_data off_session "
    "payment_method payment_method_data payment_method_options payment_method_types "
    "radar_options receipt_email return_url setup_future_usage shipping use_stripe_sdk"
)
_S = StripeSandbox

ROUTES: list[_Route] = [
    _r(
        "POST",
        "/v1/accounts",
        _S.h_account_create,
        "account_token business_profile business_type capabilities company controller country "
        "default_currency documents email external_account groups individual metadata "
        "settings tos_acceptance type",
    ),
    _r("GET", "/v1/accounts", _S.h_account_list, _LIST),
    _r("GET", f"/v1/accounts/{_ID}", _S.h_account_get, ""),
    _r(
        "POST",
        f"/v1/accounts/{_ID}",
        _S.h_account_update,
        "business_profile business_type capabilities company default_currency email "
        "external_account individual metadata settings tos_acceptance",
    ),
    _r("POST", f"/v1/accounts/{_ID}/login_links", _S.h_login_link_create, ""),
    _r(
        "POST",
        "/v1/account_links",
        _S.h_account_link_create,
        "account collect collection_options refresh_url return_url type",
    ),
    _r(
        "POST",
        "/v1/payment_intents",
        _S.h_pi_create,
        f"{_PI_CONFIRM} amount amount_details application_fee_amount automatic_payment_methods "
        "confirm confirmation_method currency customer description metadata on_behalf_of "
        "payment_method_configuration statement_descriptor statement_descriptor_suffix "
        "transfer_data transfer_group",
    ),
    _r(
        "POST",
        "/v1/payment_methods",
        _S.h_pm_create,
        "allow_redisplay billing_details card metadata type payment_user_agent time_on_page "
        "guid muid sid",
        pk=True,
    ),
    _r("GET", f"/v1/payment_methods/{_ID}", _S.h_pm_get, ""),
    _r("GET", "/v1/payment_intents", _S.h_pi_list, f"{_LIST} customer"),
    _r("GET", f"/v1/payment_intents/{_ID}", _S.h_pi_get, "client_secret", pk=True),
    _r(
        "POST",
        f"/v1/payment_intents/{_ID}",
        _S.h_pi_update,
        "amount description metadata payment_method receipt_email transfer_group "
        "setup_future_usage shipping statement_descriptor",
    ),
    _r(
        "POST",
        f"/v1/payment_intents/{_ID}/confirm",
        _S.h_pi_confirm,
        f"{_PI_CONFIRM} client_secret",
        pk=True,
    ),
    _r("POST", f"/v1/payment_intents/{_ID}/cancel", _S.h_pi_cancel, "cancellation_reason"),
    _r("GET", "/v1/charges", _S.h_charge_list, f"{_LIST} payment_intent transfer_group customer"),
    _r("GET", f"/v1/charges/{_ID}", _S.h_charge_get, ""),
    _r(
        "POST",
        "/v1/transfers",
        _S.h_transfer_create,
        "amount currency description destination metadata source_transaction source_type "
        "transfer_group",
    ),
    _r("GET", "/v1/transfers", _S.h_transfer_list, f"{_LIST} transfer_group destination"),
    _r("GET", f"/v1/transfers/{_ID}", _S.h_transfer_get, ""),
    _r(
        "POST",
        f"/v1/transfers/{_ID}/reversals",
        _S.h_reversal_create,
        "amount description metadata refund_application_fee",
    ),
    _r("GET", f"/v1/transfers/{_ID}/reversals", _S.h_reversal_list, _LIST),
    _r(
        "POST",
        "/v1/refunds",
        _S.h_refund_create,
        "amount charge currency instructions_email metadata origin payment_intent reason "
        "refund_application_fee reverse_transfer",
    ),
    _r("GET", "/v1/refunds", _S.h_refund_list, f"{_LIST} payment_intent charge"),
    _r("GET", f"/v1/refunds/{_ID}", _S.h_refund_get, ""),
    _r("GET", "/v1/events", _S.h_event_list, f"{_LIST} type types delivery_success"),
    _r("GET", f"/v1/events/{_ID}", _S.h_event_get, ""),
    _r("GET", "/v1/balance", _S.h_balance_get, ""),
]


# --------------------------------------------------------------------------------------
# HTTP layer


class _Response:
    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


def _json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> _Response:
    return _Response(status, json.dumps(data, indent=2).encode("utf-8"), headers=headers)


class _Drop(Exception):
    """Close the connection without answering (simulated timeout)."""


class _SandboxHandler(BaseHTTPRequestHandler):
    sandbox: StripeSandbox
    protocol_version = "HTTP/1.1"
    server_version = "stripe-sandbox/1.0"
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms per request on a kept-alive connection).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        if self.sandbox.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._send(_Response(204, b"", "text/plain"))

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, response: _Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, Idempotency-Key, Stripe-Version",
        )
        self.send_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
        self.send_header("Stripe-Version", API_VERSION)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        split = urllib.parse.urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        body = self._read_body()
        try:
            if path.startswith("/_sandbox"):
                response = self._control(method, path, split.query, body)
            elif path.startswith("/v1/") or path == "/v1":
                response = self._api(method, path, split.query, body)
            elif path == "/v3" and method == "GET":  # the Stripe.js stand-in
                response = _Response(
                    200,
                    stripe_js.script(self.sandbox.public_url),
                    "application/javascript; charset=utf-8",
                    {"Cache-Control": "no-cache"},
                )
            else:
                response = _json_response(
                    404,
                    _invalid(f"Unrecognized request URL ({method}: {path}).").body(),
                )
        except _Drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        except Exception as exc:  # a bug in the sandbox: answer like Stripe's 500
            err = StripeError(500, "api_error", f"Sandbox internal error: {exc!r}")
            response = _json_response(500, err.body())
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._send(response)

    # -- Stripe API ----------------------------------------------------------------------

    def _api_key(self, query_params: JSON, body_params: JSON) -> str | None:
        header = self.headers.get("Authorization") or ""
        if header.startswith("Bearer "):
            return header[len("Bearer ") :].strip() or None
        if header.startswith("Basic "):
            with contextlib.suppress(Exception):
                decoded = base64.b64decode(header[len("Basic ") :]).decode("utf-8")
                return decoded.split(":", 1)[0] or None
        key = body_params.get("key") or query_params.get("key")
        return key if isinstance(key, str) and key else None

    def _api(self, method: str, path: str, query: str, body: bytes) -> _Response:
        request_id = _new_id("req", 14)
        base_headers = {"Request-Id": request_id}
        try:
            query_params = parse_params(urllib.parse.parse_qsl(query, keep_blank_values=True))
            body_params = parse_params(
                urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            )
        except StripeError as parse_error:
            return _json_response(parse_error.status, parse_error.body(), base_headers)
        api_key = self._api_key(query_params, body_params)
        if api_key is None:
            err = StripeError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.",
            )
            return _json_response(401, err.body(), base_headers)
        publishable = api_key.startswith("pk_test_")
        if not (api_key.startswith(("sk_test_", "rk_test_")) or publishable):
            masked = api_key[:8] + "*" * max(0, len(api_key) - 12) + api_key[-4:]
            err = StripeError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {masked}",
                code="api_key_invalid" if not api_key.startswith("sk_live_") else None,
            )
            return _json_response(401, err.body(), base_headers)

        params = body_params if method == "POST" else query_params
        params.pop("key", None)
        route, groups = self._match(method, path)
        if route is None:
            err = _invalid(f"Unrecognized request URL ({method}: {path}).")
            return _json_response(404, err.body(), base_headers)
        if publishable and not route.publishable_ok:
            err = StripeError(
                401,
                "invalid_request_error",
                "This API call cannot be made with a publishable API key. Please use a secret "
                "API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys.",
                code="secret_key_required",
            )
            return _json_response(401, err.body(), base_headers)

        fault = self._take_fault(method, path)
        if fault is not None and not fault.process:
            return self._fault_response(fault, base_headers)

        idempotency_key = self.headers.get("Idempotency-Key") if method == "POST" else None
        req = _Request(
            method=method,
            path=path,
            params=params,
            api_key=api_key,
            publishable=publishable,
            request_id=request_id,
            idempotency_key=idempotency_key,
            groups=groups,
            headers=dict(self.headers.items()),
        )
        response = self._execute(route, req, base_headers)
        if fault is not None:
            return self._fault_response(fault, base_headers)
        return response

    def _match(self, method: str, path: str) -> tuple[_Route | None, tuple[str, ...]]:
        for route in ROUTES:
            if route.method != method:
                continue
            match = route.pattern.match(path)
            if match:
                return route, tuple(match.groups())
        return None, ()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.sandbox._lock:
            for fault in self.sandbox._faults:
                if fault.count <= 0:
                    continue
                if fault.path_prefix and not path.startswith(fault.path_prefix):
                    continue
                if fault.method and fault.method != method:
                    continue
                fault.count -= 1
                self.sandbox._faults = [f for f in self.sandbox._faults if f.count > 0]
                return fault
        return None

    def _fault_response(self, fault: Fault, headers: dict[str, str]) -> _Response:
        if fault.kind == "timeout":
            seconds = fault.seconds if fault.seconds is not None else self.sandbox.timeout_seconds
            self.sandbox._stopping.wait(seconds)
            raise _Drop()
        if fault.kind == "rate_limit":
            err = StripeError(
                429,
                "rate_limit_error",
                "Too many requests hit the API too quickly. We recommend an exponential "
                "backoff of your requests.",
                code="rate_limit",
            )
            return _json_response(429, err.body(), headers)
        err = StripeError(
            500,
            "api_error",
            "An unknown error occurred",
        )
        return _json_response(500, err.body(), headers)

    def _execute(self, route: _Route, req: _Request, headers: dict[str, str]) -> _Response:
        sandbox = self.sandbox
        with sandbox._lock:
            scope: tuple[str, str] | None = None
            fingerprint = json.dumps(req.params, sort_keys=True)
            if req.idempotency_key:
                scope = (req.api_key, req.idempotency_key)
                saved = sandbox._idempotency.get(scope)
                if saved is not None:
                    if saved["method"] != req.method or saved["path"] != req.path:
                        err = StripeError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used for the same "
                            "endpoint they were first used for "
                            f"('{saved['method']} {saved['path']}' vs "
                            f"'{req.method} {req.path}'). Try using a key other than "
                            f"'{req.idempotency_key}' if you meant to execute a different "
                            "request.",
                        )
                        return _json_response(400, err.body(), headers)
                    if saved["fingerprint"] != fingerprint:
                        err = StripeError(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{req.idempotency_key}' if you meant to execute a different "
                            "request.",
                        )
                        return _json_response(400, err.body(), headers)
                    replay_headers = {
                        **headers,
                        "Idempotency-Key": req.idempotency_key,
                        "Idempotent-Replayed": "true",
                        "Original-Request": saved["request_id"],
                    }
                    body = zlib.decompress(saved["body"])
                    return _Response(saved["status"], body, headers=replay_headers)
            try:
                sandbox._check_params(route, req)
                result = route.handler(sandbox, req)
                status, body, persist = 200, json.dumps(result, indent=2).encode(), True
            except StripeError as err:
                status = err.status
                body = json.dumps(err.body(), indent=2).encode()
                persist = err.persist
                headers = {**headers, **err.headers}
            if scope is not None and persist:
                sandbox._idempotency[scope] = {
                    "fingerprint": fingerprint,
                    "method": req.method,
                    "path": req.path,
                    "status": status,
                    # compressed: replayed rarely, kept for ever (a few KiB per request)
                    "body": zlib.compress(body, 6),
                    "request_id": req.request_id,
                }
        if req.idempotency_key:
            headers = {**headers, "Idempotency-Key": req.idempotency_key}
        return _Response(status, body, headers=headers)

    # -- control endpoints ---------------------------------------------------------------

    def _control(self, method: str, path: str, query: str, body: bytes) -> _Response:
        sandbox = self.sandbox
        qs = dict(urllib.parse.parse_qsl(query))
        parts = path.split("/")[2:]  # after "_sandbox"

        def payload() -> JSON:
            if not body:
                return {}
            try:
                data = json.loads(body)
            except json.JSONDecodeError:
                data = dict(urllib.parse.parse_qsl(body.decode("utf-8")))
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            return data

        try:
            if method == "GET" and parts in ([], ["health"]):
                return _json_response(200, {"ok": True, "url": sandbox.url})
            if method == "GET" and parts == ["state"]:
                only = qs.get("only")
                return _json_response(200, sandbox.state(only.split(",") if only else None))
            if method == "GET" and parts == ["deliveries"]:
                return _json_response(200, sandbox.deliveries(qs.get("event_id")))
            if method == "POST" and parts == ["reset"]:
                sandbox.reset()
                return _json_response(200, {"ok": True})
            if parts == ["fail"]:
                if method == "DELETE":
                    sandbox.clear_faults()
                    return _json_response(200, {"faults": []})
                if method == "POST":
                    data = payload()
                    seconds = data.get("seconds")
                    sandbox.fail(
                        count=int(data.get("count", 1)),
                        kind=str(data.get("kind", "500")),
                        path_prefix=data.get("path_prefix") or None,
                        method=data.get("method") or None,
                        seconds=float(seconds) if seconds is not None else None,
                        process=bool(data.get("process", False)),
                    )
                with sandbox._lock:
                    faults = [asdict(f) for f in sandbox._faults]
                return _json_response(200, {"faults": faults})
            if method == "POST" and parts == ["webhook"]:
                data = payload()
                sandbox.set_webhook(data.get("url"), data.get("secret"))
                return _json_response(
                    200, {"url": sandbox.webhook_url, "secret": sandbox.webhook_secret}
                )
            if (
                method == "POST"
                and len(parts) == 3
                and parts[0] == "events"
                and parts[2] == "resend"
            ):
                try:
                    sandbox.resend(parts[1])
                except KeyError:
                    return _json_response(404, _no_such("event", parts[1]).body())
                return _json_response(200, {"event_id": parts[1], "queued": True})
            if method == "GET" and len(parts) == 2 and parts[0] == "receipts":
                return self._receipt_page(parts[1])
            if method == "GET" and len(parts) == 2 and parts[0] == "express":
                return self._express_page(parts[1])
            if method == "GET" and len(parts) == 2 and parts[0] == "onboard":
                return self._onboard_page(parts[1], qs)
            if len(parts) == 2 and parts[0] == "3ds" and method in ("GET", "POST"):
                outcome = payload().get("outcome") if method == "POST" else None
                return self._challenge_page(parts[1], outcome)
        except (ValueError, TypeError) as exc:
            return _json_response(
                400, {"error": {"type": "invalid_request_error", "message": str(exc)}}
            )
        return _json_response(404, _invalid(f"Unrecognized sandbox URL ({method}: {path}).").body())

    def _challenge_page(self, token: str, outcome: Any) -> _Response:
        """GET shows the 3-D Secure challenge; POST answers it and goes back to the shop."""
        page = "text/html; charset=utf-8"
        try:
            if outcome is None:
                pi = self.sandbox.challenge(token)
                return _Response(200, stripe_js.challenge_page(token, pi).encode(), page)
            if outcome not in ("complete", "fail"):
                raise ValueError("outcome must be complete or fail")
            succeeded = outcome == "complete"
            back = self.sandbox.authenticate(token, succeed=succeeded)
        except KeyError:
            return _Response(404, stripe_js.unknown_challenge_page(token).encode(), page)
        if back:
            return _Response(303, b"", "text/plain", {"Location": back})
        return _Response(200, stripe_js.finished_page(succeeded).encode(), page)

    def _receipt_page(self, charge_id: str) -> _Response:
        """A charge's receipt, as Stripe's `receipt_url` shows it to the payer."""
        page = "text/html; charset=utf-8"
        with self.sandbox._lock:
            charge = self.sandbox._charges.get(charge_id)
            found = dict(charge) if charge and charge.get("receipt_url") else None
        if found is None:
            body = (
                "<!doctype html><title>Unknown receipt</title>"
                f"<p>No such receipt: {html.escape(charge_id)}</p>"
            )
            return _Response(404, body.encode(), page)
        amount = f"{int(found['amount']) / 100:,.2f} {str(found['currency']).upper()}"
        refunded = int(found.get("amount_refunded") or 0)
        body = (
            "<!doctype html><meta charset=utf-8><title>Receipt</title>"
            f"<h1>Receipt</h1><p>Amount paid: <strong>{html.escape(amount)}</strong></p>"
            f"<p>Charge <code>{html.escape(charge_id)}</code>, "
            f"{html.escape(str(found.get('description') or ''))}</p>"
            + (f"<p>Refunded: {refunded / 100:,.2f}</p>" if refunded else "")
            + "<p>(Stripe sandbox)</p>"
        )
        return _Response(200, body.encode(), page)

    def _express_page(self, account_id: str) -> _Response:
        """Where a login link leads: the connected account's Express dashboard (a stand-in)."""
        account = self.sandbox._accounts.get(account_id)
        if account is None:
            page = (
                "<!doctype html><title>Unknown account</title>"
                f"<p>No such account: {html.escape(account_id)}</p>"
            )
            return _Response(404, page.encode(), "text/html; charset=utf-8")
        page = (
            "<!doctype html><meta charset=utf-8><title>Express dashboard</title>"
            f"<h1>Express dashboard</h1><p>Account <code>{html.escape(account_id)}</code> "
            "(Stripe sandbox).</p>"
        )
        return _Response(200, page.encode(), "text/html; charset=utf-8")

    def _onboard_page(self, account_id: str, qs: dict[str, str]) -> _Response:
        try:
            self.sandbox.complete_onboarding(account_id)
        except KeyError:
            page = (
                "<!doctype html><title>Unknown account</title>"
                f"<p>No such account: {html.escape(account_id)}</p>"
            )
            return _Response(404, page.encode(), "text/html; charset=utf-8")
        return_url = qs.get("return_url")
        if return_url:
            return _Response(302, b"", "text/plain", {"Location": return_url})
        page = (
            "<!doctype html><meta charset=utf-8><title>Onboarding complete</title>"
            f"<h1>Onboarding complete</h1><p>Account <code>{html.escape(account_id)}</code> "
            "can now receive transfers (Stripe sandbox).</p>"
        )
        return _Response(200, page.encode(), "text/html; charset=utf-8")


# --------------------------------------------------------------------------------------
# Standalone


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Stripe API sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET") or None)
    parser.add_argument("--timeout-seconds", type=float, default=2.0)
    parser.add_argument(
        "--webhook-retry-scale",
        type=float,
        default=DEFAULT_RETRY_SCALE,
        help="Stripe's 3-day webhook retry schedule times this (default 1/1440: 3 minutes)",
    )
    parser.add_argument("--public-url", default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    sandbox = StripeSandbox(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        timeout_seconds=args.timeout_seconds,
        webhook_retry_scale=args.webhook_retry_scale,
        public_url=args.public_url,
        verbose=args.verbose,
    )
    sandbox.start()
    print(f"Stripe sandbox listening on {sandbox.url}", flush=True)
    if sandbox.webhook_url:
        print(f"  webhooks -> {sandbox.webhook_url} (secret {sandbox.webhook_secret})", flush=True)
    sandbox.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

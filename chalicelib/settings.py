"""The one settings object: every environment variable the app reads is declared here.

Deployed stages get their settings from `.chalice/config.json` and the merged template, and their
secrets from the stage's Secrets Manager secret (its ARN in APP_SECRETS_ID, read through
Powertools Parameters by `chalicelib.secrets`). An environment variable of a secret's
name overrides the secret (the local twin and tests). The local twin sets all of it before it
loads the app, and creates the same secret in moto. Nothing else in the code reads `os.environ`.

Fail closed: nothing a deployed stage must be given has a default here — no secret, no URL, no
resource name. A stage missing any of them refuses to serve: the first invocation of every
function raises one `SettingsError` naming everything missing or malformed (never a value).
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import os
import threading
import time
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

HOUR = 3600
DAY = 24 * HOUR


class Windows(BaseModel):
    """Every waiting window of the flow, in seconds (every window is configuration)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    offer_seconds: int = Field(48 * HOUR, ge=1, validation_alias="OFFER_WINDOW_SECONDS")
    nda_seconds: int = Field(48 * HOUR, ge=1, validation_alias="NDA_WINDOW_SECONDS")
    funding_seconds: int = Field(72 * HOUR, ge=1, validation_alias="FUNDING_WINDOW_SECONDS")
    deadline_decision_seconds: int = Field(
        72 * HOUR, ge=1, validation_alias="DEADLINE_DECISION_WINDOW_SECONDS"
    )
    review_seconds: int = Field(7 * DAY, ge=1, validation_alias="REVIEW_WINDOW_SECONDS")
    payout_reminder_seconds: int = Field(DAY, ge=1, validation_alias="PAYOUT_REMINDER_SECONDS")
    # A payout or refund Stripe refused, or could not make through an outage, is retried
    # automatically this often (finance's `payout.retry` retries at once).
    payout_retry_seconds: int = Field(HOUR, ge=1, validation_alias="PAYOUT_RETRY_SECONDS")
    # The intern always has until the brief's deadline; a value here only caps that window
    # (tests and demos shorten it to seconds). 0: no cap, the production default.
    work_seconds: int = Field(0, ge=0, validation_alias="WORK_WINDOW_SECONDS")


class Settings(BaseModel):
    """Validated from the environment and the stage's secret (plain pydantic:
    pydantic-settings costs cold start). Build it with `load_settings`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = Field("dev", validation_alias="STAGE")
    region: str = Field("us-east-1", validation_alias="AWS_REGION")
    table_name: str = Field(validation_alias="TABLE_NAME", min_length=3)
    bucket_name: str = Field(validation_alias="DELIVERABLES_BUCKET", min_length=3)
    state_machine_arn: str = Field(
        validation_alias="STATE_MACHINE_ARN", pattern=r"^arn:aws[a-z-]*:states:.+:stateMachine:.+"
    )
    # The public address every link, email and redirect is built from.
    base_url: str = Field(validation_alias="BASE_URL", pattern=r"^https?://[^/\s]+")
    mail_from: str = Field(validation_alias="MAIL_FROM", pattern=r"@[^@\s]+\.[^@\s]+")
    finance_email: str = Field(validation_alias="FINANCE_EMAIL", pattern=r"^[^@\s]+@[^@\s]+$")

    # Secrets: from the stage's secret (APP_SECRETS_ID); an environment variable overrides.
    stripe_api_key: SecretStr = Field(validation_alias="STRIPE_API_KEY")
    stripe_webhook_secret: SecretStr = Field(validation_alias="STRIPE_WEBHOOK_SECRET")
    finance_webhook_secret: SecretStr = Field(validation_alias="FINANCE_WEBHOOK_SECRET")
    csrf_secret: SecretStr = Field(validation_alias="CSRF_SECRET")
    # Only the finance key's SHA-256 (hex) is configured, never the key itself.
    finance_api_key_sha256: str = Field(
        validation_alias="FINANCE_API_KEY_SHA256", pattern=r"^[0-9a-fA-F]{64}$"
    )
    # The asymmetric KMS key (id, ARN or alias) that signs completion certificates: the
    # template's alias, created in moto by the twin (chalicelib/adapters/signer.py).
    certificate_key_id: str = Field(validation_alias="CERTIFICATE_KEY_ID", min_length=1)
    # The SES configuration set every send names (its event destination publishes bounces and
    # complaints to SNS); the template and the twin both set it.
    ses_configuration_set: str = Field("", validation_alias="SES_CONFIGURATION_SET")

    stripe_api_base: str = Field("", validation_alias="STRIPE_API_BASE")
    # What the funding page hands the browser to confirm a payment with Stripe (public by design).
    stripe_publishable_key: str = Field(
        validation_alias="STRIPE_PUBLISHABLE_KEY", pattern=r"^pk_(test|live)_\w+"
    )
    # Where the funding page loads Stripe.js from (on the twin: the sandbox's stand-in, …/v3/).
    stripe_js_url: str = Field("https://js.stripe.com/v3/", validation_alias="STRIPE_JS_URL")
    # Empty: finance is told by email only.
    finance_webhook_url: str = Field("", validation_alias="FINANCE_WEBHOOK_URL")

    # The finance owners (issue 14): addresses, comma-separated, that get the `finance` and
    # `finance_owner` roles when they sign in; owners invite other finance users from the
    # finance page. Empty (the production default): nobody is a finance owner (fail closed).
    finance_owner_emails: str = Field("", validation_alias="FINANCE_OWNER_EMAILS")

    max_revision_rounds: int = Field(2, ge=0, le=10, validation_alias="MAX_REVISION_ROUNDS")
    finance_auto_approve_cents: int = Field(0, ge=0, validation_alias="FINANCE_AUTO_APPROVE_CENTS")
    platform_fee_bps: int = Field(1000, ge=0, le=10_000, validation_alias="PLATFORM_FEE_BPS")
    # Abuse limits on what creates records and sends mail (web/limits.py), per hour.
    rate_limit_per_ip: int = Field(30, ge=1, validation_alias="RATE_LIMIT_PER_IP_PER_HOUR")
    rate_limit_per_address: int = Field(5, ge=1, validation_alias="RATE_LIMIT_PER_ADDRESS_PER_HOUR")
    # Fair exposure (domain/exposure.py): offers one intern may receive in any rolling week.
    offers_per_intern_per_week: int = Field(3, ge=1, validation_alias="OFFERS_PER_INTERN_PER_WEEK")
    # A brief reopened for a late applicant whose run has not started this long after the
    # reopen is started by the `start_reopened_runs` schedule (services/late_applicants.py).
    reopen_start_grace_seconds: int = Field(
        300, ge=1, validation_alias="REOPEN_START_GRACE_SECONDS"
    )
    # How long an employer's manage link (`?key=` / Bearer manage token) opens its brief. Every
    # email carrying one issues a fresh token, so the latest email always holds a working link.
    manage_link_seconds: int = Field(
        30 * DAY, ge=60, validation_alias="MANAGE_LINK_LIFETIME_SECONDS"
    )
    local_twin: bool = Field(False, validation_alias="MICROINTERN_LOCAL")
    # boto3 reads this itself; pages only need it to allow the browser to reach S3 uploads.
    aws_endpoint_url: str = Field("", validation_alias="AWS_ENDPOINT_URL")
    windows: Windows = Field(default_factory=lambda: Windows.model_validate({}))

    @field_validator("stripe_api_key")
    @classmethod
    def _stripe_secret_key(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("sk_", "rk_")):
            raise ValueError("must be a Stripe secret or restricted key (sk_… or rk_…)")
        return value

    @field_validator("stripe_webhook_secret")
    @classmethod
    def _stripe_signing_secret(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith("whsec_"):
            raise ValueError("must be a Stripe webhook signing secret (whsec_…)")
        return value

    @field_validator("finance_webhook_secret")
    @classmethod
    def _standard_webhooks_secret(cls, value: SecretStr) -> SecretStr:
        encoded = value.get_secret_value().removeprefix("whsec_")
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) < 16:
            raise ValueError("must be a Standard Webhooks secret: whsec_ + base64 of ≥ 16 bytes")
        return value

    @field_validator("csrf_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (use a random value)")
        return value


# The keys of the stage's secret (AppSecrets in infrastructure/resources.json): only these are
# taken from it.
SECRET_NAMES = (
    "STRIPE_API_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "FINANCE_WEBHOOK_SECRET",
    "CSRF_SECRET",
    "FINANCE_API_KEY_SHA256",
)


class SettingsError(RuntimeError):
    """The stage is not configured: every missing or malformed name, in one message."""

    def __init__(self, missing: tuple[str, ...], invalid: Mapping[str, str]) -> None:
        self.missing = missing
        self.invalid = dict(invalid)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        parts.extend(f"{name}: {reason}" for name, reason in self.invalid.items())
        super().__init__(
            "microintern refuses to start: "
            + "; ".join(parts)
            + ". Secrets belong in the stage's Secrets Manager secret (APP_SECRETS_ID), other"
            " settings in the function's environment."
        )


def load_settings(environ: Mapping[str, str], max_age: int | None = None) -> Settings:
    """Settings from `environ` and, when APP_SECRETS_ID names it, the stage's secret (read
    through Powertools Parameters, cached for `max_age` seconds). Raises `SettingsError`.

    Blank values count as missing; surrounding whitespace (a pasted newline) is dropped.
    """
    invalid: dict[str, str] = {}
    values: dict[str, str] = {}
    secret_id = environ.get("APP_SECRETS_ID", "").strip()
    if secret_id:
        from chalicelib import secrets

        region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        try:
            stored = secrets.read_secret(
                secret_id, region, secrets.MAX_AGE_SECONDS if max_age is None else max_age
            )
        except secrets.SecretsUnavailable as exc:
            invalid["APP_SECRETS_ID"] = str(exc)
        else:
            values.update({k: v for k, v in stored.items() if k in SECRET_NAMES})
    values.update(environ)
    given = {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}
    missing: list[str] = []
    try:
        settings = Settings.model_validate({**given, "windows": given})
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False):
            name = str(error["loc"][-1]) if error["loc"] else "?"
            if error["type"] == "missing":
                missing.append(name)
            else:  # the message says what is wrong, never the value
                invalid[name] = str(error["msg"]).removeprefix("Value error, ")
    if missing or invalid:
        raise SettingsError(tuple(missing), invalid)
    return settings


_log = logging.getLogger(__name__)


class SettingsLoader:
    """Loads the settings once per process (per Lambda container) and again when the stage's
    secret is older than `max_age` seconds, so a rotated secret is picked up without a read per
    request. Thread-safe; `cache_clear()` forgets everything (tests, or a new container)."""

    def __init__(self, max_age: int | None = None) -> None:
        from chalicelib.secrets import MAX_AGE_SECONDS

        self.max_age = MAX_AGE_SECONDS if max_age is None else max_age
        self._settings: Settings | None = None
        self._fresh_until = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> Settings:
        settings = self._settings
        if settings is not None and time.monotonic() < self._fresh_until:
            return settings
        with self._lock:
            if self._settings is None or time.monotonic() >= self._fresh_until:
                self._load()
            assert self._settings is not None
            return self._settings

    def _load(self) -> None:
        environ = dict(os.environ)
        try:
            settings = load_settings(environ, self.max_age)
        except SettingsError:
            if self._settings is None:
                raise
            # A refresh failed after a good start: keep what was read, try again later.
            _log.warning("settings refresh failed; keeping the settings read before", exc_info=True)
            self._fresh_until = time.monotonic() + self.max_age
            return
        self._settings = settings
        secret = bool(environ.get("APP_SECRETS_ID", "").strip())
        self._fresh_until = time.monotonic() + (self.max_age if secret else math.inf)

    def cache_clear(self) -> None:
        from chalicelib import secrets

        with self._lock:
            self._settings = None
            self._fresh_until = 0.0
        secrets.reset()


get_settings = SettingsLoader()

"""The one settings object: every environment variable the app reads is declared here.

Deployed stages get these from `.chalice/config.json` and the merged template; the local twin
sets them before it loads the app. Nothing else in the code reads `os.environ`.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr

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
    """Validated from the environment (plain pydantic: pydantic-settings costs cold start)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = Field("dev", validation_alias="STAGE")
    region: str = Field("us-east-1", validation_alias="AWS_REGION")
    table_name: str = Field("microintern", validation_alias="TABLE_NAME", min_length=3)
    bucket_name: str = Field(
        "microintern-deliverables", validation_alias="DELIVERABLES_BUCKET", min_length=3
    )
    state_machine_arn: str = Field("", validation_alias="STATE_MACHINE_ARN")
    base_url: str = Field("http://127.0.0.1:8000", validation_alias="BASE_URL")
    mail_from: str = Field(
        "microintern <no-reply@microintern.example>", validation_alias="MAIL_FROM"
    )
    finance_email: str = Field("finance@microintern.example", validation_alias="FINANCE_EMAIL")

    stripe_api_key: SecretStr = Field(SecretStr("sk_test_local"), validation_alias="STRIPE_API_KEY")
    stripe_api_base: str = Field("", validation_alias="STRIPE_API_BASE")
    # What the funding page hands the browser to confirm a payment with Stripe (public by design).
    stripe_publishable_key: str = Field("pk_test_local", validation_alias="STRIPE_PUBLISHABLE_KEY")
    # Where the funding page loads Stripe.js from (on the twin: the sandbox's stand-in, …/v3/).
    stripe_js_url: str = Field("https://js.stripe.com/v3/", validation_alias="STRIPE_JS_URL")
    stripe_webhook_secret: SecretStr = Field(
        SecretStr("whsec_local"), validation_alias="STRIPE_WEBHOOK_SECRET"
    )
    finance_webhook_secret: SecretStr = Field(
        SecretStr("whsec_bG9jYWwtZmluYW5jZS1zZWNyZXQ="), validation_alias="FINANCE_WEBHOOK_SECRET"
    )
    finance_webhook_url: str = Field("", validation_alias="FINANCE_WEBHOOK_URL")
    finance_api_key_sha256: str = Field("", validation_alias="FINANCE_API_KEY_SHA256")
    csrf_secret: SecretStr = Field(SecretStr("local-csrf-secret"), validation_alias="CSRF_SECRET")

    max_revision_rounds: int = Field(2, ge=0, le=10, validation_alias="MAX_REVISION_ROUNDS")
    finance_auto_approve_cents: int = Field(0, ge=0, validation_alias="FINANCE_AUTO_APPROVE_CENTS")
    platform_fee_bps: int = Field(1000, ge=0, le=10_000, validation_alias="PLATFORM_FEE_BPS")
    local_twin: bool = Field(False, validation_alias="MICROINTERN_LOCAL")
    # boto3 reads this itself; pages only need it to allow the browser to reach S3 uploads.
    aws_endpoint_url: str = Field("", validation_alias="AWS_ENDPOINT_URL")
    windows: Windows = Field(default_factory=lambda: Windows.model_validate(dict(os.environ)))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Load once per process (per Lambda container)."""
    return Settings.model_validate(dict(os.environ))

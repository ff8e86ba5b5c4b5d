"""Unit layer: no AWS, every setting from the environment (the values below are test-only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

# A complete configuration for code that reads settings without the twin. Secrets are local
# test values, as the twin's live in local/twin.py: the app itself has no defaults for them.
UNIT_SETTINGS = {
    "STAGE": "test",
    "BASE_URL": "http://testserver",
    "TABLE_NAME": "microintern-test",
    "DELIVERABLES_BUCKET": "microintern-test-deliverables",
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:microintern-test",
    "MAIL_FROM": "microintern <no-reply@microintern.test>",
    "FINANCE_EMAIL": "finance@microintern.test",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_unit",
    "STRIPE_API_KEY": "sk_test_unit",
    "STRIPE_WEBHOOK_SECRET": "whsec_unit_tests",
    "FINANCE_WEBHOOK_SECRET": "whsec_dW5pdC10ZXN0cy1maW5hbmNlLXNlY3JldA==",
    "CSRF_SECRET": "unit-tests-csrf-secret",
    "FINANCE_API_KEY_SHA256": hashlib.sha256(b"unit-finance-key").hexdigest(),
}


@pytest.fixture(autouse=True)
def unit_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.settings import get_settings

    monkeypatch.delenv("APP_SECRETS_ID", raising=False)
    for name, value in UNIT_SETTINGS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

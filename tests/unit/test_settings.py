"""Settings fail closed: no committed secret defaults, and every missing name in one error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import TEST_SETTINGS

ROOT = Path(__file__).resolve().parents[2]

SECRETS = (
    "STRIPE_API_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "FINANCE_WEBHOOK_SECRET",
    "CSRF_SECRET",
    "FINANCE_API_KEY_SHA256",
)
# Everything a deployed function must be given: none of it may fall back to a local value.
REQUIRED = (
    *SECRETS,
    "BASE_URL",
    "STATE_MACHINE_ARN",
    "TABLE_NAME",
    "DELIVERABLES_BUCKET",
    "STRIPE_PUBLISHABLE_KEY",
    "MAIL_FROM",
    "FINANCE_EMAIL",
    "CERTIFICATE_KEY_ID",
)


def test_every_missing_setting_is_named_in_one_error() -> None:
    from chalicelib.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings({"STAGE": "prod", "AWS_REGION": "us-east-1"})

    assert set(caught.value.missing) == set(REQUIRED)
    message = str(caught.value)
    for name in REQUIRED:
        assert name in message


def test_one_missing_secret_is_named_alone() -> None:
    from chalicelib.settings import SettingsError, load_settings

    env = {**TEST_SETTINGS, "STAGE": "prod"}
    del env["STRIPE_WEBHOOK_SECRET"]
    with pytest.raises(SettingsError) as caught:
        load_settings(env)

    assert caught.value.missing == ("STRIPE_WEBHOOK_SECRET",)
    assert "STRIPE_WEBHOOK_SECRET" in str(caught.value)


def test_an_empty_value_counts_as_missing() -> None:
    from chalicelib.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings({**TEST_SETTINGS, "CSRF_SECRET": "", "BASE_URL": " "})

    assert set(caught.value.missing) == {"CSRF_SECRET", "BASE_URL"}


def test_malformed_values_are_named_but_never_shown() -> None:
    from chalicelib.settings import SettingsError, load_settings

    env = {
        **TEST_SETTINGS,
        "STRIPE_API_KEY": "pk_live_not_a_secret_key_0123",  # the publishable key, by mistake
        "FINANCE_API_KEY_SHA256": "the-raw-finance-key-0123",  # not its SHA-256
        "FINANCE_WEBHOOK_SECRET": "whsec_%%%not-base64%%%",
    }
    with pytest.raises(SettingsError) as caught:
        load_settings(env)

    assert set(caught.value.invalid) == {
        "STRIPE_API_KEY",
        "FINANCE_API_KEY_SHA256",
        "FINANCE_WEBHOOK_SECRET",
    }
    message = str(caught.value)
    for value in ("pk_live_not_a_secret_key_0123", "the-raw-finance-key-0123", "not-base64"):
        assert value not in message


def test_a_complete_environment_loads() -> None:
    from chalicelib.settings import load_settings

    settings = load_settings({**TEST_SETTINGS, "STAGE": "prod"})

    assert settings.stripe_webhook_secret.get_secret_value() == "whsec_tests"
    assert settings.csrf_secret.get_secret_value() == TEST_SETTINGS["CSRF_SECRET"]
    assert settings.base_url == "http://testserver"


def test_no_setting_that_must_be_given_has_a_default() -> None:
    from chalicelib.settings import Settings

    by_alias = {str(f.validation_alias): f for f in Settings.model_fields.values()}
    with_default = [name for name in REQUIRED if not by_alias[name].is_required()]
    assert with_default == []


LOCAL_LOOKING = re.compile(
    r"""["'](?:(?:sk|pk|rk)_(?:test|live)_\w+|whsec_\w+|[^"']*(?:127\.0\.0\.1|localhost)[^"']*"""
    r"""|[^"']*csrf-secret[^"']*|[^"']*@microintern\.example[^"'>]*>?)["']"""
)


def test_no_committed_secret_or_local_value_in_the_app() -> None:
    """Local values live in local/ (the twin) and tests/, never in what is deployed."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if LOCAL_LOOKING.search(line)
    ]
    assert found == []

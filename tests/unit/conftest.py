"""Unit layer: no AWS; every setting from the environment (`tests.helpers.TEST_SETTINGS`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import TEST_SETTINGS


@pytest.fixture(autouse=True)
def unit_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from chalicelib.settings import get_settings

    monkeypatch.delenv("APP_SECRETS_ID", raising=False)
    for name, value in TEST_SETTINGS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

"""Routes publish the metrics they record, and stay quiet when they record none."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from chalicelib.observability import flush_metrics, metrics


def test_recorded_metrics_are_published_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    metrics.clear_metrics()  # what earlier tests in this process recorded

    def handler(event: Any) -> str:
        metrics.add_metric(name="BriefsSubmitted", unit="Count", value=1)
        return "ok"

    assert flush_metrics({}, handler) == "ok"

    published = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert [p.get("BriefsSubmitted") for p in published] == [[1.0]]
    assert metrics.metric_set == {}


def test_no_metrics_no_output_and_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.clear_metrics()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert flush_metrics({}, lambda event: "ok") == "ok"

    assert capsys.readouterr().out == ""
    assert not [w for w in caught if "metrics" in str(w.message)]

"""Property: whatever JSON arrives, the public endpoints answer 4xx or 2xx — never 5xx — and a
rejected request changes nothing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import load_event
from tests.integration.conftest import sent_emails

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4)
    ),
    max_leaves=12,
)
BRIEF_FIELDS = list(load_event("brief"))


def brief_like() -> st.SearchStrategy[dict[str, Any]]:
    """A valid brief with some fields replaced by arbitrary JSON, or removed."""
    return st.builds(
        lambda changes, removed: {
            **{k: v for k, v in load_event("brief").items() if k not in removed},
            **changes,
        },
        st.dictionaries(st.sampled_from(BRIEF_FIELDS), JSON_VALUES, max_size=3),
        st.sets(st.sampled_from(BRIEF_FIELDS), max_size=2),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(JSON_VALUES, brief_like()))
def test_brief_api_never_fails_on_any_json(client: Any, aws_env: dict[str, str], body: Any) -> None:
    response = client.http.post(
        "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )

    assert response.status_code in (201, 400, 422), response.body
    if response.status_code != 201:
        assert response.json_body["errors"][0]["message"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=JSON_VALUES)
def test_intern_and_task_apis_never_fail_on_any_json(
    client: Any, aws_env: dict[str, str], body: Any
) -> None:
    before = len(sent_emails())
    for path in ("/api/interns", "/api/tasks/" + "x" * 43 + "/accept"):
        response = client.http.post(
            path, headers={"Content-Type": "application/json"}, body=json.dumps(body)
        )
        assert response.status_code < 500, (path, response.body)
    if not isinstance(body, dict) or "email" not in body:
        assert len(sent_emails()) == before

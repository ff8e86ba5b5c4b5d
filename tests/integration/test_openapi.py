"""GET /openapi.json: a valid OpenAPI 3.1 document of every public JSON route, whose request
schemas say what the API's validation says."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.helpers import load_event

JSON_PREFIXES = ("/api/", "/webhooks/")
JSON_ROUTES = {"/health", "/openapi.json", "/.well-known/microintern-keys.json"}


def _document(client: Any) -> dict[str, Any]:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/json"
    return dict(json.loads(response.body))


def _validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    """A JSON Schema validator for components/schemas/<name>, refs resolved in the doc."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_document_is_valid_openapi_3_1(client: Any) -> None:
    import schemathesis
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    doc = _document(client)

    assert doc["openapi"].startswith("3.1")
    validate(doc, cls=OpenAPIV31SpecValidator)
    schema = schemathesis.openapi.from_dict(doc)
    assert len(list(schema.get_all_operations())) == sum(len(p) for p in doc["paths"].values())
    assert doc["servers"] == [{"url": "http://testserver"}]


def test_every_public_json_route_is_documented_and_nothing_else(client: Any) -> None:
    from app import app
    from chalicelib.web.openapi import TASK_ACTIONS

    doc = _document(client)
    routes = {
        (path.replace("{action}", action), method.lower())
        for path, methods in app.routes.items()
        if path.startswith(JSON_PREFIXES) or path in JSON_ROUTES
        for method in methods
        for action in (TASK_ACTIONS if path == "/api/tasks/{token}/{action}" else ("",))
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}

    assert routes - documented == set(), "document these routes in chalicelib/web/openapi.py"
    assert documented - routes == set(), "documented, but app.py has no such route"
    assert ("/api/tasks/{token}/deliver", "post") in documented


def test_every_operation_documents_its_errors_in_the_contract_shape(client: Any) -> None:
    doc = _document(client)
    error = {"$ref": "#/components/schemas/ErrorResponse"}

    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            statuses = {int(code) for code in op["responses"]}
            if path not in JSON_ROUTES:
                assert 503 in statuses, (path, method)  # a throttled store, on every route
            if method == "post":
                assert 400 in statuses, (path, method)  # a body that is not a JSON object
            for code, response in op["responses"].items():
                if int(code) >= 400:
                    assert response["content"]["application/json"]["schema"] == error


def test_security_schemes_guard_the_employer_and_finance_routes(client: Any) -> None:
    doc = _document(client)
    schemes = doc["components"]["securitySchemes"]

    assert schemes["manageToken"] == {**schemes["manageToken"], "type": "http", "scheme": "bearer"}
    assert schemes["financeKey"]["scheme"] == "bearer"
    assert schemes["financeSession"] == {**schemes["financeSession"], "in": "cookie"}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            wanted = (
                "manageToken"
                if path.startswith("/api/briefs/")
                else "financeKey"
                if path.startswith("/api/finance/")
                else None
            )
            got = [next(iter(item)) for item in op.get("security", [])]
            if wanted == "financeKey":  # or the finance page's session cookie
                assert got == [wanted, "financeSession"], path
            elif wanted:
                # or an API key of the brief's organisation, or a member's session (issue 14)
                assert got == [wanted, "apiKey", "session"], path


def test_documented_task_actions_are_the_ones_the_api_runs(client: Any) -> None:
    doc = _document(client)
    token = "x" * 43
    headers = {"Content-Type": "application/json"}
    actions = [  # the `{action}` routes (messages have their own: test_messages.py)
        p.rsplit("/", 1)[1]
        for p in doc["paths"]
        if p.startswith("/api/tasks/{token}/") and p.count("/") == 4 and "messages" not in p
    ]

    for action in actions:
        response = client.http.post(f"/api/tasks/{token}/{action}", headers=headers, body="{}")
        assert "Unknown action" not in response.body.decode(), action
    unknown = client.http.post(f"/api/tasks/{token}/sign", headers=headers, body="{}")
    assert unknown.status_code == 422
    assert "Unknown action" in unknown.json_body["errors"][0]["message"]


def test_the_brief_schema_accepts_what_the_api_accepts_and_bounds_what_it_bounds(
    client: Any,
) -> None:
    from chalicelib.domain import brief as rules

    doc = _document(client)
    schema = _validator(doc, "BriefInput")
    sample = load_event("brief")
    assert list(schema.iter_errors(sample)) == []

    too_long = {**sample, "title": "x" * (rules.TITLE_MAX + 1)}
    too_few_hours = {**sample, "estimated_hours": rules.HOURS_MIN - 1}
    no_skills = {**sample, "skills": []}
    unknown_field = {**sample, "colour": "blue"}
    for bad in (too_long, too_few_hours, no_skills, unknown_field):
        assert list(schema.iter_errors(bad)), bad
        response = client.http.post(
            "/api/briefs", headers={"Content-Type": "application/json"}, body=json.dumps(bad)
        )
        assert response.status_code == 422, (bad, response.body)


def test_the_intern_schema_accepts_a_valid_registration(client: Any) -> None:
    doc = _document(client)
    intern = {
        "name": "Sam Student",
        "email": "sam@students.example",
        "skills": ["Excel"],
        "bio": "Student analyst who loves market research.",
        "hours_per_week": 10,
        "timezone": "Europe/Berlin",
    }
    assert list(_validator(doc, "InternInput").iter_errors(intern)) == []
    short_bio = {**intern, "bio": "short"}
    assert list(_validator(doc, "InternInput").iter_errors(short_bio))


@pytest.mark.parametrize("path", ["/api/briefs", "/api/interns"])
def test_answers_match_the_documented_schemas(client: Any, path: str) -> None:
    """A created resource, and a refused one, answer in the documented shapes."""
    doc = _document(client)
    body: dict[str, Any] = (
        load_event("brief")
        if path == "/api/briefs"
        else {
            "name": "Sam Student",
            "email": "sam@students.example",
            "skills": ["Excel"],
            "bio": "Student analyst who loves market research.",
            "hours_per_week": 10,
            "timezone": "Europe/Berlin",
        }
    )
    headers = {"Content-Type": "application/json"}
    created = client.http.post(path, headers=headers, body=json.dumps(body))
    refused = client.http.post(path, headers=headers, body=json.dumps({**body, "skills": []}))

    responses = doc["paths"][path]["post"]["responses"]
    for answer in (created, refused):
        schema = copy.deepcopy(responses[str(answer.status_code)])
        schema = schema["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[1]
        assert list(_validator(doc, name).iter_errors(answer.json_body)) == [], answer.body
    if path == "/api/briefs":
        brief = created.json_body
        view = client.http.get(
            f"/api/briefs/{brief['brief_id']}",
            headers={"Authorization": f"Bearer {brief['manage_token']}"},
        )
        assert view.status_code == 200
        assert list(_validator(doc, "BriefView").iter_errors(view.json_body)) == []


@pytest.mark.parametrize(
    ("path", "schema"), [("/api/briefs", "BriefInput"), ("/api/interns", "InternInput")]
)
def test_the_documented_examples_are_accepted(client: Any, path: str, schema: str) -> None:
    doc = _document(client)
    example = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]

    assert list(_validator(doc, schema).iter_errors(example)) == []
    response = client.http.post(
        path, headers={"Content-Type": "application/json"}, body=json.dumps(example)
    )
    assert response.status_code == 201, response.body

"""The infrastructure template and its state machines, read from the files in this repository.

Used by `make package` (the merge template Chalice deploys) and by the local twin (which
provisions the same resources in moto), so there is one list of resources, not two.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infrastructure" / "resources.json"
DEFINITION_FILE_KEY = "microintern:definition-file"


def load_template() -> dict[str, Any]:
    return dict(json.loads(TEMPLATE.read_text()))


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res
        for name, res in template["Resources"].items()
        if res.get("Type") == "AWS::StepFunctions::StateMachine"
    }


def definition_of(resource: dict[str, Any]) -> dict[str, Any]:
    """The ASL document a state machine resource names in its metadata."""
    path = ROOT / resource["Metadata"][DEFINITION_FILE_KEY]
    return dict(json.loads(path.read_text()))


def merge_template(stage: str | None = None, app: Any = None) -> dict[str, Any]:
    """The template handed to `chalice package --merge-template`: definitions inlined.

    With `stage`, the `Stage` parameter is fixed to it (its IAM policy files name that stage's
    resources). With the Chalice `app`, every function gets its name, `microintern-<stage>-
    <name>` (the names its policies and log groups use), and an SNS subscription whose topic a
    resource of ours declares (`microintern:chalice-sns-topic` metadata) is pointed at it.
    Chalice deep-merges dicts, so a Topic is overridden by another `Fn::Sub`, not by a `Ref`.
    """
    template = load_template()
    for resource in state_machines(template).values():
        resource["Properties"]["Definition"] = definition_of(resource)
    if stage is not None:
        template["Parameters"]["Stage"]["Default"] = stage
        template["Parameters"]["Stage"]["AllowedValues"] = [stage]
    if app is not None:
        resources = template["Resources"]
        for logical, override in function_overrides(app, resources).items():
            _deep_merge(resources.setdefault(logical, {}), override)
    return template


API_THROTTLE = {
    "ResourcePath": "/*",
    "HttpMethod": "*",
    "ThrottlingRateLimit": 50,  # requests per second, steady
    "ThrottlingBurstLimit": 100,
}


def function_overrides(app: Any, resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-function additions to Chalice's generated resources, by logical id."""
    from chalice.app import SNSEventConfig
    from chalice.utils import to_cfn_resource_name

    names = {"APIHandler": "api_handler"} if app.routes else {}
    names.update({to_cfn_resource_name(f.name): f.name for f in app.pure_lambda_functions})
    names.update({to_cfn_resource_name(s.name): s.name for s in app.event_sources})
    overrides: dict[str, dict[str, Any]] = {
        logical: {"Properties": {"FunctionName": {"Fn::Sub": f"microintern-${{Stage}}-{name}"}}}
        for logical, name in names.items()
    }
    if app.routes:
        # Chalice names the API handler's log group after `ApiHandler`, a resource it calls
        # `APIHandler` (config `log_retention_in_days` is set for every stage).
        overrides["ApiHandlerLogGroup"] = {
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"}}
        }
        # The stage's throttle caps the whole API's request rate (API Gateway answers 429);
        # web/limits.py caps what one sender or one address can make the platform do.
        overrides["RestAPI"] = {"Properties": {"MethodSettings": [API_THROTTLE]}}
    topics = {
        res["Metadata"]["microintern:chalice-sns-topic"]: logical
        for logical, res in resources.items()
        if res.get("Type") == "AWS::SNS::Topic"
        and "microintern:chalice-sns-topic" in res.get("Metadata", {})
    }
    for source in app.event_sources:
        if isinstance(source, SNSEventConfig) and source.topic in topics:
            event = to_cfn_resource_name(f"{source.name}-sns-subscription")
            topic = {"Fn::Sub": "${" + topics[source.topic] + "}"}
            events = {event: {"Properties": {"Topic": topic}}}
            overrides[to_cfn_resource_name(source.name)]["Properties"]["Events"] = events
    return overrides


def _deep_merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def substitute(text: str, values: dict[str, str]) -> str:
    """Apply DefinitionSubstitutions the way Step Functions does (`${Name}` placeholders)."""

    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"no substitution for ${{{key}}}")
        return values[key]

    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", repl, text)


class Resolver:
    """Evaluates the few intrinsic functions the template uses, for the local twin."""

    def __init__(self, template: dict[str, Any], params: dict[str, str], attrs: dict[str, str]):
        self.params = {
            name: str(spec.get("Default", ""))
            for name, spec in template.get("Parameters", {}).items()
        }
        self.params.update(params)
        self.mappings: dict[str, Any] = template.get("Mappings", {})
        # Ref of a resource and GetAtt X.Arn are supplied by the caller once resources exist.
        self.attrs = attrs

    def __call__(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.params[arg] if arg in self.params else self.attrs[arg]
            if key == "Fn::FindInMap":
                name, top, second = self(arg)
                return self.mappings[name][top][second]
            if key == "Fn::GetAtt":
                return self.attrs[f"{arg[0]}.{arg[1]}"]
            if key == "Fn::Sub":
                return substitute_ref(arg, self)
        return {k: self(v) for k, v in node.items()}


def substitute_ref(text: str, resolver: Resolver) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if "." in key:
            return resolver.attrs[key]
        return resolver.params.get(key) or resolver.attrs[key]

    return re.sub(r"\$\{([A-Za-z0-9_:.]+)\}", repl, text)

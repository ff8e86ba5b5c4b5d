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
        if res["Type"] == "AWS::StepFunctions::StateMachine"
    }


def definition_of(resource: dict[str, Any]) -> dict[str, Any]:
    """The ASL document a state machine resource names in its metadata."""
    path = ROOT / resource["Metadata"][DEFINITION_FILE_KEY]
    return dict(json.loads(path.read_text()))


def merge_template() -> dict[str, Any]:
    """The template handed to `chalice package --merge-template`: definitions inlined."""
    template = load_template()
    for resource in state_machines(template).values():
        resource["Properties"]["Definition"] = definition_of(resource)
    return template


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
                return self.params.get(arg) or self.attrs[arg]
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

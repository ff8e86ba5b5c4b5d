"""The packaged SAM template expanded into plain CloudFormation, the way the deploy expands it.

    python -m infrastructure.expand build/package/sam.json build/package/expanded.json

cfn-lint checks a SAM template against SAM's own schemas; rules such as W3037 (IAM actions
that do not exist) only see the roles and policies after the transform. `make validate`
lints both files. Runs offline: the code location is a placeholder S3 URI (the deploy's
`aws cloudformation package` uploads the real one) and no managed policies are looked up.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

REGION = "us-east-1"


def expand(sam: dict[str, Any], region: str = REGION) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(sam)
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = "s3://deployment-bucket/deployment.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    expanded: dict[str, Any] = translator.translate(
        template, parameter_values={}, get_managed_policy_map=dict
    )
    return expanded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sam", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    expanded = expand(json.loads(args.sam.read_text()))
    args.out.write_text(json.dumps(expanded, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make package`: the merged CloudFormation template and deployment package for a stage.

    python -m infrastructure.package --stage dev --out build/package

writes <out>-merge.json (infrastructure/resources.json with the state machine definitions
inlined, the `Stage` parameter fixed to the stage, every function named for it), runs
`chalice package --merge-template` into the output folder, ready for `aws cloudformation
package` / `aws cloudformation deploy`, and writes `expanded.json` beside `sam.json` (the SAM
transform applied, for cfn-lint).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from infrastructure.expand import expand
from infrastructure.template import ROOT, merge_template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="dev", choices=["dev", "prod"])
    parser.add_argument("--out", default="build/package")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    merge = out.parent / f"{out.name}-merge.json"
    from app import app

    merge.write_text(json.dumps(merge_template(args.stage, app), indent=2))
    cmd = [
        str(Path(sys.executable).parent / "chalice"),
        "package",
        "--stage",
        args.stage,
        "--merge-template",
        str(merge),
        str(out),
    ]
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    code = subprocess.call(cmd, cwd=ROOT, env=env)  # noqa: S603 - our own venv's chalice
    if code:
        return code
    sam = json.loads((out / "sam.json").read_text())
    (out / "expanded.json").write_text(json.dumps(expand(sam), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

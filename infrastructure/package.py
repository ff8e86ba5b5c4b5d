"""`make package`: the merged CloudFormation template and deployment package for a stage.

    python -m infrastructure.package --stage dev --out build/package

writes build/merge.json (infrastructure/resources.json with the state machine definitions
inlined) and runs `chalice package --merge-template` into the output folder, ready for
`aws cloudformation package` / `aws cloudformation deploy`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from infrastructure.template import ROOT, merge_template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="dev", choices=["dev", "prod"])
    parser.add_argument("--out", default="build/package")
    args = parser.parse_args(argv)
    build = ROOT / "build"
    build.mkdir(exist_ok=True)
    merge = build / "merge.json"
    merge.write_text(json.dumps(merge_template(), indent=2))
    out = Path(args.out)
    cmd = [
        str(Path(sys.executable).parent / "chalice"),
        "package",
        "--stage",
        args.stage,
        "--merge-template",
        str(merge),
        str(out),
    ]
    return subprocess.call(cmd, cwd=ROOT)  # noqa: S603 - our own venv's chalice


if __name__ == "__main__":
    raise SystemExit(main())

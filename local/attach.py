"""Run one of the app's modules against the running twin (`make run`), configured as the twin's
own functions are (settings, resource names, secrets read from the twin's Secrets Manager):

    python -m local.attach chalicelib.services.reconcile [args…]

Ports as `make run` takes them: PORT, AWS_TWIN_PORT, STRIPE_SANDBOX_PORT.
"""

from __future__ import annotations

import os
import runpy
import sys

from local.twin import Twin, attach_environment


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    twin = Twin(
        port=int(os.environ.get("PORT", "8000")),
        aws_port=int(os.environ.get("AWS_TWIN_PORT", "5000")),
        stripe_port=int(os.environ.get("STRIPE_SANDBOX_PORT", "12111")),
    )
    os.environ.update(attach_environment(twin))
    sys.argv = argv
    runpy.run_module(argv[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])

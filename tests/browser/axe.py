"""axe-core (from npm: tests/browser/package.json, installed by `make test`) run in a page.

The pages' policy refuses any script without the response's nonce, axe's included: the check
runs in a context made with Playwright's `bypass_csp=True`, for the check only (every other
browser test keeps the policy and fails on anything it refuses).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")


@cache
def source() -> str:
    if not AXE.exists():
        raise FileNotFoundError(
            f"{AXE} is missing: run `make test` (or `cd tests/browser && npm ci`)"
        )
    return AXE.read_text()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (WCAG 2.x A and AA, and best practices)."""
    page.add_script_tag(content=source())
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return found


def severe(found: list[dict[str, Any]]) -> list[str]:
    """One line per serious or critical violation: rule, impact, where, what."""
    return [
        f"{v['id']} ({v['impact']}) at {node['target']}: {node.get('failureSummary', '')[:200]}"
        for v in found
        if v.get("impact") in SEVERE
        for node in v["nodes"]
    ]

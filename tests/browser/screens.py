"""`make screens`: a screenshot of every page at 1280 and 390 px wide, under docs/screens/.

Starts the local twin with production windows, sets every state up through the public API
(tests/browser/tour.py, the same stops the accessibility check visits), and writes
`docs/screens/<page>-<width>.png` and the index `docs/screens/README.md`. Run from the
repository root: `python -m tests.browser.screens`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.browser.conftest import CHROMIUM_ARGS
from tests.e2e.conftest import PRODUCTION_WINDOWS, running_twin

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screens"
WIDTHS = {1280: 800, 390: 844}  # viewport heights: a laptop, a phone
# A long page is cut at this height (a laptop screen and a bit, two phone screens): the set stays
# small enough to commit (about 5 MB).
MAX_HEIGHT = {1280: 900, 390: 1600}


def shoot(out: Path = OUT) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    from tests.browser import tour

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_twin(Path(tmp) / "twin.log", PRODUCTION_WINDOWS) as twin,
    ):
        stops = tour.build(twin)
        executable = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            for width, height in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.set_default_timeout(15_000)
                for stop in stops:
                    stop.open(page)
                    full = int(page.evaluate("document.documentElement.scrollHeight"))
                    page.screenshot(
                        path=str(out / f"{stop.name}-{width}.png"),
                        full_page=True,
                        clip={
                            "x": 0,
                            "y": 0,
                            "width": width,
                            "height": min(full, MAX_HEIGHT[width]),
                        },
                    )
                context.close()
            browser.close()
    index = [(stop.name, stop.title) for stop in stops]
    write_index(out, index)
    return index


def write_index(out: Path, index: list[tuple[str, str]]) -> None:
    widths = sorted(WIDTHS, reverse=True)
    lines = [
        "# Screens",
        "",
        "Every page of microintern at a laptop width (1280 px) and a phone width (390 px), in the",
        "states people see it. Regenerate with `make screens` (`python -m tests.browser.screens`):",
        "it starts the local twin, sets each state up through the public API and takes the",
        "screenshots (a long page is cut at "
        + " and ".join(f"{h} px at {w} px wide" for w, h in MAX_HEIGHT.items())
        + "). The same pages are",
        "checked with axe-core by `tests/browser/test_accessibility.py`.",
        "",
        "| page | " + " | ".join(f"{w} px" for w in widths) + " |",
        "|---|" + "---|" * len(widths),
    ]
    for name, title in index:
        shots = " | ".join(f"[{name}-{w}.png]({name}-{w}.png)" for w in widths)
        lines.append(f"| {title} | {shots} |")
    total = sum(p.stat().st_size for p in out.glob("*.png"))
    lines += ["", f"{len(index) * len(widths)} screenshots, {total / 1e6:.1f} MB in all.", ""]
    (out / "README.md").write_text("\n".join(lines))


def main() -> int:
    index = shoot()
    total = sum(p.stat().st_size for p in OUT.glob("*.png"))
    print(
        f"{len(index) * len(WIDTHS)} screenshots in {OUT.relative_to(ROOT)}, {total / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Jinja2 rendering for pages and emails (autoescape always on)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.adapters import links

TEMPLATES = Path(__file__).parent / "templates"


@cache
def env() -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Every link a page writes goes through these (the stage prefix lives in BASE_URL).
    environment.globals.update(url=links.url, href=links.href)
    return environment


def render(template: str, **context: Any) -> str:
    return str(env().get_template(template).render(**context))

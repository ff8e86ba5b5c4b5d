"""A strict Content-Security-Policy: no `'unsafe-inline'`; the page's own inline script and
style run because they carry the response's nonce, which is new for every response."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

TEMPLATES = Path(__file__).parents[2] / "chalicelib" / "web" / "templates"
INLINE = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def policy_of(response: Any) -> dict[str, list[str]]:
    parts = [part.split() for part in response.headers["Content-Security-Policy"].split(";")]
    return {name: sources for name, *sources in parts}


def nonce_of(response: Any) -> str:
    (nonce,) = {
        source.removeprefix("'nonce-").removesuffix("'")
        for source in policy_of(response)["script-src"]
        if source.startswith("'nonce-")
    }
    return nonce


@pytest.mark.parametrize("path", ["/", "/briefs/new", "/interns/new", "/tasks/" + "x" * 43])
def test_pages_allow_only_their_own_nonced_inline_code(client: Any, path: str) -> None:
    response = client.http.get(path)

    policy = policy_of(response)
    nonce = nonce_of(response)
    assert len(nonce) >= 22  # 128 bits, URL-safe base64
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert f"'nonce-{nonce}'" in policy[directive]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    body = response.body.decode()
    tags = INLINE.findall(body)
    assert tags, "every page has at least its stylesheet inline"
    for tag, attributes in tags:
        if tag.lower() == "script" and ("src=" in attributes or "application/json" in attributes):
            continue  # a loaded script ('self' / Stripe) or data, not inline code
        assert f'nonce="{nonce}"' in attributes, (tag, attributes)


def test_every_response_gets_a_new_nonce(client: Any) -> None:
    first, second = (nonce_of(client.http.get("/briefs/new")) for _ in range(2))

    assert first != second


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_template_writes_inline_style_attributes_or_event_handlers(template: str) -> None:
    """Attributes cannot carry a nonce: under this policy the browser would ignore them."""
    html = (TEMPLATES / template).read_text()

    assert not re.search(r"\sstyle\s*=", html), template
    assert not re.search(r"\son[a-z]+\s*=", html), template
    for tag, attributes in INLINE.findall(html):
        if "src=" in attributes or "application/json" in attributes:
            continue
        assert 'nonce="{{ csp_nonce }}"' in attributes, (template, tag)

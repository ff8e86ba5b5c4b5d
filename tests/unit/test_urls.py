"""Public URLs from one base: behind API Gateway's stage prefix and on a custom domain."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from chalicelib.adapters import links

EXECUTE_API = "https://abc123.execute-api.us-east-1.amazonaws.com/api"
CUSTOM_DOMAIN = "https://app.example.com"


@pytest.fixture
def base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Set BASE_URL for the settings object (and forget it afterwards)."""
    from chalicelib.settings import get_settings

    def set_base(value: str) -> None:
        monkeypatch.setenv("BASE_URL", value)
        get_settings.cache_clear()

    yield set_base
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (EXECUTE_API, "https://abc123.execute-api.us-east-1.amazonaws.com/api/briefs/new"),
        (EXECUTE_API + "/", "https://abc123.execute-api.us-east-1.amazonaws.com/api/briefs/new"),
        (CUSTOM_DOMAIN, "https://app.example.com/briefs/new"),
        (CUSTOM_DOMAIN + "/", "https://app.example.com/briefs/new"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/briefs/new"),
    ],
)
def test_url_is_the_base_plus_the_route(base_url, base: str, expected: str) -> None:
    base_url(base)
    assert links.url("/briefs/new") == expected


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (EXECUTE_API, "/api/briefs/new"),
        (CUSTOM_DOMAIN, "/briefs/new"),
        (CUSTOM_DOMAIN + "/", "/briefs/new"),
    ],
)
def test_href_keeps_the_prefix_and_drops_the_host(base_url, base: str, expected: str) -> None:
    base_url(base)
    assert links.href("/briefs/new") == expected


def test_the_site_root_under_a_prefix_and_without(base_url) -> None:
    base_url(EXECUTE_API)
    assert links.href("/") == "/api/"
    assert links.url("/") == EXECUTE_API + "/"
    base_url(CUSTOM_DOMAIN)
    assert links.href("/") == "/"


def test_query_values_are_encoded_and_none_is_left_out(base_url) -> None:
    base_url(EXECUTE_API)
    assert links.url("/briefs/b1", key="a-b_c") == EXECUTE_API + "/briefs/b1?key=a-b_c"
    assert links.href("/interns/new", registered=1) == "/api/interns/new?registered=1"
    assert links.href("/finance", key="a b&c=d") == "/api/finance?key=a+b%26c%3Dd"
    assert links.href("/briefs/b1", key=None) == "/api/briefs/b1"


def test_a_query_is_added_to_one_already_in_the_path() -> None:
    assert links.join(CUSTOM_DOMAIN, "/x?a=1", {"b": "2"}) == CUSTOM_DOMAIN + "/x?a=1&b=2"


@pytest.mark.parametrize("path", ["briefs/new", "", "https://evil.example/x"])
def test_a_path_must_be_root_relative(path: str) -> None:
    with pytest.raises(ValueError, match="starts with '/'"):
        links.join(CUSTOM_DOMAIN, path)
    with pytest.raises(ValueError, match="starts with '/'"):
        links.site_path(CUSTOM_DOMAIN, path)


@pytest.mark.parametrize(
    "base", ["app.example.com", "/api", "ftp://x.example", "https://x.example/api?a=1", ""]
)
def test_a_base_url_that_is_not_an_absolute_http_url_is_refused(base: str) -> None:
    with pytest.raises(ValueError, match="BASE_URL"):
        links.join(base, "/")


def test_pages_get_url_and_href_as_jinja_globals(base_url) -> None:
    from chalicelib.web.render import env

    base_url(EXECUTE_API)
    template = env().from_string('<a href="{{ href("/briefs/new") }}">{{ url("/tasks/t") }}</a>')
    assert template.render() == f'<a href="/api/briefs/new">{EXECUTE_API}/tasks/t</a>'


from chalicelib.web.render import TEMPLATES  # noqa: E402  (the pages, not the emails)

# A link, form action, fetch() or upload target written root-relative skips the stage prefix.
ROOT_RELATIVE = re.compile(r"""(?:href|action|src|data-upload)\s*=\s*["']/|fetch\(\s*["']/""")


@pytest.mark.parametrize(
    "template", sorted(p.name for p in TEMPLATES.glob("*.html")), ids=lambda name: name
)
def test_no_page_template_writes_a_root_relative_link(template: str) -> None:
    text = (TEMPLATES / template).read_text()
    found = [m.group(0) for m in ROOT_RELATIVE.finditer(text)]
    assert not found, f"{template}: use href(...) for {found}"

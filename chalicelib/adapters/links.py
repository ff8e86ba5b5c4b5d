"""Public URLs: every link the platform hands out is built here, from one base.

`BASE_URL` (``settings.base_url``) is the public base, with any path prefix it needs:
API Gateway's execute-api URL carries the stage as the first path segment
(``https://abc.execute-api.us-east-1.amazonaws.com/api``); a custom domain has none
(``https://app.example.com``). Routes are written root-relative (``/briefs/new``) as in
``app.py``; the prefix is added here and nowhere else.

- :func:`url` — the absolute address, for whatever leaves the page: emails, URLs the API
  returns (manage link, task link, Stripe return URLs), redirects to them.
- :func:`href` — the same address without scheme and host (prefix + path), for links, form
  actions, ``fetch()`` targets and redirects inside our own pages: they stay on the origin the
  page came from, so the CSRF cookie travels and CSP's ``'self'`` allows them.

Both are Jinja globals (see ``render.env``). Query values are URL-encoded; ``None`` values are
left out. A path must start with ``/``; it is used as written (ids and link tokens are
URL-safe already).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

QueryValue = str | int | None


def split_base(base_url: str) -> tuple[str, str]:
    """(origin, path prefix) of a base URL: ``("https://h", "/api")``; the prefix has no
    trailing slash and is "" at the root. Raises ``ValueError`` for anything but an absolute
    http(s) URL without query or fragment."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"BASE_URL must be an absolute http(s) URL without query or fragment, got {base_url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def join(base_url: str, path: str, query: dict[str, QueryValue] | None = None) -> str:
    """``base_url`` + ``path`` (+ ``?query``), the one place the prefix is applied."""
    if not path.startswith("/"):
        raise ValueError(f"a path starts with '/', got {path!r}")
    origin, prefix = split_base(base_url)
    return f"{origin}{prefix}{path}{_query(path, query)}"


def site_path(base_url: str, path: str, query: dict[str, QueryValue] | None = None) -> str:
    """Like :func:`join` without scheme and host: ``/api/briefs/new``."""
    if not path.startswith("/"):
        raise ValueError(f"a path starts with '/', got {path!r}")
    _, prefix = split_base(base_url)
    return f"{prefix}{path}{_query(path, query)}"


def url(path: str, **query: QueryValue) -> str:
    """The absolute public URL of ``path``: ``url("/tasks/abc")``,
    ``url("/briefs/b1", key=token)``."""
    return join(_base(), path, query)


def href(path: str, **query: QueryValue) -> str:
    """The address of ``path`` on our own site, prefix included: ``href("/briefs/new")``."""
    return site_path(_base(), path, query)


def _query(path: str, query: dict[str, QueryValue] | None) -> str:
    pairs = {k: str(v) for k, v in (query or {}).items() if v is not None}
    if not pairs:
        return ""
    return ("&" if "?" in path else "?") + urlencode(pairs)


def _base() -> str:
    from chalicelib.settings import get_settings

    return get_settings().base_url

"""Local-only routes of the twin (never deployed): the outbox and the finance inbox.

The outbox page (`/_local/outbox`) lists every email, newest first: its HTML part in a frame
of its own (`/_local/outbox/<n>.html`), its text part with every http(s) URL a link. Every
link opens in a new tab: the frame is sandboxed with popups allowed to escape the sandbox and
the email's document gets `<base target="_blank">`, so a link never tries to load the app
inside the frame (whose `X-Frame-Options: DENY` would refuse it). The page's own CSP is
strict (a nonce for its one stylesheet, no scripts); the email's document keeps the inline
styles mail clients need, under a CSP `sandbox` without scripts.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.twin import Twin

JSON = "application/json"
HTML = "text/html; charset=utf-8"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
OUTBOX_PART = re.compile(r"/_local/outbox/(\d{1,9})\.html")
# An email's HTML part, framed: no script, no form, no plugin; the inline styles (and style
# sheet) mail clients render; images from anywhere, as a mail client shows them. `sandbox`
# without allow-scripts, with popups free of the sandbox so links open as ordinary tabs.
EMAIL_CSP = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'none'"
)


def handle(
    twin: Twin, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, str, bytes] | tuple[int, str, bytes, dict[str, str]]:
    """(status, content type, body[, extra headers]) for a `/_local/...` request."""
    route, _, query = path.partition("?")
    since = _since(query)
    if method == "GET" and route == "/_local/outbox.json":
        return 200, JSON, json.dumps(twin.outbox(since=since)).encode()
    if method == "GET" and route == "/_local/outbox":
        nonce = secrets.token_urlsafe(16)
        page = outbox_page(twin.outbox(), nonce=nonce)
        return 200, HTML, page.encode(), {"Content-Security-Policy": page_csp(nonce), **NO_STORE}
    email_part = OUTBOX_PART.fullmatch(route)
    if method == "GET" and email_part:
        found = twin.outbox(since=int(email_part.group(1)))[:1]
        if not found:
            return 404, HTML, b"<!doctype html><title>No such email</title>", {**NO_STORE}
        document = email_document(str(found[0].get("html") or ""))
        return 200, HTML, document.encode(), {"Content-Security-Policy": EMAIL_CSP, **NO_STORE}
    if method == "GET" and route == "/_local/stats.json":
        from local.stats import STATS

        return 200, JSON, json.dumps(STATS.as_dict()).encode()
    if method == "POST" and route == "/_local/stats/reset":
        from local.stats import STATS

        STATS.reset()
        return 204, JSON, b""
    if method == "GET" and route == "/_local/memory.json":
        from urllib.parse import parse_qs

        from local import memory

        args = {k: v[0] for k, v in parse_qs(query).items()}
        data = memory.report(
            int(args.get("top", "25")),
            args.get("group", "lineno"),
            bool(args.get("census")),
            bool(args.get("owners")),
            twin,
        )
        return 200, JSON, json.dumps(data).encode()
    if method == "GET" and route == "/_local/finance-inbox.json":
        return 200, JSON, json.dumps(twin.finance_inbox[since:]).encode()
    if method == "POST" and route == "/_local/finance-webhook":
        try:
            payload: Any = json.loads(body or b"null")
        except ValueError:
            payload = body.decode(errors="replace")
        twin.finance_inbox.append(
            {
                "headers": {
                    k.lower(): v for k, v in headers.items() if k.lower().startswith("webhook-")
                },
                "body": payload,
            }
        )
        return 204, JSON, b""
    return 404, JSON, json.dumps({"errors": [{"field": None, "message": "Not found"}]}).encode()


def _since(query: str) -> int:
    """`?since=N`: only the entries after the first N (a poller's cursor); 0 when absent."""
    from urllib.parse import parse_qs

    values = parse_qs(query).get("since") or ["0"]
    try:
        return max(0, int(values[0]))
    except ValueError:
        return 0


def page_csp(nonce: str) -> str:
    """The outbox page's CSP: its one stylesheet by nonce, frames only from the twin."""
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; frame-src 'self'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:1rem auto;padding:0 1rem}"
    "details{border-top:1px solid #d9dee8;padding:.5rem 0}summary{cursor:pointer}"
    "iframe{width:100%;height:26rem;border:1px solid #d9dee8;border-radius:6px}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere}small{color:#5b6577}"
)


def outbox_page(messages: list[dict[str, Any]], *, nonce: str) -> str:
    """Every email, newest first; `nonce` is the one in this response's CSP."""
    rows = []
    total = len(messages)
    for i, message in enumerate(reversed(messages)):
        number = total - 1 - i  # its place in the outbox, oldest first (the frame's URL)
        frame = (
            f'<iframe title="{html.escape(message["subject"])} (HTML part)" '
            f'src="outbox/{number}.html" loading="lazy" '
            'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>'
            if message.get("html")
            else ""
        )
        rows.append(
            f"<details{' open' if i == 0 else ''}><summary><b>{html.escape(message['subject'])}</b>"
            f" → {html.escape(', '.join(message['to']))} <small>{html.escape(message['sent_at'])}"
            f"</small></summary>{frame}<pre>{linkify(message['text'] or '')}</pre></details>"
        )
    empty = "<p>No email sent yet.</p>" if not messages else ""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        f'<title>Outbox · microintern twin</title><style nonce="{nonce}">{STYLE}</style>'
        f"<body><h1>Outbox <small>({total})</small></h1>"
        "<p><small>Links open in a new tab.</small></p>"
        f"{empty}{''.join(rows)}</body></html>"
    )


URL = re.compile(r"https?://[^\s<>\"'`]+")


def linkify(text: str) -> str:
    """`text` escaped for HTML, each http(s) URL in it a link that opens in a new tab."""
    out, at = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}")
        end = match.start() + len(url)
        out.append(html.escape(text[at : match.start()]))
        href = html.escape(url, quote=True)
        out.append(f'<a href="{href}" target="_blank" rel="noopener noreferrer">{href}</a>')
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def email_document(markup: str) -> str:
    """An email's HTML part as a document whose links all open in a new tab."""
    base = '<base target="_blank">'
    head = re.search(r"<head\b[^>]*>", markup, flags=re.IGNORECASE)
    if head:
        return markup[: head.end()] + base + markup[head.end() :]
    return base + markup

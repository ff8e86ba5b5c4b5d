"""Local-only routes of the twin (never deployed): the outbox and the finance inbox."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.twin import Twin

JSON = "application/json"


def handle(
    twin: Twin, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, str, bytes]:
    route, _, query = path.partition("?")
    since = _since(query)
    if method == "GET" and route == "/_local/outbox.json":
        return 200, JSON, json.dumps(twin.outbox(since=since)).encode()
    if method == "GET" and route == "/_local/outbox":
        return 200, "text/html; charset=utf-8", outbox_page(twin.outbox()).encode()
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
            int(args.get("top", "25")), args.get("group", "lineno"), bool(args.get("census"))
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


def outbox_page(messages: list[dict[str, Any]]) -> str:
    rows = []
    for i, message in enumerate(reversed(messages)):
        rows.append(
            f"<details{' open' if i == 0 else ''}><summary><b>{html.escape(message['subject'])}</b>"
            f" → {html.escape(', '.join(message['to']))} <small>{html.escape(message['sent_at'])}"
            f'</small></summary><iframe title="Email: {html.escape(message["subject"])}" sandbox '
            f'srcdoc="{html.escape(message["html"] or "")}" '
            f"style='width:100%;height:22rem;border:1px solid #ddd'></iframe>"
            f"<pre style='white-space:pre-wrap'>{html.escape(message['text'])}</pre></details>"
        )
    empty = "<p>No email sent yet.</p>" if not messages else ""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width'>"
        "<title>Outbox · microintern twin</title>"
        "<body style='font-family:system-ui;max-width:52rem;margin:1rem auto;padding:0 1rem'>"
        f"<h1>Outbox <small>({len(messages)})</small></h1>{empty}{''.join(rows)}</body>"
    )

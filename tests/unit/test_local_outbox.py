"""The twin's outbox page: every link of every email opens, in a new tab, under a strict CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from chalicelib.adapters.emails import render_email
from local import pages

TASK = "https://app.example/tasks/tok_abc?step=accept&from=mail"


class FakeTwin:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages

    def outbox(self, since: int = 0) -> list[dict[str, Any]]:
        return self.messages[since:]


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def of(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def tags(markup: str) -> Tags:
    parser = Tags()
    parser.feed(markup)
    return parser


def _message(subject: str, **extra: Any) -> dict[str, Any]:
    email = render_email(
        "offer",
        "sam@example.com",
        name="Sam",
        title=subject,
        company="Acme",
        hours=10,
        pay_cents=45_000,
        currency="usd",
        deadline="2026-12-20",
        window_end="2026-12-01T17:00:00+00:00",
        action_url=TASK,
    )
    return {
        "to": list(email.to),
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "sent_at": "Thu, 26 Nov 2026 06:00:00 +0000",
        **extra,
    }


def _get(twin: FakeTwin, path: str) -> tuple[int, str, str, dict[str, str]]:
    answer = pages.handle(twin, "GET", path, {}, b"")  # type: ignore[arg-type]
    status, content_type, body = answer[0], answer[1], answer[2]
    headers: dict[str, str] = answer[3] if len(answer) == 4 else {}  # type: ignore[misc]
    return status, content_type, body.decode(), headers


def test_the_page_has_a_strict_csp_with_a_nonce_and_no_inline_style() -> None:
    status, _, page, headers = _get(
        FakeTwin([_message("First"), _message("Second")]), "/_local/outbox"
    )

    assert status == 200
    csp = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'<style nonce="{nonce.group(1)}">' in page
    assert "unsafe-inline" not in csp and "script-src" not in csp  # default-src 'none'
    assert "default-src 'none'" in csp and "frame-src 'self'" in csp
    assert " style=" not in page and "<script" not in page
    assert _get(FakeTwin([]), "/_local/outbox")[3]["Content-Security-Policy"] != csp  # fresh


def test_each_email_is_framed_so_its_links_open_in_a_new_tab() -> None:
    twin = FakeTwin([_message("First"), _message("Second")])
    _, _, page, _ = _get(twin, "/_local/outbox")

    frames = tags(page).of("iframe")
    assert [f["src"] for f in frames] == ["outbox/1.html", "outbox/0.html"]  # newest first
    for frame in frames:
        sandbox = set(str(frame["sandbox"]).split())
        assert sandbox == {"allow-popups", "allow-popups-to-escape-sandbox"}  # no scripts

    status, _, document, headers = _get(twin, "/_local/outbox/1.html")
    assert status == 200 and "Second" in document
    assert headers["Content-Security-Policy"].startswith(
        "sandbox allow-popups allow-popups-to-escape-sandbox;"
    )
    parsed = tags(document)
    assert parsed.of("base") == [{"target": "_blank"}]
    links = [a["href"] for a in parsed.of("a")]
    assert TASK in links  # the button and the paste-this-link link, as sent
    assert _get(twin, "/_local/outbox/7.html")[0] == 404


def test_the_text_part_links_every_url_escaped_and_opening_a_new_tab() -> None:
    hostile = 'Click https://app.example/a?x=1&y=<2> or "https://evil.example/"><script>x</script>.'
    twin = FakeTwin([_message("Links", text=f"Open:\n{TASK}\n{hostile}\n")])
    _, _, page, _ = _get(twin, "/_local/outbox")

    anchors = tags(page).of("a")
    assert [a["href"] for a in anchors] == [
        TASK,
        "https://app.example/a?x=1&y=",
        "https://evil.example/",
    ]
    assert all(a["target"] == "_blank" and "noopener" in str(a["rel"]) for a in anchors)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&amp;from=mail" in page  # the href is escaped in the markup, whole when parsed


def test_linkify_leaves_other_schemes_as_text() -> None:
    assert pages.linkify("javascript:alert(1) mailto:a@b.c") == "javascript:alert(1) mailto:a@b.c"
    assert pages.linkify("see http://x.example/p.") == (
        'see <a href="http://x.example/p" target="_blank" rel="noopener noreferrer">'
        "http://x.example/p</a>."
    )

"""Details every page shares (issue 13, items 9 and 10): a favicon instead of a 403, one
Content-Security-Policy directive per name, intern ids of one shape, and a home page whose
figures come from the settings and the brief's rules (never typed into the HTML)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.conftest import reset_app_caches

PAGES = ("/", "/briefs/new", "/interns/new", "/finance")


def test_the_favicon_is_served_cacheable_and_every_page_links_it(client: Any) -> None:
    icon = client.http.get("/favicon.ico")

    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/svg+xml"
    assert "max-age=" in icon.headers["Cache-Control"]
    assert icon.body.decode().startswith("<svg")
    for path in PAGES:
        html = client.http.get(path).body.decode()
        assert '<link rel="icon" href="/favicon.ico"' in html, path


def test_a_policy_names_each_directive_once_and_each_source_once(aws_env: Any) -> None:
    from chalicelib.web.pages import content_security_policy

    stripe = "http://127.0.0.1:12111"
    policy = content_security_policy(
        "abc", {"connect-src": [stripe, stripe + "/", "'self'"], "frame-src": ["'self'"]}
    )

    names = [part.split()[0] for part in policy.split(";")]
    assert len(names) == len(set(names))
    for part in policy.split(";"):
        sources = [s.rstrip("/") for s in part.split()[1:]]
        assert len(sources) == len(set(sources)), part
    connect = next(p.split()[1:] for p in policy.split(";") if p.split()[0] == "connect-src")
    assert connect[0] == "'self'" and stripe in connect


def test_seeded_interns_have_the_same_id_shape_as_registered_ones() -> None:
    from chalicelib.adapters.tokens import new_id
    from local.seed import generate_profiles

    shape = re.compile(r"i_[0-9a-f]{20}")
    ids = [p["intern_id"] for p in generate_profiles(50)]
    assert all(shape.fullmatch(i) for i in ids), ids[:3]
    assert len(set(ids)) == len(ids)
    assert shape.fullmatch(new_id("i"))
    assert ids == [p["intern_id"] for p in generate_profiles(50)]  # stable for a seed


def test_the_home_page_says_how_it_works_with_the_configured_figures(
    aws_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(The page is rendered directly: Chalice's test client sets the stage's config.json
    environment over the test's.)"""
    from chalicelib.web import pages

    configured = {
        "PLATFORM_FEE_BPS": "1500",
        "OFFER_WINDOW_SECONDS": str(2 * 3600),
        "REVIEW_WINDOW_SECONDS": str(10 * 86400),
        "MAX_REVISION_ROUNDS": "3",
    }
    for name, value in configured.items():
        monkeypatch.setenv(name, value)
    reset_app_caches()
    try:
        html = str(pages.home().body)
    finally:
        for name in configured:
            monkeypatch.delenv(name)
        reset_app_caches()

    text = re.sub(r"<[^>]+>", "", html)
    for audience in ("For employers", "For interns", "For finance", "What escrow protects"):
        assert audience in text
    assert "15 %" in text and "10 %" not in text
    assert "the intern receives USD 425 and the platform keeps USD 75" in text
    assert "2 hours to accept" in text and "48 hours to accept" not in text
    assert "within 10 days of a delivery" in text
    assert "up to 3 rounds" in text
    assert "5–40 hours" in text and "at least USD 20 an hour" in text
    assert "7 to 30 days after posting" in text


def test_home_page_windows_read_as_people_say_them() -> None:
    from chalicelib.web.home_facts import duration

    assert duration(48 * 3600) == "48 hours"
    assert duration(72 * 3600) == "72 hours"
    assert duration(7 * 86400) == "7 days"
    assert duration(86400) == "24 hours"
    assert duration(90) == "90 seconds"
    assert duration(60) == "1 minute"

"""Deliverable uploads in Chromium: the task page posts the file straight to S3 with a
presigned POST. From the site's own origin the bucket's CORS rule lets the page read S3's
answer and the delivery goes through; from any other origin the browser refuses the
cross-origin answer, the page says the upload failed, and nothing is delivered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import engaged, fund, view, wait_status

pytestmark = pytest.mark.browser


def in_progress(twin: RunningTwin, title: str) -> tuple[str, str, str]:
    brief_id, token, _, _, link = engaged(twin, title)
    assert fund(twin, brief_id, token).status_code == 200
    wait_status(twin, brief_id, token, "IN_PROGRESS")
    return brief_id, token, link


def fill_delivery(page: Any, task_url: str, deck: Path) -> None:
    deck.write_bytes(b"%PDF-1.4 browser upload")
    page.goto(task_url)
    page.get_by_label("What are you delivering?").fill("The comparison deck, as a PDF.")
    page.get_by_label("A file").set_input_files(str(deck))


def test_an_upload_from_the_sites_own_page_is_delivered_and_downloads_as_an_attachment(
    twin: RunningTwin, page: Any, tmp_path: Path
) -> None:
    brief_id, token, link = in_progress(twin, "Upload from the site")
    fill_delivery(page, f"{twin.url}/tasks/{link}", tmp_path / "deck v1.pdf")
    with page.expect_navigation():
        page.get_by_role("button", name="Deliver").click()

    state = wait_status(twin, brief_id, token, "IN_REVIEW")
    assert [d["file_name"] for d in state["deliveries"]] == ["deck-v1.pdf"]
    redirect = requests.get(
        f"{twin.url}/briefs/{brief_id}/deliveries/1/file?key={token}",
        allow_redirects=False,
        timeout=10,
    )
    assert redirect.status_code == 302
    download = requests.get(redirect.headers["Location"], timeout=10)
    assert download.content == b"%PDF-1.4 browser upload"
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="deck-v1.pdf"')


def test_the_browser_refuses_an_upload_from_another_origin(
    twin: RunningTwin, page: Any, tmp_path: Path
) -> None:
    brief_id, token, link = in_progress(twin, "Upload from elsewhere")
    elsewhere = twin.url.replace("127.0.0.1", "localhost")  # same app, another origin
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    fill_delivery(page, f"{elsewhere}/tasks/{link}", tmp_path / "deck.pdf")
    page.get_by_role("button", name="Deliver").click()

    status = page.locator("#file-status")
    status.filter(has_text="The upload failed.").wait_for()
    assert any("CORS policy" in line for line in console), console
    assert view(twin, brief_id, token)["status"] == "IN_PROGRESS"
    assert view(twin, brief_id, token)["deliveries"] == []

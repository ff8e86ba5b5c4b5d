"""The twin's S3 is as strict as S3 where a browser would notice: the bucket's CORS rules
decide which origins may upload (moto's server answers CORS for every origin), and a
presigned POST's policy conditions (size range, content type, key) are enforced.

Requests are sent as a browser sends them, with an `Origin` header; the browser test
(tests/browser/test_uploads.py) shows Chromium refusing the cross-origin upload."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningTwin

pytestmark = pytest.mark.e2e


def bucket(twin: RunningTwin) -> str:
    names = [b["Name"] for b in twin.client("s3").list_buckets()["Buckets"]]
    (name,) = [n for n in names if "deliverables" in n]
    return str(name)


def presigned(twin: RunningTwin, key: str, *, max_bytes: int = 16) -> dict[str, Any]:
    return dict(
        twin.client("s3").generate_presigned_post(
            Bucket=bucket(twin),
            Key=key,
            Fields={"Content-Type": "application/pdf"},
            Conditions=[
                ["content-length-range", 1, max_bytes],
                {"Content-Type": "application/pdf"},
            ],
            ExpiresIn=300,
        )
    )


def post(target: dict[str, Any], data: bytes, *, origin: str, **fields: str) -> requests.Response:
    return requests.post(
        target["url"],
        data={**target["fields"], **fields},
        files={"file": ("deck.pdf", data, "application/pdf")},
        headers={"Origin": origin},
        timeout=10,
    )


def preflight(twin: RunningTwin, origin: str, method: str = "POST", headers: str = "") -> Any:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return requests.options(f"{twin.aws_url}/{bucket(twin)}", headers=request_headers, timeout=10)


def test_only_the_sites_origin_gets_cors_answers(twin: RunningTwin) -> None:
    site = twin.url
    elsewhere = twin.url.replace("127.0.0.1", "localhost")

    allowed = preflight(twin, site)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == site
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]

    for refused in (
        preflight(twin, elsewhere),
        preflight(twin, "https://evil.example"),
        preflight(twin, site, method="PUT"),
        preflight(twin, site, headers="x-custom-header"),
    ):
        assert refused.status_code == 403
        assert "Access-Control-Allow-Origin" not in refused.headers

    target = presigned(twin, "deliverables/cors-test/deck.pdf")
    ok = post(target, b"%PDF-1.4", origin=site)
    assert ok.status_code == 204, ok.text
    assert ok.headers["Access-Control-Allow-Origin"] == site
    foreign = post(target, b"%PDF-1.4", origin=elsewhere)
    assert "Access-Control-Allow-Origin" not in foreign.headers  # a browser refuses to read it


def test_presigned_post_conditions_are_enforced(twin: RunningTwin) -> None:
    site = twin.url
    key = "deliverables/policy-test/deck.pdf"
    target = presigned(twin, key, max_bytes=16)
    s3 = twin.client("s3")

    too_big = post(target, b"x" * 17, origin=site)
    assert too_big.status_code == 400
    assert "EntityTooLarge" in too_big.text
    assert too_big.headers["Access-Control-Allow-Origin"] == site  # the page can show why

    empty = post(target, b"", origin=site)
    assert empty.status_code == 400
    assert "EntityTooSmall" in empty.text

    other_type = post(target, b"<html>", origin=site, **{"Content-Type": "text/html"})
    assert other_type.status_code == 403
    assert "Policy Condition failed" in other_type.text

    other_key = post(target, b"%PDF", origin=site, key="deliverables/elsewhere/deck.pdf")
    assert other_key.status_code == 403

    listed = s3.list_objects_v2(Bucket=bucket(twin), Prefix="deliverables/")
    stored = [o["Key"] for o in listed.get("Contents", [])]
    assert key not in stored and "deliverables/elsewhere/deck.pdf" not in stored

    fits = post(target, b"%PDF-1.4 ok", origin=site)
    assert fits.status_code == 204, fits.text
    head = s3.head_object(Bucket=bucket(twin), Key=key)
    assert head["ContentLength"] == len(b"%PDF-1.4 ok")
    assert head["ContentType"] == "application/pdf"

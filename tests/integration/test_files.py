"""Deliverable files: the presigned POST's policy (size, key and content type pinned), the
bucket's CORS rule, a missing object answering 404 whether S3 says 404 or 403 (a missing key
without s3:ListBucket), and downloads served as attachments with their content type.

moto ignores presigned-POST conditions and never answers 403 for a missing key, so the policy
is read from the document the app signs, and S3's 403 is a real HTTP response handed to
botocore (parsed exactly as one from S3 would be)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.integration.conftest import task_in_progress

MB = 1024 * 1024


@pytest.fixture
def task(client: Any) -> dict[str, str]:
    return task_in_progress(client)


def upload(client: Any, task: dict[str, str], **body: Any) -> Any:
    return client.http.post(
        f"/api/tasks/{task['token']}/upload",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"filename": "deck final.pdf", "size": 11, **body}),
    )


def policy_of(fields: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(fields["policy"])))


# -- the presigned POST -------------------------------------------------------------------


def test_the_upload_policy_caps_the_size_and_pins_the_key_and_content_type(
    client: Any, task: dict[str, str], aws_env: dict[str, str]
) -> None:
    answer = upload(client, task, content_type="application/pdf")
    assert answer.status_code == 200, answer.body
    target = answer.json_body
    assert target["file_key"].startswith(f"deliverables/{task['brief_id']}/")
    assert target["file_key"].endswith("/deck-final.pdf")
    assert target["fields"]["Content-Type"] == "application/pdf"

    policy = policy_of(target["fields"])
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 10 * MB] in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"key": target["file_key"]} in conditions
    assert {"bucket": aws_env["DELIVERABLES_BUCKET"]} in conditions
    expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")
    left = expires.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(minutes=10) < left <= timedelta(minutes=15)


@pytest.mark.parametrize(
    ("filename", "declared", "stored"),
    [
        ("deck.pdf", "application/pdf", "application/pdf"),
        ("data.csv", "", "text/csv"),  # nothing declared: from the name
        ("photo.PNG", "image/png; charset=binary", "image/png"),
        ("site.html", "text/html", "application/octet-stream"),  # never rendered from S3
        ("logo.svg", "image/svg+xml", "application/octet-stream"),
        ("run.js", "text/javascript", "application/octet-stream"),
        ("model.blend", "", "application/octet-stream"),
    ],
)
def test_only_harmless_content_types_are_kept(
    client: Any, task: dict[str, str], filename: str, declared: str, stored: str
) -> None:
    target = upload(client, task, filename=filename, content_type=declared).json_body
    assert target["fields"]["Content-Type"] == stored
    assert {"Content-Type": stored} in policy_of(target["fields"])["conditions"]


@pytest.mark.parametrize("size", [0, 10 * MB + 1])
def test_sizes_outside_the_limit_are_refused_before_signing(
    client: Any, task: dict[str, str], size: int
) -> None:
    answer = upload(client, task, size=size)
    assert answer.status_code == 422
    assert answer.json_body["errors"][0]["field"] == "file"


def test_the_bucket_accepts_browser_uploads_from_the_site_origin_only(
    aws_env: dict[str, str],
) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    (rule,) = s3.get_bucket_cors(Bucket=aws_env["DELIVERABLES_BUCKET"])["CORSRules"]
    assert rule["AllowedOrigins"] == ["http://testserver"]  # the origin of BASE_URL
    assert rule["AllowedMethods"] == ["POST"]
    assert "*" not in rule.get("AllowedHeaders", [])


# -- a missing object -----------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


@pytest.fixture(params=["S3 answers 404", "S3 answers 403 (no s3:ListBucket)"])
def missing_answer(request: pytest.FixtureRequest, aws_env: dict[str, str]) -> Iterator[str]:
    """How S3 answers HeadObject for a key that is not there: moto's real 404, or the 403 that
    S3 sends when the caller may not list the bucket (a HEAD answer has no body)."""
    from botocore.awsrequest import AWSResponse

    from chalicelib.adapters import aws

    if "404" in request.param:
        yield request.param
        return

    def forbidden(request: Any, **_: Any) -> AWSResponse:
        headers = {"x-amz-request-id": "TWINREQUEST", "Content-Type": "application/xml"}
        return AWSResponse(request.url, 403, headers, _Body(b""))

    events = aws.client("s3").meta.events
    events.register_first("before-send.s3.HeadObject", forbidden, unique_id="s3-403")
    yield request.param
    events.unregister("before-send.s3.HeadObject", unique_id="s3-403")


def put_delivery(brief_id: str, file_key: str) -> None:
    from chalicelib.adapters.store import get_store

    get_store().put(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "DELIVERY#01",
            "type": "delivery",
            "number": 1,
            "summary": "The deck.",
            "url": None,
            "file_key": file_key,
            "file_name": file_key.rsplit("/", 1)[-1],
            "delivered_at": "2026-01-01T00:00:00+00:00",
        }
    )


def test_a_missing_file_answers_404_never_500(
    client: Any, task: dict[str, str], missing_answer: str
) -> None:
    brief_id = task["brief_id"]
    put_delivery(brief_id, f"deliverables/{brief_id}/0123/gone.pdf")
    answer = client.http.get(f"/briefs/{brief_id}/deliveries/1/file?key={task['manage']}")
    assert answer.status_code == 404, missing_answer
    assert "Location" not in answer.headers
    assert "no longer available" in answer.body.decode()


def test_delivering_a_file_that_never_arrived_is_an_input_error_never_500(
    client: Any, task: dict[str, str], missing_answer: str
) -> None:
    target = upload(client, task).json_body
    answer = client.http.post(
        f"/api/tasks/{task['token']}/deliver",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"summary": "The deck, first version.", "file_key": target["file_key"]}),
    )
    assert answer.status_code == 422, missing_answer
    assert answer.json_body["errors"][0]["field"] == "file"


# -- downloads ------------------------------------------------------------------------------


def test_downloads_are_attachments_and_keep_their_content_type(
    client: Any, task: dict[str, str], aws_env: dict[str, str]
) -> None:
    import boto3

    brief_id = task["brief_id"]
    key = f"deliverables/{brief_id}/0123/deck-final.pdf"
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=aws_env["DELIVERABLES_BUCKET"],
        Key=key,
        Body=b"%PDF-1.4",
        ContentType="application/pdf",
    )
    put_delivery(brief_id, key)

    answer = client.http.get(f"/briefs/{brief_id}/deliveries/1/file?key={task['manage']}")
    assert answer.status_code == 302
    assert answer.headers["Cache-Control"] == "no-store"
    download = requests.get(answer.headers["Location"], timeout=10)
    assert download.status_code == 200
    assert download.content == b"%PDF-1.4"
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"deck-final.pdf\"; filename*=UTF-8''deck-final.pdf"
    )


def test_an_active_content_type_stored_earlier_is_downloaded_as_plain_bytes(
    client: Any, task: dict[str, str], aws_env: dict[str, str]
) -> None:
    import boto3

    brief_id = task["brief_id"]
    key = f"deliverables/{brief_id}/0123/page.html"
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=aws_env["DELIVERABLES_BUCKET"],
        Key=key,
        Body=b"<script>1</script>",
        ContentType="text/html",
    )
    put_delivery(brief_id, key)
    answer = client.http.get(f"/briefs/{brief_id}/deliveries/1/file?key={task['manage']}")
    download = requests.get(answer.headers["Location"], timeout=10)
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")

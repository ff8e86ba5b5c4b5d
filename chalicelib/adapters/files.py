"""Deliverable files in S3: private objects, uploaded and downloaded through short-lived
presigned URLs, so file bytes never pass through Lambda."""

from __future__ import annotations

import re
import uuid
from typing import Any

from chalicelib.adapters import aws

MAX_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60


def _bucket() -> str:
    from chalicelib.settings import get_settings

    return get_settings().bucket_name


def safe_name(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-")
    return cleaned[:100] or "file"


def upload_form(brief_id: str, filename: str) -> dict[str, Any]:
    """A presigned POST the browser sends the file with (size capped by S3 itself)."""
    key = f"deliverables/{brief_id}/{uuid.uuid4().hex}/{safe_name(filename)}"
    post = aws.client("s3").generate_presigned_post(
        Bucket=_bucket(),
        Key=key,
        Conditions=[["content-length-range", 1, MAX_BYTES]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {"url": post["url"], "fields": post["fields"], "file_key": key}


def uploaded_size(key: str) -> int | None:
    """The object's size, or None when nothing was uploaded under `key`."""
    try:
        head = aws.client("s3").head_object(Bucket=_bucket(), Key=key)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    return int(head["ContentLength"])


def download_url(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _bucket(),
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{name}"',
            },
            ExpiresIn=DOWNLOAD_SECONDS,
        )
    )

"""Deliverable files in S3: private objects, uploaded and downloaded through short-lived
presigned URLs, so file bytes never pass through Lambda.

Invariants:
- an upload can only store what its presigned POST's policy allows: 1 byte to MAX_BYTES, under
  exactly the key and with exactly the content type the app chose (S3 enforces the policy);
- a stored content type is one of SAFE_TYPES or `application/octet-stream`: nothing a browser
  would run (HTML, SVG, scripts) is ever served as such from the bucket;
- downloads are attachments (`Content-Disposition: attachment`), never rendered inline;
- a missing object is `None` whether S3 answers 404 or, to a caller without s3:ListBucket,
  403: callers answer "not found", never an error.
"""

from __future__ import annotations

import mimetypes
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalicelib.adapters import aws

MAX_BYTES = 10 * 1024 * 1024
UPLOAD_SECONDS = 15 * 60
DOWNLOAD_SECONDS = 5 * 60
OPAQUE = "application/octet-stream"
# What deliverables usually are, and that no browser executes: documents, sheets, slides,
# archives, images, audio, video, plain data. Anything else is stored as opaque bytes.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/x-zip-compressed",
        "application/gzip",
        "application/x-tar",
        "application/x-7z-compressed",
        "application/json",
        "application/rtf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "text/plain",
        "text/csv",
        "text/markdown",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "audio/mpeg",
        "audio/wav",
        "video/mp4",
        "video/quicktime",
        "video/webm",
    }
)
# S3's answers to HeadObject for a key that is not there (403: the caller lacks s3:ListBucket).
_MISSING = {"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"}


@dataclass(frozen=True)
class Stored:
    size: int
    content_type: str


def _bucket() -> str:
    from chalicelib.settings import get_settings

    return get_settings().bucket_name


def safe_name(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-")
    return cleaned[:100] or "file"


def content_type_for(filename: str, declared: str | None = None) -> str:
    """The content type to store: the declared one (else guessed from the name) when it is
    harmless, otherwise opaque bytes."""
    kind = (declared or "").split(";", 1)[0].strip().lower()
    if not kind:
        kind = (mimetypes.guess_type(filename)[0] or "").lower()
    return kind if kind in SAFE_TYPES else OPAQUE


def attachment(name: str) -> str:
    """A Content-Disposition header that downloads `name` (RFC 6266: a quoted ASCII fallback
    with nothing that can end the quote or the header, and the exact name in `filename*`)."""
    name = name or "file"
    fallback = re.sub(r"[^A-Za-z0-9 ._=()+,-]", "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# Where each kind of private file lives in the bucket (one prefix per kind, then the brief).
DELIVERABLES = "deliverables"
MESSAGES = "messages"  # files attached to messages (services/messages.py)
SEALED = "sealed"  # attachments of a brief's confidential details (services/sealed.py)


def upload_form(
    brief_id: str, filename: str, content_type: str | None = None, *, prefix: str = DELIVERABLES
) -> dict[str, Any]:
    """A presigned POST the browser sends the file with; S3 refuses anything outside its
    policy (size range, key, content type)."""
    key = f"{prefix}/{brief_id}/{uuid.uuid4().hex}/{safe_name(filename)}"
    kind = content_type_for(filename, content_type)
    post = aws.client("s3").generate_presigned_post(
        Bucket=_bucket(),
        Key=key,
        Fields={"Content-Type": kind},
        Conditions=[["content-length-range", 1, MAX_BYTES], {"Content-Type": kind}],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return {"url": post["url"], "fields": post["fields"], "file_key": key}


def stored(key: str) -> Stored | None:
    """The object under `key`, or None when there is none (S3 says 404, or 403 without
    s3:ListBucket)."""
    from botocore.exceptions import ClientError

    try:
        head = aws.client("s3").head_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in _MISSING:
            raise
        if code in {"403", "AccessDenied", "Forbidden"}:
            from chalicelib.observability import logger

            # Without s3:ListBucket S3 cannot say "no such key"; it may also be a real denial.
            logger.warning("S3 HeadObject forbidden; treated as missing", error_code=code)
        return None
    return Stored(size=int(head["ContentLength"]), content_type=str(head.get("ContentType", "")))


def download_url(key: str, content_type: str = OPAQUE) -> str:
    """A short-lived link that downloads the object as an attachment with `content_type`
    (made harmless: an active type stored earlier downloads as opaque bytes)."""
    name = key.rsplit("/", 1)[-1]
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": _bucket(),
                "Key": key,
                "ResponseContentDisposition": attachment(name),
                "ResponseContentType": content_type_for(name, content_type),
            },
            ExpiresIn=DOWNLOAD_SECONDS,
        )
    )

"""The process's one boto3 session, created on first use (boto3 is the heaviest import).

Shared by the secrets reader (chalicelib/secrets.py, before the settings exist) and the AWS
clients (chalicelib/adapters/aws.py): one session loads botocore's service models once.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def session() -> Any:
    import boto3

    return boto3.session.Session()

"""The stage's secrets, read from AWS Secrets Manager through Powertools Parameters.

One secret per stage (`AppSecrets` in infrastructure/resources.json, named
`microintern/<stage>/app`); its SecretString is a JSON object whose keys are the settings'
environment names (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, FINANCE_WEBHOOK_SECRET, CSRF_SECRET,
FINANCE_API_KEY_SHA256). Functions get its ARN as APP_SECRETS_ID.

Invariants:
- read only when settings are first needed, never at import (cold start): Powertools'
  parameters module and the Secrets Manager client are imported and built on first use;
- cached for `max_age` seconds by Powertools, so a rotated value is picked up within that time
  without a GetSecretValue per request;
- values never reach logs or exception messages (errors carry the secret's id only).
"""

from __future__ import annotations

import threading
from typing import Any

MAX_AGE_SECONDS = 300  # how long a read secret is trusted before it is read again

_lock = threading.Lock()
_provider: Any = None


class SecretsUnavailable(Exception):
    """The secret could not be read, or is not a JSON object of strings."""


def _secrets_provider(region: str) -> Any:
    global _provider
    with _lock:
        if _provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider
            from botocore.config import Config

            from chalicelib.aws_session import session

            config = Config(
                retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=3, read_timeout=10
            )
            # The process's session (endpoints from AWS_ENDPOINT_URL reach the twin locally);
            # not through chalicelib.adapters, which reads the settings this is loading.
            client = session().client("secretsmanager", region_name=region, config=config)
            _provider = SecretsProvider(boto3_client=client)
        return _provider


def read_secret(secret_id: str, region: str, max_age: int = MAX_AGE_SECONDS) -> dict[str, str]:
    """The JSON object stored in `secret_id` (cached for `max_age` seconds)."""
    from aws_lambda_powertools.utilities.parameters import (
        GetParameterError,
        TransformParameterError,
    )

    try:
        value = _secrets_provider(region).get(secret_id, transform="json", max_age=max_age)
    except (GetParameterError, TransformParameterError) as exc:
        # botocore's message names the call and the error code, and the JSON decoder's a
        # position, never a secret's value.
        reason = str(exc).splitlines()[0][:300]
        raise SecretsUnavailable(f"cannot read secret {secret_id!r}: {reason}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SecretsUnavailable(f"secret {secret_id!r} is not a JSON object of strings")
    return {str(k): v for k, v in value.items()}


def reset() -> None:
    """Forget the provider and its cache (tests that switch AWS backends between runs)."""
    global _provider
    with _lock:
        _provider = None

"""Standard Webhooks signing (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and the
seed-002 `X-Webhook-Signature` (hex HMAC-SHA256 of the body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.digest(_key(secret), signed, hashlib.sha256)
    return "v1," + base64.b64encode(digest).decode()


def body_signature(secret: str, body: bytes) -> str:
    """Seed 002's simple form: keyed with the secret string exactly as the user holds it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_headers(
    secrets_in_use: list[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Headers of one attempt; the first secret is the current one, any others are still in
    their rotation grace period and add their signature (space-separated)."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(secret, msg_id, timestamp, body) for secret in secrets_in_use
        ),
        "x-webhook-signature": body_signature(secrets_in_use[0], body),
    }

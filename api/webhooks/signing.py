"""Standard Webhooks signing (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and the
seed-002 `X-Webhook-Signature` (hex HMAC-SHA256 of the body).

During a rotation's grace period Standard Webhooks carries both signatures in its one header
(space-separated, as its receivers expect). `X-Webhook-Signature` stays one hex digest keyed
with the new secret, since a simple receiver compares the whole header; the old secret's
digest goes in `X-Webhook-Signature-Previous`, so a receiver still holding the old secret
keeps verifying until it switches, instead of failing for the whole grace period."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
SECRET_BYTES = 32
PREVIOUS_SIGNATURE_HEADER = "x-webhook-signature-previous"


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
    current, *previous = secrets_in_use
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(secret, msg_id, timestamp, body) for secret in secrets_in_use
        ),
        "x-webhook-signature": body_signature(current, body),
    }
    if previous:
        headers[PREVIOUS_SIGNATURE_HEADER] = " ".join(
            body_signature(secret, body) for secret in previous
        )
    return headers

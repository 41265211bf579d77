"""Per-session report tokens: a worker may report on the one session it was dispatched to."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

import jwt
from litestar import Request

from api.auth import extract_api_key
from api.db import utcnow
from api.errors import NotFound, Unauthorized
from api.resources import Resources

_AUDIENCE = "voxroom-worker-report"


def _signing_key(livekit_secret: str) -> bytes:
    # Derived, so a report token can never pass as a LiveKit token or the other way round.
    return hmac.new(livekit_secret.encode(), b"voxroom report tokens", hashlib.sha256).digest()


def issue_report_token(
    livekit_secret: str, session_id: str, project_id: str, valid_for: timedelta
) -> str:
    now = utcnow()
    claims = {
        "sub": session_id,
        "pid": project_id,
        "aud": _AUDIENCE,
        "iat": now,
        "exp": now + valid_for,
    }
    return jwt.encode(claims, _signing_key(livekit_secret), algorithm="HS256")


def verify_report_token(livekit_secret: str, token: str) -> tuple[str, str] | None:
    """Return (session_id, project_id) for a valid token, else None."""
    try:
        claims = jwt.decode(
            token, _signing_key(livekit_secret), algorithms=["HS256"], audience=_AUDIENCE
        )
    except jwt.PyJWTError:
        return None
    return str(claims["sub"]), str(claims["pid"])


def session_from_token(resources: Resources, request: Request[Any, Any, Any]) -> tuple[str, str]:
    """(session_id, project_id) of the request's report token, else 401."""
    token = extract_api_key(request.scope)
    claims = (
        verify_report_token(resources.settings.require_livekit_secret(), token) if token else None
    )
    if claims is None:
        raise Unauthorized("Invalid or expired report token")
    return claims


def token_project(resources: Resources, request: Request[Any, Any, Any], session_id: str) -> str:
    """The project of the request's report token, which must be `session_id`'s (else 404)."""
    token_session, project_id = session_from_token(resources, request)
    if token_session != session_id:
        raise NotFound("Session not found")
    return project_id

"""Calls to LiveKit's SIP API, with its failures translated into API errors in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import aiohttp
from livekit import api as lk

from api.errors import ApiError, Conflict, InvalidRequest, NotFound, QuotaExceeded, Unavailable
from sip import SipError

logger = logging.getLogger(__name__)

_REFUSALS = {
    lk.TwirpErrorCode.INVALID_ARGUMENT,
    lk.TwirpErrorCode.ALREADY_EXISTS,
    lk.TwirpErrorCode.FAILED_PRECONDITION,
}


@asynccontextmanager
async def sip_call(what: str) -> AsyncIterator[None]:
    try:
        yield
    except lk.TwirpError as exc:
        if exc.code == lk.TwirpErrorCode.NOT_FOUND:
            raise NotFound(f"{what} not found in LiveKit") from exc
        if exc.code in _REFUSALS:
            # LiveKit's message quotes the numbers involved: keep it out of the response.
            raise Conflict(
                f"LiveKit refused the {what.lower()}: it conflicts with an existing trunk or "
                "rule for the same numbers",
                details={"livekit_code": exc.code},
            ) from exc
        raise Unavailable(
            "LiveKit's SIP service refused the request (does livekit-server run with Redis?)",
            details={"livekit_code": exc.code},
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Unavailable("LiveKit is unreachable") from exc


async def delete_quietly(what: str, deletion: Awaitable[object]) -> None:
    """Undo a LiveKit object created by a step that failed afterwards; one already gone is
    fine, and a failure here must not hide the error being handled."""
    try:
        await deletion
    except (lk.TwirpError, aiohttp.ClientError, TimeoutError):
        logger.warning("could not delete a LiveKit object", extra={"object": what})


def api_error(exc: SipError) -> ApiError:
    """The API's error for a telephony library error (same status, code and details)."""
    error_type: type[ApiError] = {
        409: Conflict,
        422: InvalidRequest,
        429: QuotaExceeded,
    }.get(exc.status, ApiError)
    error = error_type(exc.message, details=exc.details)
    error.status_code = exc.status
    error.code = exc.code
    return error

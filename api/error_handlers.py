"""One mapping from every exception to the wire format `{"error", "code", "details"}`."""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError

from agent_worker.contracts import ConfigConflict
from api.errors import ApiError
from kb import KbError

logger = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "INVALID_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "INVALID_REQUEST",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_REQUEST",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}

_MESSAGES_BY_STATUS = {
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    return Response(
        {"error": message, "code": code, "details": details or {}},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


def _config_conflict(_: Request[Any, Any, Any], exc: ConfigConflict) -> Response[dict[str, Any]]:
    return error_response(409, "CONFLICT", exc.message, {"field": exc.field})


def _kb_error(_: Request[Any, Any, Any], exc: KbError) -> Response[dict[str, Any]]:
    return error_response(exc.status, exc.code, exc.message, exc.details)


_NAMED_FIELD = re.compile(r"(?:unknown|missing required) field `([^`]+)`")
"""msgspec names a missing or unknown field in its message and reports the enclosing object."""


def _field_name(item: dict[str, Any]) -> str:
    # Errors of the body as a whole (cross-field rules) come without a key, or with the
    # handler's parameter name `data` when the body is a msgspec struct.
    parent = str(item.get("key") or "")
    parent = "" if parent == "data" else parent
    named = _NAMED_FIELD.search(str(item.get("message", "")))
    if named:
        return f"{parent}.{named.group(1)}" if parent else named.group(1)
    return parent or "body"


def _field_errors(extra: Any) -> list[dict[str, str]]:
    if not isinstance(extra, list):
        return []
    return [
        {"field": _field_name(item), "message": str(item.get("message", "invalid"))}
        for item in extra
        if isinstance(item, dict)
    ]


def _validation_error(
    _: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = _field_errors(exc.extra)
    if not errors:
        # Litestar raises the same exception for bodies it cannot decode at all.
        return error_response(400, "INVALID_REQUEST", "Malformed request body")
    first = errors[0]
    message = f"Invalid value for '{first['field']}': {first['message']}"
    return error_response(
        422, "INVALID_REQUEST", message, {"field": first["field"], "errors": errors}
    )


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = _CODES_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "INVALID_REQUEST")
    message = _MESSAGES_BY_STATUS.get(status) or (
        exc.detail if status < 500 and exc.detail else "Request failed"
    )
    # Litestar's router names the methods of a path in a lower-case `allow` header on a 405.
    allow = {name.lower(): value for name, value in (exc.headers or {}).items()}.get("allow")
    return error_response(status, code, message, headers={"Allow": allow} if allow else None)


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    # PostgreSQL's class 22 (data exception): a value its column cannot hold, such as text with
    # a NUL character, which SQLite stores and PostgreSQL refuses. The input's fault, not ours.
    sqlstate = getattr(exc.orig, "pgcode", None) or getattr(
        getattr(exc.orig, "__cause__", None), "sqlstate", None
    )
    if isinstance(sqlstate, str) and sqlstate.startswith("22"):
        return error_response(
            422, "INVALID_REQUEST", "A value cannot be stored (a NUL character, or too long)"
        )
    return _unexpected_error(request, exc)


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error", extra={"path": request.url.path, "method": request.method})
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApiError: _api_error,
    KbError: _kb_error,
    ConfigConflict: _config_conflict,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    DBAPIError: _database_error,
    Exception: _unexpected_error,
}

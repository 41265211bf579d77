"""The control plane's error hierarchy. Services raise these; `api.error_handlers` maps them."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status_code = 500
    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


class InvalidRequest(ApiError):
    status_code = 400
    code = "INVALID_REQUEST"


class ValidationFailed(InvalidRequest):
    """A well-formed request whose fields break a rule; `field` names the culprit."""

    status_code = 422

    def __init__(self, message: str, *, field: str, **kwargs: Any) -> None:
        details = {"field": field, **kwargs.pop("details", {})}
        super().__init__(message, details=details, **kwargs)


class Unauthorized(ApiError):
    status_code = 401
    code = "UNAUTHORIZED"


class Forbidden(ApiError):
    status_code = 403
    code = "FORBIDDEN"


class NotFound(ApiError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(ApiError):
    status_code = 409
    code = "CONFLICT"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class QuotaExceeded(ApiError):
    status_code = 429
    code = "QUOTA_EXCEEDED"


class RateLimited(ApiError):
    status_code = 429
    code = "RATE_LIMITED"


class Unavailable(ApiError):
    status_code = 503
    code = "UNAVAILABLE"

"""The knowledge-base error hierarchy.

Each error carries a stable `code` (matching the API's error codes), the HTTP `status` it
maps to, an optional `field` naming the offending input, and `details` safe to show to the
caller. The control plane maps `KbError` to its wire format in one handler.
"""

from typing import Any, ClassVar


class KbError(Exception):
    """Base of every error the knowledge-base library raises on purpose."""

    code: ClassVar[str] = "INVALID_REQUEST"
    status: ClassVar[int] = 400

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details: dict[str, Any] = dict(details or {})
        if field is not None:
            self.details.setdefault("field", field)


class NotFound(KbError):
    """The object does not exist in this project (another project's object is also this)."""

    code = "NOT_FOUND"
    status = 404


class InvalidInput(KbError):
    """A parameter is out of range or malformed."""

    code = "INVALID_REQUEST"
    status = 422


class ConflictingInput(InvalidInput):
    """Fields that contradict each other (a rule the API's JSON Schema cannot state)."""

    code = "CONFLICT"
    status = 409


class UnsupportedContentType(KbError):
    """The content is not one of the accepted document types (checked from the bytes)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class ContentTooLarge(KbError):
    """The upload, the fetched body or the unpacked archive exceeds its limit."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class ExtractionFailed(KbError):
    """The content claimed a supported type but could not be parsed, or held no text."""

    code = "INVALID_REQUEST"
    status = 422


class UnsafeUrl(KbError):
    """The URL's scheme, host or resolved address is refused (SSRF protection)."""

    code = "INVALID_REQUEST"
    status = 400


class FetchFailed(KbError):
    """The remote server could not be reached, timed out, or answered with an error."""

    code = "INVALID_REQUEST"
    status = 422


class EmbeddingModelError(KbError):
    """The offline embedding model is missing or is not the pinned file."""

    code = "UNAVAILABLE"
    status = 503

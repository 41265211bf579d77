"""The telephony error hierarchy.

Each error carries a stable `code` (matching the API's error codes), the HTTP `status` it maps
to, and `details` safe to show to the caller (never a full phone number: they are personal
data and stay out of logs and error bodies alike).
"""

from __future__ import annotations

from typing import Any, ClassVar


class SipError(Exception):
    """Base of every error the telephony library raises on purpose."""

    code: ClassVar[str] = "INVALID_REQUEST"
    status: ClassVar[int] = 400

    def __init__(
        self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if field is not None:
            self.details.setdefault("field", field)


class InvalidPhoneNumber(SipError):
    """Not a valid E.164 number (or not a number that can be dialled at all)."""

    status = 422


class DestinationRefused(SipError):
    """The dialling policy refuses the destination (country not allowed, premium, high cost);
    `details.reason` says which. A conflict with the project's policy, not a malformed field."""

    code = "CONFLICT"
    status = 409


class CallLimitReached(SipError):
    """The project is at its concurrent-call or daily-minute cap for outbound calls."""

    code = "QUOTA_EXCEEDED"
    status = 429


class BridgeConfigError(SipError):
    """The settings cannot produce a working livekit-sip configuration."""

    code = "INTERNAL_ERROR"
    status = 500

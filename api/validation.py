"""Turning pydantic validation failures raised inside services into 422s naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from api.errors import ValidationFailed


def field_name(loc: tuple[int | str, ...], prefix: str = "") -> str:
    parts = [str(part) for part in loc]
    return ".".join([prefix, *parts] if prefix else parts) or "body"


def to_api_error(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    errors = [
        {"field": field_name(err["loc"], prefix), "message": err["msg"]} for err in exc.errors()
    ]
    first = errors[0]
    return ValidationFailed(
        f"Invalid value for '{first['field']}': {first['message']}",
        field=first["field"],
        details={"errors": errors},
    )


def parse_timestamp(value: str | None, *, field: str) -> datetime | None:
    """An ISO 8601 date-time from a query parameter, naive values read as UTC.

    Query parameters are declared as `format: date-time` strings and parsed here, because
    Litestar's lax conversion would also take a bare number ("0.5") as a Unix time.
    """
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"Invalid value for '{field}': expected an ISO 8601 date-time", field=field
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

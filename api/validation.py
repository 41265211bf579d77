"""Turning pydantic validation failures raised inside services into 422s naming the field."""

from __future__ import annotations

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

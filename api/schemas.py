"""The bases of every request body the control plane accepts and every JSON body it returns."""

from __future__ import annotations

from litestar.plugins.pydantic import PydanticInitPlugin
from pydantic import BaseModel, ConfigDict

from agent_worker.contracts import Strict

WHITESPACE = "\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Python's whitespace (`str.isspace`), spelled out: regex dialects disagree on `\\s` (ECMA's,
which clients and fuzzers use, leaves out `\\x85` and `\\x1c`-`\\x1f`), so patterns name it."""

NOT_BLANK = f"^[^\x00]*[^{WHITESPACE}\x00][^\x00]*$"
"""A pattern: the text has a character that is not whitespace (what `strip()` keeps), and no
NUL character (which no text field takes)."""


class RequestBody(Strict):
    """A JSON request body, checked exactly as the OpenAPI document describes it.

    Unknown fields are refused (the document says `additionalProperties: false`), and types
    are strict: `false` is not the integer 0 and `"5"` is not a number. Litestar hands pydantic
    the decoded JSON as Python objects, where strict mode also wants enum members and
    `datetime` objects: give such fields `Field(strict=False)`. The same base as the
    worker's wire models (`Strict`), which also reads `600.0` as the integer JSON says it is.
    """


class ResponseBody(BaseModel):
    """A JSON response body: each field's docstring is its description in the OpenAPI
    document, as for request bodies."""

    model_config = ConfigDict(use_attribute_docstrings=True)


def body_validation_plugin() -> PydanticInitPlugin:
    """Litestar's pydantic plugin, set to let each model's own `strict` setting decide.

    Litestar calls `model_validate(value, strict=False)` by default, and a `strict` argument
    overrides the model's configuration, so `RequestBody`'s strictness would never apply.
    `None` is what pydantic takes as "as the model says" (Litestar types the option as bool);
    tests/api/test_openapi_contract.py fails if an upgrade stops passing it through.
    """
    return PydanticInitPlugin(validate_strict=None)  # type: ignore[arg-type]

"""The OpenAPI document: one error schema, the statuses each operation can return, security.

Error statuses are not written by hand on each route: `declare_error_responses` derives them
from what the route is (behind the API key, has a body, has path or query parameters, takes an
`Idempotency-Key`), plus the statuses its service can raise, listed in the route's `opt` with
`errors(...)`. So a new route is documented the same way as the old ones without anyone
remembering to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import msgspec
from litestar import Litestar
from litestar.enums import ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
    Tag,
)
from litestar.openapi.spec.base import BaseSchemaObject
from pydantic import BaseModel

ERROR_CODES = (
    "INVALID_REQUEST",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "QUOTA_EXCEEDED",
    "RATE_LIMITED",
    "INTERNAL_ERROR",
    "UNAVAILABLE",
)


ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    title="Error",
    description="Every error the API returns, whatever its status.",
    required=["error", "code", "details"],
    additional_properties=False,
    properties={
        "error": Schema(
            type=OpenAPIType.STRING, description="A message for people; do not parse it"
        ),
        "code": Schema(
            type=OpenAPIType.STRING,
            enum=list(ERROR_CODES),
            description="A stable code for programs",
        ),
        "details": Schema(
            type=OpenAPIType.OBJECT,
            description="Context: `field` names the culprit of a 422; limits and usage of a 429",
        ),
    },
    examples=[
        {
            "error": "Invalid value for 'llm.temperature': must be at most 2",
            "code": "INVALID_REQUEST",
            "details": {"field": "llm.temperature"},
        }
    ],
)


_DESCRIPTIONS = {
    400: "Malformed request (a body that is not JSON, a bad header)",
    401: "Missing, invalid or revoked API key",
    403: "The API key lacks the scope this operation needs",
    404: "No such object in this project",
    409: "Conflict with the current state (or an Idempotency-Key reused with another body)",
    413: "Request body too large",
    415: "Unsupported media type",
    416: "The requested byte range is outside the file; `Content-Range` gives its size",
    422: "A field breaks a rule; `details.field` names it",
    429: "Rate limit or quota exceeded; `Retry-After` says when to try again",
    503: "A dependency (LiveKit, Redis, a worker) is unavailable; retry later",
}

ERRORS_OPT = "documented_errors"


def errors(*statuses: int) -> dict[str, tuple[int, ...]]:
    """A route's `opt` entry: statuses its service raises beyond those derived from its shape
    (e.g. `opt={**WRITE, **errors(409, 503)}`)."""
    return {ERRORS_OPT: statuses}


BODY_OPT = "decoded_body"


def reads_body(model: type[msgspec.Struct]) -> dict[str, type[msgspec.Struct]]:
    """A route's `opt` entry: the JSON body it decodes itself with `api.requests.decode_body`
    (strictly, where Litestar's `data` conversion is lenient), documented as its request body."""
    return {BODY_OPT: model}


def _statuses_of(operation: Operation, raised: tuple[int, ...]) -> set[int]:
    statuses = set(raised)
    if operation.security:
        statuses |= {401, 403, 429}
    if operation.request_body is not None:
        statuses |= {400, 413, 415, 422}
    locations = {
        param.param_in for param in operation.parameters or () if isinstance(param, Parameter)
    }
    if locations:
        statuses.add(422)
    if ParamType.PATH in locations:
        statuses.add(404)
    if any(
        isinstance(param, Parameter) and param.name == "Idempotency-Key"
        for param in operation.parameters or ()
    ):
        statuses.add(409)
    return statuses


_REF = "#/components/schemas/{name}"


@dataclass
class LibrarySchema(BaseSchemaObject):
    """A component schema as written by the library that validates the model."""

    body: dict[str, Any]

    def to_schema(self) -> dict[str, Any]:
        return self.body


def _models_of(app: Litestar) -> list[type[BaseModel] | type[msgspec.Struct]]:
    """Every pydantic model and msgspec struct a route takes as its body or returns, nested
    ones included (not injected dependencies such as the caller's `Principal`)."""
    found: dict[Any, None] = {}

    def visit(annotation: Any) -> None:
        if annotation in found:
            return
        for argument in get_args(annotation):
            visit(argument)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel | msgspec.Struct):
            found[annotation] = None

    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and handler.resolve_include_in_schema():
                signature = handler.parsed_fn_signature
                visit(handler.opt.get(BODY_OPT))
                visit(signature.return_type.annotation)
                if (body := signature.parameters.get("data")) is not None:
                    visit(body.annotation)
    return list(found)


def _library_schemas(model: type[BaseModel] | type[msgspec.Struct]) -> dict[str, dict[str, Any]]:
    """The model's schema and those of the models it nests, by component name."""
    if issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template=_REF.replace("{name}", "{model}"))
    else:
        # msgspec has no model-level schema option: a struct states its cross-field rules
        # in a `json_schema_extra` class variable, as pydantic models do in their config.
        _, nested = msgspec.json.schema_components([model], ref_template=_REF)
        schema = {**nested.pop(model.__name__), **getattr(model, "json_schema_extra", {})}
        schema["$defs"] = nested
    nested = schema.pop("$defs", {})
    return {model.__name__: schema, **nested}


def _tidy(schema: dict[str, Any]) -> dict[str, Any]:
    """pydantic titles every property after its name (the docs page reads better without), and
    writes `default: null` on fields that are merely optional: there the default is absence,
    and `null` itself would be refused."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        nullable = any(option.get("type") == "null" for option in prop.get("anyOf", ()))
        if "default" in prop and prop["default"] is None and not nullable:
            del prop["default"]
        for option in [prop, *prop.get("anyOf", ())]:
            _refuse_nul(option)
            if option.get("type") == "array" and isinstance(option.get("items"), dict):
                _refuse_nul(option["items"])
    return schema


_NO_NUL = "^[^\u0000]*$"


def _refuse_nul(schema: dict[str, Any]) -> None:
    """A free text field says it takes no NUL character, as the models enforce (PostgreSQL
    cannot store one). A field with a pattern of its own keeps it alone (fuzzers cannot
    intersect two patterns): every such pattern in the models leaves NUL out itself."""
    if schema.get("type") != "string" or {"enum", "const", "pattern"} & schema.keys():
        return
    schema["pattern"] = _NO_NUL


def use_library_schemas(app: Litestar) -> None:
    """Replace Litestar's translation of each request and response model with the JSON Schema
    of the library that validates it (pydantic, msgspec).

    Litestar 2's translation loses constraints the server enforces (a `pattern` beside a
    `description`, `minimum: 0`, bounds of optional fields, `additionalProperties: false`), so
    generated clients and fuzzers were told less than the truth. Both libraries build the
    schema from the same definition they validate with.
    """
    document = app.openapi_schema
    components = document.components
    if not isinstance(components, Components):
        components = document.components = Components()
    schemas: dict[str, Any] = dict(components.schemas or {})
    for model in _models_of(app):
        for name, schema in _library_schemas(model).items():
            schemas[name] = LibrarySchema(_tidy(schema))
    components.schemas = schemas


def finish_document(app: Litestar) -> None:
    """Complete what Litestar generates: exact model schemas and every error response."""
    use_library_schemas(app)
    declare_error_responses(app)


def declare_error_responses(app: Litestar) -> None:
    """Document every error status each operation can return, with the one `Error` schema.

    Derived from the generated document itself (an operation behind the key can answer 401,
    403 and 429; one with a body 400, 413, 415 and 422; with parameters 422; with path
    parameters 404), plus what the route's `opt` lists with `errors(...)`. Call it on the built
    app, before the document is first served.
    """
    handlers = {
        handler.operation_id: handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if isinstance(handler, HTTPRouteHandler)
    }
    document = app.openapi_schema
    components = document.components
    if not isinstance(components, Components):
        components = document.components = Components()
    components.schemas = {**(components.schemas or {}), "Error": ERROR_SCHEMA}
    error_ref = Reference(ref="#/components/schemas/Error")
    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(path_item, method)
            if operation is None:
                continue
            opt = handlers[operation.operation_id].opt if operation.operation_id in handlers else {}
            if (body := opt.get(BODY_OPT)) is not None:
                operation.request_body = RequestBody(
                    required=True,
                    content={
                        "application/json": OpenAPIMediaType(
                            schema=Reference(ref=_REF.format(name=body.__name__))
                        )
                    },
                )
            responses = dict(operation.responses or {})
            for status in sorted(_statuses_of(operation, opt.get(ERRORS_OPT, ()))):
                responses[str(status)] = OpenAPIResponse(
                    description=_DESCRIPTIONS[status],
                    content={"application/json": OpenAPIMediaType(schema=error_ref)},
                )
            operation.responses = responses


SECURITY: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"ApiKeyAuth": []}]

TAGS = [
    Tag(name="health", description="Liveness and readiness, no key needed"),
    Tag(name="projects", description="The project of the calling key"),
    Tag(name="api-keys", description="Project API keys (admin scope)"),
    Tag(name="tokens", description="LiveKit room tokens for callers, with agent dispatch"),
    Tag(
        name="rooms",
        description="LiveKit rooms of the project, their participants, and call control",
    ),
    Tag(name="agents", description="Voice agents: configuration, tools, text chat"),
    Tag(
        name="sessions",
        description="Calls: status, transcripts, usage, latency, and supervision of agent calls",
    ),
    Tag(
        name="recordings",
        description="Stereo recordings of agent calls, room recordings on demand, downloads",
    ),
    Tag(name="knowledge-bases", description="Documents an agent answers from, and search"),
    Tag(name="telephony", description="SIP trunks, phone lines, dial-out and dialling policy"),
    Tag(name="webhooks", description="Signed event deliveries to your endpoints, with their log"),
    Tag(name="usage", description="Metered usage and costs, and the plan's quotas"),
    Tag(
        name="voice",
        description="Voice without an SDK: project defaults, sessions a browser joins over a "
        "plain WebSocket with a one-time URL, and Twilio calls",
    ),
]


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Voxroom API",
        version=version,
        description=(
            "Control plane for realtime voice AI agents on LiveKit rooms. Authenticate with a "
            "project API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`. Errors "
            'are always `{"error", "code", "details"}`.'
        ),
        path="/schema",
        tags=TAGS,
        components=Components(
            security_schemes={
                "BearerAuth": SecurityScheme(
                    type="http", scheme="bearer", description="A project API key (`vxr_...`)"
                ),
                "ApiKeyAuth": SecurityScheme(
                    type="apiKey",
                    name="X-API-Key",
                    security_scheme_in="header",
                    description="A project API key (`vxr_...`)",
                ),
            }
        ),
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
    )

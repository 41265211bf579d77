from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post

from api.auth import WRITE
from api.deps import principal_of, resources_of
from api.idempotency import IdempotentOperation, idempotency_key, run_once
from api.openapi import errors, reads_body
from api.requests import decode_body
from api.tokens.schemas import TokenRequest, TokenResponse
from api.tokens.services import TokenService


class TokenController(Controller):
    tags = ["tokens"]

    @post(
        "/token",
        operation_id="createToken",
        operation_class=IdempotentOperation,
        # 404: no such agent; 503: no agent worker has room for the call (or LiveKit is down).
        opt={**WRITE, **errors(404, 503), **reads_body(TokenRequest)},
        status_code=200,
    )
    async def create_token(self, request: Request[Any, Any, Any]) -> TokenResponse:
        # The hot path: read resources and caller straight from the request, since Litestar
        # resolves two or more dependencies through a task group per request.
        resources, principal = resources_of(request), principal_of(request)
        data = decode_body(await request.body(), TokenRequest)
        service = TokenService(resources, principal)
        return await run_once(
            resources.redis,
            project_id=principal.project_id,
            operation="token",
            key=idempotency_key(request.scope),
            body=data,
            ttl_s=resources.settings.idempotency_ttl_s,
            response_type=TokenResponse,
            action=lambda: service.issue(data),
        )

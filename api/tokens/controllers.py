from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody

from api.auth import WRITE
from api.idempotency import run_once
from api.projects.schemas import Principal
from api.resources import Resources
from api.tokens.schemas import TokenRequest, TokenResponse
from api.tokens.services import TokenService


class TokenController(Controller):
    tags = ["tokens"]

    @post("/token", operation_id="createToken", guards=[WRITE], status_code=200)
    async def create_token(
        self,
        data: JSONBody[TokenRequest],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> TokenResponse:
        service = TokenService(resources, principal)
        return await run_once(
            resources.redis,
            project_id=principal.project_id,
            operation="token",
            key=idempotency_key,
            body=data,
            ttl_s=resources.settings.idempotency_ttl_s,
            response_type=TokenResponse,
            action=lambda: service.issue(data),
        )

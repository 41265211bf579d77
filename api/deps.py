"""Dependencies injected into controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import Provide
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import Unauthorized
from api.projects.schemas import Principal
from api.resources import Resources


def resources_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Resources:
    resources: Resources = connection.app.state.resources
    return resources


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("auth")
    if not isinstance(principal, Principal):
        raise Unauthorized("Missing API key")
    return principal


def provide_resources(request: Request[Any, Any, Any]) -> Resources:
    return resources_of(request)


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    async with resources_of(request).sessions() as session:
        yield session


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


DEPENDENCIES = {
    "resources": Provide(provide_resources, sync_to_thread=False),
    "db_session": Provide(provide_db_session),
    "principal": Provide(provide_principal, sync_to_thread=False),
}

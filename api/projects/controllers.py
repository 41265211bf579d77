from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import ADMIN, READ
from api.projects.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyId,
    ApiKeyList,
    ApiKeyRead,
    Principal,
    ProjectRead,
    VerifyRead,
)
from api.projects.services import ProjectService, project_read
from api.resources import Resources


class ProjectController(Controller):
    tags = ["projects"]

    @get("/projects/current", operation_id="getCurrentProject", opt=READ)
    async def current(
        self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> ProjectRead:
        return project_read(await ProjectService(db_session).get_project(principal.project_id))

    @get("/verify", operation_id="verifyApiKey", opt=READ)
    async def verify(
        self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> VerifyRead:
        service = ProjectService(db_session)
        project = await service.get_project(principal.project_id)
        key = await service.get_key(principal.project_id, principal.key_id)
        return VerifyRead(valid=True, project=project_read(project), key=key)


class ApiKeyController(Controller):
    path = "/api-keys"
    tags = ["api-keys"]
    opt = ADMIN

    @get(operation_id="listApiKeys")
    async def list_keys(
        self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> ApiKeyList:
        keys = await ProjectService(db_session).list_keys(principal.project_id)
        return ApiKeyList(api_keys=keys, total=len(keys))

    @post(operation_id="createApiKey")
    async def create_key(
        self,
        data: JSONBody[ApiKeyCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> ApiKeyCreated:
        return await ProjectService(db_session).create_key(
            principal.project_id, data.scope, data.name
        )

    @delete("/{key_id:str}", operation_id="revokeApiKey", status_code=200)
    async def revoke_key(
        self,
        key_id: ApiKeyId,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        resources: NamedDependency[Resources],
    ) -> ApiKeyRead:
        service = ProjectService(db_session, resources.redis)
        return await service.revoke_key(principal.project_id, key_id)

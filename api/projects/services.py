"""Projects and API keys: keys are random, shown once, stored as a SHA-256 hash plus a prefix."""

from __future__ import annotations

import hashlib
import secrets

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.db import get_owned, scoped, utcnow
from api.errors import Conflict, NotFound
from api.ids import new_id
from api.projects.models import ApiKey, Project
from api.projects.schemas import (
    SCOPE_RANK,
    ApiKeyCreated,
    ApiKeyRead,
    Principal,
    ProjectRead,
    Scope,
)

KEY_PREFIX = "vxr_"
_CACHE_PREFIX = "vx:apikey:"


def hash_key(raw_key: str) -> str:
    # Keys carry 256 bits of randomness, so a fast hash is safe here (no dictionary attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def key_cache_name(key_hash: str) -> str:
    return _CACHE_PREFIX + key_hash


def scopes_up_to(scope: Scope) -> list[Scope]:
    return [s for s in Scope if SCOPE_RANK[s] <= SCOPE_RANK[scope]]


def _key_read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=[Scope(s) for s in key.scopes.split()],
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def project_principal(project: Project, key: ApiKey | None = None) -> Principal:
    """The caller: a key of the project, or with no key the project itself (for a call that
    no key placed, such as a phone call or a media-gateway ticket's)."""
    return Principal(
        key_id=key.id if key else "",
        project_id=project.id,
        project_name=project.name,
        room_prefix=project.room_prefix,
        plan=project.plan,
        scopes=[Scope(s) for s in key.scopes.split()] if key else [],
    )


def project_read(project: Project) -> ProjectRead:
    return ProjectRead.model_validate(project, from_attributes=True)


class ProjectService:
    def __init__(self, session: AsyncSession, redis: Redis | None = None) -> None:
        self.session = session
        self.redis = redis

    async def create_project(self, name: str, plan: str = "free") -> Project:
        project = Project(
            id=new_id("prj"), name=name, plan=plan, room_prefix=f"p{secrets.token_hex(4)}_"
        )
        self.session.add(project)
        try:
            await self.session.commit()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict("A project with this name exists", details={"name": name}) from exc
        return project

    async def get_project(self, project_id: str) -> Project:
        project = await self.session.get(Project, project_id)
        if project is None:
            raise NotFound("Project not found")
        return project

    async def find_project(self, name: str) -> Project | None:
        result = await self.session.exec(select(Project).where(Project.name == name))
        return result.first()

    async def count_projects(self) -> int:
        result = await self.session.exec(select(Project.id))
        return len(result.all())

    async def create_key(self, project_id: str, scope: Scope, name: str = "") -> ApiKeyCreated:
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=new_id("key"),
            project_id=project_id,
            name=name,
            prefix=raw[:12],
            key_hash=hash_key(raw),
            scopes=" ".join(scopes_up_to(scope)),
        )
        self.session.add(key)
        await self.session.commit()
        return ApiKeyCreated(**_key_read(key).model_dump(), api_key=raw)

    async def list_keys(self, project_id: str) -> list[ApiKeyRead]:
        result = await self.session.exec(
            scoped(ApiKey, project_id).order_by(col(ApiKey.created_at))
        )
        return [_key_read(key) for key in result.all()]

    async def get_key(self, project_id: str, key_id: str) -> ApiKeyRead:
        return _key_read(await get_owned(self.session, ApiKey, key_id, project_id, "API key"))

    async def revoke_key(self, project_id: str, key_id: str) -> ApiKeyRead:
        key = await get_owned(self.session, ApiKey, key_id, project_id, "API key")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            self.session.add(key)
            await self.session.commit()
        if self.redis is not None:
            # Other replicas read the cache: drop it so the key stops working everywhere now.
            await self.redis.delete(key_cache_name(key.key_hash))
        return _key_read(key)

    async def principal_for(self, key_hash: str) -> Principal | None:
        statement = (
            select(ApiKey, Project)
            .join(Project, Project.id == ApiKey.project_id)  # type: ignore[arg-type]
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
        )
        row = (await self.session.exec(statement)).first()
        if row is None:
            return None
        key, project = row
        return project_principal(project, key)

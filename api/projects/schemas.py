from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import RequestBody


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


SCOPE_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}


class ProjectRead(BaseModel):
    id: str
    name: str
    plan: str
    room_prefix: str
    created_at: datetime


class ApiKeyCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "backend", "scope": "write"}]}
    )

    name: str = Field(default="", max_length=100)
    scope: Scope = Field(default=Scope.WRITE, strict=False)
    """The highest scope: `admin` includes `write`, which includes `read`."""


class ApiKeyRead(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    api_key: str
    """The secret key itself; shown this once and never again."""


class ApiKeyList(BaseModel):
    api_keys: list[ApiKeyRead]
    total: int


class Principal(BaseModel):
    """Who is calling: resolved from the API key on every request (and cached in Redis).

    Frozen: one parsed instance is shared by every request that presents the same key.
    """

    model_config = ConfigDict(frozen=True)

    key_id: str
    project_id: str
    project_name: str
    room_prefix: str
    plan: str
    scopes: list[Scope]

    def allows(self, needed: Scope) -> bool:
        return self.rank >= SCOPE_RANK[needed]

    @cached_property
    def rank(self) -> int:
        """The key's highest scope (a principal is parsed once and shared, so this is too)."""
        return max((SCOPE_RANK[scope] for scope in self.scopes), default=-1)


class VerifyRead(BaseModel):
    valid: bool
    project: ProjectRead
    key: ApiKeyRead

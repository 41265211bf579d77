from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated

from litestar.params import PathParameter
from pydantic import BaseModel, ConfigDict, Field

from api.schemas import RequestBody, ResponseBody


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


SCOPE_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}

ApiKeyId = Annotated[str, PathParameter(description="The API key's id (`key_...`)")]


class ProjectRead(ResponseBody):
    id: str
    """The project's id (`prj_...`)."""
    name: str
    """The project's name, unique on this server."""
    plan: str
    """The plan that sets its rate limits and quotas (e.g. `free`)."""
    room_prefix: str
    """Starts the LiveKit name of each of its rooms (`p1a2b3c4d_`); the API adds it for you."""
    created_at: datetime
    """When it was created (ISO 8601, UTC)."""


class ApiKeyCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "backend", "scope": "write"}]}
    )

    name: str = Field(default="", max_length=100)
    """A label for people, e.g. where the key is used."""
    scope: Scope = Field(default=Scope.WRITE, strict=False)
    """The highest scope: `admin` includes `write`, which includes `read`."""


class ApiKeyRead(ResponseBody):
    """An API key, without its secret."""

    id: str
    """The key's id (`key_...`)."""
    name: str
    """Its label; empty if none."""
    prefix: str
    """The key's first 12 characters (`vxr_...`), to tell keys apart."""
    scopes: list[Scope]
    """What it may do: `read`, `write` (includes read) and `admin` (includes both)."""
    created_at: datetime
    """When it was created (ISO 8601, UTC)."""
    revoked_at: datetime | None
    """When it was revoked; null while it works."""


class ApiKeyCreated(ApiKeyRead):
    api_key: str
    """The secret key itself; shown this once and never again."""


class ApiKeyList(ResponseBody):
    api_keys: list[ApiKeyRead]
    """The project's keys, revoked ones included, oldest first."""
    total: int
    """How many there are."""


class Principal(BaseModel):
    """Who is calling: resolved from the API key on every request (and cached in Redis).

    Frozen: one parsed instance is shared by every request that presents the same key.
    """

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    key_id: str
    """The calling key's id (`key_...`)."""
    project_id: str
    """Its project's id (`prj_...`)."""
    project_name: str
    """Its project's name."""
    room_prefix: str
    """Its project's room name prefix."""
    plan: str
    """Its project's plan."""
    scopes: list[Scope]
    """The key's scopes."""

    def allows(self, needed: Scope) -> bool:
        return self.rank >= SCOPE_RANK[needed]

    @cached_property
    def rank(self) -> int:
        """The key's highest scope (a principal is parsed once and shared, so this is too)."""
        return max((SCOPE_RANK[scope] for scope in self.scopes), default=-1)


class VerifyRead(ResponseBody):
    valid: bool
    """Always true: an invalid key gets 401."""
    project: ProjectRead
    """The key's project."""
    key: ApiKeyRead
    """The key itself."""

"""Creating projects and keys outside a request (CLI, first run of `voxroom up`)."""

from __future__ import annotations

from api.db import create_engine, session_factory
from api.projects.schemas import Scope
from api.projects.services import ProjectService


async def create_project_key(
    database_url: str, project_name: str, scope: Scope, key_name: str = "", plan: str = "free"
) -> tuple[str, str]:
    """Create (or reuse) the named project and a new key in it; return (project_id, key)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            service = ProjectService(session)
            project = await service.find_project(project_name)
            if project is None:
                project = await service.create_project(project_name, plan)
            created = await service.create_key(project.id, scope, key_name)
            return project.id, created.api_key
    finally:
        await engine.dispose()


async def has_projects(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await ProjectService(session).count_projects() > 0
    finally:
        await engine.dispose()

"""Shared fixtures: real Redis, livekit-server and databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from redis import Redis

from api.app import create_app
from api.bootstrap import create_project_key
from api.migrate import upgrade
from api.projects.schemas import Scope
from api.settings import ApiSettings
from tests.services import LiveKit, livekit_server, postgres_server, redis_server

DATABASES = ["sqlite", "postgres"]

# `make test` spreads the suite over pytest-xdist workers (`--dist loadgroup`). Tests that need
# the CPU run one after another on one worker: real-time audio through agent workers (two calls'
# media must not compete for the two cores) and the contract fuzzing (a server and Schemathesis
# both busy); the rest mostly waits on real servers, so it shares the other worker well.
HEAVY_MODULES = frozenset(
    {
        "tests/agent_worker/test_dispatch_capacity.py",
        "tests/api/test_monitor_call.py",
        "tests/voxroom/test_supervisor.py",
    }
)


def xdist_group(item: pytest.Item) -> str | None:
    module = item.nodeid.split("::", 1)[0]
    heavy = module in HEAVY_MODULES or "fuzz_target" in item.fixturenames
    return "heavy" if heavy or item.get_closest_marker("e2e") else None


# tryfirst: xdist's own hook (in each worker) turns the marks into groups; ours must mark first.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return  # `-p no:xdist`: nothing spreads the tests, and the marker is not registered
    for item in items:
        group = xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def redis_url(session_tmp: Path) -> Iterator[str]:
    with redis_server(session_tmp) as url:
        yield url


@pytest.fixture(scope="session")
def livekit(session_tmp: Path) -> Iterator[LiveKit]:
    with livekit_server(session_tmp) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def _fresh_postgres_db(admin_url: str) -> tuple[str, str]:
    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: every database-facing test runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'voxroom.db'}"
        upgrade(url)
        yield url
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name, url = _fresh_postgres_db(admin_url)
    upgrade(url)
    yield url
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(database_url: str, redis_url: str, livekit: LiveKit) -> ApiSettings:
    # Rate buckets and idempotency records must not leak from one test into the next.
    with Redis.from_url(redis_url) as redis:
        redis.flushdb()
    return ApiSettings(
        database_url=database_url,
        redis_url=redis_url,
        livekit_url=livekit.url,
        livekit_api_key=livekit.api_key,
        livekit_api_secret=livekit.api_secret,
        rate_limits={"free": 1000, "professional": 1000, "enterprise": 1000},
        anonymous_rate_limit=1000,
    )


@pytest.fixture
async def client(settings: ApiSettings) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


@dataclass(frozen=True)
class ProjectKey:
    project_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


@pytest.fixture
def make_key(settings: ApiSettings):  # type: ignore[no-untyped-def]
    async def make(project: str = "acme", scope: Scope = Scope.ADMIN) -> ProjectKey:
        project_id, key = await create_project_key(settings.database_url, project, scope)
        return ProjectKey(project_id, key)

    return make


@pytest.fixture
async def admin(make_key) -> ProjectKey:  # type: ignore[no-untyped-def]
    return await make_key("acme", Scope.ADMIN)

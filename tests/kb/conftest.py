"""Fixtures for the knowledge-base tests: a real SQLite file, a real PostgreSQL database, the
real embedding model, and a local HTTP server for URL fetching."""

import http.server
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kb.embedding import Embedder
from kb.schema import create_kb_schema
from kb.settings import KbSettings
from kb.store import KnowledgeStore


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
    model.load()
    return model


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(create_kb_schema)
    yield engine
    await engine.dispose()


@pytest.fixture
async def postgres_engine(postgres_admin_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh database per test on the session's real PostgreSQL server (tests/services.py
    starts it and fails with an install hint when the binaries are missing)."""
    name = f"kb_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    engine = create_async_engine(f"{base}/{name}")
    async with engine.begin() as conn:
        await conn.run_sync(create_kb_schema)
    yield engine
    await engine.dispose()
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def kb_engine(request: pytest.FixtureRequest) -> AsyncEngine:
    """Runs a test once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_engine" if request.param == "sqlite" else "postgres_engine"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def kb_settings() -> KbSettings:
    return KbSettings(max_upload_bytes=200_000)


@pytest.fixture
def store(kb_engine: AsyncEngine, embedder: Embedder, kb_settings: KbSettings) -> KnowledgeStore:
    return KnowledgeStore(kb_engine, embedder, kb_settings)


Routes = dict[str, tuple[int, dict[str, str], bytes]]


class LocalHttpServer:
    """A real HTTP server on 127.0.0.1 serving canned responses; `routes` may be edited."""

    def __init__(self) -> None:
        self.routes: Routes = {}
        self.hits: list[str] = []
        routes, hits = self.routes, self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                if self.path == "/slow":
                    time.sleep(3)
                status, headers, body = routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LocalHttpServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def http_server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        yield server

"""Liveness, readiness and the generated API docs."""

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from tests.services import free_port

pytestmark = pytest.mark.integration


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "livekit": "ok"}


async def test_readyz_is_503_when_redis_is_down(settings):
    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    async with AsyncTestClient(app=create_app(broken)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "unavailable"
    assert response.json()["code"] == "UNAVAILABLE"


async def test_openapi_names_every_operation(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations
    assert all(op.get("operationId") for op in operations)
    assert "/api/v1/token" in schema["paths"]
    assert (await client.get("/schema")).status_code == 200

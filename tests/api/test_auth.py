"""API keys: both header styles, scopes (401 vs 403), revocation, keys shown once."""

import pytest

from api.projects.schemas import Scope

pytestmark = pytest.mark.integration


async def test_missing_key_is_401_in_error_format(client):
    response = await client.get("/api/v1/agents")
    assert response.status_code == 401
    assert response.json() == {"error": "Missing API key", "code": "UNAUTHORIZED", "details": {}}


async def test_unknown_key_is_401(client):
    response = await client.get("/api/v1/agents", headers={"X-API-Key": "vxr_not-a-real-key"})
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_bearer_and_x_api_key_are_both_accepted(client, admin):
    bearer = await client.get(
        "/api/v1/projects/current", headers={"Authorization": f"Bearer {admin.api_key}"}
    )
    header = await client.get("/api/v1/projects/current", headers=admin.headers)
    assert bearer.status_code == header.status_code == 200
    assert bearer.json()["id"] == header.json()["id"] == admin.project_id


async def test_read_key_cannot_write(client, make_key):
    reader = await make_key("acme", Scope.READ)
    assert (await client.get("/api/v1/agents", headers=reader.headers)).status_code == 200
    response = await client.post("/api/v1/agents", json={"name": "x"}, headers=reader.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert response.json()["details"] == {"required_scope": "write"}


async def test_write_key_cannot_manage_keys(client, make_key):
    writer = await make_key("acme", Scope.WRITE)
    assert (
        await client.post("/api/v1/agents", json={"name": "x"}, headers=writer.headers)
    ).status_code == 201
    assert (await client.get("/api/v1/api-keys", headers=writer.headers)).status_code == 403


async def test_key_is_shown_once_and_listed_by_prefix_only(client, admin):
    created = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scope": "read"}, headers=admin.headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["api_key"].startswith(body["prefix"])
    assert body["scopes"] == ["read"]
    listing = (await client.get("/api/v1/api-keys", headers=admin.headers)).json()
    assert listing["total"] == 2
    assert all("api_key" not in key for key in listing["api_keys"])
    assert body["api_key"] not in str(listing)


async def test_revoked_key_stops_working_at_once(client, admin):
    created = (await client.post("/api/v1/api-keys", json={}, headers=admin.headers)).json()
    headers = {"X-API-Key": created["api_key"]}
    assert (await client.get("/api/v1/verify", headers=headers)).status_code == 200  # cached now
    revoked = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = await client.get("/api/v1/verify", headers=headers)
    assert response.status_code == 401


async def test_verify_describes_the_key(client, admin):
    body = (await client.get("/api/v1/verify", headers=admin.headers)).json()
    assert body["valid"] is True
    assert body["project"]["id"] == admin.project_id
    assert body["key"]["scopes"] == ["read", "write", "admin"]

"""Every failure speaks the API's error format, never a stack trace."""

import pytest

pytestmark = pytest.mark.integration


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code", "details"}
    assert body["code"] == code
    assert "Traceback" not in response.text
    return body


async def test_malformed_json_is_400(client, admin):
    response = await client.post(
        "/api/v1/agents",
        content=b'{"name": ',
        headers={**admin.headers, "Content-Type": "application/json"},
    )
    assert_error(response, 400, "INVALID_REQUEST")


async def test_wrong_type_is_422_naming_the_field(client, admin):
    response = await client.post(
        "/api/v1/agents", json={"name": "a", "max_duration_s": "long"}, headers=admin.headers
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert body["details"]["field"] == "max_duration_s"


async def test_unknown_field_is_422_naming_the_field(client, admin):
    response = await client.post(
        "/api/v1/agents", json={"name": "a", "voice": "x"}, headers=admin.headers
    )
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert body["details"]["field"] == "voice"


async def test_missing_required_field_is_422(client, admin):
    response = await client.post("/api/v1/token", json={"room": "r"}, headers=admin.headers)
    body = assert_error(response, 422, "INVALID_REQUEST")
    assert body["details"]["field"] == "identity"


async def test_oversized_body_is_413(client, admin):
    huge = {"name": "a", "instructions": "x" * (2 * 1024 * 1024)}
    response = await client.post("/api/v1/agents", json=huge, headers=admin.headers)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_unknown_route_is_404(client, admin):
    assert_error(await client.get("/api/v1/nothing-here", headers=admin.headers), 404, "NOT_FOUND")


async def test_wrong_method_is_405_in_error_format(client, admin):
    response = await client.put("/api/v1/agents", json={}, headers=admin.headers)
    assert_error(response, 405, "INVALID_REQUEST")


async def test_unknown_object_is_404(client, admin):
    response = await client.get("/api/v1/agents/agt_missing", headers=admin.headers)
    assert_error(response, 404, "NOT_FOUND")


async def test_json_array_instead_of_object_is_rejected(client, admin):
    response = await client.post("/api/v1/agents", json=[1, 2], headers=admin.headers)
    assert response.status_code in (400, 422)
    assert response.json()["code"] == "INVALID_REQUEST"

"""Another project's objects are always 404, never 403."""

import pytest

pytestmark = pytest.mark.integration


async def test_project_b_gets_404_on_every_object_of_project_a(client, make_key):
    a = await make_key("project-a")
    b = await make_key("project-b")
    agent = (await client.post("/api/v1/agents", json={"name": "A"}, headers=a.headers)).json()
    assert (
        await client.post("/api/v1/rooms", json={"name": "shared"}, headers=a.headers)
    ).status_code == 201
    a_key_id = (await client.get("/api/v1/verify", headers=a.headers)).json()["key"]["id"]

    attempts = [
        ("GET", f"/api/v1/agents/{agent['id']}", None),
        ("PATCH", f"/api/v1/agents/{agent['id']}", {"name": "stolen"}),
        ("DELETE", f"/api/v1/agents/{agent['id']}", None),
        ("GET", f"/api/v1/agents/{agent['id']}/tools", None),
        ("POST", "/api/v1/token", {"identity": "x", "room": "r", "agent_config_id": agent["id"]}),
        ("GET", "/api/v1/rooms/shared", None),
        ("GET", "/api/v1/rooms/shared/participants", None),
        ("POST", "/api/v1/rooms/shared/kick/someone", None),
        ("DELETE", "/api/v1/rooms/shared", None),
        ("DELETE", f"/api/v1/api-keys/{a_key_id}", None),
    ]
    for method, path, body in attempts:
        response = await client.request(method, path, json=body, headers=b.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "NOT_FOUND"

    assert (await client.get("/api/v1/agents", headers=b.headers)).json()["total"] == 0
    assert (await client.get("/api/v1/rooms", headers=b.headers)).json()["rooms"] == []
    # Nothing of A's was changed by B's attempts.
    still = await client.get(f"/api/v1/agents/{agent['id']}", headers=a.headers)
    assert still.json()["name"] == "A"
    assert (await client.get("/api/v1/rooms/shared", headers=a.headers)).status_code == 200


async def test_same_room_name_in_two_projects_are_different_rooms(client, make_key):
    a = await make_key("project-a")
    b = await make_key("project-b")
    room_a = (await client.post("/api/v1/rooms", json={"name": "lobby"}, headers=a.headers)).json()
    room_b = (await client.post("/api/v1/rooms", json={"name": "lobby"}, headers=b.headers)).json()
    assert room_a["room"]["fullName"] != room_b["room"]["fullName"]
    assert room_a["room"]["sid"] != room_b["room"]["sid"]

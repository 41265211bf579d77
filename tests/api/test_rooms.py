"""Rooms round-trip through the real livekit-server."""

import pytest

pytestmark = pytest.mark.integration


async def test_room_lifecycle(client, admin):
    created = await client.post(
        "/api/v1/rooms",
        json={"name": "sales", "empty_timeout": 600, "max_participants": 4, "metadata": "m"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    room = created.json()["room"]
    assert room["name"] == "sales"
    assert room["fullName"].endswith("_sales")
    assert room["sid"].startswith("RM_")
    assert room["emptyTimeout"] == 600
    assert room["maxParticipants"] == 4

    listed = (await client.get("/api/v1/rooms", headers=admin.headers)).json()
    assert [r["name"] for r in listed["rooms"]] == ["sales"]

    detail = (await client.get("/api/v1/rooms/sales", headers=admin.headers)).json()["room"]
    assert detail["participants"] == []
    participants = await client.get("/api/v1/rooms/sales/participants", headers=admin.headers)
    assert participants.json() == {"participants": []}

    kick = await client.post("/api/v1/rooms/sales/kick/nobody", headers=admin.headers)
    assert kick.status_code == 404

    deleted = await client.delete("/api/v1/rooms/sales", headers=admin.headers)
    assert deleted.json() == {"success": True, "message": "Room closed"}
    assert (await client.get("/api/v1/rooms/sales", headers=admin.headers)).status_code == 404
    assert (await client.delete("/api/v1/rooms/sales", headers=admin.headers)).status_code == 404


async def test_creating_an_existing_room_returns_it(client, admin):
    first = (await client.post("/api/v1/rooms", json={"name": "x"}, headers=admin.headers)).json()
    again = (await client.post("/api/v1/rooms", json={"name": "x"}, headers=admin.headers)).json()
    assert first["room"]["sid"] == again["room"]["sid"]


@pytest.mark.parametrize("name", ["", "has space", "a/b", "x" * 101])
async def test_bad_room_names_are_422(client, admin, name):
    response = await client.post("/api/v1/rooms", json={"name": name}, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["details"]["field"] == "name"

"""Call control on a real livekit-server with a real participant over WebRTC: send-data,
participant update and mute; each writes its event; another project's room is a 404."""

from __future__ import annotations

import asyncio
import json

import pytest
from livekit import api as lk
from livekit import rtc

from api.projects.schemas import Scope
from tests.api.test_events_catalogue import events_of
from tests.media import Caller, wait_for

pytestmark = pytest.mark.integration


async def _token(client, key, room: str, identity: str = "caller") -> dict:
    response = await client.post(
        "/api/v1/token", json={"identity": identity, "room": room}, headers=key.headers
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def _join(client, key, room: str, identity: str = "caller") -> Caller:
    body = await _token(client, key, room, identity)
    return Caller(body["wsUrl"], body["token"])


async def test_send_data_reaches_the_named_participants_with_its_topic(client, admin, settings):
    async with await _join(client, admin, "desk") as caller:
        received: list[rtc.DataPacket] = []
        caller.room.on("data_received", received.append)
        sent = await client.post(
            "/api/v1/rooms/desk/send-data",
            json={"data": {"note": "hello"}, "destination_identities": ["caller"], "topic": "t1"},
            headers=admin.headers,
        )
        assert sent.status_code == 200, sent.text
        broadcast = await client.post(
            "/api/v1/rooms/desk/send-data", json={"data": "to all"}, headers=admin.headers
        )
        assert broadcast.status_code == 200, broadcast.text
        assert await wait_for(lambda: len(received) == 2, 10)
        assert json.loads(received[0].data) == {"note": "hello"} and received[0].topic == "t1"
        assert received[1].data == b"to all" and received[1].participant is None

        unknown = await client.post(
            "/api/v1/rooms/desk/send-data",
            json={"data": "x", "destination_identities": ["caller", "nobody"]},
            headers=admin.headers,
        )
        assert unknown.status_code == 404
        assert unknown.json()["details"]["field"] == "destination_identities"
        too_big = await client.post(
            "/api/v1/rooms/desk/send-data",
            json={"data": "é" * 10_000},
            headers=admin.headers,
        )
        assert too_big.status_code == 413
    events = [
        e
        for e in await events_of(settings.database_url, admin.project_id)
        if e.event_type == "room.data_sent"
    ]
    assert [(e.data["topic"], e.data["bytes"]) for e in events] == [("t1", 17), (None, 6)]
    assert events[0].data["destination_identities"] == ["caller"]


async def test_participant_update_merges_permissions_and_needs_a_field(client, admin, settings):
    joined = await _token(client, admin, "upd")
    async with Caller(joined["wsUrl"], joined["token"]):
        updated = await client.post(
            "/api/v1/rooms/upd/participants/caller",
            json={
                "name": "Ada",
                "metadata": '{"vip": true}',
                "permission": {"canPublishData": False},
            },
            headers=admin.headers,
        )
        assert updated.status_code == 200, updated.text
        assert updated.json()["participant"]["name"] == "Ada"
        async with lk.LiveKitAPI(
            settings.livekit_url, settings.livekit_api_key, settings.require_livekit_secret()
        ) as livekit:
            info = await livekit.room.get_participant(
                lk.RoomParticipantIdentity(room=joined["room"], identity="caller")
            )
        assert info.metadata == '{"vip": true}'
        # only the named permission changed: LiveKit would reset the others if not merged
        assert not info.permission.can_publish_data
        assert info.permission.can_publish and info.permission.can_subscribe

        for body in ({}, {"permission": {}}, {"name": None}, {"color": "red"}):
            refused = await client.post(
                "/api/v1/rooms/upd/participants/caller", json=body, headers=admin.headers
            )
            assert refused.status_code in (400, 422), body
        missing = await client.post(
            "/api/v1/rooms/upd/participants/nobody", json={"name": "X"}, headers=admin.headers
        )
        assert missing.status_code == 404
    events = [
        e
        for e in await events_of(settings.database_url, admin.project_id)
        if e.event_type == "participant.updated"
    ]
    assert len(events) == 1
    assert events[0].data["identity"] == "caller"
    assert events[0].data["changed"] == ["metadata", "name", "permission"]
    assert events[0].data["permission"] == {"canPublishData": False}


async def test_mute_finds_the_first_audio_track(client, admin, settings):
    async with await _join(client, admin, "mute") as caller:
        assert await wait_for(lambda: bool(caller.room.local_participant.track_publications), 10)
        local_sid = next(iter(caller.room.local_participant.track_publications))
        listed_tracks: list[dict] = []

        async def server_lists_track() -> bool:
            listed = await client.get("/api/v1/rooms/mute/participants", headers=admin.headers)
            listed_tracks[:] = listed.json()["participants"][0]["tracks"]
            return bool(listed_tracks)

        for _ in range(100):
            if await server_lists_track():
                break
            await asyncio.sleep(0.05)
        assert listed_tracks, "LiveKit never listed the caller's track"
        muted = await client.post(
            "/api/v1/rooms/mute/participants/caller/mute",
            json={"muted": True},
            headers=admin.headers,
        )
        assert muted.status_code == 200, muted.text
        assert muted.json()["track"]["sid"] == local_sid
        assert muted.json()["track"]["muted"] is True
        listed = await client.get("/api/v1/rooms/mute/participants", headers=admin.headers)
        (participant,) = listed.json()["participants"]
        assert participant["tracks"][0]["muted"] is True
        # the caller's own SDK learns it too
        publication = caller.room.local_participant.track_publications[local_sid]
        assert await wait_for(lambda: publication.muted, 10)

        wrong_track = await client.post(
            "/api/v1/rooms/mute/participants/caller/mute",
            json={"muted": True, "track_sid": "TR_unknown"},
            headers=admin.headers,
        )
        assert wrong_track.status_code == 404
        assert wrong_track.json()["details"]["field"] == "track_sid"
        missing = await client.post(
            "/api/v1/rooms/mute/participants/nobody/mute",
            json={"muted": True},
            headers=admin.headers,
        )
        assert missing.status_code == 404
        # LiveKit's default refuses remote unmute (privacy): a conflict, not a server error
        unmuted = await client.post(
            "/api/v1/rooms/mute/participants/caller/mute",
            json={"muted": False},
            headers=admin.headers,
        )
        assert unmuted.status_code == 409, unmuted.text
    types = [
        e.event_type
        for e in await events_of(settings.database_url, admin.project_id)
        if e.event_type.startswith("track.")
    ]
    assert types == ["track.muted"]


async def test_another_projects_room_and_read_keys_are_refused(client, admin, make_key):
    other = await make_key("other")
    async with await _join(client, admin, "mine"):
        for path, body in (
            ("send-data", {"data": "x"}),
            ("participants/caller", {"name": "X"}),
            ("participants/caller/mute", {"muted": True}),
        ):
            foreign = await client.post(
                f"/api/v1/rooms/mine/{path}", json=body, headers=other.headers
            )
            assert foreign.status_code == 404, path
    read_only = await make_key("acme", Scope.READ)
    refused = await client.post(
        "/api/v1/rooms/mine/send-data", json={"data": "x"}, headers=read_only.headers
    )
    assert refused.status_code == 403

"""LiveKit webhooks in: verified, stored once per LiveKit event id, mapped to our events."""

import asyncio
import base64
import hashlib
import json
from datetime import timedelta

import pytest
from livekit import api as lk

from tests.api.test_events_catalogue import events_of

pytestmark = pytest.mark.integration


def signed(livekit, payload: dict, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = (
        lk.AccessToken(livekit.api_key, secret or livekit.api_secret)
        .with_sha256(digest)
        .with_ttl(timedelta(minutes=5))
        .to_jwt()
    )
    return body, {"Authorization": token, "Content-Type": "application/webhook+json"}


async def start_call(client, headers, room="call"):
    agent = (await client.post("/api/v1/agents", json={"name": "Desk"}, headers=headers)).json()
    token = await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": room, "agent_config_id": agent["id"]},
        headers=headers,
    )
    return token.json()


async def post(client, body, headers):
    return await client.post("/internal/v1/livekit/webhook", content=body, headers=headers)


async def test_webhooks_become_events_once_each(client, admin, livekit, settings):
    token = await start_call(client, admin.headers)
    room = {"name": token["room"], "sid": "RM_1"}
    caller = {"identity": "caller", "name": "Ann", "sid": "PA_1", "kind": "STANDARD"}
    deliveries = [
        {"event": "room_started", "id": "EV_r", "room": room},
        {"event": "participant_joined", "id": "EV_j", "room": room, "participant": caller},
        {
            "event": "track_published",
            "id": "EV_t",
            "room": room,
            "participant": caller,
            "track": {"sid": "TR_1", "type": "AUDIO", "source": "MICROPHONE"},
        },
        {"event": "participant_left", "id": "EV_l", "room": room, "participant": caller},
    ]
    for payload in deliveries:
        body, headers = signed(livekit, payload)
        assert (await post(client, body, headers)).json() == {"duplicate": False}
        assert (await post(client, body, headers)).json() == {"duplicate": True}
    events = [
        e
        for e in await events_of(settings.database_url, admin.project_id)
        if e.dedupe_key is not None
    ]
    assert [e.event_type for e in events] == [
        "room.started",
        "participant.joined",
        "track.published",
        "participant.left",
    ]
    session_id = token["sessions"][0]["session_id"]
    assert [e.session_id for e in events] == [None, session_id, session_id, session_id]
    assert events[1].data["identity"] == "caller" and events[1].data["kind"] == "standard"
    assert events[2].data["track"] == {
        "sid": "TR_1",
        "type": "audio",
        "source": "microphone",
        "name": "",
    }
    assert [e.room_seq for e in events] == [2, 3, 4, 5]  # after session.started


async def test_forged_or_altered_webhooks_are_refused(client, admin, livekit, settings):
    token = await start_call(client, admin.headers)
    payload = {"event": "room_finished", "id": "EV_x", "room": {"name": token["room"]}}
    body, headers = signed(livekit, payload, secret="x" * 40)
    assert (await post(client, body, headers)).status_code == 401
    body, headers = signed(livekit, payload)
    altered = body.replace(b"room_finished", b"room_started_")
    assert (await post(client, altered, headers)).status_code == 401
    assert (await post(client, b"\xff\xfe" + body, headers)).status_code == 401
    events = await events_of(settings.database_url, admin.project_id)
    assert not [e for e in events if e.dedupe_key]


async def test_webhooks_for_rooms_of_no_project_are_acknowledged(client, livekit):
    body, headers = signed(
        livekit, {"event": "room_started", "id": "EV_o", "room": {"name": "elsewhere"}}
    )
    assert (await post(client, body, headers)).json() == {"duplicate": False}
    assert (await post(client, body, headers)).json() == {"duplicate": True}


async def test_a_dropped_room_finished_is_made_up_by_the_reconciler(
    client, admin, livekit, settings
):
    token = await start_call(client, admin.headers)
    prefix = token["room"].split("_", 1)[0] + "_"
    gone = {"name": prefix + "gone", "sid": "RM_gone"}  # LiveKit never had (or no longer has) it
    started, headers = signed(livekit, {"event": "room_started", "id": "EV_s", "room": gone})
    assert (await post(client, started, headers)).status_code == 200
    # The agent's participant_left arrives, room_finished does not: the room check catches it.
    agent = {"identity": "agent-1", "kind": "AGENT"}
    left, headers = signed(
        livekit, {"event": "participant_left", "id": "EV_a", "room": gone, "participant": agent}
    )
    assert (await post(client, left, headers)).status_code == 200
    for _ in range(60):
        events = await events_of(settings.database_url, admin.project_id)
        finished = [e for e in events if e.event_type == "room.finished"]
        if finished:
            break
        await asyncio.sleep(0.25)
    assert len(finished) == 1
    assert finished[0].data == {
        "room_name": gone["name"],
        "room_sid": "RM_gone",
        "reconciled": True,
    }

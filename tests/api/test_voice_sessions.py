"""Voice without an SDK, seed 000: `/config` defaults, `POST /voice/sessions` with a one-time
`joinUrl`, the gateway redeeming it, `max_active_sessions`, `DELETE`, and the control plane's
own end of a call at its `maxDuration`."""

import asyncio
import hashlib
import time

import httpx
import jwt
import pytest
from livekit import api as lk
from pydantic import SecretStr

from agent_worker.contracts import DispatchMetadata
from api.app import create_app
from api.calls.dispatch import check_due_dispatches
from api.voice import ending
from tests.api.test_events_catalogue import events_of
from tests.services import served

pytestmark = pytest.mark.integration

SECRET = "gateway-secret-for-tests-0123456789"
GATEWAY = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture
def voice_settings(settings):
    return settings.model_copy(update={"gateway_secret": SecretStr(SECRET)})


@pytest.fixture
def app(voice_settings):
    return create_app(voice_settings)


@pytest.fixture
async def client(app):
    # A real server in the test's event loop, so that tests may use the app's resources too.
    async with served(app) as base, httpx.AsyncClient(base_url=base) as test_client:
        yield test_client


async def make_agent(client, headers, name="Desk", **spec):
    created = await client.post("/api/v1/agents", json={"name": name, **spec}, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def redeem(client, ticket, gateway_id="gw-1"):
    return await client.post(
        "/internal/v1/gateway/calls",
        json={"ticket": ticket, "transport": "websocket", "gateway_id": gateway_id},
        headers=GATEWAY,
    )


def ticket_of(join_url):
    return join_url.rsplit("/", 1)[1]


async def dispatched_spec(livekit_api, room):
    dispatches = [d for d in await livekit_api.agent_dispatch.list_dispatch(room) if d.agent_name]
    return DispatchMetadata.model_validate_json(dispatches[0].metadata).agent


async def test_config_starts_with_defaults_and_changes_only_what_is_sent(client, admin):
    default = (await client.get("/api/v1/config", headers=admin.headers)).json()
    assert default == {
        "agent_config_id": None,
        "prompt": "You are a helpful voice assistant.",
        "language": "en",
        "max_duration": 300,
        "provider": "basic",
        "max_active_sessions": None,
        "updated_at": None,
    }
    agent_id = await make_agent(client, admin.headers)
    changed = await client.put(
        "/api/v1/config",
        json={"provider": "advanced", "prompt": "You recruit.", "agent_config_id": agent_id},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    again = await client.put("/api/v1/config", json={"max_duration": 180}, headers=admin.headers)
    body = again.json()
    assert (body["provider"], body["prompt"], body["max_duration"]) == (
        "advanced",
        "You recruit.",
        180,
    )
    assert body["agent_config_id"] == agent_id
    missing = await client.put(
        "/api/v1/config", json={"agent_config_id": "agt_nope"}, headers=admin.headers
    )
    assert missing.status_code == 404
    assert missing.json()["details"]["field"] == "agent_config_id"
    too_long = await client.put(
        "/api/v1/config", json={"max_duration": 3601}, headers=admin.headers
    )
    assert too_long.status_code == 422


async def test_a_session_gets_a_one_time_join_url_the_gateway_redeems_once(
    client, admin, voice_settings, livekit
):
    no_agent = await client.post("/api/v1/voice/sessions", json={}, headers=admin.headers)
    assert no_agent.status_code == 404
    agent_id = await make_agent(client, admin.headers, instructions="Agent's own.")
    created = await client.post(
        "/api/v1/voice/sessions",
        json={"prompt": "Be brief.", "max_duration": 60, "context": {"customer": "Ada"}},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "active"
    assert body["maxDuration"] == 60
    assert body["agent_config_id"] == agent_id
    assert body["joinUrl"].startswith("ws://127.0.0.1:8090/ws/voice/vxt_")
    assert admin.api_key not in body["joinUrl"]

    session = (
        await client.get(f"/api/v1/sessions/{body['session_id']}", headers=admin.headers)
    ).json()["session"]
    assert (session["session_type"], session["status"]) == ("websocket", "active")
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as livekit_api:
        spec = await dispatched_spec(livekit_api, session["room_name"])
    assert spec.instructions.startswith("Be brief.")
    assert "customer: Ada" in spec.instructions
    assert spec.max_duration_s == 60

    ticket = ticket_of(body["joinUrl"])
    assert (
        await client.post(
            "/internal/v1/gateway/calls",
            json={"ticket": ticket, "transport": "websocket", "gateway_id": "gw-1"},
            headers={"Authorization": "Bearer wrong"},
        )
    ).status_code == 401
    call = await redeem(client, ticket)
    assert call.status_code == 201, call.text
    answer = call.json()
    assert answer["session_id"] == body["session_id"]
    assert answer["room"] == session["room_name"]
    assert answer["max_duration_s"] == 60
    assert answer["history_key"].startswith("hist_")
    claims = jwt.decode(answer["token"], livekit.api_secret, algorithms=["HS256"])
    assert claims["sub"] == session["caller_identity"]
    assert claims["video"]["room"] == session["room_name"]
    assert claims["video"]["canPublishSources"] == ["microphone"]
    assert "roomAdmin" not in claims["video"]
    # One-time: a second connection with the same URL is refused.
    assert (await redeem(client, ticket)).status_code == 401


async def test_an_expired_or_unknown_ticket_is_refused(client, app, admin, voice_settings):
    await make_agent(client, admin.headers)
    created = (await client.post("/api/v1/voice/sessions", json={}, headers=admin.headers)).json()
    ticket = ticket_of(created["joinUrl"])
    app_redis = app.state.resources.redis
    key = "vx:voiceticket:" + hashlib.sha256(ticket.encode()).hexdigest()
    assert await app_redis.ttl(key) == voice_settings.voice.ticket_ttl_s
    await app_redis.pexpire(key, 1)
    await asyncio.sleep(0.01)
    assert (await redeem(client, ticket)).status_code == 401
    assert (await redeem(client, "vxt_made-up")).status_code == 401


async def test_past_max_active_sessions_a_new_session_is_a_conflict_naming_the_active(
    client, admin, livekit
):
    await make_agent(client, admin.headers)
    await client.put("/api/v1/config", json={"max_active_sessions": 1}, headers=admin.headers)
    first = (await client.post("/api/v1/voice/sessions", json={}, headers=admin.headers)).json()
    refused = await client.post("/api/v1/voice/sessions", json={}, headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["details"]["active_session_ids"] == [first["session_id"]]

    ended = await client.delete(
        f"/api/v1/voice/sessions/{first['session_id']}", headers=admin.headers
    )
    assert ended.status_code == 204
    session = (
        await client.get(f"/api/v1/sessions/{first['session_id']}", headers=admin.headers)
    ).json()["session"]
    assert (session["status"], session["end_reason"]) == ("completed", "manual")
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as livekit_api:
        rooms = await livekit_api.room.list_rooms(lk.ListRoomsRequest(names=[session["room_name"]]))
    assert not rooms.rooms  # hung up: the gateway's participant and the agent are gone
    # Its joinUrl is dead, and a new session fits again.
    assert (await redeem(client, ticket_of(first["joinUrl"]))).status_code == 401
    again = await client.post("/api/v1/voice/sessions", json={}, headers=admin.headers)
    assert again.status_code == 201


async def test_the_control_plane_ends_a_call_at_its_max_duration(
    client, app, admin, voice_settings
):
    await make_agent(client, admin.headers)
    created = (
        await client.post(
            "/api/v1/voice/sessions", json={"max_duration": 30}, headers=admin.headers
        )
    ).json()
    resources = app.state.resources
    session_id = created["session_id"]
    # Unused, it would end when its joinUrl expires.
    due = await resources.redis.zscore("vx:voicedue", session_id)
    assert due == pytest.approx(time.time() + voice_settings.voice.ticket_ttl_s, abs=5)
    await redeem(client, ticket_of(created["joinUrl"]))
    due = await resources.redis.zscore("vx:voicedue", session_id)
    limit = 30 + voice_settings.voice.end_grace_s
    assert due == pytest.approx(time.time() + limit, abs=5)
    # The time has come (not waited for here).
    await ending.end_at(resources, session_id, time.time() - 1, "max_duration")
    assert await ending.end_due_calls(resources) == 1
    session = (await client.get(f"/api/v1/sessions/{session_id}", headers=admin.headers)).json()[
        "session"
    ]
    assert (session["status"], session["end_reason"]) == ("timeout", "max_duration")
    events = await events_of(voice_settings.database_url, admin.project_id)
    ended = [e for e in events if e.event_type == "session.ended"]
    assert ended[0].data["session_id"] == session_id
    assert ended[0].data["transcript"] == []


async def test_a_dispatch_sent_again_keeps_the_sessions_own_prompt(client, app, admin, livekit):
    await make_agent(client, admin.headers, instructions="Agent's own.")
    created = (
        await client.post(
            "/api/v1/voice/sessions", json={"prompt": "Be brief."}, headers=admin.headers
        )
    ).json()
    resources = app.state.resources
    # No worker took the call: the dispatch check sends it again (not waited for here).
    await resources.redis.zadd("vx:dispatchcheck", {created["session_id"]: 0})
    await check_due_dispatches(resources)
    session = (
        await client.get(f"/api/v1/sessions/{created['session_id']}", headers=admin.headers)
    ).json()["session"]
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as livekit_api:
        dispatches = [
            d
            for d in await livekit_api.agent_dispatch.list_dispatch(session["room_name"])
            if d.agent_name
        ]
    assert len(dispatches) == 2
    for dispatch in dispatches:
        spec = DispatchMetadata.model_validate_json(dispatch.metadata).agent
        assert spec.instructions == "Be brief."


async def test_an_idempotency_key_replays_the_session_without_starting_another(client, admin):
    await make_agent(client, admin.headers)
    headers = {**admin.headers, "Idempotency-Key": "voice-1"}
    first = await client.post("/api/v1/voice/sessions", json={"language": "de"}, headers=headers)
    again = await client.post("/api/v1/voice/sessions", json={"language": "de"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    listed = await client.get("/api/v1/sessions", headers=admin.headers)
    assert listed.json()["total"] == 1
    other_body = await client.post("/api/v1/voice/sessions", json={}, headers=headers)
    assert other_body.status_code == 409

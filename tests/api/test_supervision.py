"""Supervising an agent call through the API, on a real livekit-server: the commands travel as
server data packets to a real agent participant running the worker's `Supervision` on a real
AgentSession; supervisor tokens carry only their role's grants; each action is an event and a
system transcript line; read keys and other projects are refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import jwt
import pytest
from livekit import api as lk
from livekit import rtc
from livekit.agents import AgentSession
from redis.asyncio import Redis

from agent_worker.contracts import RECORDER_IDENTITY_PREFIX
from agent_worker.supervision import SupervisedAgent, Supervision
from api.projects.schemas import Scope
from tests.agent_worker.test_supervision import ContextEcho
from tests.api.test_events_catalogue import events_of
from tests.media import Caller, wait_for

pytestmark = pytest.mark.integration


async def _call(client, admin) -> dict:
    agent = await client.post("/api/v1/agents", json={"name": "Desk"}, headers=admin.headers)
    token = await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": "supervised", "agent_config_id": agent.json()["id"]},
        headers=admin.headers,
    )
    assert token.status_code in (200, 201), token.text
    return token.json()


def _agent_token(settings, room: str, identity: str = "agent-under-test") -> str:
    grants = lk.VideoGrants(
        room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True
    )
    return (
        lk.AccessToken(settings.livekit_api_key, settings.require_livekit_secret())
        .with_identity(identity)
        .with_kind("agent")
        .with_grants(grants)
        .with_ttl(timedelta(minutes=5))
        .to_jwt()
    )


def _claims(settings, token: str) -> dict:
    return jwt.decode(token, settings.require_livekit_secret(), algorithms=["HS256"])


async def test_supervisor_steers_silences_and_hands_back_a_live_agent(client, admin, settings):
    call = await _call(client, admin)
    session_id, room_name = call["sessions"][0]["session_id"], call["room"]
    base = f"/api/v1/sessions/{session_id}"

    absent = await client.post(f"{base}/whisper", json={"text": "hi"}, headers=admin.headers)
    assert absent.status_code == 409  # no agent in the room yet

    supervision = Supervision(session_id, settings.require_livekit_secret())
    agent_room = rtc.Room()
    await agent_room.connect(call["wsUrl"], _agent_token(settings, room_name))
    try:
        async with (
            Caller(call["wsUrl"], call["token"]) as caller,
            AgentSession(llm=ContextEcho()) as session,
        ):
            agent = SupervisedAgent(supervision=supervision, instructions="You sell shoes.")
            await session.start(agent)
            supervision.attach(session, agent_room)

            whispered = await client.post(
                f"{base}/whisper", json={"text": "offer the 10 % discount"}, headers=admin.headers
            )
            assert whispered.status_code == 200, whispered.text
            assert whispered.json() == {
                "success": True,
                "session_id": session_id,
                "action": "whisper",
            }
            assert await wait_for(
                lambda: any(
                    "10 % discount" in (m.text_content or "")
                    for m in agent.chat_ctx.items
                    if m.type == "message"
                ),
                10,
            )
            answer = (await session.run(user_input="Any better price?")).expect[-1].event().item
            assert answer.text_content.startswith("guidance: offer the 10 % discount")

            said = await client.post(
                f"{base}/say",
                json={"text": "Please hold.", "allow_interruptions": False},
                headers=admin.headers,
            )
            assert said.status_code == 200, said.text
            assert await wait_for(
                lambda: any(
                    m.type == "message" and m.text_content == "Please hold."
                    for m in session.history.items
                ),
                10,
            )

            taken = await client.post(f"{base}/takeover", headers=admin.headers)
            assert taken.status_code == 200, taken.text
            assert await wait_for(lambda: supervision.taken_over, 10)
            takeover = taken.json()
            claims = _claims(settings, takeover["token"])
            assert claims["exp"] - claims["nbf"] == takeover["expires_in"] == 300
            assert claims["video"] == {
                "roomJoin": True,
                "room": room_name,
                "canSubscribe": True,
                "canPublish": True,
                "canPublishSources": ["microphone"],
                "canPublishData": False,
                "canUpdateOwnMetadata": False,
                "hidden": False,
            }
            assert takeover["can_publish_sources"] == ["microphone"]

            handed = await client.post(f"{base}/handback", headers=admin.headers)
            assert handed.status_code == 200, handed.text
            assert await wait_for(lambda: not supervision.taken_over, 10)
            again = await client.post(f"{base}/handback", headers=admin.headers)
            assert again.status_code == 409

            listen = await client.post(f"{base}/listen", headers=admin.headers)
            assert listen.status_code == 200, listen.text
            listen_claims = _claims(settings, listen.json()["token"])
            assert listen_claims["video"]["hidden"] is True
            assert listen_claims["video"]["canPublish"] is False
            assert listen_claims["video"]["canPublishData"] is False
            assert "canPublishSources" not in listen_claims["video"]
            # the listener joins for real and stays out of the caller's participant list
            listener = rtc.Room()
            await listener.connect(listen.json()["wsUrl"], listen.json()["token"])
            try:
                assert await wait_for(
                    lambda: "agent-under-test" in listener.remote_participants, 10
                )
                assert "caller" in listener.remote_participants
                hidden = listen.json()["identity"]
                assert not await wait_for(lambda: hidden in caller.room.remote_participants, 1)
            finally:
                await listener.disconnect()
    finally:
        await supervision.aclose()
        await agent_room.disconnect()

    transcript = (await client.get(f"{base}/transcript", headers=admin.headers)).json()
    system = [t["content"] for t in transcript["transcripts"] if t["speaker"] == "system"]
    assert system == [
        "Supervisor whispered: offer the 10 % discount",
        "Supervisor had the agent say: Please hold.",
        "A supervisor took over the call",
        "The supervisor handed the call back",
        "A supervisor started listening in",
    ]
    events = [
        e.event_type
        for e in await events_of(settings.database_url, admin.project_id)
        if e.event_type.startswith("supervisor.")
    ]
    assert events == [
        "supervisor.whisper",
        "supervisor.say",
        "supervisor.takeover",
        "supervisor.handback",
        "supervisor.listen",
    ]


async def test_a_recorder_is_no_agent_and_an_ended_call_forgets_its_takeover(
    client, admin, settings
):
    call = await _call(client, admin)
    session_id, room_name = call["sessions"][0]["session_id"], call["room"]
    base = f"/api/v1/sessions/{session_id}"
    recorder, agent = rtc.Room(), rtc.Room()
    await recorder.connect(
        call["wsUrl"], _agent_token(settings, room_name, RECORDER_IDENTITY_PREFIX + "rec_1")
    )
    redis = Redis.from_url(settings.redis_url)
    try:
        alone = await client.post(f"{base}/takeover", headers=admin.headers)
        assert alone.status_code == 409, alone.text  # a recorder does not answer for an agent
        await agent.connect(call["wsUrl"], _agent_token(settings, room_name))
        taken = await client.post(f"{base}/takeover", headers=admin.headers)
        assert taken.status_code == 200, taken.text
        key = f"vx:takeover:{session_id}"
        assert await redis.exists(key)
        ended = await client.post("/api/v1/sessions/supervised/end", json={}, headers=admin.headers)
        assert ended.status_code == 200, ended.text
        for _ in range(100):  # the event relay reacts to session.ended
            if not await redis.exists(key):
                break
            await asyncio.sleep(0.1)
        assert not await redis.exists(key)
    finally:
        await redis.aclose()
        await agent.disconnect()
        await recorder.disconnect()


async def test_only_write_keys_of_the_project_supervise(client, admin, make_key):
    call = await _call(client, admin)
    base = f"/api/v1/sessions/{call['sessions'][0]['session_id']}"
    reader = await make_key("acme", Scope.READ)
    other = await make_key("other")
    for action, body in (
        ("whisper", {"text": "x"}),
        ("say", {"text": "x"}),
        ("listen", None),
        ("takeover", None),
        ("handback", None),
    ):
        refused = await client.post(f"{base}/{action}", json=body, headers=reader.headers)
        assert refused.status_code == 403, action
        foreign = await client.post(f"{base}/{action}", json=body, headers=other.headers)
        assert foreign.status_code == 404, action
    blank = await client.post(f"{base}/whisper", json={"text": "  "}, headers=admin.headers)
    assert blank.status_code in (400, 422)

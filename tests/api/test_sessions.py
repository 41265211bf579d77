"""Sessions: created at dispatch, fed turn by turn by the worker, closed exactly once."""

import asyncio
import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from livekit import api as lk

from agent_worker.contracts import DispatchMetadata
from api.app import create_app

pytestmark = pytest.mark.integration


async def dispatch(client, headers, livekit, room="call"):
    agent = (await client.post("/api/v1/agents", json={"name": "Desk"}, headers=headers)).json()
    token = (
        await client.post(
            "/api/v1/token",
            json={"identity": "caller", "room": room, "agent_config_id": agent["id"]},
            headers=headers,
        )
    ).json()
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as api:
        dispatches = await api.agent_dispatch.list_dispatch(token["room"])
    metadata = next(
        DispatchMetadata.model_validate_json(d.metadata) for d in dispatches if d.agent_name
    )
    return agent, token, metadata


def report(metadata, *events):
    return {
        "url": f"/internal/v1/sessions/{metadata.session_id}/events",
        "json": {"events": list(events)},
        "headers": {"Authorization": f"Bearer {metadata.report_token}"},
    }


def turn(event_id, role, text, at, **extra):
    return {
        "type": "turn",
        "event_id": event_id,
        "role": role,
        "text": text,
        "started_at": at.isoformat(),
        **extra,
    }


async def test_worker_reports_build_the_transcript_once(client, admin, livekit):
    agent, token, metadata = await dispatch(client, admin.headers, livekit)
    session_id = token["sessions"][0]["session_id"]
    live = (await client.get(f"/api/v1/sessions/{session_id}", headers=admin.headers)).json()
    assert live["session"]["status"] == "active"
    assert live["session"]["elapsed"]["display"].count(":") == 1

    now = datetime.now(UTC)
    events = [
        {"type": "session_started", "event_id": "e0", "caller_identity": "caller"},
        turn("e1", "agent", "Hello, how can I help?", now + timedelta(seconds=1)),
        turn("e2", "user", "When are you open?", now + timedelta(seconds=3)),
        turn(
            "e3",
            "agent",
            "We open at nine.",
            now + timedelta(seconds=4),
            interrupted=True,
            latency={
                "end_of_turn_ms": 300,
                "stt_ms": 200,
                "llm_first_token_ms": 50,
                "tts_first_audio_ms": 120,
            },
        ),
        {"type": "usage", "event_id": "e4", "stt_audio_seconds": 2.5, "tts_characters": 40},
    ]
    first = await client.post(**report(metadata, *events))
    assert first.json() == {"applied": 5, "duplicates": 0}
    retried = await client.post(**report(metadata, *events))  # a retry after a lost response
    assert retried.json() == {"applied": 0, "duplicates": 5}
    ended = await client.post(
        **report(
            metadata, {"type": "session_ended", "event_id": "e5", "reason": "participant_left"}
        )
    )
    assert ended.status_code == 200

    transcript = (
        await client.get(f"/api/v1/sessions/{session_id}/transcript", headers=admin.headers)
    ).json()["transcripts"]
    assert [(t["speaker"], t["content"]) for t in transcript] == [
        ("agent", "Hello, how can I help?"),
        ("user", "When are you open?"),
        ("agent", "We open at nine."),
    ]
    assert transcript[2]["interrupted"] is True
    text = await client.get(f"/api/v1/sessions/{session_id}/transcript/text", headers=admin.headers)
    assert text.headers["content-type"].startswith("text/plain")
    assert "User: When are you open?" in text.text

    detail = (
        await client.get(f"/api/v1/sessions/{session_id}/detail", headers=admin.headers)
    ).json()
    assert detail["session"]["status"] == "completed"
    assert detail["session"]["end_reason"] == "participant_left"
    assert detail["session"]["message_count"] == 3
    assert detail["usage"]["stt_audio_seconds"] == 2.5
    assert detail["costs"]["total"] == 0
    assert detail["latency_ms"]["stt_ms"] == 200

    listed = (
        await client.get(
            f"/api/v1/sessions?status=completed&agent_config_id={agent['id']}",
            headers=admin.headers,
        )
    ).json()
    assert [s["id"] for s in listed["sessions"]] == [session_id]


async def test_report_tokens_are_bound_to_one_session(client, admin, livekit):
    _, _, first = await dispatch(client, admin.headers, livekit, "one")
    _, _, second = await dispatch(client, admin.headers, livekit, "two")
    event = {"type": "usage", "event_id": "x", "tts_characters": 1}
    crossed = await client.post(
        f"/internal/v1/sessions/{second.session_id}/events",
        json={"events": [event]},
        headers={"Authorization": f"Bearer {first.report_token}"},
    )
    assert crossed.status_code == 404
    forged = await client.post(
        f"/internal/v1/sessions/{first.session_id}/events",
        json={"events": [event]},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401
    invalid = await client.post(**report(first, {"type": "turn", "event_id": "t"}))
    assert invalid.status_code == 422


async def test_external_session_with_manual_transcript_and_end(client, admin):
    created = await client.post(
        "/api/v1/sessions", json={"room_name": "ext", "metadata": {"a": 1}}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    session = created.json()["session"]
    assert session["room_name"].endswith("_ext")
    line = await client.post(
        "/api/v1/sessions/ext/transcript",
        json={"speaker": "user", "content": "Hi", "timestamp_ms": 5200},
        headers=admin.headers,
    )
    assert line.status_code == 201
    ended = await client.post(
        "/api/v1/sessions/ext/end", json={"summary": "greeting only"}, headers=admin.headers
    )
    assert ended.json()["session"]["status"] == "completed"
    assert ended.json()["session"]["summary"] == "greeting only"
    again = await client.post("/api/v1/sessions/ext/end", json={}, headers=admin.headers)
    assert again.status_code == 404
    text = await client.get(
        f"/api/v1/sessions/{session['id']}/transcript/text", headers=admin.headers
    )
    assert text.text == "[00:05] User: Hi\n"


async def test_sessions_are_project_isolated(client, admin, make_key, livekit):
    _, token, _ = await dispatch(client, admin.headers, livekit)
    other = await make_key("other")
    session_id = token["sessions"][0]["session_id"]
    for path in ("", "/detail", "/transcript", "/transcript/text"):
        response = await client.get(f"/api/v1/sessions/{session_id}{path}", headers=other.headers)
        assert response.status_code == 404, path
    assert (await client.get("/api/v1/sessions", headers=other.headers)).json()["total"] == 0


def signed_webhook(livekit, payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = (
        lk.AccessToken(livekit.api_key, livekit.api_secret)
        .with_sha256(digest)
        .with_ttl(timedelta(minutes=5))
        .to_jwt()
    )
    return body, token


async def test_agent_leaving_without_a_report_fails_the_session(client, admin, livekit):
    _, token, metadata = await dispatch(client, admin.headers, livekit, "crash")
    payload = {
        "event": "participant_left",
        "id": "EV_1",
        "room": {"name": token["room"]},
        "participant": {"identity": "agent-1", "kind": "AGENT"},
    }
    body, auth = signed_webhook(livekit, payload)
    headers = {"Authorization": auth, "Content-Type": "application/webhook+json"}
    first = await client.post("/internal/v1/livekit/webhook", content=body, headers=headers)
    assert first.json() == {"duplicate": False}
    again = await client.post("/internal/v1/livekit/webhook", content=body, headers=headers)
    assert again.json() == {"duplicate": True}
    session_id = metadata.session_id
    for _ in range(40):
        session = (
            await client.get(f"/api/v1/sessions/{session_id}", headers=admin.headers)
        ).json()["session"]
        if session["status"] != "active":
            break
        await asyncio.sleep(0.25)
    assert session["status"] == "failed"
    assert session["end_reason"] == "agent_error"


async def test_unsigned_webhook_is_refused(client):
    response = await client.post(
        "/internal/v1/livekit/webhook", content=b"{}", headers={"Authorization": "nope"}
    )
    assert response.status_code == 401


async def test_a_dispatch_no_worker_takes_is_retried_then_fails(settings, make_key, livekit):
    quick = settings.model_copy(update={"dispatch_check_s": 0.5})
    key = await make_key("nobody-home")
    async with AsyncTestClient(app=create_app(quick)) as client:
        _, token, metadata = await dispatch(client, key.headers, livekit, "unanswered")
        for _ in range(60):
            session = (
                await client.get(f"/api/v1/sessions/{metadata.session_id}", headers=key.headers)
            ).json()["session"]
            if session["status"] != "active":
                break
            await asyncio.sleep(0.25)
    assert session["status"] == "failed"
    assert session["end_reason"] == "agent_error"
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as api:
        dispatches = await api.agent_dispatch.list_dispatch(token["room"])
    assert len([d for d in dispatches if d.agent_name]) == 2  # the first and one retry

"""Each state change of the catalogue writes its event, in the change's own transaction."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from api.db import create_engine, session_factory
from api.events.models import Event
from api.sessions.tokens import issue_report_token

pytestmark = pytest.mark.integration


async def events_of(database_url, project_id):
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            statement = (
                select(Event)
                .where(Event.project_id == project_id)
                .order_by(col(Event.created_at), col(Event.id))
            )
            return list((await session.exec(statement)).all())
    finally:
        await engine.dispose()


async def test_agent_changes_write_agent_events(client, admin, settings):
    created = await client.post("/api/v1/agents", json={"name": "Desk"}, headers=admin.headers)
    agent_id = created.json()["id"]
    await client.patch(f"/api/v1/agents/{agent_id}", json={"name": "Front"}, headers=admin.headers)
    await client.delete(f"/api/v1/agents/{agent_id}", headers=admin.headers)
    refused = await client.patch(
        f"/api/v1/agents/{agent_id}", json={"name": "Gone"}, headers=admin.headers
    )
    assert refused.status_code == 404
    events = await events_of(settings.database_url, admin.project_id)
    assert [e.event_type for e in events] == ["agent.created", "agent.updated", "agent.deleted"]
    assert events[0].data["agent"]["name"] == "Desk"
    assert events[1].data["name"] == "Front"
    assert events[2].data == {"agent_id": agent_id, "name": "Front"}


async def test_a_call_writes_session_and_transcript_events_in_order(client, admin, settings):
    agent = await client.post("/api/v1/agents", json={"name": "Desk"}, headers=admin.headers)
    token = (
        await client.post(
            "/api/v1/token",
            json={"identity": "caller", "room": "call", "agent_config_id": agent.json()["id"]},
            headers=admin.headers,
        )
    ).json()
    session_id = token["sessions"][0]["session_id"]
    report_token = issue_report_token(
        settings.require_livekit_secret(), session_id, admin.project_id, timedelta(minutes=5)
    )
    now = datetime.now(UTC)
    turns = [
        {
            "type": "turn",
            "event_id": "t1",
            "role": "agent",
            "text": "Hello!",
            "started_at": (now + timedelta(seconds=1)).isoformat(),
        },
        {
            "type": "turn",
            "event_id": "t2",
            "role": "user",
            "text": "Hi.",
            "started_at": (now + timedelta(seconds=2)).isoformat(),
        },
        {"type": "session_ended", "event_id": "end", "reason": "participant_left"},
    ]
    for _ in range(2):  # a retried report writes nothing twice
        response = await client.post(
            f"/internal/v1/sessions/{session_id}/events",
            json={"events": turns},
            headers={"Authorization": f"Bearer {report_token}"},
        )
        assert response.status_code == 200
    events = [e for e in await events_of(settings.database_url, admin.project_id) if e.session_id]
    assert [e.event_type for e in events] == [
        "session.started",
        "transcript.new",
        "transcript.new",
        "session.ended",
    ]
    assert [e.session_seq for e in events] == [1, 2, 3, 4]
    assert all(e.room_name == token["room"] for e in events)
    assert events[1].data["content"] == "Hello!" and events[2].data["speaker"] == "user"
    ended = events[3].data
    assert ended["end_reason"] == "participant_left" and ended["duration"] is not None
    assert [line["content"] for line in ended["transcript"]] == ["Hello!", "Hi."]


async def test_an_external_session_writes_its_events(client, admin, settings):
    created = await client.post(
        "/api/v1/sessions", json={"room_name": "ext"}, headers=admin.headers
    )
    session_id = created.json()["session"]["id"]
    await client.post(
        "/api/v1/sessions/ext/transcript",
        json={"speaker": "user", "content": "Hi"},
        headers=admin.headers,
    )
    await client.post("/api/v1/sessions/ext/end", json={}, headers=admin.headers)
    events = await events_of(settings.database_url, admin.project_id)
    assert [e.event_type for e in events] == ["session.started", "transcript.new", "session.ended"]
    assert {e.session_id for e in events} == {session_id}


async def test_knowledge_changes_write_knowledge_events(client, admin, settings):
    kb = (
        await client.post("/api/v1/knowledge-bases", json={"name": "FAQ"}, headers=admin.headers)
    ).json()["knowledge_base"]
    ingested = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/ingest",
        json={"content": "We open at nine.\n\nParking is behind the clinic.", "source_name": "faq"},
        headers=admin.headers,
    )
    assert ingested.status_code == 201, ingested.text
    reindexed = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/reindex", headers=admin.headers
    )
    assert reindexed.status_code in (200, 201), reindexed.text
    events = await events_of(settings.database_url, admin.project_id)
    assert [e.event_type for e in events] == [
        "knowledge.document_uploaded",
        "knowledge.reindexed",
    ]
    uploaded = events[0].data
    assert uploaded["knowledge_base_id"] == kb["id"] and uploaded["source_name"] == "faq"
    assert uploaded["chunk_count"] >= 1
    assert events[1].data["chunk_count"] == reindexed.json()["chunks_reindexed"]

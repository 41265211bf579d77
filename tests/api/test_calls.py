"""The call lifecycle: no-shows fail, and a vanished agent is found even without webhooks."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.calls.reconciler import sweep_live_rooms
from api.sessions.tokens import issue_report_token
from tests.api.test_events_catalogue import events_of
from tests.services import served

pytestmark = pytest.mark.integration


async def start_call(client, headers, room):
    agent = (await client.post("/api/v1/agents", json={"name": "Desk"}, headers=headers)).json()
    token = await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": room, "agent_config_id": agent["id"]},
        headers=headers,
    )
    assert token.status_code == 200, token.text
    return token.json()["sessions"][0]["session_id"]


async def wait_for_end(client, headers, session_id, attempts=40):
    for _ in range(attempts):
        session = (await client.get(f"/api/v1/sessions/{session_id}", headers=headers)).json()[
            "session"
        ]
        if session["status"] != "active":
            return session
        await asyncio.sleep(0.25)
    return session


@pytest.fixture
def quick_no_show(settings):
    # The dispatch check stays far off, so only the no-show check can end these sessions.
    return settings.model_copy(update={"no_show_timeout_s": 0.5, "dispatch_check_s": 600})


async def test_a_caller_who_never_joins_fails_the_session_as_no_show(quick_no_show, make_key):
    key = await make_key("no-show")
    async with AsyncTestClient(app=create_app(quick_no_show)) as client:
        session_id = await start_call(client, key.headers, "empty")
        session = await wait_for_end(client, key.headers, session_id)
    assert session["status"] == "failed"
    assert session["end_reason"] == "no_show"
    events = await events_of(quick_no_show.database_url, key.project_id)
    assert [e.event_type for e in events] == ["agent.created", "session.started", "session.failed"]
    assert events[-1].data["end_reason"] == "no_show"


async def test_a_caller_the_worker_saw_join_is_not_a_no_show(quick_no_show, make_key, livekit):
    key = await make_key("joined")
    async with AsyncTestClient(app=create_app(quick_no_show)) as client:
        session_id = await start_call(client, key.headers, "joined")
        report_token = issue_report_token(
            livekit.api_secret, session_id, key.project_id, timedelta(minutes=5)
        )
        reported = await client.post(
            f"/internal/v1/sessions/{session_id}/events",
            json={"events": [{"type": "session_started", "event_id": "s"}]},
            headers={"Authorization": f"Bearer {report_token}"},
        )
        assert reported.status_code == 200
        session = await wait_for_end(client, key.headers, session_id, attempts=12)
    assert session["status"] == "active"


async def test_a_vanished_agent_is_found_without_any_webhook(settings, make_key, livekit):
    key = await make_key("dropped-webhook")
    app = create_app(settings)
    async with served(app) as base, httpx.AsyncClient(base_url=base) as client:
        session_id = await start_call(client, key.headers, "dropped")
        report_token = issue_report_token(
            livekit.api_secret, session_id, key.project_id, timedelta(minutes=5)
        )
        # The worker reported, then died; LiveKit's participant_left webhook never came.
        await client.post(
            f"/internal/v1/sessions/{session_id}/events",
            json={"events": [{"type": "session_started", "event_id": "s"}]},
            headers={"Authorization": f"Bearer {report_token}"},
        )
        resources = app.state.resources
        await resources.redis.delete("vx:sweep")  # the periodic sweep's turn, now
        assert await sweep_live_rooms(resources) == 1
        session = await wait_for_end(client, key.headers, session_id, attempts=60)
    assert session["status"] == "failed"
    assert session["end_reason"] == "agent_error"

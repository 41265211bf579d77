"""A call whose agent's worker died goes on: an expired session lease with the caller still in
the room dispatches the agent again (resuming, same session), once; a live lease or a caller
who left does not; the replacement reads the transcript so far with its report token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from agent_worker.contracts import AGENT_NAME, DispatchMetadata
from api.app import create_app
from api.calls.leases import check_lost_agents
from api.calls.reconciler import check_due_rooms, schedule_room_check
from api.sessions.tokens import issue_report_token
from tests.api.test_events_catalogue import events_of
from tests.media import Caller
from tests.services import served

pytestmark = pytest.mark.integration


async def _call(client, key, room):
    agent = (await client.post("/api/v1/agents", json={"name": "Desk"}, headers=key.headers)).json()
    response = await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": room, "agent_config_id": agent["id"]},
        headers=key.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body, body["sessions"][0]["session_id"]


async def _dispatches(resources, room_name):
    listed = await resources.livekit.agent_dispatch.list_dispatch(room_name=room_name)
    # (LiveKit lists its automatic dispatch for unnamed agents too)
    return [
        DispatchMetadata.model_validate_json(d.metadata)
        for d in listed
        if d.agent_name == AGENT_NAME
    ]


def _now():
    return datetime.now(UTC).isoformat()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


async def _expire(resources, session_id):
    await resources.redis.zadd("vx:leases", {session_id: 0})


@pytest.fixture
def quiet(settings):
    # Neither the dispatch check nor the no-show check may end these sessions meanwhile.
    return settings.model_copy(update={"no_show_timeout_s": 600, "dispatch_check_s": 600})


async def test_a_lost_agent_is_replaced_once_resuming_the_same_session(quiet, make_key, livekit):
    key = await make_key("agent-lost")
    app = create_app(quiet)
    async with served(app) as base, httpx.AsyncClient(base_url=base) as client:
        body, session_id = await _call(client, key, "lost")
        token = issue_report_token(livekit.api_secret, session_id, key.project_id, timedelta(1))
        reported = await client.post(
            f"/internal/v1/sessions/{session_id}/events",
            json={
                "events": [
                    {"type": "session_started", "event_id": "s", "caller_identity": "caller"},
                    {
                        "type": "turn",
                        "event_id": "t1",
                        "role": "agent",
                        "text": "Hello, how can I help?",
                        "started_at": _now(),
                    },
                    {
                        "type": "turn",
                        "event_id": "t2",
                        "role": "user",
                        "text": "Is delivery free?",
                        "started_at": _now(),
                    },
                ]
            },
            headers=_bearer(token),
        )
        assert reported.status_code == 200, reported.text
        leased = await client.post(
            f"/internal/v1/sessions/{session_id}/lease", headers=_bearer(token)
        )
        assert leased.status_code == 204, leased.text
        resources = app.state.resources
        async with Caller(body["wsUrl"], body["token"]):
            room_name = (
                await client.get(f"/api/v1/sessions/{session_id}", headers=key.headers)
            ).json()["session"]["room_name"]
            # a live lease: nothing happens, and a room check leaves the session alone
            assert await check_lost_agents(resources) == 0
            await schedule_room_check(resources, room_name)
            await resources.redis.zadd("vx:reconcile", {room_name: 0})
            assert await check_due_rooms(resources) == 0
            await _expire(resources, session_id)
            # (the app's own reconciler pass may take it first: the dispatches tell)
            await check_lost_agents(resources)
            # the replacement's grace lease: the next pass sends no second agent
            assert await check_lost_agents(resources) == 0
            dispatches = await _dispatches(resources, room_name)
        assert sorted(d.resume for d in dispatches) == [False, True]
        assert {d.session_id for d in dispatches} == {session_id}

        session = (await client.get(f"/api/v1/sessions/{session_id}", headers=key.headers)).json()
        assert session["session"]["status"] == "active"

        # the replacement reads the conversation so far with its own report token
        resumed = next(d for d in dispatches if d.resume)
        so_far = await client.get(
            f"/internal/v1/sessions/{session_id}/transcript", headers=_bearer(resumed.report_token)
        )
        assert so_far.status_code == 200, so_far.text
        lines = so_far.json()["lines"]
        assert lines[:2] == [
            {"role": "agent", "text": "Hello, how can I help?"},
            {"role": "user", "text": "Is delivery free?"},
        ]
        assert lines[2]["role"] == "system"

        _, other_id = await _call(client, key, "other")
        other = issue_report_token(livekit.api_secret, other_id, key.project_id, timedelta(1))
        refused = await client.get(
            f"/internal/v1/sessions/{session_id}/transcript", headers=_bearer(other)
        )
        assert refused.status_code == 404
        unsigned = await client.get(f"/internal/v1/sessions/{session_id}/transcript")
        assert unsigned.status_code == 401
        assert (
            await client.post(f"/internal/v1/sessions/{session_id}/lease", headers=_bearer(other))
        ).status_code == 404

    events = await events_of(quiet.database_url, key.project_id)
    replaced = [e for e in events if e.event_type == "session.agent_replaced"]
    assert len(replaced) == 1
    assert replaced[0].session_id == session_id
    assert replaced[0].data["status"] == "active"
    assert replaced[0].data["reason"] == "agent_lost"
    assert json.dumps(replaced[0].data)


async def test_a_lost_agent_with_no_caller_left_is_not_replaced(quiet, make_key, livekit):
    key = await make_key("agent-lost-alone")
    app = create_app(quiet)
    async with served(app) as base, httpx.AsyncClient(base_url=base) as client:
        _, session_id = await _call(client, key, "alone")
        token = issue_report_token(livekit.api_secret, session_id, key.project_id, timedelta(1))
        leased = await client.post(
            f"/internal/v1/sessions/{session_id}/lease", headers=_bearer(token)
        )
        assert leased.status_code == 204
        resources = app.state.resources
        await _expire(resources, session_id)
        assert await check_lost_agents(resources) == 0
        room_name = (
            await client.get(f"/api/v1/sessions/{session_id}", headers=key.headers)
        ).json()["session"]["room_name"]
        dispatches = await _dispatches(resources, room_name)
    assert [d.resume for d in dispatches] == [False]
    events = await events_of(quiet.database_url, key.project_id)
    assert not [e for e in events if e.event_type == "session.agent_replaced"]


async def test_leases_outliving_a_control_plane_outage_are_renewed_not_replaced(
    quiet, make_key, livekit
):
    key = await make_key("api-outage")
    app = create_app(quiet)
    async with served(app) as base, httpx.AsyncClient(base_url=base) as client:
        body, session_id = await _call(client, key, "outage")
        token = issue_report_token(livekit.api_secret, session_id, key.project_id, timedelta(1))
        leased = await client.post(
            f"/internal/v1/sessions/{session_id}/lease", headers=_bearer(token)
        )
        assert leased.status_code == 204
        resources = app.state.resources
        async with Caller(body["wsUrl"], body["token"]):
            # no reconciler pass for longer than a lease lives: the agent could not renew
            await resources.redis.set("vx:leasewatch", 0)
            await _expire(resources, session_id)
            assert await check_lost_agents(resources) == 0
            assert await check_lost_agents(resources) == 0  # a fresh term, still running
            room_name = (
                await client.get(f"/api/v1/sessions/{session_id}", headers=key.headers)
            ).json()["session"]["room_name"]
            dispatches = await _dispatches(resources, room_name)
    assert [d.resume for d in dispatches] == [False]

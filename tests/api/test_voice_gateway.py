"""The media gateway's side in the control plane, seed 003: `/ws/voice?api_key=` calls with
the default agent and conversation history across reconnects, ends reported by the gateway,
and a restarted gateway's calls ending as failed."""

import asyncio
from datetime import timedelta

import pytest
from livekit import api as lk
from sqlmodel import select

from api.projects.schemas import Scope
from api.sessions.tokens import issue_report_token
from api.usage.models import ApiCallCount
from tests.api.test_voice_sessions import (
    GATEWAY,
    app,
    client,
    dispatched_spec,
    make_agent,
    voice_settings,
)

pytestmark = pytest.mark.integration

__all__ = ["app", "client", "voice_settings"]  # fixtures shared with the seed-000 tests


async def connect(client, api_key, gateway_id="gw-1", **extra):
    return await client.post(
        "/internal/v1/gateway/calls",
        json={"api_key": api_key, "transport": "websocket", "gateway_id": gateway_id, **extra},
        headers=GATEWAY,
    )


async def session_of(client, headers, session_id):
    response = await client.get(f"/api/v1/sessions/{session_id}", headers=headers)
    return response.json()["session"]


async def test_an_api_key_call_runs_the_first_active_agent_and_refuses_what_it_should(
    client, admin, make_key
):
    assert (await connect(client, admin.api_key)).status_code == 404  # no agent yet
    first = await make_agent(client, admin.headers, name="First")
    await make_agent(client, admin.headers, name="Second")
    call = await connect(client, admin.api_key)
    assert call.status_code == 201, call.text
    assert call.json()["agent_name"] == "First"
    session = await session_of(client, admin.headers, call.json()["session_id"])
    assert (session["agent_config_id"], session["session_type"]) == (first, "websocket")

    assert (await connect(client, "vxr_wrong")).status_code == 401
    assert (await connect(client, admin.api_key, agent_id="agt_missing")).status_code == 404
    reader = await make_key("acme", Scope.READ)
    assert (await connect(client, reader.api_key)).status_code == 403
    both = await connect(client, admin.api_key, ticket="vxt_x")
    assert both.status_code == 401
    unknown_field = await connect(client, admin.api_key, colour="red")
    assert unknown_field.status_code == 422

    await client.put("/api/v1/config", json={"max_active_sessions": 1}, headers=admin.headers)
    too_many = await connect(client, admin.api_key)
    assert too_many.status_code == 429


async def api_calls_counted(app, project_id):
    async with app.state.resources.sessions() as db:
        rows = await db.exec(select(ApiCallCount).where(ApiCallCount.project_id == project_id))
        return sum(row.count for row in rows.all())


async def test_an_api_key_call_takes_the_config_defaults_and_counts_as_an_api_call(
    client, app, admin, livekit
):
    first = await make_agent(client, admin.headers, name="First", instructions="First's own.")
    chosen = await make_agent(client, admin.headers, name="Chosen", instructions="Chosen's own.")
    defaults = {"agent_config_id": chosen, "prompt": "Be brief.", "language": "de"}
    configured = await client.put(
        "/api/v1/config", json={**defaults, "max_duration": 60}, headers=admin.headers
    )
    assert configured.status_code == 200, configured.text

    default = (await connect(client, admin.api_key)).json()
    named = (await connect(client, admin.api_key, agent_id=first)).json()
    assert (default["agent_name"], named["agent_name"]) == ("Chosen", "First")
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as livekit_api:
        for call in (default, named):
            assert call["max_duration_s"] == 60
            spec = await dispatched_spec(livekit_api, call["room"])
            assert (spec.instructions, spec.language) == ("Be brief.", "de")
            assert spec.max_duration_s == 60

    # Three API calls (two agents, the config), then the two connections.
    async with asyncio.timeout(10):
        while True:
            if await api_calls_counted(app, admin.project_id) >= 5:
                break
            await asyncio.sleep(0.2)
    await asyncio.sleep(1.2)  # a flush later: nothing else was counted
    assert await api_calls_counted(app, admin.project_id) == 5


async def test_reconnecting_with_the_history_key_continues_the_conversation(client, admin, livekit):
    await make_agent(client, admin.headers)
    first = (await connect(client, admin.api_key)).json()
    room = first["room"]
    for speaker, content in (("user", "My name is Ada."), ("agent", "Hello Ada.")):
        await client.post(
            f"/api/v1/sessions/{room}/transcript",
            json={"speaker": speaker, "content": content},
            headers=admin.headers,
        )
    ended = await client.post(
        f"/internal/v1/gateway/calls/{first['session_id']}/end",
        json={"reason": "error"},
        headers=GATEWAY,
    )
    assert ended.status_code == 204

    second = (await connect(client, admin.api_key, history_key=first["history_key"])).json()
    assert second["history_key"] == first["history_key"]
    assert second["session_id"] != first["session_id"]
    session = await session_of(client, admin.headers, second["session_id"])
    assert session["metadata"]["continues_session_id"] == first["session_id"]
    # The agent of the new call loads the conversation so far, as a resuming agent does.
    report_token = issue_report_token(
        livekit.api_secret, second["session_id"], admin.project_id, timedelta(minutes=5)
    )
    so_far = await client.get(
        f"/internal/v1/sessions/{second['session_id']}/transcript",
        headers={"Authorization": f"Bearer {report_token}"},
    )
    assert [line["text"] for line in so_far.json()["lines"]] == ["My name is Ada.", "Hello Ada."]

    unknown = (await connect(client, admin.api_key, history_key="hist_unknown")).json()
    assert unknown["history_key"] != "hist_unknown"


async def test_gateway_ends_close_failures_at_once_and_leave_hangups_to_the_agent(
    client, app, admin
):
    await make_agent(client, admin.headers)
    resources = app.state.resources
    broken = (await connect(client, admin.api_key)).json()["session_id"]
    hung_up = (await connect(client, admin.api_key)).json()["session_id"]
    for session_id, reason in ((broken, "protocol_error"), (hung_up, "caller_hangup")):
        response = await client.post(
            f"/internal/v1/gateway/calls/{session_id}/end",
            json={"reason": reason},
            headers=GATEWAY,
        )
        assert response.status_code == 204
    failed = await session_of(client, admin.headers, broken)
    assert (failed["status"], failed["end_reason"]) == ("failed", "transport_error")
    # The agent closes the session with its last turns; the control plane only after a grace.
    assert (await session_of(client, admin.headers, hung_up))["status"] == "active"
    assert await resources.redis.hget("vx:voicedue:reason", hung_up) == "participant_left"
    bad_reason = await client.post(
        f"/internal/v1/gateway/calls/{hung_up}/end", json={"reason": "bored"}, headers=GATEWAY
    )
    assert bad_reason.status_code == 422
    missing = await client.post(
        "/internal/v1/gateway/calls/ses_nope/end", json={"reason": "error"}, headers=GATEWAY
    )
    assert missing.status_code == 404


async def test_a_restarted_gateway_ends_its_calls_as_failed_and_no_others(client, admin):
    await make_agent(client, admin.headers)
    lost = [(await connect(client, admin.api_key, "gw-a")).json()["session_id"] for _ in range(2)]
    kept = (await connect(client, admin.api_key, "gw-b")).json()["session_id"]
    restarted = await client.post("/internal/v1/gateway/gw-a/restarted", headers=GATEWAY)
    assert restarted.status_code == 200
    assert sorted(restarted.json()["ended"]) == sorted(lost)
    for session_id in lost:
        session = await session_of(client, admin.headers, session_id)
        assert (session["status"], session["end_reason"]) == ("failed", "gateway_restart")
    assert (await session_of(client, admin.headers, kept))["status"] == "active"
    refused = await client.post("/internal/v1/gateway/gw-b/restarted")
    assert refused.status_code == 401

"""Tool calls: the worker's recorder reports each one, the control plane writes
tool.executed or tool.failed (a real AgentSession's event, a real reporter, a real app)."""

from datetime import timedelta

import aiohttp
import httpx
import pytest
from livekit.agents import AgentSession, FunctionToolsExecutedEvent
from livekit.agents.llm import FunctionCall, FunctionCallOutput

from agent_worker.reporter import SessionReporter
from agent_worker.turn_recorder import TurnRecorder
from api.app import create_app
from api.sessions.tokens import issue_report_token
from tests.api.test_events_catalogue import events_of
from tests.services import served

pytestmark = pytest.mark.integration


async def test_tool_calls_become_tool_events(settings, admin):
    async with (
        served(create_app(settings)) as base,
        httpx.AsyncClient(base_url=base, headers=admin.headers) as api,
        aiohttp.ClientSession() as http,
    ):
        agent = (await api.post("/api/v1/agents", json={"name": "Desk"})).json()
        token = (
            await api.post(
                "/api/v1/token",
                json={"identity": "caller", "room": "tools", "agent_config_id": agent["id"]},
            )
        ).json()
        session_id = token["sessions"][0]["session_id"]
        reporter = SessionReporter(
            report_url=f"{base}/internal/v1",
            session_id=session_id,
            report_token=issue_report_token(
                settings.require_livekit_secret(),
                session_id,
                admin.project_id,
                timedelta(minutes=5),
            ),
            http=http,
        )
        reporter.start()
        session = AgentSession()
        TurnRecorder(session, reporter)
        calls = [
            FunctionCall(call_id="c1", name="book_table", arguments='{"day": "monday"}'),
            FunctionCall(call_id="c2", name="check_stock", arguments="{}"),
        ]
        outputs = [
            FunctionCallOutput(call_id="c1", name="book_table", output="booked", is_error=False),
            FunctionCallOutput(call_id="c2", name="check_stock", output="down", is_error=True),
        ]
        session.emit(
            "function_tools_executed",
            FunctionToolsExecutedEvent(function_calls=calls, function_call_outputs=outputs),
        )
        await reporter.aclose()
    events = [
        e for e in await events_of(settings.database_url, admin.project_id) if "tool" in e.data
    ]
    assert [(e.event_type, e.data["tool"]) for e in events] == [
        ("tool.executed", "book_table"),
        ("tool.failed", "check_stock"),
    ]
    assert events[0].data["arguments"] == '{"day": "monday"}'
    assert events[0].data["output"] == "booked"
    assert events[0].session_id == session_id and events[0].room_name == token["room"]

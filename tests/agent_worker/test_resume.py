"""An agent taking over a call whose worker died: on a real AgentSession its LLM sees the
conversation so far (system notes left out) and answers in it; the session lease renews
until closed."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from livekit.agents import AgentSession

from agent_worker.contracts import TranscriptSoFar, TranscriptSoFarLine
from agent_worker.reporter import SessionLease
from agent_worker.session import resumed_chat_context
from agent_worker.supervision import SUPERVISOR_SAID_PREFIX, SupervisedAgent, Supervision
from tests.agent_worker.test_supervision import SECRET, SESSION_ID, ContextEcho, _answer

pytestmark = pytest.mark.unit

SO_FAR = TranscriptSoFar(
    lines=[
        TranscriptSoFarLine(role="agent", text="Hello, how can I help?"),
        TranscriptSoFarLine(role="user", text="My order number is 4411"),
        TranscriptSoFarLine(role="supervisor", text="It ships on Friday."),
        TranscriptSoFarLine(role="system", text="The agent was lost; another agent took over."),
    ]
)


def test_the_transcript_becomes_the_llm_context_without_system_notes() -> None:
    chat_ctx = resumed_chat_context(SO_FAR)
    messages = [(m.role, m.text_content) for m in chat_ctx.items if m.type == "message"]
    assert messages == [
        ("assistant", "Hello, how can I help?"),
        ("user", "My order number is 4411"),
        ("system", SUPERVISOR_SAID_PREFIX + "It ships on Friday."),
    ]


async def test_a_resumed_agent_answers_with_the_conversation_so_far() -> None:
    supervision = Supervision(SESSION_ID, SECRET)
    async with AgentSession(llm=ContextEcho()) as session:
        agent = SupervisedAgent(
            supervision=supervision, instructions="Help.", chat_ctx=resumed_chat_context(SO_FAR)
        )
        await session.start(agent)
        answer = await _answer(session, "Where is it?")
        assert "heard: My order number is 4411 / Where is it?" in answer
        await supervision.aclose()


async def test_the_lease_renews_every_second_with_the_report_token_until_closed() -> None:
    renewals: list[str | None] = []

    async def renew(request: web.Request) -> web.Response:
        renewals.append(request.headers.get("Authorization"))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/internal/v1/sessions/ses_1/lease", renew)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with aiohttp.ClientSession() as http:
            lease = SessionLease(
                report_url=f"http://127.0.0.1:{port}/internal/v1",
                session_id="ses_1",
                report_token="tok",
                http=http,
            )
            lease.start()
            await asyncio.sleep(2.5)
            await lease.aclose()
            count = len(renewals)
            await asyncio.sleep(1.2)
        assert count == 3
        assert len(renewals) == count
        assert set(renewals) == {"Bearer tok"}
    finally:
        await runner.cleanup()

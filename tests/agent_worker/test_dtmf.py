"""Keypad digits on a real AgentSession (text only): the caller's digits become transcript
lines at once and one agent reply once the caller paused; other participants' digits are
ignored; the agent's keys go out one by one as SIP DTMF."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from livekit import rtc
from livekit.agents import (
    DEFAULT_API_CONNECT_OPTIONS,
    Agent,
    AgentSession,
    APIConnectOptions,
    NotGivenOr,
    llm,
)

from agent_worker.contracts import TurnEvent
from agent_worker.dtmf import KeypadInput, dtmf_code, keypad_tool, send_digits
from agent_worker.reporter import SessionReporter

pytestmark = pytest.mark.unit

CALLER = "sip_+14155550100"


class KeypadEcho(llm.LLM):
    """Answers with the last system note in its context: what the agent was told."""

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: NotGivenOr[Any],
    ) -> llm.LLMStream:
        return _EchoStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _EchoStream(llm.LLMStream):
    async def _run(self) -> None:
        notes = [
            i.text_content or ""
            for i in self._chat_ctx.items
            if i.type == "message" and i.role == "system"
        ]
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=uuid.uuid4().hex, delta=llm.ChoiceDelta(role="assistant", content=notes[-1])
            )
        )


class KeyRecorder:
    """Stands in for LiveKit's local participant: keeps what would be published."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def publish_dtmf(self, *, code: int, digit: str) -> None:
        self.sent.append((code, digit))


def _press(room: rtc.Room, digit: str, identity: str | None = CALLER) -> None:
    participant = None if identity is None else SimpleNamespace(identity=identity)
    room.emit(
        "sip_dtmf_received",
        rtc.SipDTMF(code=dtmf_code(digit), digit=digit, participant=participant),  # type: ignore[arg-type]
    )


def _reported(reporter: SessionReporter) -> list[str]:
    queued = list(reporter._queue._queue)  # type: ignore[attr-defined]
    return [e.text for e in queued if isinstance(e, TurnEvent)]


async def test_caller_digits_are_transcript_lines_and_reach_the_agent_once_after_a_pause() -> None:
    room = rtc.Room()
    async with (
        aiohttp.ClientSession() as http,
        AgentSession(llm=KeypadEcho()) as session,
    ):
        reporter = SessionReporter(
            report_url="http://127.0.0.1:9/internal/v1", session_id="ses_x", report_token="t",
            http=http,
        )  # fmt: skip
        await session.start(Agent(instructions="Press 1 for sales, 2 for support."))
        keypad = KeypadInput(session, room, CALLER, reporter, pause_s=0.1)
        keypad.attach()
        _press(room, "1")
        _press(room, "#")
        _press(room, "7", identity="agent-someone")  # not the caller
        _press(room, "9", identity=None)  # sent by a server SDK: our own keys echoed
        for _ in range(100):
            spoken = [
                m.text_content
                for m in session.history.items
                if m.type == "message" and m.role == "assistant"
            ]
            if spoken:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # no second reply comes
        await keypad.aclose()

    assert _reported(reporter) == ["DTMF: caller pressed 1", "DTMF: caller pressed #"]
    assert len(spoken) == 1
    assert "keypad: 1#" in (spoken[0] or "")


async def test_agent_keys_go_out_one_by_one_with_their_event_codes() -> None:
    participant = KeyRecorder()
    await send_digits(participant, "12*#A")  # type: ignore[arg-type]
    assert participant.sent == [(1, "1"), (2, "2"), (10, "*"), (11, "#"), (12, "A")]
    with pytest.raises(ValueError, match="not a DTMF key"):
        await send_digits(participant, "5x")  # type: ignore[arg-type]
    assert len(participant.sent) == 5  # nothing of a refused string was sent


async def test_the_keypad_tool_refuses_what_a_phone_cannot_send() -> None:
    room = SimpleNamespace(local_participant=KeyRecorder())
    keypad = room.local_participant
    tool = keypad_tool(lambda digits: send_digits(keypad, digits))  # type: ignore[arg-type]
    assert await tool("x1") == "Not pressed: use only 0-9, * and # (at most 32 keys)."
    assert await tool(" 1 2 ") == "Pressed 12."
    assert room.local_participant.sent == [(1, "1"), (2, "2")]

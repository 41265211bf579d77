"""Keypad digits (DTMF) on phone calls, both ways.

livekit-sip turns the RFC 4733 events a phone sends into `SipDTMF` data packets from the phone's
participant (the room's `sip_dtmf_received` event), and a `SipDTMF` packet any participant
publishes into RFC 4733 events towards the phone. The agent hears the caller's digits as a
note in its context and answers them (an agent can follow "press 1 for sales"); each digit is
a `system` transcript line. It presses keys itself through a tool, or when the control plane
asks (`POST /sessions/{id}/dtmf`, a signed supervisor command).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from livekit import rtc
from livekit.agents import function_tool
from livekit.agents.llm import FunctionTool

from .contracts import TurnEvent
from .reporter import SessionReporter, new_event_id

if TYPE_CHECKING:
    from livekit.agents import AgentSession

logger = logging.getLogger(__name__)

DTMF_DIGITS = "0123456789*#ABCD"
"""The sixteen keys, in the order of their RFC 4733 event codes (0-9, * 10, # 11, A-D 12-15)."""
DIGITS_PATTERN = r"^[0-9*#A-D]{1,32}$"
"""What may be sent at once: a phone number with a few menu keys fits."""
KEY_GAP_S = 0.3
"""Between two keys sent: livekit-sip plays each one as events for a while, and a far end
may miss two tones that run together."""
PAUSE_S = 1.5
"""The caller's digits go to the agent once they paused this long (one entry, such as an
account number, is answered once, not after every key)."""
KEYPAD_NOTE = "The caller pressed these keys on the phone keypad: {digits}. Respond to that."
KEYPAD_TOOL = "press_keys"

PressKeys = Callable[[str], Awaitable[None]]
"""Presses keys on the call's phone line."""


def dtmf_code(digit: str) -> int:
    code = DTMF_DIGITS.find(digit)
    if len(digit) != 1 or code < 0:
        raise ValueError(f"not a DTMF key: {digit!r}")
    return code


async def send_digits(participant: rtc.LocalParticipant, digits: str) -> None:
    """Press `digits` on the call's phone line, one key after the other."""
    codes = [dtmf_code(digit) for digit in digits]
    for index, (digit, code) in enumerate(zip(digits, codes, strict=True)):
        if index:
            await asyncio.sleep(KEY_GAP_S)
        await participant.publish_dtmf(code=code, digit=digit)


def keypad_tool(press: PressKeys) -> FunctionTool:
    """The agent's own keypad, given only on phone calls; `press` sends the keys (see
    `send_digits`)."""

    @function_tool(name=KEYPAD_TOOL)
    async def press_keys(digits: str) -> str:
        """Press keys on the phone keypad (DTMF tones the other side hears), for example to
        choose an option in the phone menu of the business you called.

        Args:
            digits: The keys to press in order: 0-9, *, # or A-D, at most 32.
        """
        digits = digits.strip().replace(" ", "").upper()
        if not digits or len(digits) > 32 or any(d not in DTMF_DIGITS for d in digits):
            return "Not pressed: use only 0-9, * and # (at most 32 keys)."
        await press(digits)
        return f"Pressed {digits}."

    return press_keys


class KeypadInput:
    """The digits one caller presses: transcript lines at once, and the agent's reply once
    the caller paused."""

    def __init__(
        self,
        session: AgentSession,
        room: rtc.Room,
        caller_identity: str,
        reporter: SessionReporter,
        *,
        pause_s: float = PAUSE_S,
    ) -> None:
        self._session = session
        self._room = room
        self._caller = caller_identity
        self._reporter = reporter
        self._pause_s = pause_s
        self._pending = ""
        self._flush: asyncio.Task[None] | None = None

    def attach(self) -> None:
        self._room.on("sip_dtmf_received", self.on_dtmf)

    async def aclose(self) -> None:
        self._room.off("sip_dtmf_received", self.on_dtmf)
        if self._flush is not None:
            self._flush.cancel()
            await asyncio.gather(self._flush, return_exceptions=True)

    def on_dtmf(self, event: rtc.SipDTMF) -> None:
        if event.participant is None or event.participant.identity != self._caller:
            return  # an echo of our own keys, or another participant's
        digit = event.digit if event.digit in DTMF_DIGITS else ""
        if not digit and 0 <= event.code < len(DTMF_DIGITS):
            digit = DTMF_DIGITS[event.code]
        if not digit:
            return
        self._reporter.submit(
            TurnEvent(
                event_id=new_event_id(),
                role="system",
                text=f"DTMF: caller pressed {digit}",
                started_at=datetime.now(UTC),
            )
        )
        self._pending += digit
        if self._flush is not None:
            self._flush.cancel()
        self._flush = asyncio.create_task(self._after_pause(), name="voxroom.dtmf")
        self._flush.add_done_callback(self._finished)

    async def _after_pause(self) -> None:
        await asyncio.sleep(self._pause_s)
        digits, self._pending = self._pending, ""
        await self.tell_agent(digits)

    async def tell_agent(self, digits: str) -> None:
        """A note in the agent's context (never a turn of the conversation), then its reply."""
        agent = self._session.current_agent
        chat_ctx = agent.chat_ctx.copy()
        chat_ctx.add_message(role="system", content=KEYPAD_NOTE.format(digits=digits))
        await agent.update_chat_ctx(chat_ctx)
        self._session.generate_reply()

    def _finished(self, task: asyncio.Task[None]) -> None:
        if task is self._flush:
            self._flush = None
        if not task.cancelled() and task.exception() is not None:
            logger.error("keypad digits not passed to the agent", exc_info=task.exception())
